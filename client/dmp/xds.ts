/**
 * XDS.b request bodies and answers (dmp.md §4.8–4.11): ITI-41 ProvideAndRegisterDocumentSet-b (MTOM or
 * inline base64), ITI-18 stored queries, ITI-43 RetrieveDocumentSet, ITI-57 UpdateDocumentSet
 * (availability status and metadata update). Answers: RegistryResponse / AdhocQueryResponse /
 * RetrieveDocumentSetResponse, Failure → DmpRegistryError with every RegistryError.
 */
import { ASSOCIATION, NS, RESPONSE_STATUS, statusUrn } from './constants.js';
import { DmpProtocolError, DmpRegistryError, type RegistryErrorItem } from './errors.js';
import {
  IdAllocator,
  readAssociation,
  readDocumentEntry,
  readSubmissionSet,
  renderAssociation,
  renderDocumentEntry,
  renderSubmissionSet,
  slot,
  type AssociationEntry,
  type DocumentEntry,
  type SubmissionSetEntry,
  type XdsDocumentMetadata,
  type XdsSubmissionSetMetadata,
} from './ebrim.js';
import { cidHref, normalizeContentId, type MimePart } from './mtom.js';
import { child, childrenNamed, el, esc, text, type XmlElement } from './xml.js';

// ------------------------------------------------------------------ ITI-41

export interface SubmittedDocument {
  /** Symbolic id in the request (`Document01`…). */
  id: string;
  metadata: XdsDocumentMetadata;
  bytes: Uint8Array;
  /** MIME type of the MTOM part (default: the metadata mimeType). */
  contentType?: string;
  /** entryUUID of the document this one replaces (RPLC association). */
  replaces?: string;
}

export interface ProvideAndRegisterInput {
  submissionSet: XdsSubmissionSetMetadata;
  documents: SubmittedDocument[];
  /** The signature entry (`Signature01`), signing the submission set. */
  signature?: { id: string; metadata: XdsDocumentMetadata; bytes: Uint8Array };
  mtom: boolean;
}

export interface ProvideAndRegisterRequest {
  bodyXml: string;
  parts: MimePart[];
}

const SS_ID = 'SubmissionSet01';

export function buildProvideAndRegister(input: ProvideAndRegisterInput): ProvideAndRegisterRequest {
  const ids = new IdAllocator();
  const objects: string[] = [renderSubmissionSet(input.submissionSet, { id: SS_ID, ids })];
  const all = [...input.documents, ...(input.signature ? [{ ...input.signature, contentType: 'text/xml' }] : [])];
  for (const d of all) objects.push(renderDocumentEntry(d.metadata, { id: d.id, ids }));
  let assoc = 0;
  const original = { SubmissionSetStatus: ['Original'] };
  for (const d of all) objects.push(renderAssociation({ id: `assoc${++assoc}`, type: ASSOCIATION.hasMember, source: SS_ID, target: d.id, slots: original }));
  if (input.signature) objects.push(renderAssociation({ id: `assoc${++assoc}`, type: ASSOCIATION.signs, source: input.signature.id, target: SS_ID, slots: original }));
  for (const d of input.documents) if (d.replaces) objects.push(renderAssociation({ id: `assoc${++assoc}`, type: ASSOCIATION.rplc, source: d.id, target: d.replaces }));

  const parts: MimePart[] = [];
  let documents = '';
  all.forEach((d, i) => {
    if (input.mtom) {
      const contentId = `${d.id.toLowerCase()}.${i + 1}.${Date.now().toString(36)}@segur-sim.lgc`;
      parts.push({ contentId, contentType: d.contentType ?? d.metadata.mimeType ?? 'application/octet-stream', bytes: d.bytes });
      documents += `<ihe:Document id="${esc(d.id)}"><xop:Include xmlns:xop="${NS.xop}" href="${esc(cidHref(contentId))}"/></ihe:Document>`;
    } else {
      documents += `<ihe:Document id="${esc(d.id)}">${Buffer.from(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength).toString('base64')}</ihe:Document>`;
    }
  });
  const bodyXml =
    `<ihe:ProvideAndRegisterDocumentSetRequest xmlns="${NS.rim}" xmlns:ihe="${NS.xdsb}" xmlns:lcm="${NS.lcm}" xmlns:rs="${NS.rs}">` +
    `<lcm:SubmitObjectsRequest><RegistryObjectList>${objects.join('')}</RegistryObjectList></lcm:SubmitObjectsRequest>` +
    documents +
    '</ihe:ProvideAndRegisterDocumentSetRequest>';
  return { bodyXml, parts };
}

// ------------------------------------------------------------------ ITI-57

