/**
 * The rights the DMP enforces (dmp.md §7, PDT-INF-526 v1.8 "matrice des droits fonctionnels"): who may do
 * what on which dossier and see which document. Handlers ask here and answer a refusal in their own
 * transaction's shape (HL7v3 acknowledgement, `output/status`, XDS RegistryError).
 *
 * Scenario outcomes (`dmp.absent`, `dmp.closed`, `dmp.opposition`, `dmp.blocked`) are applied here too:
 * `checkAccess` sees the dossier as the outcome makes it, so every transaction honours them without
 * knowing about them. `dossierFor(call)` gives that same view to a handler that renders the dossier.
 *
 * Every access by a professional is traced for the patient with `traceAccess` (Web PS history).
 */
import { habilitationAllows } from './habilitations/matrix.js';
import type { AuthorizationStatus, Dossier, Trace, TraceOutcome } from './dossiers.js';
import type { AccessMode, AuthMode, DmpCall } from './types.js';

export type RightsAction =
  | 'existence' // TD0.2
  | 'consult' // TD3.1a metadata search, TD3.2 retrieve
  | 'search-reference' // TD3.1b: find a document's entryUUID from its uniqueId (indirect/CPE allowed, own structure)
  | 'feed' // TD2.1/TD2.2
  | 'update-document' // TD3.3a-d, RPLC
  | 'set-authorization' // TD0.3 AJOUT
  | 'remove-authorization' // TD0.3 SUPPRESSION
  | 'declare-mt' // TD0.3 AJOUT role MEDECIN_TRAITANT
  | 'remove-mt' // TD0.3 SUPPRESSION role MEDECIN_TRAITANT
  | 'list-authorizations' // TD1.6
  | 'admin-data' // TD1.3a
  | 'admin-update' // TD1.3b
  | 'close' // TD1.4
  | 'reactivate' // TD1.2
  | 'create' // TD1.1
  | 'pdq' // TD0.5
  | 'patient-list' // TD0.4
  | 'web-ps'; // TD0.9

export interface RightsDecision {
  allowed: boolean;
  /** DMP error code when refused: `DMPAccessDeniedByRightsService`, `DMPClosed`, `DMPNotFound`, `DMPFound`... */
  code?: string;
  reason: string;
  /** The caller's authorization on the dossier, as TD0.2 reports it. */
  authorization?: AuthorizationStatus;
}

/** What the rights model needs to know of a document. */
export interface DocumentFacts {
  /** idNat of every author person (XCN.1). */
  authorIds: string[];
  /** idNat of every author institution (XON.10). */
  authorStructureIds: string[];
  classCode: string;
  typeCode: string;
  /** Confidentiality codes (N, MASQUE_PS, INVISIBLE_PATIENT, ...). */
  confidentiality: string[];
  status: string;
}

export type DocumentChange = 'mask' | 'unmask' | 'make-visible' | 'archive' | 'unarchive' | 'delete' | 'replace';

/** DMP error codes (dmp.md §6; only `DMPAccessDeniedByRightsService` is [C], the others are [I]). */
export const DMP_CODES = {
  denied: 'DMPAccessDeniedByRightsService',
  notFound: 'DMPNotFound',
  closed: 'DMPClosed',
  found: 'DMPFound',
  notClosed: 'DMPNotClosed',
  mesAttached: 'DMPAttachedToMES',
  invalidRequest: 'DMPInvalidRequest',
} as const;

// ---- the caller ---------------------------------------------------------------------------------------------

/** Non-PS roles of the VIHF (JDV_J65, system 1.2.250.1.213.1.1.4.6). */
const NON_PS_ROLE_SYSTEM = '1.2.250.1.213.1.1.4.6';
/** Savoir-faire "Médecine du travail" (TRE_R38 SM45) [I: how the DMP recognises a médecin du travail]. */
export const MEDECIN_DU_TRAVAIL_SPECIALTIES = ['SM45'];

export type CallerKind = 'ps' | 'cpe' | 'indirect';

