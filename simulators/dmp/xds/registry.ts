/**
 * The XDS registry and repository of one sandbox: DocumentEntries by entryUUID, logical-id chains, the
 * uniqueId index, a per-patient index (FindDocuments reads one patient's list, never the whole registry),
 * submission sets and associations. Content bytes live in the sandbox's BlobStore, named by their SHA-1.
 *
 * State changes only through `apply(event)` (DmpStore.record applies then appends to the JSONL log, and
 * replays the log on open). Seeded documents are not events: a patient's seeded documents are registered
 * on the first access to that patient (`ensurePatient`), with entryUUIDs derived from their uniqueIds so
 * they are the same after a restart; events touching a seeded entry carry the patient's INS so replay seeds
 * it first.
 */
import type { Patient, World } from '../../../fixtures/index.js';
import type { BuiltDocument, XdsSubmissionSetMetadata } from '../../../fixtures/documents/types.js';
import { BlobStore } from '../../core/store/blob-store.js';
import { REPOSITORY_UNIQUE_ID } from '../constants.js';
import type { DocumentFacts } from '../rights.js';
import type { DmpEvent } from '../store.js';
import { ASSOCIATION, STATUS } from './constants.js';
import { internAuthors, internCode, internMeta, internSlots, internString } from './ebrim.js';
import type { AssociationEntry, DocumentEntry, DocumentMeta, DocumentRecord, SubmissionSetEntry, SubmissionSetRecord, XdsEvent } from './model.js';
import { uuidFrom } from './xml.js';

/** One document already in a seeded DMP, with the submission set it came in (fixtures/dmp.ts `seededDmpEntries`). */
export interface SeedEntry {
  document: BuiltDocument;
  submissionSet?: XdsSubmissionSetMetadata;
}

/** The seeded documents of a world patient, oldest first (a replacement after its original). */
export type DocumentSeeder = (world: World, patientId: string) => readonly SeedEntry[];

let defaultSeeder: DocumentSeeder | undefined;
/** Installs the fixtures' seeder (done once by handlers.ts; tests may install their own). */
export function setDocumentSeeder(seeder: DocumentSeeder | undefined): void {
  defaultSeeder = seeder;
}

/** entryUUID of the first version of a document: derived from its uniqueId (stable across restarts). */
export function entryUuidFor(uniqueId: string, version = 1): string {
  return uuidFrom(version === 1 ? `entry|${uniqueId}` : `entry|${uniqueId}|v${version}`);
}

export function submissionSetUuidFor(uniqueId: string): string {
  return uuidFrom(`ss|${uniqueId}`);
}

export function associationUuidFor(type: string, source: string, target: string, salt = ''): string {
  return uuidFrom(`assoc|${type}|${source}|${target}|${salt}`);
}