export interface StatusChangeInput {
  submissionSet: XdsSubmissionSetMetadata;
  entryUUID: string;
  from: string;
  to: string;
}

/** UpdateAvailabilityStatus (TD3.3c delete, TD3.3d archive / unarchive). */
export function buildUpdateAvailabilityStatus(input: StatusChangeInput): string {
  const ids = new IdAllocator();
  return (
    `<lcm:SubmitObjectsRequest xmlns="${NS.rim}" xmlns:lcm="${NS.lcm}"><RegistryObjectList>` +
    renderSubmissionSet(input.submissionSet, { id: SS_ID, ids }) +
    renderAssociation({
      id: 'association1',
      type: ASSOCIATION.updateAvailabilityStatus,
      source: SS_ID,
      target: input.entryUUID,
      slots: { OriginalStatus: [statusUrn(input.from)], NewStatus: [statusUrn(input.to)] },
      withObjectType: true,
    }) +
    '</RegistryObjectList></lcm:SubmitObjectsRequest>'
  );
}

export interface MetadataUpdateInput {
  submissionSet: XdsSubmissionSetMetadata;
  /** The current entry (from ITI-18): copied whole, with the changed metadata. */
  entry: DocumentEntry;
  metadata: XdsDocumentMetadata;
}

/**
 * Metadata update (TD3.3a mask/unmask, TD3.3b visibility): HasMember with `PreviousVersion` = the current
 * version, and a full copy of the ExtrinsicObject under a symbolic id carrying the logical id (lid).
 */
export function buildMetadataUpdate(input: MetadataUpdateInput): string {
  const ids = new IdAllocator();
  const docId = 'Document01';
  const e = input.entry;
  return (
    `<lcm:SubmitObjectsRequest xmlns="${NS.rim}" xmlns:lcm="${NS.lcm}"><RegistryObjectList>` +
    renderSubmissionSet(input.submissionSet, { id: SS_ID, ids }) +
    renderAssociation({
      id: 'association1',
      type: ASSOCIATION.hasMember,
      source: SS_ID,
      target: docId,
      slots: { SubmissionSetStatus: ['Original'], PreviousVersion: [e.version ?? '1'] },
      withObjectType: true,
    }) +
    renderDocumentEntry(input.metadata, { id: docId, ids, lid: e.lid, status: e.statusUrn || statusUrn('Approved'), hash: e.hash, size: e.size, repositoryUniqueId: e.repositoryUniqueId }) +
    '</RegistryObjectList></lcm:SubmitObjectsRequest>'
  );
}

// ------------------------------------------------------------------ ITI-18

export type QueryParam = string | number | readonly string[] | undefined;

/** A stored query parameter value: `'x'`, `('a','b')`, or digits for times and numbers. */
export function queryValue(v: string | number | readonly string[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return quote(v);
  return `(${v.map(quote).join(',')})`;
}

export function buildStoredQuery(queryId: string, params: Record<string, QueryParam>, returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass'): string {
  const slots = Object.entries(params)
    .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([name, v]) => slot(name, [queryValue(v as string | number | string[])]))
    .join('');
  return (
    `<query:AdhocQueryRequest xmlns="${NS.rim}" xmlns:query="${NS.query}">` +
    el('query:ResponseOption', { returnComposedObjects: 'true', returnType }) +
    `<AdhocQuery id="${esc(queryId)}">${slots}</AdhocQuery></query:AdhocQueryRequest>`
  );
}

// ------------------------------------------------------------------ ITI-43

export function buildRetrieve(requests: { repositoryUniqueId: string; uniqueId: string; homeCommunityId?: string }[]): string {
  const items = requests
    .map(
      (r) =>
        '<DocumentRequest>' +
        (r.homeCommunityId ? `<HomeCommunityId>${esc(r.homeCommunityId)}</HomeCommunityId>` : '') +
        `<RepositoryUniqueId>${esc(r.repositoryUniqueId)}</RepositoryUniqueId><DocumentUniqueId>${esc(r.uniqueId)}</DocumentUniqueId></DocumentRequest>`,
    )
    .join('');
  return `<RetrieveDocumentSetRequest xmlns="${NS.xdsb}">${items}</RetrieveDocumentSetRequest>`;
}

// ------------------------------------------------------------------ answers

export interface RegistryOutcome {
  /** Full status URN. */
  status: string;
  /** `Success`, `PartialSuccess`, `Failure`. */
  outcome: 'Success' | 'PartialSuccess' | 'Failure' | string;
  /** RegistryErrors of a PartialSuccess (or Warnings of a Success). */
  warnings: RegistryErrorItem[];
}

