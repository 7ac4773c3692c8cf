/**
 * Document flows of the patient file: search on the XDS metadata, multi-select import (several documents
 * in one ITI-43, checked against their hash and size), delete and replace, and the new-version notice for
 * documents imported earlier (RPLC chain: the imported entry became Deprecated, GetAssociations gives the
 * RPLC source, GetDocuments gives the newer version).
 */
import { createHash } from 'node:crypto';
import type { BuiltDocument } from '../../../fixtures/documents/types.js';
import { pickCurrent, type DmpClient, type FindDocumentsFilters, type PatientInput, type SubmissionSetInput, type SubmitResult } from '../client.js';
import { ASSOCIATION, DMP_REPOSITORY_UNIQUE_ID, PATIENT_DOCUMENT_CLASS } from '../constants.js';
import type { DocumentEntry } from '../ebrim.js';
import type { RegistryErrorItem } from '../errors.js';
import { isSignatureEntry } from '../signature.js';
import type { RegistryOutcome } from '../xds.js';

export interface SearchOptions extends FindDocumentsFilters {
  /** Keep the signature entries of the submission sets (hidden by default). */
  includeSignatures?: boolean;
}

export interface SearchResult {
  /** Newest first (creationTime). */
  documents: DocumentEntry[];
  /** Documents deposited by the patient (class 90): the guide wants them shown apart. */
  patientDocuments: DocumentEntry[];
  totalResultCount?: number;
  warnings: RegistryErrorItem[];
}

/** TD3.1 on the XDS metadata (status, class, type, dates, confidentiality...), sorted for display. */
export async function searchDocuments(client: DmpClient, patient: PatientInput, options: SearchOptions = {}): Promise<SearchResult> {
  const { includeSignatures, ...filters } = options;
  const found = await client.findDocuments(patient, filters);
  const documents = found.documents.filter((d) => includeSignatures || !isSignatureEntry(d)).sort((a, b) => b.creationTime.localeCompare(a.creationTime));
  return {
    documents,
    patientDocuments: documents.filter((d) => d.classCode.code === PATIENT_DOCUMENT_CLASS),
    totalResultCount: found.totalResultCount,
    warnings: found.warnings,
  };
}

/** What the LGC keeps of an imported document, to notice a newer version later. */
export interface ImportedRef {
  uniqueId: string;
  entryUUID: string;
  lid: string;
  version?: string;
  title: string;
  classCode: string;
  /** ISO instant of the import. */
  importedAt: string;
}

export interface ImportedDocument {
  entry: DocumentEntry;
  bytes: Uint8Array;
  mimeType: string;
  /** SHA-1 and size checked against the registry metadata (undefined when the registry gave none). */
  integrity: { hashOk?: boolean; sizeOk?: boolean };
  ref: ImportedRef;
}

export interface ImportResult {
  documents: ImportedDocument[];
  /** Selected entries the repository did not return (PartialSuccess). */
  missing: DocumentEntry[];
  warnings: RegistryErrorItem[];
}

/** Multi-select import: every selected document in one RetrieveDocumentSet per repository, with its metadata. */
export async function importDocuments(client: DmpClient, patient: PatientInput, entries: DocumentEntry[], now: () => Date = () => new Date()): Promise<ImportResult> {
  const byRepo = new Map<string, DocumentEntry[]>();
  for (const e of entries) {
    const repo = e.repositoryUniqueId ?? DMP_REPOSITORY_UNIQUE_ID;
    byRepo.set(repo, [...(byRepo.get(repo) ?? []), e]);
  }
  const result: ImportResult = { documents: [], missing: [], warnings: [] };
  for (const [repositoryUniqueId, group] of byRepo) {
    const got = await client.retrieve(
      patient,
      group.map((e) => ({ uniqueId: e.uniqueId, repositoryUniqueId, ...(e.homeCommunityId ? { homeCommunityId: e.homeCommunityId } : {}) })),
    );
    result.warnings.push(...got.warnings);
    for (const e of group) {
      const doc = got.documents.find((d) => d.uniqueId === e.uniqueId);
      if (!doc) {
        result.missing.push(e);
        continue;
      }
      const sha1 = createHash('sha1').update(doc.bytes).digest('hex');
      result.documents.push({
        entry: e,
        bytes: doc.bytes,
        mimeType: doc.mimeType,
        integrity: {
          ...(e.hash ? { hashOk: e.hash.toLowerCase() === sha1 } : {}),
          ...(e.size !== undefined ? { sizeOk: e.size === doc.bytes.byteLength } : {}),
        },
        ref: { uniqueId: e.uniqueId, entryUUID: e.entryUUID, lid: e.lid, version: e.version, title: e.title, classCode: e.classCode.code, importedAt: now().toISOString() },
      });
    }
  }
  return result;
}