export interface Caller {
  nameId: string;
  authMode: AuthMode;
  mode: AccessMode;
  kind: CallerKind;
  /** TRE_G15 code of a PS, or the non-PS role code. */
  profession?: string;
  specialties: string[];
  structureId?: string;
  isMedecin: boolean;
  isMedecinDuTravail: boolean;
}

/**
 * Who is calling, from the VIHF: a PS authenticated directly (CPS/e-CPS, `DIRECTE`) or through an AIR
 * (`INDIRECTE_RENFORCEE`, treated as a direct PS except for bris de glace and Web PS [I]); a CPE holder
 * (non-PS role in `DIRECTE`); or a structure certificate (`INDIRECTE`).
 */
export function callerOf(call: Pick<DmpCall, 'vihf'>): Caller {
  const v = call.vihf;
  const prof = v.profession;
  const nonPs = !!prof && (prof.codeSystem === NON_PS_ROLE_SYSTEM || !/^\d+$/.test(prof.code));
  const kind: CallerKind = v.authMode === 'INDIRECTE' ? 'indirect' : nonPs ? 'cpe' : 'ps';
  const specialties = v.roles.map((r) => r.code);
  const isMedecin = !nonPs && prof?.code === '10';
  return {
    nameId: v.nameId,
    authMode: v.authMode,
    mode: v.purposeOfUse,
    kind,
    profession: prof?.code,
    specialties,
    structureId: v.structureId,
    isMedecin,
    isMedecinDuTravail: isMedecin && specialties.some((s) => MEDECIN_DU_TRAVAIL_SPECIALTIES.includes(s)),
  };
}

// ---- scenario outcomes --------------------------------------------------------------------------------------

export const OUTCOMES = {
  closed: 'dmp.closed',
  absent: 'dmp.absent',
  opposition: 'dmp.opposition',
  blocked: 'dmp.blocked',
} as const;

/**
 * The dossier as the active scenario outcomes make it for this call: `dmp.absent` hides it, `dmp.closed`
 * closes it, `dmp.opposition` adds an opposition, `dmp.blocked` makes the caller INTERDIT. The stored
 * dossier is never changed (a copy is returned when an outcome applies).
 */
export function applyOutcomes(call: Pick<DmpCall, 'exchange' | 'vihf' | 'now'>, dossier: Dossier | undefined): Dossier | undefined {
  const ex = call.exchange;
  if (!ex?.outcome) return dossier;
  if (ex.outcome(OUTCOMES.absent)) return undefined;
  if (!dossier) return dossier;
  const closed = ex.outcome<Record<string, never>>(OUTCOMES.closed);
  const opposition = ex.outcome<{ kind: 'bris_de_glace' | 'acces_urgence' }>(OUTCOMES.opposition);
  const blocked = ex.outcome(OUTCOMES.blocked);
  if (!closed && !opposition && !blocked) return dossier;
  const copy: Dossier = { ...dossier, oppositions: { ...dossier.oppositions } };
  if (closed && copy.status !== 'closed') {
    copy.status = 'closed';
    copy.closedAt = call.now;
    copy.closingReason = 'FERMETURE_DEMANDE_PATIENT';
    copy.closingText = 'Fermeture à la demande du patient';
  }
  if (opposition) {
    if (opposition.kind === 'bris_de_glace') copy.oppositions.brisDeGlace = true;
    else copy.oppositions.accesUrgence = true;
  }
  if (blocked) {
    copy.authorizations = new Map(dossier.authorizations);
    copy.authorizations.set(call.vihf.nameId, { idNat: call.vihf.nameId, status: 'INTERDIT', since: call.now, lastAction: call.now });
    if (copy.medecinTraitant === call.vihf.nameId) copy.medecinTraitant = undefined;
  }
  return copy;
}

/** The dossier of the call's patient (VIHF resource-id, or `ins`), with the scenario outcomes applied. */
export function dossierFor(call: DmpCall, ins: string | undefined = call.vihf.patientIns): Dossier | undefined {
  return applyOutcomes(call, ins ? call.store.dossiers.get(ins) : undefined);
}

// ---- decisions ----------------------------------------------------------------------------------------------

