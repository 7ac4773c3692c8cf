/**
 * Dossiers (DMP) of one sandbox: existence, status, oppositions, authorizations, médecin traitant,
 * administrative data and access traces (dmp.md §4.1–4.6, §7).
 *
 * The seeded world is the base layer (`dmpDossierSeeds(world)`, see seeds.ts), materialised lazily: a
 * dossier object is built the first time its INS is asked for, so opening a sandbox costs nothing. Every
 * change since is a `dossier.*` event and every access a `trace.*` event in the sandbox's append-only log
 * (store.ts), applied here in order, on replay as live.
 *
 * INS are compared on the matricule alone (CX.1): the OIDs .8 (NIR), .9 (NIA), .10 (test) and .11
 * (demo) all reach the same dossier, since a test platform sees .10 for patients INSi returns as .8.
 */
import { INS_NIA_OID, INS_NIR_DEMO_OID, INS_NIR_OID, INS_NIR_TEST_OID } from '../../fixtures/oids.js';
import type { Patient, World } from '../../fixtures/types.js';
import { dossierSeeds, seedForIns } from './seeds.js';
import type { DmpEvent } from './store.js';
import type { AccessMode, AuthMode } from './types.js';

/** Authorization of one professional on one DMP (TD0.2 `AUTORISATION`, dmp.md §4.1). */
export type AuthorizationStatus = 'VALIDE' | 'INTERDIT' | 'EXPIRE' | 'NON_EXISTE';

/** An authorization the DMP keeps (NON_EXISTE is the absence of one). */
export interface Authorization {
  /** PS national id (idNat_PS). */
  idNat: string;
  status: Exclude<AuthorizationStatus, 'NON_EXISTE'>;
  /** Epoch ms: start of the authorization (TD1.6 `startOfAuthorization`). */
  since: number;
  /** Epoch ms: last change (TD1.6 `lastActionDate`). */
  lastAction: number;
}

export interface Telecom {
  /** HL7 use: HP, MC, WP... (absent for e-mail in the samples). */
  use?: string;
  /** `tel:0102030405`, `mailto:x@y.fr`. */
  value: string;
}

export interface PostalAddress {
  lines: string[];
  additionalLocator?: string;
  postalCode?: string;
  city?: string;
  country?: string;
}

/** Legal representative (TD1.3a `personalRelationship`). */
export interface LegalRepresentative {
  /** HL7 PersonalRelationshipRoleType: FTH, MTH, GRD... */
  relation: string;
  prefix?: string;
  given: string;
  family: string;
  address?: PostalAddress;
  telecoms: Telecom[];
}

/** Administrative data of the dossier as TD0.2/TD1.3a show it and TD1.3b changes it. */
export interface PatientAdmin {
  /** `M`, `Mme`. */
  prefix?: string;
  given: string;
  /** Used name (`family qualifier="SP"`). */
  family: string;
  /** Birth name (`family qualifier="BR"`), when it differs. */
  birthName?: string;
  sex: 'M' | 'F';
  /** YYYYMMDD. */
  birthDate: string;
  address?: PostalAddress;
  telecoms: Telecom[];
  deceased: boolean;
  birthPlace?: { city?: string; postalCode?: string };
}

export type TraceOutcome = 'ok' | 'refused' | 'error' | string;

/** One access by a professional (Web PS "historique des accès", PDT-INF-527). */
export interface Trace {
  /** Epoch ms. */
  at: number;
  nameId: string;
  subjectId?: string;
  /** TRE_G15 profession code (or non-PS role). */
  profession?: string;
  structureId?: string;
  authMode?: AuthMode;
  mode: AccessMode;
  /** `TD0.2`, `TD3.1`, `TD0.9`... */
  operation: string;
  /** Human label of what was done ("Consultation d'un document"...). */
  label?: string;
  /** Document concerned, when one is. */
  documentUniqueId?: string;
  outcome: TraceOutcome;
  /** Error code when refused. */
  code?: string;
}

export interface Dossier {
  /** INS matricule (15 characters). */
  ins: string;
  patientId: string;
  status: 'active' | 'closed';
  /** Attached to Mon espace santé (`RATTACHEMENT_ENS`): TD1.3b/TD1.4 refused. */
  mesAttached: boolean;
  oppositions: { brisDeGlace: boolean; accesUrgence: boolean };
  /** OID the INS is known under (the client may use any of .8/.9/.10/.11). */
  insOid: string;
  /** `COMPTE_INTERNET_OUVERT`. */
  internetAccount: boolean;
  /** Epoch ms. */
  createdAt: number;
  closedAt?: number;
  /** Closing reason code (`FERMETURE_DEMANDE_PATIENT`...) and text. */
  closingReason?: string;
  closingText?: string;
  /** idNat of the PS who closed it. */
  closedBy?: string;
  /** Authorizations by idNat_PS. */
  authorizations: Map<string, Authorization>;
  /** idNat of the médecin traitant DMP, if any. */
  medecinTraitant?: string;
  legalRepresentatives: LegalRepresentative[];
  admin: PatientAdmin;
  /** Epoch ms of the last document added (TD0.4 `lastAddDate`) and last update. */
  lastDocumentAt?: number;
  lastUpdateAt?: number;
  /** Newest last; at most TRACE_LIMIT entries (older ones drop). */
  traces: Trace[];
  /** True for a dossier of the seeded world (its documents come from fixtures/dmp.ts). */
  seeded?: boolean;
}