/** `2.25.<decimal>` OID derived from a text (uniqueIds the simulator has to invent). */
export function oidFrom(text: string): string {
  const hex = uuidFrom(text).slice(9).replace(/-/g, '');
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

/** INS (CX.1) of a CX patient id: `207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH` → `207058575627097`. */
export function insOf(cx: string): string {
  const v = cx.trim().replace(/^'|'$/g, '');
  const hat = v.indexOf('^');
  return (hat === -1 ? v : v.slice(0, hat)).trim();
}

/** XCN.1 (idNat) of an author person, XON.10 of an institution. */
export function xcnId(xcn: string): string {
  const hat = xcn.indexOf('^');
  return hat === -1 ? xcn : xcn.slice(0, hat);
}
export function xonId(xon: string): string {
  return xon.split('^')[9] ?? '';
}

export function factsOf(e: DocumentEntry): DocumentFacts {
  const authorIds: string[] = [];
  const authorStructureIds: string[] = [];
  for (const a of e.meta.authors) {
    if (a.person) authorIds.push(xcnId(a.person));
    for (const i of a.institutions) {
      const id = xonId(i);
      if (id) authorStructureIds.push(id);
    }
  }
  return {
    authorIds,
    authorStructureIds,
    classCode: e.meta.classCode?.code ?? '',
    typeCode: e.meta.typeCode?.code ?? '',
    confidentiality: e.meta.confidentialityCodes.map((c) => c.code),
    status: e.status,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export class Registry {
  private readonly docs = new Map<string, DocumentEntry>();
  /** Latest version per uniqueId. */
  private readonly byUniqueId = new Map<string, DocumentEntry>();
  /** Every version per logical id, oldest first. */
  private readonly byLid = new Map<string, DocumentEntry[]>();
  /** Every entry (all versions) per INS, in registration order. */
  private readonly byPatient = new Map<string, DocumentEntry[]>();
  private readonly sets = new Map<string, SubmissionSetEntry>();
  private readonly setsByUniqueId = new Map<string, SubmissionSetEntry>();
  private readonly setsByPatient = new Map<string, SubmissionSetEntry[]>();
  private readonly assocs = new Map<string, AssociationEntry>();
  private readonly assocsBySource = new Map<string, AssociationEntry[]>();
  private readonly assocsByTarget = new Map<string, AssociationEntry[]>();
  private readonly seeded = new Set<string>();
  private readonly reserved = new Set<string>();
  private patientsByIns: Map<string, Patient> | undefined;
  /** Seeded content by SHA-1, regenerated on demand and then kept as a blob. */
  seeder: DocumentSeeder | undefined;

  constructor(
    readonly world: World,
    readonly blobs: BlobStore,
  ) {
    this.seeder = defaultSeeder;
  }

  get size(): number {
    return this.docs.size;
  }

  // -------------------------------------------------------------------------------------------------------
  // Reads

  document(entryUuid: string): DocumentEntry | undefined {
    return this.docs.get(entryUuid);
  }

  /** The latest version of a uniqueId. Seeded documents of patients never accessed are not found. */
  byUnique(uniqueId: string): DocumentEntry | undefined {
    return this.byUniqueId.get(uniqueId);
  }

  versions(lid: string): readonly DocumentEntry[] {
    return this.byLid.get(lid) ?? [];
  }

  /** Every entry of a patient (seeding the patient first). */
  documentsOf(ins: string): readonly DocumentEntry[] {
    this.ensurePatient(ins);
    return this.byPatient.get(ins) ?? [];
  }

  submissionSet(id: string): SubmissionSetEntry | undefined {
    return this.sets.get(id);
  }

  submissionSetByUniqueId(uniqueId: string): SubmissionSetEntry | undefined {
    return this.setsByUniqueId.get(uniqueId);
  }

  submissionSetsOf(ins: string): readonly SubmissionSetEntry[] {
    this.ensurePatient(ins);
    return this.setsByPatient.get(ins) ?? [];
  }

  association(id: string): AssociationEntry | undefined {
    return this.assocs.get(id);
  }

  associationsFrom(id: string): readonly AssociationEntry[] {
    return this.assocsBySource.get(id) ?? [];
  }

  associationsTo(id: string): readonly AssociationEntry[] {
    return this.assocsByTarget.get(id) ?? [];
  }

  /**
   * Holds a uniqueId between a submission's checks and its event (the blob writes in between are awaited):
   * false when it is registered or held by a concurrent submission.
   */
  reserve(uniqueId: string): boolean {
    if (this.reserved.has(uniqueId) || this.byUniqueId.has(uniqueId) || this.setsByUniqueId.has(uniqueId)) return false;
    this.reserved.add(uniqueId);
    return true;
  }

  release(uniqueId: string): void {
    this.reserved.delete(uniqueId);
  }

  /** Whether an id (entryUUID, submission set or association) is already taken. */
  hasObject(id: string): boolean {
    return this.docs.has(id) || this.sets.has(id) || this.assocs.has(id);
  }

  /** The content of an entry: its blob, or for a seeded entry, regenerated from the fixtures (then stored). */
  async content(e: DocumentEntry): Promise<Uint8Array | undefined> {
    const stored = await this.blobs.get(e.hash);
    if (stored || !e.seeded) return stored;
    const patient = this.patient(e.ins);
    const built = patient && this.seeder?.(this.world, patient.id).find((d) => d.document.metadata.uniqueId === e.uniqueId)?.document;
    if (!built) return undefined;
    await this.blobs.put(built.content, e.hash);
    return built.content;
  }

  // -------------------------------------------------------------------------------------------------------
  // Seeding

  private patient(ins: string): Patient | undefined {
    if (!this.patientsByIns) {
      this.patientsByIns = new Map();
      for (const p of this.world.patients) {
        if (!p.ins) continue;
        this.patientsByIns.set(p.ins.matricule, p);
        for (const h of p.ins.history) if (!this.patientsByIns.has(h.matricule)) this.patientsByIns.set(h.matricule, p);
      }
    }
    return this.patientsByIns.get(ins);
  }

  /** Registers the seeded documents of a patient on the first access to it. */
  ensurePatient(ins: string): void {
    if (this.seeded.has(ins)) return;
    this.seeded.add(ins);
    const patient = this.seeder && this.patient(ins);
    if (!patient) return;
    let entries: readonly SeedEntry[];
    try {
      entries = this.seeder!(this.world, patient.id);
    } catch {
      return;
    }
    for (const e of entries) this.seedOne(e);
  }

  private seedOne({ document: d, submissionSet: ssMeta }: SeedEntry): void {
    const md = d.metadata;
    if (this.byUniqueId.has(md.uniqueId)) return;
    const id = entryUuidFor(md.uniqueId);
    const ssUniqueId = ssMeta?.uniqueId ?? oidFrom(`seed-ss|${md.uniqueId}`);
    const ssId = submissionSetUuidFor(ssUniqueId);
    const meta: DocumentMeta = internMeta({
      title: md.title,
      comments: md.comments,
      classCode: md.classCode,
      typeCode: md.typeCode,
      formatCode: md.formatCode,
      healthcareFacilityTypeCode: md.healthcareFacilityTypeCode,
      practiceSettingCode: md.practiceSettingCode,
      confidentialityCodes: [...md.confidentialityCodes],
      eventCodes: [...md.eventCodes],
      creationTime: md.creationTime,
      serviceStartTime: md.serviceStartTime,
      serviceStopTime: md.serviceStopTime,
      languageCode: md.languageCode,
      authors: md.authors.map((a) => ({ ...a })),
      legalAuthenticator: md.legalAuthenticator,
      sourcePatientId: md.sourcePatientId,
      sourcePatientInfo: [...md.sourcePatientInfo],
      referenceIds: [...(md.referenceIds ?? [])],
    });
    const at = Date.parse(`${this.world.referenceDate}T00:00:00Z`) || 0;
    this.addSubmissionSet(
      {
        id: ssId,
        uniqueId: ssUniqueId,
        patientId: md.patientId,
        meta: ssMeta
          ? { title: ssMeta.title, authors: ssMeta.authors.map((a) => ({ ...a })), submissionTime: ssMeta.submissionTime, sourceId: ssMeta.sourceId, contentTypeCode: ssMeta.contentTypeCode }
          : { authors: meta.authors, submissionTime: md.creationTime, title: md.title },
      },
      at,
    );
    const entry = this.addDocument(
      { id, lid: id, version: 1, status: STATUS.approved, uniqueId: md.uniqueId, patientId: md.patientId, mimeType: md.mimeType, hash: BlobStore.sha1(d.content), size: d.content.byteLength, repositoryUniqueId: REPOSITORY_UNIQUE_ID, meta, setId: d.setId, cdaVersion: d.version },
      ssId,
      at,
    );
    entry.seeded = true;
    this.addAssociation({ id: associationUuidFor(ASSOCIATION.hasMember, ssId, id), type: ASSOCIATION.hasMember, source: ssId, target: id, status: STATUS.approved, slots: { SubmissionSetStatus: ['Original'] } });
    if (d.replaces) {
      const parent = this.byUniqueId.get(d.replaces);
      if (parent) {
        parent.status = STATUS.deprecated;
        this.addAssociation({ id: associationUuidFor(ASSOCIATION.rplc, id, parent.id), type: ASSOCIATION.rplc, source: id, target: parent.id, status: STATUS.approved });
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Changes (events)

  apply(event: DmpEvent): void {
    const e = event as unknown as XdsEvent;
    switch (e.t) {
      case 'xds.submit':
        this.ensurePatient(e.ins);
        this.addSubmissionSet(e.ss, e.at);
        for (const d of e.docs) this.addDocument(d, e.ss.id, e.at);
        for (const a of e.assocs) this.addAssociation(a);
        for (const id of e.deprecate ?? []) {
          const old = this.docs.get(id);
          if (old) old.status = STATUS.deprecated;
        }
        break;
      case 'xds.status': {
        this.ensurePatient(e.ins);
        const entry = this.docs.get(e.id);
        if (entry) entry.status = e.to;
        if (e.ss) this.addSubmissionSet(e.ss, e.at);
        for (const a of e.assocs ?? []) this.addAssociation(a);
        break;
      }
      case 'xds.update': {
        this.ensurePatient(e.ins);
        const prev = this.docs.get(e.prev);
        if (prev) prev.status = STATUS.deprecated;
        if (e.ss) this.addSubmissionSet(e.ss, e.at);
        this.addDocument(e.doc, e.ss?.id ?? prev?.submissionSet ?? '', e.at);
        for (const a of e.assocs ?? []) this.addAssociation(a);
        break;
      }
    }
  }

  private addSubmissionSet(r: SubmissionSetRecord, at: number): void {
    if (this.sets.has(r.id)) return;
    const meta = r.meta;
    meta.authors = internAuthors(meta.authors);
    meta.title = internString(meta.title);
    if (meta.contentTypeCode) meta.contentTypeCode = internCode(meta.contentTypeCode);
    meta.sourceId = internString(meta.sourceId);
    const ins = internString(insOf(r.patientId));
    const entry: SubmissionSetEntry = { id: r.id, uniqueId: r.uniqueId, patientId: internString(r.patientId), ins, status: STATUS.approved, meta, registeredAt: at };
    this.sets.set(r.id, entry);
    this.setsByUniqueId.set(r.uniqueId, entry);
    push(this.setsByPatient, ins, entry);
  }

  private addDocument(r: DocumentRecord, submissionSet: string, at: number): DocumentEntry {
    const existing = this.docs.get(r.id);
    if (existing) return existing;
    const ins = internString(insOf(r.patientId));
    const entry: DocumentEntry = {
      id: r.id,
      lid: r.lid === r.id ? r.id : r.lid,
      version: r.version,
      status: internString(r.status),
      uniqueId: r.uniqueId,
      patientId: internString(r.patientId),
      ins,
      mimeType: internString(r.mimeType),
      hash: r.hash,
      size: r.size,
      repositoryUniqueId: internString(r.repositoryUniqueId),
      meta: internMeta(r.meta),
      submissionSet,
      registeredAt: at,
    };
    if (r.setId) entry.setId = r.setId;
    if (r.cdaVersion !== undefined) entry.cdaVersion = r.cdaVersion;
    this.docs.set(entry.id, entry);
    const latest = this.byUniqueId.get(entry.uniqueId);
    if (!latest || latest.version <= entry.version) this.byUniqueId.set(entry.uniqueId, entry);
    push(this.byLid, entry.lid, entry);
    push(this.byPatient, ins, entry);
    return entry;
  }

  private addAssociation(a: AssociationEntry): void {
    if (this.assocs.has(a.id)) return;
    a.type = internString(a.type);
    a.status = internString(a.status);
    if (a.slots) a.slots = internSlots(a.slots);
    this.assocs.set(a.id, a);
    push(this.assocsBySource, a.source, a);
    push(this.assocsByTarget, a.target, a);
  }

  reset(): void {
    for (const m of [this.docs, this.byUniqueId, this.byLid, this.byPatient, this.sets, this.setsByUniqueId, this.setsByPatient, this.assocs, this.assocsBySource, this.assocsByTarget]) m.clear();
    this.seeded.clear();
  }
}
