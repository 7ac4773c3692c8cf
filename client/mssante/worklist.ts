/**
 * The worklist of received documents (REM LGC.MSS: "rapprochement" of what arrives by MSSanté with the
 * patient files). Each document of a received XDM becomes an item matched to a local patient:
 *
 * 1. **by INS** — the matricule of METADATA.XML `patientId` (CX), else of the CDA `recordTarget`; the
 *    local patient holding that INS must also have the same traits, otherwise the item is a `mismatch`
 *    (integration error 904);
 * 2. **else by traits** — birth name, first given name, birth date, sex (from the CDA recordTarget, else
 *    the metadata `sourcePatientInfo`), compared without accents, case or punctuation: one candidate →
 *    `traits`, several → `ambiguous` with the candidate list, none → `unmatched` (902).
 *
 * Actions: `integrate(itemId, { patientId? })` files a new document — and for a replacement
 * (RPLC association / CDA relatedDocument RPLC) deprecates the previous version; for a deletion request
 * (XDM action `D`) deletes the integrated document (by uniqueId, else setId). `reject(itemId, code)`
 * refuses with an integration error code (900–906, notes §1.5). The store is in memory; `snapshot()` /
 * `restore()` give a JSON state for the caller's persistence.
 */
import { INS_OID } from '../dmp/constants.js';
import { parsePatientCx } from '../dmp/ebrim.js';
import { readCdaHeader, type CdaHeader, type PatientTraits } from './cda.js';
import type { ReceivedMessage } from './reader.js';
import { entryUuidOf, type XdmDocument } from './xdm.js';

const INS_OIDS = new Set<string>(Object.values(INS_OID));

/** A patient of the local file (the LPS's patient database). */
export interface LocalPatient extends PatientTraits {
  id: string;
  /** INS matricule, when the identity holds one. */
  ins?: string;
}

/** Integration error codes (CI-SIS, notes §1.5). */
export const INTEGRATION_ERRORS = {
  900: 'Mauvaise version du document (remplacement ou suppression)',
  901: "Auteur non autorisé à remplacer ou supprimer le document",
  902: 'Patient inconnu',
  903: 'INS absent du document',
  904: 'Incohérence entre INS et traits',
  905: 'INS incomplet',
  906: 'Autre erreur',
} as const;
export type IntegrationErrorCode = keyof typeof INTEGRATION_ERRORS;

export type PatientMatch =
  | { kind: 'ins'; patientId: string; ins: string; source: 'metadata' | 'cda' }
  | { kind: 'traits'; patientId: string }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'mismatch'; patientId: string; ins: string; differences: (keyof PatientTraits)[] }
  | { kind: 'unmatched' };

export type WorklistAction = 'new' | 'replace' | 'delete';
export type WorklistStatus = 'pending' | 'integrated' | 'rejected';

export interface WorklistItem {
  id: string;
  action: WorklistAction;
  status: WorklistStatus;
  match: PatientMatch;
  /** Where it came from. */
  message: { uid: number; folder: string; messageId?: string; from?: string; subject?: string; date?: string };
  document: { path: string; uniqueId: string; entryUUID: string; setId?: string; version?: number; title: string; typeCode: string; patientId: string; authorId?: string; bytes: Uint8Array };
  /** Traits and INS read from the document (what the match used). */
  patient: { ins?: string; traits: Partial<PatientTraits> };
  /** Replacement: the previous version (uniqueId, entry id) when known. */
  replaces?: { uniqueId?: string; entryUUID?: string };
  /** Patient chosen at integration. */
  patientId?: string;
  error?: { code: IntegrationErrorCode; label: string; detail?: string };
  problems: string[];
}

/** A document filed in a patient file. */
export interface IntegratedDocument {
  uniqueId: string;
  entryUUID: string;
  setId?: string;
  version?: number;
  patientId: string;
  title: string;
  typeCode: string;
  authorId?: string;
  itemId: string;
  status: 'current' | 'deprecated' | 'deleted';
  /** uniqueId of the version that replaced it. */
  replacedBy?: string;
}

export class WorklistError extends Error {
  override name = 'WorklistError';
  constructor(
    message: string,
    readonly code?: IntegrationErrorCode,
  ) {
    super(message);
  }
}