/** PDT-INF-527: traces are online for one year or the last 100 entries. */
export const TRACE_LIMIT = 100;
export const TRACE_MAX_AGE_MS = 366 * 24 * 3600 * 1000;

/** OIDs under which an INS reaches its dossier (dmp.md §5.2). */
export const INS_OIDS: ReadonlySet<string> = new Set([INS_NIR_OID, INS_NIA_OID, INS_NIR_TEST_OID, INS_NIR_DEMO_OID]);

/** Strips a CX down to its matricule (`207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH` → `207058575627097`). */
export function insKey(ins: string): string {
  const cx1 = ins.trim().replace(/^'|'$/g, '').split('^')[0] ?? '';
  return cx1.trim().toUpperCase();
}

function yyyymmdd(iso: string): string {
  return iso.replace(/-/g, '').slice(0, 8);
}

/** Administrative data of a world patient, as the DMP received it when the dossier was created. */
export function adminOf(p: Patient): PatientAdmin {
  const used = p.usedName ?? p.birthName;
  return {
    prefix: p.sex === 'F' ? 'Mme' : 'M',
    given: (p.ins?.traits.prenom ?? p.firstName).toUpperCase(),
    family: (p.rniv.nomUtilise ?? p.rniv.nomNaissance ?? used).toUpperCase(),
    birthName: p.usedName ? p.rniv.nomNaissance : undefined,
    sex: p.sex,
    birthDate: yyyymmdd(p.birthDate),
    address: { lines: [p.address.line], postalCode: p.address.postalCode, city: p.address.city },
    telecoms: p.phone ? [{ use: 'MC', value: `tel:${p.phone.replace(/[^0-9+]/g, '')}` }] : [],
    deceased: false,
    birthPlace: p.birthPlace.kind === 'unknown' ? undefined : { city: p.birthPlace.name },
  };
}

// ---- events -------------------------------------------------------------------------------------------------

export type DossierEvent =
  | (DmpEvent & { t: 'dossier.created'; ins: string; patientId?: string; insOid?: string; admin: PatientAdmin; oppositions?: Dossier['oppositions']; by?: string })
  | (DmpEvent & { t: 'dossier.closed'; ins: string; reason?: string; text?: string; by?: string })
  | (DmpEvent & { t: 'dossier.reactivated'; ins: string; by?: string })
  | (DmpEvent & { t: 'dossier.admin'; ins: string; admin?: Partial<PatientAdmin>; oppositions?: Partial<Dossier['oppositions']>; legalRepresentatives?: LegalRepresentative[]; by?: string })
  | (DmpEvent & { t: 'dossier.authorization'; ins: string; idNat: string; status: Authorization['status'] | null })
  | (DmpEvent & { t: 'dossier.mt'; ins: string; idNat: string | null })
  | (DmpEvent & { t: 'trace.access'; ins: string; trace: Omit<Trace, 'at'> });

export class DossierBook {
  /** Materialised dossiers (seeded or created) by matricule. */
  private readonly dossiers = new Map<string, Dossier>();
  /** Matricules created by events on top of the seeds. */
  private readonly created = new Set<string>();
  private patientsById?: Map<string, Patient>;

  constructor(readonly world: World) {}

  patient(patientId: string): Patient | undefined {
    if (!this.patientsById) this.patientsById = new Map(this.world.patients.map((p) => [p.id, p]));
    return this.patientsById.get(patientId);
  }

  /** The world patient of an INS (matricule of the active INS or of its history), dossier or not. */
  patientByIns(ins: string): Patient | undefined {
    const key = insKey(ins);
    return this.world.patients.find((p) => p.ins && (p.ins.matricule === key || p.ins.history.some((h) => h.matricule === key)));
  }

  private materialise(key: string): Dossier | undefined {
    let d = this.dossiers.get(key);
    if (d) return d;
    const seed = seedForIns(this.world, key);
    if (!seed) return undefined;
    const patient = this.patient(seed.patientId);
    d = {
      ins: key,
      patientId: seed.patientId,
      status: seed.status,
      mesAttached: seed.mesAttached,
      oppositions: { ...seed.oppositions },
      insOid: seed.insOid,
      internetAccount: seed.internetAccount,
      createdAt: seed.createdAt,
      closedAt: seed.closedAt,
      closingReason: seed.closingReason,
      closingText: seed.closingText,
      authorizations: new Map(seed.authorizations.map((a) => [a.idNat, { ...a }])),
      medecinTraitant: seed.medecinTraitant,
      legalRepresentatives: seed.legalRepresentatives.map((r) => ({ ...r, telecoms: [...r.telecoms] })),
      admin: patient ? adminOf(patient) : { given: '', family: '', sex: 'M', birthDate: '', telecoms: [], deceased: false },
      lastDocumentAt: seed.lastDocumentAt,
      lastUpdateAt: seed.lastDocumentAt,
      traces: [],
      seeded: true,
    };
    this.dossiers.set(key, d);
    return d;
  }

