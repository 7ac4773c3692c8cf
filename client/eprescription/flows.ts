/**
 * Ségur flows of the ordonnance numérique.
 *
 * Prescriber, "en Y" (§B2, §B8): compute the identifier, register the EPU (ep4_creer), then build the
 * eP-MED-DM CDA — with the identifier and the 2D code when the EPU was created, without both when ep4 was
 * refused or did not answer — and deposit it in the DMP either way ("Continuez sans l'ordonnance numérique").
 *
 * Executant: scan the 2D code → ep3_consulter; dispense → ep1_transmettreExecution.
 */
import type { DmpClient, SubmissionSetInput, SubmitResult } from '../dmp/client.js';
import type { FeedingHandle, FeedingQueue } from '../dmp/flows/feeding-queue.js';
import { numeroAmOf } from '../../fixtures/prescriptions.js';
import type { Patient, Professional, Structure } from '../../fixtures/types.js';
import { buildEpMedDm, type EpMedDmDocument } from './cda.js';
import type { CallOptions, EPrescriptionClient } from './client.js';
import { parseCode2dPayload, type Code2dPayload } from './code2d.js';
import { EPrescriptionError, EPrescriptionFault, EPrescriptionInputError, EPrescriptionTimeoutError, EPrescriptionTransportError } from './errors.js';
import { generateIdentifiantUnique, type IdentifierGenerator } from './identifier.js';
import type { EPrescription, EpExecutant, EpExecution, EpLine, EpPatient, EpPrescripteur } from './model.js';

// ---- from the LGC's records to the wire model ---------------------------------------------------------

/** The patient block from an identity of the world (INS traits when qualified). */
export function epPatientOf(p: Patient): EpPatient {
  const t = p.ins?.traits ?? p.rniv;
  const out: EpPatient = { nomNaissance: t.nomNaissance, prenom: t.prenom, dateNaissance: t.dateNaissance, sexe: t.sexe };
  if (p.ins) out.ins = { matricule: p.ins.matricule, oid: p.ins.type === 'NIA' ? '1.2.250.1.213.1.4.9' : '1.2.250.1.213.1.4.10' };
  if (p.rniv.nomUtilise) out.nomUtilise = p.rniv.nomUtilise;
  return out;
}

/** The prescriber block of a professional in a structure (AM number derived, see fixtures/prescriptions.ts). */
export function epPrescripteurOf(pro: Professional, structure: Structure): EpPrescripteur {
  const out: EpPrescripteur = { rpps: pro.rpps, nom: pro.lastNameRniv, prenom: pro.firstNameRniv, profession: pro.profession.code, numeroAM: numeroAmOf(structure) };
  if (pro.specialty) out.specialite = pro.specialty.code;
  if (structure.finessET) out.finess = structure.finessET;
  return out;
}

/** The executant block (pharmacist...), identified by the structure's AM number and FINESS when it has one. */
export function epExecutantOf(pro: Professional, structure: Structure): EpExecutant {
  const out: EpExecutant = { rpps: pro.rpps, profession: pro.profession.code, numeroAM: numeroAmOf(structure) };
  if (structure.finessET) out.finess = structure.finessET;
  return out;
}

const addMonths = (iso: string, months: number) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
};

/** A prescription written today, valid 3 months (the default of the contract). */
export function draftPrescription(input: {
  patient: Patient;
  prescriber: Professional;
  structure: Structure;
  lines: EpLine[];
  replaced?: { pro: Professional; structure: Structure };
  opposition?: boolean;
  sousTypes?: string[];
  today?: string;
}): EPrescription {
  const today = input.today ?? new Date().toISOString().slice(0, 10);
  const rx: EPrescription = {
    dateRedaction: today,
    debutValidite: today,
    finValidite: addMonths(today, 3),
    patient: epPatientOf(input.patient),
    prescripteur: epPrescripteurOf(input.prescriber, input.structure),
    oppositionConsultationExecution: input.opposition ?? false,
    lignes: input.lines,
  };
  if (input.replaced) rx.remplace = epPrescripteurOf(input.replaced.pro, input.replaced.structure);
  if (input.sousTypes?.length) rx.sousTypes = input.sousTypes;
  return rx;
}

// ---- prescriber: en Y ----------------------------------------------------------------------------------

export type FallbackReason = 'fault' | 'timeout' | 'transport' | 'protocol';

export interface PrescribeEnYInput {
  ep: EPrescriptionClient;
  /** Where the CDA goes: a DMP client (sent now) or the feeding queue (background, persistent retry). */
  dmp: { client: DmpClient; submissionSet?: SubmissionSetInput } | { queue: FeedingQueue; submissionSet?: SubmissionSetInput; deferMs?: number };
  /** Without identifiant: it is computed here. */
  prescription: EPrescription;
  patient: Patient;
  author: Professional;
  structure: Structure;
  replaced?: Professional;
  /** OID of the CDA. */
  uniqueId: string;
  generator?: IdentifierGenerator;
  /** ep4_creer options, e.g. a short timeoutMs: no answer by then ⇒ fallback without identifier. */
  call?: CallOptions;
  now?: () => Date;
}