export interface NewVersionNotice {
  imported: ImportedRef;
  kind: 'replaced' | 'deleted';
  /** The newest version (end of the RPLC chain); absent for `deleted`. */
  latest?: DocumentEntry;
  /** Every newer version, oldest first. */
  chain: DocumentEntry[];
}

/**
 * For documents imported earlier: which ones have been replaced (their entry is Deprecated and an RPLC
 * association points to it), with the newest version; and which ones were deleted since.
 */
export async function checkForNewVersions(client: DmpClient, patient: PatientInput, imported: ImportedRef[], maxDepth = 10): Promise<NewVersionNotice[]> {
  if (!imported.length) return [];
  const versions = await client.getDocuments(patient, { uniqueIds: [...new Set(imported.map((i) => i.uniqueId))] });
  const notices: NewVersionNotice[] = [];
  const replacedRoots = new Map<string, { imported: ImportedRef; frontier: string[] }>();
  for (const imp of imported) {
    const mine = versions.documents.filter((d) => d.uniqueId === imp.uniqueId);
    const current = pickCurrent(mine);
    if (!current) continue;
    if (current.status === 'Deleted') notices.push({ imported: imp, kind: 'deleted', chain: [] });
    else if (current.status === 'Deprecated') replacedRoots.set(imp.uniqueId, { imported: imp, frontier: mine.filter((d) => d.status === 'Deprecated').map((d) => d.entryUUID) });
  }
  if (!replacedRoots.size) return notices;
  const chains = new Map<string, DocumentEntry[]>([...replacedRoots.keys()].map((k) => [k, []]));
  let pending = [...replacedRoots.entries()].map(([uniqueId, r]) => ({ uniqueId, frontier: r.frontier }));
  for (let depth = 0; depth < maxDepth && pending.length; depth++) {
    const targets = pending.flatMap((p) => p.frontier);
    const assocs = await client.getAssociations(patient, targets);
    const rplc = assocs.associations.filter((a) => a.type === ASSOCIATION.rplc || a.type === ASSOCIATION.xfrmRplc);
    const sources = [...new Set(rplc.map((a) => a.sourceObject))];
    const newer = sources.length ? (await client.getDocuments(patient, { entryUUIDs: sources })).documents : [];
    const next: typeof pending = [];
    for (const p of pending) {
      const successors = rplc.filter((a) => p.frontier.includes(a.targetObject)).map((a) => newer.find((d) => d.entryUUID === a.sourceObject)).filter((d): d is DocumentEntry => !!d);
      const successor = pickCurrent(successors);
      if (!successor) continue;
      chains.get(p.uniqueId)!.push(successor);
      if (successor.status === 'Deprecated') {
        // The new version was itself replaced: follow every metadata version of it.
        const again = await client.getDocuments(patient, { uniqueIds: [successor.uniqueId] });
        next.push({ uniqueId: p.uniqueId, frontier: again.documents.filter((d) => d.status === 'Deprecated').map((d) => d.entryUUID) });
      }
    }
    pending = next;
  }
  for (const [uniqueId, chain] of chains) {
    if (chain.length) notices.push({ imported: replacedRoots.get(uniqueId)!.imported, kind: 'replaced', latest: chain[chain.length - 1], chain });
  }
  return notices;
}

/** The user's "supprimer du DMP": logical deletion (TD3.3c) from the entry's current status. */
export function deleteDocument(client: DmpClient, patient: PatientInput, entry: DocumentEntry | string): Promise<RegistryOutcome> {
  return client.delete(patient, entry);
}

export interface ReplaceOutcome extends SubmitResult {
  /** The new version as the registry now lists it (when found). */
  newEntry?: DocumentEntry;
}

/** The user's "remplacer": sends the new version with RPLC, then reads back the new entry. */
export async function replaceDocument(
  client: DmpClient,
  patient: PatientInput,
  old: DocumentEntry | string,
  newDocument: BuiltDocument,
  submissionSet: SubmissionSetInput = {},
): Promise<ReplaceOutcome> {
  const res = await client.replace(old, newDocument, submissionSet);
  const found = await client.getDocuments(patient, { uniqueIds: [newDocument.metadata.uniqueId] });
  const newEntry = pickCurrent(found.documents.filter((d) => d.uniqueId === newDocument.metadata.uniqueId));
  return { ...res, ...(newEntry ? { newEntry } : {}) };
}
