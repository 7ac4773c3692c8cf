/**
 * Opening a patient file (Ségur DMP flows): TD0.2 at opening — does the patient have a DMP, is it open,
 * what is the caller's authorization, is the caller the médecin traitant, is it attached to Mon espace
 * santé — then, when consultation is allowed, the "barre MES": document counts per class (FindDocuments,
 * Approved only, first automatic search limited to two years as the guide asks) and what is new since the
 * last visit.
 */
import { xdsTime } from '../../../fixtures/documents/time.js';
import type { DmpClient, PatientInput } from '../client.js';
import { PATIENT_DOCUMENT_CLASS } from '../constants.js';
import type { DocumentEntry } from '../ebrim.js';
import type { DmpError } from '../errors.js';
import type { Td02Result } from '../hl7.js';
import { isSignatureEntry } from '../signature.js';
import type { PatientRef } from '../vihf.js';

/** What the LGC shows in the patient file header. */
export type DmpFileState =
  /** No DMP for this INS. */
  | 'no-dmp'
  /** The DMP exists but is closed. */
  | 'closed'
  /** The patient blocked this professional (INTERDIT): no access, with or without consent. */
  | 'blocked'
  /** Open, no valid authorization yet (NON_EXISTE / EXPIRE): feeding allowed, consultation needs TD0.3 after consent. */
  | 'authorization-needed'
  /** Open and authorized: consultation allowed. */
  | 'authorized';

export interface MesBarClass {
  classCode: string;
  display: string;
  count: number;
  /** Documents of this class new since the last visit. */
  newCount: number;
}

export interface MesBar {
  total: number;
  newTotal: number;
  /** Per classCode, most populated first. */
  classes: MesBarClass[];
  /** Documents deposited by the patient (class 90), shown apart. */
  patientDocuments: number;
  /** creationTime lower bound of the search (`YYYYMMDDhhmmss`, UTC). */
  searchedFrom?: string;
}

export interface PatientFileView {
  patient: PatientRef;
  dmp: Td02Result;
  state: DmpFileState;
  canConsult: boolean;
  /** Feeding needs an open DMP only (no authorization), dmp.md §7. */
  canFeed: boolean;
  /** The LGC may offer "se déclarer autorisé" (TD0.3 AJOUT) after the patient's consent. */
  canRequestAuthorization: boolean;
  medecinTraitant: boolean;
  mesAttached?: boolean;
  mesBar?: MesBar;
  /** The documents the bar was counted from (signature entries removed). */
  documents?: DocumentEntry[];
  /** TD0.2 worked but the search did not (the header still shows). */
  searchError?: DmpError;
}

export interface OpenPatientFileOptions {
  /** Last time this patient's file was opened: documents created after it are "new". */
  lastVisit?: Date | string;
  /** uniqueIds already seen (better than a date: a masked or archived document is not new). */
  knownUniqueIds?: Iterable<string>;
  /** Search window in days, default 730 (first automatic search ≤ 2 years). 0: no lower bound. */
  windowDays?: number;
  /** Count the documents (FindDocuments) when allowed; default true. */
  search?: boolean;
  now?: Date;
}

export function fileState(dmp: Td02Result): DmpFileState {
  if (!dmp.exists) return 'no-dmp';
  if (dmp.status === 'closed') return 'closed';
  if (dmp.authorization === 'INTERDIT') return 'blocked';
  if (dmp.authorization === 'VALIDE') return 'authorized';
  return 'authorization-needed';
}

/** Counts per classCode (signatures excluded), and what is new since the last visit. */
export function mesBarCounts(entries: DocumentEntry[], opts: { lastVisit?: Date | string; knownUniqueIds?: Iterable<string>; searchedFrom?: string } = {}): MesBar {
  const known = opts.knownUniqueIds ? new Set(opts.knownUniqueIds) : undefined;
  const since = opts.lastVisit !== undefined ? xdsTime(opts.lastVisit) : undefined;
  const isNew = (e: DocumentEntry) => (known ? !known.has(e.uniqueId) : since ? e.creationTime > since : false);
  const byClass = new Map<string, MesBarClass>();
  let total = 0;
  let newTotal = 0;
  let patientDocuments = 0;
  for (const e of entries) {
    if (isSignatureEntry(e)) continue;
    total++;
    const fresh = isNew(e);
    if (fresh) newTotal++;
    if (e.classCode.code === PATIENT_DOCUMENT_CLASS) patientDocuments++;
    const c = byClass.get(e.classCode.code) ?? { classCode: e.classCode.code, display: e.classCode.display, count: 0, newCount: 0 };
    c.count++;
    if (fresh) c.newCount++;
    if (!c.display && e.classCode.display) c.display = e.classCode.display;
    byClass.set(c.classCode, c);
  }
  const classes = [...byClass.values()].sort((a, b) => b.count - a.count || a.classCode.localeCompare(b.classCode));
  return { total, newTotal, classes, patientDocuments, ...(opts.searchedFrom ? { searchedFrom: opts.searchedFrom } : {}) };
}

/** TD0.2 at opening, then the "barre MES" when consultation is allowed. */
export async function openPatientFile(client: DmpClient, patientInput: PatientInput, opts: OpenPatientFileOptions = {}): Promise<PatientFileView> {
  const patient = client.patient(patientInput);
  const dmp = await client.testExistence(patient);
  const state = fileState(dmp);
  const view: PatientFileView = {
    patient,
    dmp,
    state,
    canConsult: state === 'authorized',
    canFeed: state === 'authorized' || state === 'authorization-needed',
    canRequestAuthorization: state === 'authorization-needed',
    medecinTraitant: dmp.medecinTraitant,
    ...(dmp.mesAttached !== undefined ? { mesAttached: dmp.mesAttached } : {}),
  };
  if (!view.canConsult || opts.search === false) return view;
  const now = opts.now ?? new Date();
  const windowDays = opts.windowDays ?? 730;
  const from = windowDays > 0 ? xdsTime(now.getTime() - windowDays * 86_400_000) : undefined;
  try {
    const found = await client.findDocuments(patient, { status: ['Approved'], ...(from ? { creationFrom: from } : {}) });
    view.documents = found.documents.filter((d) => !isSignatureEntry(d));
    view.mesBar = mesBarCounts(view.documents, { lastVisit: opts.lastVisit, knownUniqueIds: opts.knownUniqueIds, searchedFrom: from });
  } catch (err) {
    view.searchError = err as DmpError;
  }
  return view;
}
