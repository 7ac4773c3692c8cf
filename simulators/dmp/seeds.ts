/**
 * The seeded DMP situation of a world, in the shape the DossierBook materialises: an adapter over
 * fixtures/dmp.ts (`dmpDossierSeedFor`, one seeded stream per patient: a dossier is derived only when its
 * INS is first asked for, so opening a sandbox stays cheap).
 */
import { dmpDossierSeedFor, type DmpDossierSeed } from '../../fixtures/dmp.js';
import { fromXdsTime } from '../../fixtures/documents/time.js';
import type { Patient, World } from '../../fixtures/types.js';
import type { Authorization, LegalRepresentative } from './dossiers.js';

export interface DossierSeed {
  ins: string;
  insOid: string;
  patientId: string;
  status: 'active' | 'closed';
  mesAttached: boolean;
  internetAccount: boolean;
  oppositions: { brisDeGlace: boolean; accesUrgence: boolean };
  createdAt: number;
  closedAt?: number;
  closingReason?: string;
  closingText?: string;
  authorizations: Authorization[];
  medecinTraitant?: string;
  legalRepresentatives: LegalRepresentative[];
  lastDocumentAt?: number;
}

function phoneOf(p: Patient): LegalRepresentative['telecoms'] {
  return p.phone ? [{ use: 'MC', value: `tel:${p.phone.replace(/[^0-9+]/g, '')}` }] : [];
}

function adapt(world: World, s: DmpDossierSeed, patients: Map<string, Patient>): DossierSeed {
  const authorizations: Authorization[] = s.authorizations.map((a) => {
    const at = fromXdsTime(a.since);
    return { idNat: a.psIdNat, status: a.status, since: at, lastAction: at };
  });
  const mt = s.authorizations.find((a) => a.medecinTraitant && a.status === 'VALIDE');
  const legalRepresentatives: LegalRepresentative[] = s.legalRepresentatives.map((r) => {
    const rep = patients.get(r.patientId);
    return {
      relation: r.relationship.code,
      prefix: rep ? (rep.sex === 'F' ? 'Mme' : 'M') : undefined,
      given: r.given,
      family: r.family,
      address: rep ? { lines: [rep.address.line], postalCode: rep.address.postalCode, city: rep.address.city } : undefined,
      telecoms: rep ? phoneOf(rep) : [],
    };
  });
  return {
    ins: s.ins,
    insOid: s.insOid,
    patientId: s.patientId,
    status: s.status,
    mesAttached: s.mesAttached,
    internetAccount: s.internetAccount,
    oppositions: { ...s.oppositions },
    createdAt: fromXdsTime(s.createdAt),
    closedAt: s.closedAt ? fromXdsTime(s.closedAt) : undefined,
    closingReason: s.closingReason,
    closingText: s.closingReason ? 'Fermeture à la demande du patient' : undefined,
    authorizations,
    medecinTraitant: mt?.psIdNat,
    legalRepresentatives,
  };
}

interface WorldSeeds {
  patients: Map<string, Patient>;
  /** INS matricule → patient id, for every patient with an INS (DMP or not). */
  byIns: Map<string, string>;
  /** patient id → seed (null: no DMP), filled on demand. */
  seeds: Map<string, DossierSeed | null>;
}

const cache = new WeakMap<World, WorldSeeds>();

function worldSeeds(world: World): WorldSeeds {
  let ws = cache.get(world);
  if (!ws) {
    const byIns = new Map<string, string>();
    for (const p of world.patients) if (p.ins) byIns.set(p.ins.matricule, p.id);
    ws = { patients: new Map(world.patients.map((p) => [p.id, p])), byIns, seeds: new Map() };
    cache.set(world, ws);
  }
  return ws;
}

/** The seed of one patient's dossier (undefined: no DMP), derived once per world. */
export function seedForPatient(world: World, patientId: string): DossierSeed | undefined {
  const ws = worldSeeds(world);
  let seed = ws.seeds.get(patientId);
  if (seed === undefined) {
    const raw = dmpDossierSeedFor(world, patientId);
    seed = raw ? adapt(world, raw, ws.patients) : null;
    ws.seeds.set(patientId, seed);
  }
  return seed ?? undefined;
}

/** The seed of the dossier of an INS matricule (undefined: no such patient or no DMP). */
export function seedForIns(world: World, matricule: string): DossierSeed | undefined {
  const patientId = worldSeeds(world).byIns.get(matricule);
  return patientId ? seedForPatient(world, patientId) : undefined;
}

/** Every seeded dossier, in patient order (derives them all: for lists, not for a single lookup). */
export function dossierSeeds(world: World): DossierSeed[] {
  const out: DossierSeed[] = [];
  for (const p of world.patients) {
    const s = seedForPatient(world, p.id);
    if (s) out.push(s);
  }
  return out;
}