const allow = (reason: string, authorization?: AuthorizationStatus): RightsDecision => ({ allowed: true, reason, authorization });
const deny = (reason: string, code: string = DMP_CODES.denied, authorization?: AuthorizationStatus): RightsDecision => ({ allowed: false, code, reason, authorization });

const MODE_LABEL: Record<AccessMode, string> = { normal: 'accès normal', bris_de_glace: 'bris de glace', centre_15: 'centre de régulation (centre 15)' };

export function authorizationStatus(dossier: Dossier | undefined, idNat: string): AuthorizationStatus {
  return dossier?.authorizations.get(idNat)?.status ?? 'NON_EXISTE';
}

export function isMedecinTraitant(dossier: Dossier | undefined, idNat: string): boolean {
  return !!dossier && dossier.medecinTraitant === idNat && authorizationStatus(dossier, idNat) === 'VALIDE';
}

/** Bris de glace / centre 15 preconditions: the mode's own rules and the patient's oppositions. */
function emergencyMode(caller: Caller, dossier: Dossier): RightsDecision | undefined {
  if (caller.mode === 'bris_de_glace') {
    if (caller.authMode !== 'DIRECTE') return deny('le mode bris de glace n’existe qu’en authentification directe (carte CPx / e-CPS)');
    if (caller.kind !== 'ps') return deny('le mode bris de glace est réservé aux professionnels de santé');
    if (dossier.oppositions.brisDeGlace) return deny('le patient s’est opposé à l’accès en mode bris de glace (OPPOSITION_BRIS_DE_GLACE)');
    return undefined;
  }
  if (caller.mode === 'centre_15') {
    if (caller.kind === 'cpe') return deny('le mode centre de régulation est réservé aux professionnels de santé');
    if (dossier.oppositions.accesUrgence) return deny('le patient s’est opposé à l’accès en mode centre de régulation (OPPOSITION_ACCES_URGENCE)');
    return undefined;
  }
  return undefined;
}

/**
 * Whether the caller may perform `action` on `dossier` (undefined when the patient has no DMP). Scenario
 * outcomes are applied first. The decision carries the caller's authorization for TD0.2.
 */