export interface PrescribeEnYResult {
  /** ep4_creer answered OK. */
  created: boolean;
  /** The registered identifier (created only). */
  identifiant?: string;
  /** The identifier computed and sent, even when the call failed (after a timeout it may exist server-side). */
  computedIdentifiant: string;
  fallback?: { reason: FallbackReason; error: EPrescriptionError | Error; code?: string; subcode?: string };
  document: EpMedDmDocument;
  dmp: { submitted: true; result: SubmitResult } | { submitted: false; queued: FeedingHandle } | { submitted: false; error: unknown };
}

function reasonOf(err: unknown): FallbackReason {
  if (err instanceof EPrescriptionTimeoutError) return 'timeout';
  if (err instanceof EPrescriptionFault) return 'fault';
  if (err instanceof EPrescriptionTransportError) return 'transport';
  return 'protocol';
}

const FALLBACK_TEXT: Record<FallbackReason, string> = {
  fault: 'refusée par le téléservice',
  timeout: 'téléservice sans réponse',
  transport: 'téléservice injoignable',
  protocol: 'réponse du téléservice illisible',
};

/**
 * The prescriber's "en Y". Input errors (nothing sent) propagate; every other ep4 failure becomes the §B8
 * fallback. The DMP deposit happens in both branches; its own failure is reported, not thrown.
 */
export async function prescribeEnY(input: PrescribeEnYInput): Promise<PrescribeEnYResult> {
  const computedIdentifiant = input.prescription.identifiant ?? generateIdentifiantUnique(input.generator);
  const prescription: EPrescription = { ...input.prescription, identifiant: computedIdentifiant };
  let identifiant: string | undefined;
  let fallback: PrescribeEnYResult['fallback'];
  try {
    identifiant = (await input.ep.create(prescription, input.call)).identifiant;
  } catch (err) {
    // Nothing was sent: a bug of the caller, not the §B8 case.
    if (err instanceof EPrescriptionInputError) throw err;
    const reason = reasonOf(err);
    fallback = { reason, error: err as Error };
    if (err instanceof EPrescriptionFault) {
      if (err.code) fallback.code = err.code;
      if (err.subcode) fallback.subcode = err.subcode;
    }
  }
  const document = buildEpMedDm({
    // Without a registered identifier the CDA must not carry the computed one (§B8).
    prescription: identifiant ? { ...prescription, identifiant } : { ...prescription, identifiant: undefined },
    ...(identifiant ? { identifiant } : { fallbackReason: FALLBACK_TEXT[fallback!.reason] }),
    patient: input.patient,
    author: input.author,
    structure: input.structure,
    ...(input.replaced ? { replaced: input.replaced } : {}),
    uniqueId: input.uniqueId,
    effectiveTime: (input.now ?? (() => new Date()))(),
  });
  let dmp: PrescribeEnYResult['dmp'];
  if ('client' in input.dmp) {
    try {
      dmp = { submitted: true, result: await input.dmp.client.submit(document, input.dmp.submissionSet ?? {}) };
    } catch (error) {
      dmp = { submitted: false, error };
    }
  } else {
    const queued = await input.dmp.queue.schedule(
      { documents: document, label: identifiant ? `e-prescription ${identifiant}` : 'ordonnance sans e-prescription', ...(input.dmp.submissionSet ? { submissionSet: input.dmp.submissionSet } : {}) },
      { deferMs: input.dmp.deferMs ?? 0 },
    );
    dmp = { submitted: false, queued };
  }
  const out: PrescribeEnYResult = { created: identifiant !== undefined, computedIdentifiant, document, dmp };
  if (identifiant) out.identifiant = identifiant;
  if (fallback) out.fallback = fallback;
  return out;
}

// ---- executant: scan, dispense -------------------------------------------------------------------------

/**
 * The pharmacist scans the QR code: the payload is parsed (tolerant of padding) and the prescription read
 * with ep3_consulter. `patientMatches` compares the 2D code's patient with the prescription's (identito-
 * vigilance: the executant checks the person in front of them).
 */
export async function scanAndConsult(ep: EPrescriptionClient, scanned: string, executant: EpExecutant, call: CallOptions = {}) {
  const code: Code2dPayload = parseCode2dPayload(scanned);
  const result = await ep.consult(code.identifiant, { executant }, call);
  const p = result.prescription.patient;
  const norm = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().trim();
  const patientMatches = norm(p.nomNaissance) === norm(code.patient.nom) && norm(p.prenom) === norm(code.patient.prenom) && p.dateNaissance === code.patient.dateNaissance;
  return { code, patientMatches, ...result };
}

/** Records a dispensation (ep1_transmettreExecution); the date defaults to today. */
export function dispense(ep: EPrescriptionClient, identifiant: string, executant: EpExecutant, lignes: EpExecution['lignes'], opts: { dateExecution?: string; call?: CallOptions } = {}) {
  return ep.recordExecution(identifiant, executant, { dateExecution: opts.dateExecution ?? new Date().toISOString().slice(0, 10), lignes }, opts.call);
}

/** The prescriber reads what was dispensed (ep3_consulter, prescriber view; refused with ep_410 when the patient opposed). */
export function readDispensations(ep: EPrescriptionClient, identifiant: string, prescripteur: EpPrescripteur, call: CallOptions = {}) {
  return ep.consult(identifiant, { prescripteur }, call);
}