  /** The dossier of an INS (any OID, CX accepted), or undefined when the patient has no DMP. */
  get(ins: string): Dossier | undefined {
    return this.materialise(insKey(ins));
  }

  /** Every dossier (seeded and created), in seed order then creation order. Materialises them all. */
  list(): Dossier[] {
    const out: Dossier[] = [];
    const seeded = new Set<string>();
    for (const seed of dossierSeeds(this.world)) {
      seeded.add(seed.ins);
      out.push(this.materialise(seed.ins)!);
    }
    for (const key of this.created) if (!seeded.has(key)) out.push(this.dossiers.get(key)!);
    return out;
  }

  /** The authorization status of a professional on a dossier (`NON_EXISTE` when none). */
  authorizationOf(dossier: Dossier, idNat: string): AuthorizationStatus {
    return dossier.authorizations.get(idNat)?.status ?? 'NON_EXISTE';
  }

  /** Traces still online (PDT-INF-527: one year, last 100), newest first. */
  tracesOf(dossier: Dossier, now: number): Trace[] {
    return dossier.traces.filter((t) => now - t.at <= TRACE_MAX_AGE_MS).reverse();
  }

  apply(event: DmpEvent): void {
    const e = event as DossierEvent;
    const key = insKey(String(e.ins ?? ''));
    if (!key) return;
    if (e.t === 'dossier.created') {
      const existing = this.materialise(key);
      if (existing) {
        // A re-creation over a seeded dossier (only reachable in lenient flows): treat as reactivation.
        existing.status = 'active';
        existing.closedAt = undefined;
        return;
      }
      this.created.add(key);
      this.dossiers.set(key, {
        ins: key,
        patientId: e.patientId ?? this.patientByIns(key)?.id ?? '',
        status: 'active',
        mesAttached: false,
        oppositions: { brisDeGlace: e.oppositions?.brisDeGlace ?? false, accesUrgence: e.oppositions?.accesUrgence ?? false },
        insOid: e.insOid ?? '1.2.250.1.213.1.4.10',
        internetAccount: false,
        createdAt: e.at,
        authorizations: new Map(e.by ? [[e.by, { idNat: e.by, status: 'VALIDE', since: e.at, lastAction: e.at }]] : []),
        legalRepresentatives: [],
        admin: e.admin,
        lastUpdateAt: e.at,
        traces: [],
      });
      return;
    }
    const d = this.materialise(key);
    if (!d) return;
    switch (e.t) {
      case 'dossier.closed':
        d.status = 'closed';
        d.closedAt = e.at;
        d.closingReason = e.reason;
        d.closingText = e.text;
        d.closedBy = e.by;
        d.lastUpdateAt = e.at;
        break;
      case 'dossier.reactivated':
        d.status = 'active';
        d.closedAt = undefined;
        d.closingReason = undefined;
        d.closingText = undefined;
        d.closedBy = undefined;
        d.lastUpdateAt = e.at;
        break;
      case 'dossier.admin':
        if (e.admin) d.admin = { ...d.admin, ...e.admin };
        if (e.oppositions) d.oppositions = { ...d.oppositions, ...e.oppositions };
        if (e.legalRepresentatives) d.legalRepresentatives = e.legalRepresentatives;
        d.lastUpdateAt = e.at;
        break;
      case 'dossier.authorization': {
        if (e.status === null) {
          d.authorizations.delete(e.idNat);
          if (d.medecinTraitant === e.idNat) d.medecinTraitant = undefined;
        } else {
          const prev = d.authorizations.get(e.idNat);
          const since = prev && prev.status === e.status ? prev.since : e.at;
          d.authorizations.set(e.idNat, { idNat: e.idNat, status: e.status, since, lastAction: e.at });
          if (e.status !== 'VALIDE' && d.medecinTraitant === e.idNat) d.medecinTraitant = undefined;
        }
        break;
      }
      case 'dossier.mt': {
        d.medecinTraitant = e.idNat ?? undefined;
        if (e.idNat) {
          const a = d.authorizations.get(e.idNat);
          if (a) a.lastAction = e.at;
        }
        break;
      }
      case 'trace.access': {
        d.traces.push({ ...e.trace, at: e.at });
        if (d.traces.length > TRACE_LIMIT) d.traces.splice(0, d.traces.length - TRACE_LIMIT);
        if (e.trace.outcome === 'ok' && /^TD2\./.test(e.trace.operation)) {
          d.lastDocumentAt = e.at;
          d.lastUpdateAt = e.at;
        } else if (e.trace.outcome === 'ok' && /^TD3\.3/.test(e.trace.operation)) {
          d.lastUpdateAt = e.at;
        }
        break;
      }
      default:
        break;
    }
  }

  reset(): void {
    this.dossiers.clear();
    this.created.clear();
  }
}