export function checkAccess(call: DmpCall, dossierIn: Dossier | undefined, action: RightsAction): RightsDecision {
  const dossier = applyOutcomes(call, dossierIn);
  const caller = callerOf(call);
  const auth = authorizationStatus(dossier, caller.nameId);
  const mt = isMedecinTraitant(dossier, caller.nameId);

  // Actions that do not need an existing dossier.
  if (action === 'pdq') {
    if (caller.mode !== 'centre_15') return deny('la recherche d’un patient sans INS (TD0.5) n’est ouverte qu’en mode centre de régulation (PurposeOfUse centre_15)');
    if (caller.kind === 'cpe') return deny('TD0.5 est réservée aux professionnels de santé de la régulation');
    return allow('mode centre de régulation');
  }
  if (action === 'patient-list') {
    if (caller.mode !== 'normal') return deny(`la liste des DMP autorisés (TD0.4) n’est pas disponible en mode ${MODE_LABEL[caller.mode]}`);
    return allow(caller.kind === 'ps' ? 'professionnel de santé' : caller.kind === 'cpe' ? 'CPE: DMP des PS de la même structure' : 'certificat de structure: autorisations récentes');
  }
  if (action === 'create') {
    if (dossier) return deny('un DMP existe déjà pour cet INS', DMP_CODES.found, auth);
    if (caller.mode !== 'normal') return deny(`la création n’est pas possible en mode ${MODE_LABEL[caller.mode]}`);
    if (caller.isMedecinDuTravail) return deny('la création de DMP n’est pas ouverte au médecin du travail');
    return allow('DMP inexistant: création autorisée');
  }
  if (action === 'existence') {
    // TD0.2 answers NF / the authorization; it is open to every caller, even a blocked one.
    return dossier ? allow('test d’existence', auth) : allow('pas de DMP pour cet INS', 'NON_EXISTE');
  }

  if (!dossier) return deny('aucun DMP pour cet INS', DMP_CODES.notFound, 'NON_EXISTE');

  // A blocked professional never gets any access (PDT-INF-526).
  if (auth === 'INTERDIT' && caller.kind === 'ps') return deny('le patient a bloqué ce professionnel (autorisation INTERDIT)', DMP_CODES.denied, auth);

  if (action === 'reactivate') {
    if (dossier.status !== 'closed') return deny('le DMP n’est pas fermé', DMP_CODES.notClosed, auth);
    if (caller.mode !== 'normal') return deny(`la réactivation n’est pas possible en mode ${MODE_LABEL[caller.mode]}`, DMP_CODES.denied, auth);
    return allow('DMP fermé: réactivation', auth);
  }

  if (dossier.status === 'closed') {
    // TD1.3a still shows a closed dossier (its closing date and reason); nothing else works on it.
    if (action === 'admin-data') return allow('DMP fermé: consultation des données de gestion', auth);
    return deny('le DMP est fermé', DMP_CODES.closed, auth);
  }

  switch (action) {
    case 'feed':
      // Feeding needs an active DMP only, no authorization (§7), in every mode and auth kind.
      return allow('alimentation: DMP actif, pas d’autorisation requise', auth);

    case 'update-document':
      if (caller.mode !== 'normal' && !caller.isMedecin) return deny(`hors accès normal seuls les médecins peuvent modifier un document (${MODE_LABEL[caller.mode]})`, DMP_CODES.denied, auth);
      return allow('modification de ses propres documents (vérifiée document par document)', auth);

    case 'search-reference':
      return allow('recherche de la référence d’un document (documents de sa structure / ses documents)', auth);

    case 'consult':
    case 'web-ps': {
      if (action === 'web-ps' && caller.authMode !== 'DIRECTE') return deny('l’accès Web PS n’est ouvert qu’en authentification directe', DMP_CODES.denied, auth);
      if (caller.kind === 'indirect') return deny('en authentification indirecte, seule la recherche de la référence des documents de la structure est possible', DMP_CODES.denied, auth);
      if (caller.kind === 'cpe') return deny('un porteur de CPE ne peut pas consulter le DMP (seulement retrouver la référence des documents de sa structure)', DMP_CODES.denied, auth);
      if (caller.isMedecinDuTravail) return deny('le médecin du travail ne peut pas consulter le DMP', DMP_CODES.denied, auth);
      const emergency = emergencyMode(caller, dossier);
      if (emergency) return { ...emergency, authorization: auth };
      if (caller.mode !== 'normal') return allow(`accès en mode ${MODE_LABEL[caller.mode]}`, auth);
      if (auth === 'VALIDE') return allow(mt ? 'médecin traitant DMP' : 'autorisation VALIDE', auth);
      return deny(auth === 'EXPIRE' ? 'l’autorisation d’accès du professionnel a expiré' : 'le professionnel n’est pas autorisé sur ce DMP (TD0.3 après consentement du patient)', DMP_CODES.denied, auth);
    }

    case 'set-authorization':
    case 'remove-authorization':
    case 'declare-mt':
    case 'remove-mt': {
      if (caller.mode !== 'normal') return deny(`la gestion des autorisations n’est pas possible en mode ${MODE_LABEL[caller.mode]}`, DMP_CODES.denied, auth);
      if (caller.kind === 'indirect') return deny('la gestion des autorisations n’est pas possible avec un certificat de structure', DMP_CODES.denied, auth);
      if (caller.isMedecinDuTravail) return deny('le médecin du travail ne peut pas se déclarer autorisé', DMP_CODES.denied, auth);
      if (action === 'declare-mt' && !caller.isMedecin) return deny('seul un médecin peut se déclarer médecin traitant DMP', DMP_CODES.denied, auth);
      if (action === 'declare-mt' && caller.kind !== 'ps') return deny('seul un médecin peut se déclarer médecin traitant DMP', DMP_CODES.denied, auth);
      if (action === 'remove-mt' && !mt) return deny('seul le médecin traitant DMP peut retirer ce statut', DMP_CODES.denied, auth);
      return allow('accès normal', auth);
    }

    case 'list-authorizations':
      if (caller.mode !== 'normal') return deny(`TD1.6 n’est pas disponible en mode ${MODE_LABEL[caller.mode]}`, DMP_CODES.denied, auth);
      if (caller.kind !== 'ps') return deny('TD1.6 est réservée aux professionnels de santé authentifiés directement', DMP_CODES.denied, auth);
      if (auth !== 'VALIDE') return deny('le professionnel doit être autorisé sur le DMP pour en lister les autorisations', DMP_CODES.denied, auth);
      return allow('professionnel autorisé', auth);

    case 'admin-data':
      if (caller.isMedecinDuTravail) return deny('le médecin du travail n’a pas accès aux données de gestion', DMP_CODES.denied, auth);
      return allow('consultation des données de gestion', auth);

    case 'admin-update':
    case 'close':
      if (dossier.mesAttached) return deny('le DMP est rattaché à Mon espace santé: seul le patient le gère (TD1.3b/TD1.4 réservées aux DMP non rattachés)', DMP_CODES.mesAttached, auth);
      if (caller.mode !== 'normal') return deny(`opération impossible en mode ${MODE_LABEL[caller.mode]}`, DMP_CODES.denied, auth);
      if (caller.isMedecinDuTravail) return deny('opération impossible pour le médecin du travail', DMP_CODES.denied, auth);
      return allow('DMP non rattaché à Mon espace santé', auth);

    default:
      return deny(`action ${action} inconnue`, DMP_CODES.denied, auth);
  }
}