function errorsOf(container: XmlElement | undefined): RegistryErrorItem[] {
  return childrenNamed(child(container, 'RegistryErrorList'), 'RegistryError').map((e) => ({
    errorCode: e.attrs.errorCode ?? '',
    codeContext: e.attrs.codeContext ?? text(e) ?? '',
    location: e.attrs.location || undefined,
    severity: (e.attrs.severity ?? 'Error').split(':').pop() ?? 'Error',
  }));
}

/** Status and errors of a RegistryResponse / AdhocQueryResponse; Failure throws DmpRegistryError. */
export function checkRegistryStatus(el: XmlElement): RegistryOutcome {
  const status = el.attrs.status ?? '';
  const errors = errorsOf(el);
  const outcome = status.split(':').pop() ?? '';
  if (!status) throw new DmpProtocolError(`${el.name} has no status attribute`);
  if (status === RESPONSE_STATUS.failure || outcome === 'Failure') throw new DmpRegistryError(status, errors);
  return { status, outcome, warnings: errors };
}

/** A RegistryResponse body (ITI-41, ITI-57). */
export function readRegistryResponse(body: XmlElement): RegistryOutcome {
  if (body.name !== 'RegistryResponse') throw new DmpProtocolError(`expected rs:RegistryResponse, got ${body.name}`);
  return checkRegistryStatus(body);
}

export interface QueryResult extends RegistryOutcome {
  totalResultCount?: number;
  documents: DocumentEntry[];
  submissionSets: SubmissionSetEntry[];
  folders: SubmissionSetEntry[];
  associations: AssociationEntry[];
  /** ObjectRef ids (returnType ObjectRef). */
  references: string[];
}

export function readQueryResponse(body: XmlElement): QueryResult {
  if (body.name !== 'AdhocQueryResponse') throw new DmpProtocolError(`expected query:AdhocQueryResponse, got ${body.name}`);
  const outcome = checkRegistryStatus(body);
  const list = child(body, 'RegistryObjectList');
  const result: QueryResult = { ...outcome, documents: [], submissionSets: [], folders: [], associations: [], references: [] };
  if (body.attrs.totalResultCount && /^\d+$/.test(body.attrs.totalResultCount)) result.totalResultCount = Number(body.attrs.totalResultCount);
  for (const o of list?.children ?? []) {
    if (o.name === 'ExtrinsicObject') result.documents.push(readDocumentEntry(o));
    else if (o.name === 'RegistryPackage') {
      const isFolder = o.children.some((c) => c.name === 'Classification' && c.attrs.classificationNode === 'urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2');
      (isFolder ? result.folders : result.submissionSets).push(readSubmissionSet(o));
    } else if (o.name === 'Association') result.associations.push(readAssociation(o));
    else if (o.name === 'ObjectRef' && o.attrs.id) result.references.push(o.attrs.id);
  }
  return result;
}

export interface RetrievedDocument {
  repositoryUniqueId: string;
  uniqueId: string;
  homeCommunityId?: string;
  mimeType: string;
  bytes: Uint8Array;
}

export interface RetrieveResult extends RegistryOutcome {
  documents: RetrievedDocument[];
}

/** RetrieveDocumentSetResponse: documents from MTOM parts (href URL-decoded) or inline base64. */
export function readRetrieveResponse(body: XmlElement, parts: Map<string, MimePart>): RetrieveResult {
  if (body.name !== 'RetrieveDocumentSetResponse') throw new DmpProtocolError(`expected RetrieveDocumentSetResponse, got ${body.name}`);
  const rr = child(body, 'RegistryResponse');
  if (!rr) throw new DmpProtocolError('RetrieveDocumentSetResponse has no RegistryResponse');
  const outcome = checkRegistryStatus(rr);
  const documents: RetrievedDocument[] = childrenNamed(body, 'DocumentResponse').map((d) => {
    const docEl = child(d, 'Document');
    const include = docEl?.children.find((c) => c.name === 'Include' && c.ns === NS.xop);
    let bytes: Uint8Array;
    if (include) {
      const href = include.attrs.href ?? '';
      const part = parts.get(normalizeContentId(href));
      if (!part) throw new DmpProtocolError(`xop:Include href="${href}" matches no MIME part (parts: ${[...parts.keys()].join(', ') || 'none'})`);
      bytes = part.bytes;
    } else {
      bytes = new Uint8Array(Buffer.from((docEl?.text ?? '').replace(/\s+/g, ''), 'base64'));
    }
    return {
      repositoryUniqueId: text(child(d, 'RepositoryUniqueId')) ?? '',
      uniqueId: text(child(d, 'DocumentUniqueId')) ?? '',
      homeCommunityId: text(child(d, 'HomeCommunityId')),
      mimeType: text(child(d, 'mimeType')) ?? 'application/octet-stream',
      bytes,
    };
  });
  return { ...outcome, documents };
}