/** Upper case, no accents, letters and digits only (apostrophes, hyphens and spaces dropped). */
export function normalizeName(s: string | undefined): string {
  return (s ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function sexOf(s: string | undefined): string {
  const v = (s ?? '').trim().toUpperCase();
  return v === '1' ? 'M' : v === '2' ? 'F' : v;
}

/** Traits from `sourcePatientInfo` (`PID-5|NOM^Prénom^^^^^L`, `PID-7|YYYYMMDD`, `PID-8|F`). */
function traitsFromPid(info: string[]): Partial<PatientTraits> {
  const out: Partial<PatientTraits> = {};
  for (const line of info) {
    const [field, value = ''] = line.split('|');
    if (field === 'PID-5') {
      const [family, given] = value.split('^');
      if (family) out.birthName = family;
      if (given) out.firstName = given.split(/\s+/)[0];
    } else if (field === 'PID-7') {
      const m = /^(\d{4})(\d{2})(\d{2})/.exec(value);
      if (m) out.birthDate = `${m[1]}-${m[2]}-${m[3]}`;
    } else if (field === 'PID-8' && value) out.sex = value;
  }
  return out;
}

/** Which of the four traits differ (only the ones both sides have). */
export function traitDifferences(a: Partial<PatientTraits>, b: PatientTraits): (keyof PatientTraits)[] {
  const diff: (keyof PatientTraits)[] = [];
  if (a.birthName && normalizeName(a.birthName) !== normalizeName(b.birthName)) diff.push('birthName');
  if (a.firstName) {
    const given = [b.firstName, ...(b.firstNames ?? [])].map(normalizeName);
    if (!given.includes(normalizeName(a.firstName))) diff.push('firstName');
  }
  if (a.birthDate && a.birthDate !== b.birthDate) diff.push('birthDate');
  if (a.sex && sexOf(a.sex) !== sexOf(b.sex)) diff.push('sex');
  return diff;
}

function completeTraits(t: Partial<PatientTraits>): boolean {
  return !!(t.birthName && t.firstName && t.birthDate && t.sex);
}

export interface WorklistOptions {
  /** The patient file: every local patient (or a function giving them). */
  patients: LocalPatient[] | (() => LocalPatient[]);
  /** Check that a replacement / deletion comes from the author of the previous version (error 901). Default true. */
  checkAuthor?: boolean;
}

export class Worklist {
  private readonly items = new Map<string, WorklistItem>();
  private readonly integrated = new Map<string, IntegratedDocument>();
  private counter = 0;

  constructor(private readonly options: WorklistOptions) {}

  private patients(): LocalPatient[] {
    return typeof this.options.patients === 'function' ? this.options.patients() : this.options.patients;
  }

  /** Matches a patient from what a document says (exported for reuse in UIs). */
  matchPatient(found: { ins?: string; insSource?: 'metadata' | 'cda'; traits: Partial<PatientTraits> }): PatientMatch {
    const patients = this.patients();
    if (found.ins) {
      const holder = patients.find((p) => p.ins === found.ins);
      if (holder) {
        const differences = traitDifferences(found.traits, holder);
        return differences.length ? { kind: 'mismatch', patientId: holder.id, ins: found.ins, differences } : { kind: 'ins', patientId: holder.id, ins: found.ins, source: found.insSource ?? 'metadata' };
      }
    }
    if (!completeTraits(found.traits)) return { kind: 'unmatched' };
    const candidates = patients.filter((p) => traitDifferences(found.traits, p).length === 0 && !(found.ins && p.ins && p.ins !== found.ins));
    if (candidates.length === 1) return { kind: 'traits', patientId: candidates[0]!.id };
    if (candidates.length > 1) return { kind: 'ambiguous', candidates: candidates.map((c) => c.id) };
    return { kind: 'unmatched' };
  }

  /** Adds one item per document of a received message (nothing for a message without XDM). */
  receive(message: ReceivedMessage): WorklistItem[] {
    const out: WorklistItem[] = [];
    for (const doc of message.xdm?.documents ?? []) out.push(this.addDocument(message, doc, message.xdm?.problems ?? []));
    return out;
  }

  private addDocument(message: ReceivedMessage, doc: XdmDocument, problems: string[]): WorklistItem {
    const cda: CdaHeader | undefined = readCdaHeader(doc.bytes);
    const cx = doc.metadata.patientId ? parsePatientCx(doc.metadata.patientId) : undefined;
    const metaIns = cx && INS_OIDS.has(cx.oid) ? cx.ins : undefined;
    const ins = metaIns ?? cda?.patient.ins;
    const insSource: 'metadata' | 'cda' = metaIns ? 'metadata' : 'cda';
    const fromCda: Partial<PatientTraits> = cda ? { birthName: cda.patient.birthName, firstName: cda.patient.firstName, birthDate: cda.patient.birthDate, sex: cda.patient.sex } : {};
    const fromPid = traitsFromPid(doc.metadata.sourcePatientInfo ?? []);
    const traits: Partial<PatientTraits> = {
      birthName: fromCda.birthName ?? fromPid.birthName,
      firstName: fromCda.firstName ?? fromPid.firstName,
      birthDate: fromCda.birthDate ?? fromPid.birthDate,
      sex: fromCda.sex ?? fromPid.sex,
    };
    const itemProblems = [...problems];
    if (metaIns && cda?.patient.ins && metaIns !== cda.patient.ins) itemProblems.push(`INS of METADATA.XML (${metaIns}) differs from the CDA's (${cda.patient.ins})`);
    const action: WorklistAction = doc.action === 'D' ? 'delete' : doc.replacesEntryUUID || cda?.related?.typeCode === 'RPLC' ? 'replace' : 'new';
    const item: WorklistItem = {
      id: `wl-${++this.counter}`,
      action,
      status: 'pending',
      match: this.matchPatient({ ins, insSource, traits }),
      message: { uid: message.uid, folder: message.folder, messageId: message.messageId, from: message.from, subject: message.subject, date: message.date?.toISOString() },
      document: {
        path: doc.path,
        uniqueId: doc.metadata.uniqueId || cda?.id || '',
        entryUUID: doc.metadata.entryUUID,
        setId: cda?.setId,
        version: cda?.version,
        title: doc.metadata.title || cda?.title || '',
        typeCode: doc.metadata.typeCode.code || cda?.code?.code || '',
        patientId: doc.metadata.patientId,
        authorId: cda?.authorId,
        bytes: doc.bytes,
      },
      patient: { ...(ins ? { ins } : {}), traits },
      problems: itemProblems,
    };
    if (action === 'replace') item.replaces = { ...(cda?.related?.parentId ? { uniqueId: cda.related.parentId } : {}), ...(doc.replacesEntryUUID ? { entryUUID: doc.replacesEntryUUID } : {}) };
    if (!ins) item.problems.push('no INS in the document (903): matched on traits');
    this.items.set(item.id, item);
    return item;
  }

  list(filter: { status?: WorklistStatus; action?: WorklistAction } = {}): WorklistItem[] {
    return [...this.items.values()].filter((i) => (!filter.status || i.status === filter.status) && (!filter.action || i.action === filter.action));
  }

  get(itemId: string): WorklistItem | undefined {
    return this.items.get(itemId);
  }

  /** The documents filed for a patient (current ones unless `all`). */
  documentsOf(patientId: string, all = false): IntegratedDocument[] {
    return [...this.integrated.values()].filter((d) => d.patientId === patientId && (all || d.status === 'current'));
  }

  integratedDocument(uniqueId: string): IntegratedDocument | undefined {
    return this.integrated.get(uniqueId);
  }

  private findPrevious(item: WorklistItem): IntegratedDocument | undefined {
    const docs = [...this.integrated.values()];
    if (item.action === 'delete') {
      return this.integrated.get(item.document.uniqueId) ?? docs.find((d) => d.setId && d.setId === item.document.setId && d.status === 'current');
    }
    const r = item.replaces ?? {};
    return (
      (r.uniqueId ? this.integrated.get(r.uniqueId) : undefined) ??
      (r.entryUUID ? docs.find((d) => d.entryUUID === r.entryUUID) : undefined) ??
      docs.find((d) => d.setId && d.setId === item.document.setId && d.status === 'current')
    );
  }

  private fail(item: WorklistItem, code: IntegrationErrorCode, detail: string): never {
    throw new WorklistError(`${item.id}: ${code} ${INTEGRATION_ERRORS[code]} — ${detail}`, code);
  }

  /**
   * Integrates an item. `patientId` is required when the match is not `ins`/`traits` (the user chose
   * among the candidates); for a replacement or a deletion the patient is the previous version's.
   */
  integrate(itemId: string, opts: { patientId?: string } = {}): WorklistItem {
    const item = this.items.get(itemId);
    if (!item) throw new WorklistError(`no worklist item ${itemId}`);
    if (item.status !== 'pending') throw new WorklistError(`${itemId} is already ${item.status}`);
    const m = item.match;
    let patientId = opts.patientId ?? (m.kind === 'ins' || m.kind === 'traits' ? m.patientId : undefined);
    if (item.action === 'new') {
      if (!patientId) this.fail(item, m.kind === 'mismatch' ? 904 : 902, m.kind === 'ambiguous' ? `choose one of ${m.candidates.join(', ')}` : 'no patient chosen');
      if (!this.patients().some((p) => p.id === patientId)) this.fail(item, 902, `unknown patient ${patientId}`);
      if (this.integrated.has(item.document.uniqueId)) this.fail(item, 906, `document ${item.document.uniqueId} already integrated`);
      this.file(item, patientId);
    } else {
      const previous = this.findPrevious(item);
      if (!previous) this.fail(item, 900, `no integrated document ${item.replaces?.uniqueId ?? item.document.uniqueId} to ${item.action}`);
      if (previous.status !== 'current') this.fail(item, 900, `document ${previous.uniqueId} is ${previous.status}`);
      if (patientId && patientId !== previous.patientId) this.fail(item, 904, `previous version belongs to ${previous.patientId}`);
      if ((this.options.checkAuthor ?? true) && previous.authorId && item.document.authorId && previous.authorId !== item.document.authorId) {
        this.fail(item, 901, `previous version by ${previous.authorId}, request by ${item.document.authorId}`);
      }
      patientId = previous.patientId;
      if (item.action === 'delete') previous.status = 'deleted';
      else {
        if (item.document.version !== undefined && previous.version !== undefined && item.document.version <= previous.version) this.fail(item, 900, `version ${item.document.version} does not follow ${previous.version}`);
        previous.status = 'deprecated';
        previous.replacedBy = item.document.uniqueId;
        this.file(item, patientId);
      }
    }
    item.status = 'integrated';
    item.patientId = patientId;
    return item;
  }

  private file(item: WorklistItem, patientId: string): void {
    this.integrated.set(item.document.uniqueId, {
      uniqueId: item.document.uniqueId,
      entryUUID: item.document.entryUUID || entryUuidOf(item.document.uniqueId),
      ...(item.document.setId ? { setId: item.document.setId } : {}),
      ...(item.document.version !== undefined ? { version: item.document.version } : {}),
      patientId,
      title: item.document.title,
      typeCode: item.document.typeCode,
      ...(item.document.authorId ? { authorId: item.document.authorId } : {}),
      itemId: item.id,
      status: 'current',
    });
  }

  /** Rejects an item with an integration error code (what the MDN / error mail will carry). */
  reject(itemId: string, code: IntegrationErrorCode, detail?: string): WorklistItem {
    const item = this.items.get(itemId);
    if (!item) throw new WorklistError(`no worklist item ${itemId}`);
    if (item.status !== 'pending') throw new WorklistError(`${itemId} is already ${item.status}`);
    item.status = 'rejected';
    item.error = { code, label: INTEGRATION_ERRORS[code], ...(detail ? { detail } : {}) };
    return item;
  }

  /** Tries `integrate`; on a WorklistError with a code, rejects the item with it instead of throwing. */
  integrateOrReject(itemId: string, opts: { patientId?: string } = {}): WorklistItem {
    try {
      return this.integrate(itemId, opts);
    } catch (err) {
      if (err instanceof WorklistError && err.code) return this.reject(itemId, err.code, err.message);
      throw err;
    }
  }

  /** JSON state (items without bytes, integrated documents). */
  snapshot(): { items: Omit<WorklistItem, 'document'>[]; integrated: IntegratedDocument[] } {
    return {
      items: [...this.items.values()].map(({ document: _d, ...rest }) => rest),
      integrated: [...this.integrated.values()].map((d) => ({ ...d })),
    };
  }

  /** Restores the integrated documents of a previous snapshot (items are not restored). */
  restore(state: { integrated: IntegratedDocument[] }): void {
    for (const d of state.integrated) this.integrated.set(d.uniqueId, { ...d });
  }
}