// ---- documents ----------------------------------------------------------------------------------------------

const MASQUE_PS = 'MASQUE_PS';
const SIGNATURE_CLASS = 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1';
const PATIENT_CLASS = '90';

function isOwn(caller: Caller, doc: DocumentFacts): boolean {
  return doc.authorIds.includes(caller.nameId);
}

function isOwnStructure(caller: Caller, doc: DocumentFacts): boolean {
  return !!caller.structureId && doc.authorStructureIds.includes(caller.structureId);
}

/**
 * Whether a document shows in the caller's query results: habilitation matrix (profession × class/type),
 * masking (MASQUE_PS: the MT and the author only; never in bris de glace / centre 15 unless own), the
 * indirect/CPE/médecin du travail restrictions (their structure's / their own documents only) and blocking.
 * INVISIBLE_PATIENT / INVISIBLE_REPRESENTANTS_LEGAUX documents stay visible to professionals.
 */
export function documentVisible(call: DmpCall, dossierIn: Dossier, doc: DocumentFacts): boolean {
  const dossier = applyOutcomes(call, dossierIn);
  if (!dossier) return false;
  const caller = callerOf(call);
  if (caller.kind === 'ps' && authorizationStatus(dossier, caller.nameId) === 'INTERDIT') return false;
  if (caller.kind === 'indirect' || caller.kind === 'cpe') return isOwnStructure(caller, doc) || isOwn(caller, doc);
  if (caller.isMedecinDuTravail) return isOwn(caller, doc);
  if (isOwn(caller, doc)) return true;
  if (doc.confidentiality.includes(MASQUE_PS)) {
    if (caller.mode !== 'normal') return false;
    if (!isMedecinTraitant(dossier, caller.nameId)) return false;
  }
  if (doc.classCode === SIGNATURE_CLASS) return true;
  return habilitationAllows(caller.profession, doc.classCode, doc.typeCode);
}

/**
 * Whether the caller may change this document (TD3.3 mask/unmask, make visible, archive, delete; RPLC
 * replacement): one's own documents (the structure's in indirect/CPE mode); patient documents (class 90)
 * only for the MT; no masking in bris de glace / centre 15, archiving there for médecins only.
 */
