/**
 * The `dmp.stale-version` outcome: another professional replaces a document just before the response, as
 * when two practices work on the same patient. The replacement is a real RPLC (new uniqueId, new entry,
 * the old one Deprecated), recorded like any submission.
 */
import { BlobStore } from '../../core/store/blob-store.js';
import type { DmpCall } from '../types.js';
import { ASSOCIATION, IDNAT_PS_OID, IDNAT_STRUCT_OID, STATUS } from './constants.js';
import type { DocumentEntry, DocumentRecord, XdsAuthor } from './model.js';
import { associationUuidFor, entryUuidFor, oidFrom, submissionSetUuidFor } from './registry.js';

/** `YYYYMMDDhhmmss` (UTC) of an epoch ms. */
export function dtm(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function otherAuthor(call: DmpCall, old: DocumentEntry, wanted?: string): XdsAuthor {
  const world = call.store.registry.world;
  const taken = new Set([call.vihf.nameId, ...old.meta.authors.map((a) => a.person.split('^')[0])]);
  const p = (wanted && world.professionals.find((x) => x.idNat === wanted)) || world.professionals.find((x) => !taken.has(x.idNat)) || world.professionals[0];
  if (!p) return { person: `${wanted ?? '899999999999'}^AUTRE^AUTEUR^^^^^^&${IDNAT_PS_OID}&ISO^D^^^IDNPS`, institutions: [], specialties: [] };
  const structureId = p.exercices[0]?.activities[0]?.structureId;
  const structure = structureId ? world.structures.find((s) => s.id === structureId) : undefined;
  return {
    person: `${p.idNat}^${p.lastNameRniv}^${p.firstNameRniv}^^^^^^&${IDNAT_PS_OID}&ISO^D^^^IDNPS`,
    institutions: structure ? [`${structure.name}^^^^^&${IDNAT_STRUCT_OID}&ISO^IDNST^^^${structure.idNat}`] : [],
    specialties: old.meta.authors[0]?.specialties ?? [],
  };
}

/** A CDA of the new version: new id, versionNumber + 1, relatedDocument RPLC to the old one (best effort). */
function replacementContent(bytes: Uint8Array, old: DocumentEntry, uniqueId: string): Uint8Array {
  let text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (!/<(\w+:)?ClinicalDocument[\s>]/.test(text)) return bytes;
  text = text.replace(/(<(?:\w+:)?id\s+root=")([^"]+)(")/, (m, a: string, root: string, c: string) => (root === old.uniqueId ? `${a}${uniqueId}${c}` : m));
  const version = old.cdaVersion ?? 1;
  text = text.replace(/(<(?:\w+:)?versionNumber\s+value=")(\d+)(")/, (_m, a: string, v: string, c: string) => `${a}${Number(v) + 1}${c}`);
  const related = `<relatedDocument typeCode="RPLC"><parentDocument><id root="${old.uniqueId}"/>${old.setId ? `<setId root="${old.setId}"/>` : ''}<versionNumber value="${version}"/></parentDocument></relatedDocument>`;
  const at = text.search(/<(\w+:)?componentOf[\s>]|<(\w+:)?component[\s>]/);
  if (at !== -1) text = text.slice(0, at) + related + text.slice(at);
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** Injects the replacement of `old` (must be Approved); returns the new entry. */
export async function injectStaleVersion(call: DmpCall, old: DocumentEntry): Promise<DocumentEntry | undefined> {
  const registry = call.store.registry;
  if (old.status !== STATUS.approved) return undefined;
  const params = call.exchange.outcome<{ author?: string }>('dmp.stale-version') ?? {};
  const original = await registry.content(old);
  if (!original) return undefined;
  const uniqueId = oidFrom(`stale|${old.uniqueId}|${call.messageId}`);
  const content = replacementContent(original, old, uniqueId);
  const hash = await call.store.blobs.put(content, BlobStore.sha1(content));
  const author = otherAuthor(call, old, params.author);
  const id = entryUuidFor(uniqueId);
  const ssUniqueId = oidFrom(`stale-ss|${uniqueId}`);
  const ssId = submissionSetUuidFor(ssUniqueId);
  const now = dtm(call.now);
  const doc: DocumentRecord = {
    id,
    lid: id,
    version: 1,
    status: STATUS.approved,
    uniqueId,
    patientId: old.patientId,
    mimeType: old.mimeType,
    hash,
    size: content.byteLength,
    repositoryUniqueId: old.repositoryUniqueId,
    meta: { ...old.meta, authors: [author], creationTime: now, legalAuthenticator: author.person },
    ...(old.setId ? { setId: old.setId } : {}),
    cdaVersion: (old.cdaVersion ?? 1) + 1,
  };
  await call.store.record({
    t: 'xds.submit',
    at: call.now,
    ins: old.ins,
    ss: { id: ssId, uniqueId: ssUniqueId, patientId: old.patientId, meta: { authors: [author], submissionTime: now, title: 'Nouvelle version' } },
    docs: [doc],
    assocs: [
      { id: associationUuidFor(ASSOCIATION.hasMember, ssId, id), type: ASSOCIATION.hasMember, source: ssId, target: id, status: STATUS.approved, slots: { SubmissionSetStatus: ['Original'] } },
      { id: associationUuidFor(ASSOCIATION.rplc, id, old.id), type: ASSOCIATION.rplc, source: id, target: old.id, status: STATUS.approved },
    ],
    deprecate: [old.id],
  });
  call.exchange.summary.staleVersion = { replaced: old.uniqueId, by: uniqueId, author: author.person.split('^')[0] };
  call.exchange.summary.why = `scenario outcome dmp.stale-version (${call.exchange.decision?.channel ?? 'scenario'})`;
  return registry.document(id);
}