export function canChangeDocument(call: DmpCall, dossierIn: Dossier, doc: DocumentFacts, change?: DocumentChange): RightsDecision {
  const dossier = applyOutcomes(call, dossierIn);
  if (!dossier) return deny('aucun DMP pour cet INS', DMP_CODES.notFound);
  if (dossier.status === 'closed') return deny('le DMP est fermé', DMP_CODES.closed);
  const caller = callerOf(call);
  const auth = authorizationStatus(dossier, caller.nameId);
  if (caller.kind === 'ps' && auth === 'INTERDIT') return deny('le patient a bloqué ce professionnel (autorisation INTERDIT)', DMP_CODES.denied, auth);
  if (caller.mode !== 'normal') {
    if (change === 'mask' || change === 'unmask') return deny(`pas de masquage en mode ${MODE_LABEL[caller.mode]}`, DMP_CODES.denied, auth);
    if ((change === 'archive' || change === 'unarchive') && !caller.isMedecin) return deny(`archivage réservé aux médecins en mode ${MODE_LABEL[caller.mode]}`, DMP_CODES.denied, auth);
  }
  if (doc.classCode === PATIENT_CLASS) {
    if (isMedecinTraitant(dossier, caller.nameId)) return allow('document du patient: médecin traitant DMP', auth);
    return deny('seul le médecin traitant DMP peut modifier un document déposé par le patient', DMP_CODES.denied, auth);
  }
  if (isOwn(caller, doc)) return allow('document dont il est l’auteur', auth);
  if ((caller.kind === 'indirect' || caller.kind === 'cpe') && isOwnStructure(caller, doc)) return allow('document de sa structure', auth);
  if (caller.mode !== 'normal' && (change === 'archive' || change === 'unarchive') && caller.isMedecin) return allow(`archivage en mode ${MODE_LABEL[caller.mode]}`, auth);
  return deny('seul l’auteur du document (ou sa structure en authentification indirecte) peut le modifier', DMP_CODES.denied, auth);
}

// ---- traces -------------------------------------------------------------------------------------------------

export interface TraceWhat {
  /** `TD3.1`, `TD3.2`, `TD2.1`... */
  operation: string;
  label?: string;
  documentUniqueId?: string;
  code?: string;
}

/** Human labels of the traced operations (Web PS history). */
export const OPERATION_LABELS: Record<string, string> = {
  'TD0.2': 'Test d’existence du DMP et vérification de l’autorisation',
  'TD0.3': 'Mise à jour de l’autorisation d’accès',
  'TD0.9': 'Accès Web PS au DMP',
  'TD1.1': 'Création du DMP',
  'TD1.2': 'Réactivation du DMP',
  'TD1.3a': 'Consultation des données administratives',
  'TD1.3b': 'Modification des données administratives',
  'TD1.4': 'Fermeture du DMP',
  'TD1.6': 'Liste des professionnels autorisés ou bloqués',
  'TD2.1': 'Alimentation du DMP (ajout ou remplacement de document)',
  'TD2.2': 'Alimentation du DMP par un secrétariat (CPE)',
  'TD3.1': 'Recherche de documents',
  'TD3.2': 'Consultation d’un document',
  'TD3.3': 'Modification des attributs d’un document',
};

/**
 * Records one access of the caller to the patient's dossier (`trace.access` event, persisted). Call it
 * once per transaction, allowed or refused. No-op when the patient has no dossier.
 */
export async function traceAccess(call: DmpCall, dossier: Dossier | string | undefined, what: string | TraceWhat, outcome: TraceOutcome = 'ok'): Promise<void> {
  const ins = typeof dossier === 'string' ? dossier : dossier?.ins;
  if (!ins || !call.store.dossiers.get(ins)) return;
  const w: TraceWhat = typeof what === 'string' ? { operation: what } : what;
  const v = call.vihf;
  const trace: Omit<Trace, 'at'> = {
    nameId: v.nameId,
    subjectId: v.subjectId,
    profession: v.profession?.code,
    structureId: v.structureId,
    authMode: v.authMode,
    mode: v.purposeOfUse,
    operation: w.operation,
    label: w.label ?? OPERATION_LABELS[w.operation] ?? OPERATION_LABELS[w.operation.replace(/[a-z]$/, '')],
    documentUniqueId: w.documentUniqueId,
    outcome,
    code: w.code,
  };
  // Drop undefined fields so the event log stays small and stable.
  for (const k of Object.keys(trace) as (keyof typeof trace)[]) if (trace[k] === undefined) delete trace[k];
  await call.store.record({ t: 'trace.access', at: call.now, ins, trace });
}
