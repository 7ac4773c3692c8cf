/**
 * Helpers of the XDS socket tests (xds-*.test.ts): ITI-41/18/43/57 requests written by hand the way the
 * official v02.05.00 samples write them (default-namespace rim, `ns3:` lcm, `ns4:` xds-b), MTOM multipart
 * built and split by hand (no codec shared with the simulator or the client module), raw bytes kept.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { AdminClient } from '../../client/admin.js';
import { loadConfig, type ConfigFlags } from '../../simulators/core/config/load.js';
import { startHost } from '../../simulators/core/host.js';
import { DossierBook } from '../../simulators/dmp/dossiers.js';
import { dmpService } from '../../simulators/dmp/service.js';
import { xdsOutcomes } from '../../simulators/dmp/xds/handlers.js';
import { allServices } from '../../simulators/registry.js';
import { buildDocument, replacementOf, submissionSetFor, type DocumentKind } from '../../fixtures/documents/index.js';
import type { BuiltDocument, XdsAuthor, XdsCode, XdsDocumentMetadata, XdsSubmissionSetMetadata } from '../../fixtures/documents/types.js';
import type { Patient, Professional, World } from '../../fixtures/types.js';
import { parseXml, type XmlEl } from '../../simulators/core/xml/tree.js';
import { DMP_ACTIONS, DMP_BASE, dmpEnvelope, findAll, readSoap, vihfOf, type DmpCallOptions, type DmpTestHost } from './support.js';

/**
 * A whole host on free ports (memory store unless `store: 'file'` and a `dataDir` are given), with the XDS
 * scenario outcomes registered even if the DMP service does not list them yet.
 */
export async function startXdsHost(flags: ConfigFlags = {}): Promise<DmpTestHost> {
  const cwd = mkdtempSync(join(tmpdir(), 'segur-sim-xds-'));
  const config = loadConfig({ cwd, env: {}, flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'memory', ...flags } });
  const known = new Set((dmpService.outcomes ?? []).map((o) => o.name));
  const dmp = { ...dmpService, outcomes: [...(dmpService.outcomes ?? []), ...xdsOutcomes.filter((o) => !known.has(o.name))] };
  const services = allServices.map((s) => (s.id === 'dmp' ? dmp : s));
  const host = await startHost({ config, pkiDir: inject('pkiDir'), services, log: () => {} });
  const http = host.url('http');
  const world = host.context.sandboxes.world();
  return { host, http, https: host.url('https'), admin: new AdminClient(http), close: () => host.close(), world, dossiers: new DossierBook(world) };
}

export const REPO = '1.2.250.1.213.4.1.1.1.2';
export const Q = {
  findDocuments: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
  findSubmissionSets: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
  getDocuments: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
  getAssociations: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
  getDocumentsAndAssociations: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
  getRelatedDocuments: 'urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6',
  getSubmissionSetAndContents: 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83',
} as const;
export const ST = {
  approved: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  deprecated: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
  archived: 'urn:asip:ci-sis:2010:StatusType:Archived',
  deleted: 'urn:asip:ci-sis:2010:StatusType:Deleted',
} as const;
export const SUCCESS = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success';
export const FAILURE = 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure';
export const PARTIAL = 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// ---------------------------------------------------------------------------------------------------------
// ebRIM request rendering (sample style)

function slot(name: string, values: readonly string[]): string {
  return `<Slot name="${esc(name)}"><ValueList>${values.map((v) => `<Value>${esc(v)}</Value>`).join('')}</ValueList></Slot>`;
}
function name(el: 'Name' | 'Description', v: string | undefined): string {
  return v === undefined ? '' : `<${el}><LocalizedString charset="UTF8" value="${esc(v)}" xml:lang="FR"/></${el}>`;
}
let seq = 0;
function codeCl(scheme: string, obj: string, c: XdsCode): string {
  return `<Classification classificationScheme="${scheme}" classifiedObject="${obj}" id="cl${++seq}" nodeRepresentation="${esc(c.code)}">${slot('codingScheme', [c.scheme])}${name('Name', c.display)}</Classification>`;
}
function authorCl(scheme: string, obj: string, a: XdsAuthor): string {
  return (
    `<Classification classificationScheme="${scheme}" classifiedObject="${obj}" id="cl${++seq}">` +
    (a.person ? slot('authorPerson', [a.person]) : '') +
    (a.specialties.length ? slot('authorSpecialty', a.specialties) : '') +
    (a.institutions.length ? slot('authorInstitution', a.institutions) : '') +
    '</Classification>'
  );
}
function extId(scheme: string, obj: string, value: string, label: string): string {
  return `<ExternalIdentifier id="ei${++seq}" identificationScheme="${scheme}" registryObject="${obj}" value="${esc(value)}">${name('Name', label)}</ExternalIdentifier>`;
}

export function submissionSetXml(ss: XdsSubmissionSetMetadata, id = 'SubmissionSet01'): string {
  return (
    `<RegistryPackage id="${id}">${slot('submissionTime', [ss.submissionTime])}${name('Name', ss.title ?? 'Lot')}` +
    ss.authors.map((a) => authorCl('urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d', id, a)).join('') +
    codeCl('urn:uuid:aa543740-bdda-424e-8c96-df4873be8500', id, ss.contentTypeCode) +
    `<Classification classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd" classifiedObject="${id}" id="cl${++seq}"/>` +
    extId('urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446', id, ss.patientId, 'XDSSubmissionSet.patientId') +
    extId('urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832', id, ss.sourceId, 'XDSSubmissionSet.sourceId') +
    extId('urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8', id, ss.uniqueId, 'XDSSubmissionSet.uniqueId') +
    '</RegistryPackage>'
  );
}

export interface ExtrinsicOptions {
  id: string;
  lid?: string;
  status?: string;
  hash?: string;
  size?: number;
}

export function extrinsicXml(m: XdsDocumentMetadata, o: ExtrinsicOptions): string {
  const id = o.id;
  return (
    `<ExtrinsicObject id="${id}"${o.lid ? ` lid="${o.lid}"` : ''}${o.status ? ` status="${o.status}"` : ''} mimeType="${m.mimeType}" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">` +
    slot('creationTime', [m.creationTime]) +
    (o.hash ? slot('hash', [o.hash]) : '') +
    slot('languageCode', [m.languageCode]) +
    (m.legalAuthenticator ? slot('legalAuthenticator', [m.legalAuthenticator]) : '') +
    (m.serviceStartTime ? slot('serviceStartTime', [m.serviceStartTime]) : '') +
    (m.serviceStopTime ? slot('serviceStopTime', [m.serviceStopTime]) : '') +
    (o.size !== undefined ? slot('size', [String(o.size)]) : '') +
    slot('sourcePatientId', [m.sourcePatientId]) +
    slot('sourcePatientInfo', m.sourcePatientInfo) +
    name('Name', m.title) +
    name('Description', m.comments) +
    m.authors.map((a) => authorCl('urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d', id, a)).join('') +
    codeCl('urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a', id, m.classCode) +
    codeCl('urn:uuid:f0306f51-975f-434e-a61c-c59651d33983', id, m.typeCode) +
    m.confidentialityCodes.map((c) => codeCl('urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f', id, c)).join('') +
    codeCl('urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d', id, m.formatCode) +
    codeCl('urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1', id, m.healthcareFacilityTypeCode) +
    codeCl('urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead', id, m.practiceSettingCode) +
    m.eventCodes.map((c) => codeCl('urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4', id, c)).join('') +
    extId('urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427', id, m.patientId, 'XDSDocumentEntry.patientId') +
    extId('urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab', id, m.uniqueId, 'XDSDocumentEntry.uniqueId') +
    '</ExtrinsicObject>'
  );
}

export function association(type: string, source: string, target: string, slots: Record<string, string[]> = {}, id = `as${++seq}`): string {
  const full = type.includes(':') ? type : type === 'HasMember' ? 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember' : `urn:ihe:iti:2007:AssociationType:${type}`;
  return `<Association associationType="${full}" id="${id}" sourceObject="${source}" targetObject="${target}">${Object.entries(slots).map(([n, v]) => slot(n, v)).join('')}</Association>`;
}

/** The metadata of the XAdES signature entry of a submission (dmp.md §5.6). */
export function signatureMetadata(doc: XdsDocumentMetadata, uniqueId: string): XdsDocumentMetadata {
  return {
    ...doc,
    uniqueId,
    title: 'Source',
    comments: undefined,
    classCode: { code: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1', scheme: 'URN', display: 'Digital Signature' },
    typeCode: { code: 'E1762', scheme: 'ASTM', display: 'Full Document' },
    formatCode: { code: 'http://www.w3.org/2000/09/xmldsig#', scheme: 'URN', display: 'Default Signature Style' },
    confidentialityCodes: [
      { code: 'N', scheme: '2.16.840.1.113883.5.25', display: 'Normal' },
      { code: 'MASQUE_PS', scheme: '1.2.250.1.213.1.1.4.13', display: 'Masqué aux professionnels de santé' },
      { code: 'INVISIBLE_PATIENT', scheme: '1.2.250.1.213.1.1.4.13', display: 'Non visible par le patient' },
    ],
    eventCodes: [{ code: '1.2.840.10065.1.12.1.14', scheme: '1.2.840.10065.1.12', display: 'Source' }],
    languageCode: 'art',
    sourcePatientId: doc.patientId,
    sourcePatientInfo: [],
  };
}

export function signatureXml(ssUniqueId: string, docUniqueIds: string[]): string {
  return (
    `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="${randomUUID()}"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"/>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/><Reference Type="http://www.w3.org/2000/09/xmldsig#Manifest" URI="#IHEManifest"><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><DigestValue>AA==</DigestValue></Reference></SignedInfo>` +
    `<SignatureValue>AA==</SignatureValue><Object><Manifest Id="IHEManifest"><Reference URI="urn:oid:${ssUniqueId}"><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><DigestValue>AA==</DigestValue></Reference>` +
    docUniqueIds.map((u) => `<Reference URI="urn:oid:${u}"><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><DigestValue>AA==</DigestValue></Reference>`).join('') +
    `</Manifest></Object></Signature>`
  );
}

// ---------------------------------------------------------------------------------------------------------
// ITI-41 request

export interface DocToSend {
  doc: BuiltDocument;
  /** ExtrinsicObject id (default Document01, Document02...). */
  id?: string;
  /** `<Document id>` (default the ExtrinsicObject id). */
  documentId?: string;
  /** Metadata as sent (default the built metadata). */
  metadata?: XdsDocumentMetadata;
  /** Bytes as sent (default the built content). */
  content?: Uint8Array;
  hash?: string;
  size?: number;
  /** entryUUID of the document this one replaces (RPLC association). */
  replaces?: string;
  /** No HasMember association for this one. */
  noMember?: boolean;
  /** No `<Document>` element for this one. */
  noContent?: boolean;
}

export interface Iti41Options {
  docs: DocToSend[];
  ss?: XdsSubmissionSetMetadata;
  /** Add the XAdES signature entry (default true). */
  signature?: boolean;
  /** Inline base64 `<Document>` instead of MTOM parts. */
  inline?: boolean;
  /** Extra raw objects in the RegistryObjectList. */
  extraObjects?: string;
  /** Extra `<ns4:Document>` elements. */
  extraDocuments?: string;
}

export interface Part {
  cid: string;
  contentType: string;
  bytes: Uint8Array;
}

let ssCounter = 0;
export function submissionSetOf(doc: BuiltDocument, uniqueId?: string): XdsSubmissionSetMetadata {
  return submissionSetFor(doc, { sourceId: '1.2.250.1.999.1.1.7898', submissionTime: '2025-01-02T10:00:00Z', uniqueId: uniqueId ?? `${doc.metadata.uniqueId}.${++ssCounter}` });
}

/** The SOAP Body of an ITI-41 request and the MTOM parts it references. */
export function iti41Body(o: Iti41Options): { body: string; parts: Part[] } {
  const first = o.docs[0]!.doc;
  const ss = o.ss ?? submissionSetOf(first);
  const parts: Part[] = [];
  let objects = submissionSetXml(ss);
  let assocs = '';
  let documents = '';
  const addDoc = (id: string, documentId: string, bytes: Uint8Array | undefined) => {
    if (!bytes) return;
    if (o.inline) {
      documents += `<ns4:Document id="${documentId}">${Buffer.from(bytes).toString('base64')}</ns4:Document>`;
    } else {
      const cid = `${documentId}-${randomUUID()}@segur-sim.test`;
      parts.push({ cid, contentType: 'application/octet-stream', bytes });
      documents += `<ns4:Document id="${documentId}"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:${encodeURIComponent(cid)}"/></ns4:Document>`;
    }
  };
  o.docs.forEach((d, i) => {
    const id = d.id ?? `Document0${i + 1}`;
    objects += extrinsicXml(d.metadata ?? d.doc.metadata, { id, hash: d.hash, size: d.size });
    if (!d.noMember) assocs += association('HasMember', 'SubmissionSet01', id, { SubmissionSetStatus: ['Original'] });
    if (d.replaces) assocs += association('RPLC', id, d.replaces);
    if (!d.noContent) addDoc(id, d.documentId ?? id, d.content ?? d.doc.content);
  });
  if (o.signature !== false) {
    const sigUid = `${ss.uniqueId}.99`;
    objects += extrinsicXml(signatureMetadata(first.metadata, sigUid), { id: 'Signature01' });
    assocs += association('HasMember', 'SubmissionSet01', 'Signature01', { SubmissionSetStatus: ['Original'] });
    assocs += association('signs', 'Signature01', 'SubmissionSet01', { SubmissionSetStatus: ['Original'] });
    addDoc('Signature01', 'Signature01', new TextEncoder().encode(signatureXml(ss.uniqueId, o.docs.map((d) => (d.metadata ?? d.doc.metadata).uniqueId))));
  }
  const body =
    `<ns4:ProvideAndRegisterDocumentSetRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:ns4="urn:ihe:iti:xds-b:2007" xmlns:ns5="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0">` +
    `<ns3:SubmitObjectsRequest><RegistryObjectList>${objects}${o.extraObjects ?? ''}${assocs}</RegistryObjectList></ns3:SubmitObjectsRequest>` +
    `${documents}${o.extraDocuments ?? ''}</ns4:ProvideAndRegisterDocumentSetRequest>`;
  return { body, parts };
}

/** A multipart/related MTOM message, written by hand as soapUI writes the official TD2.1 sample. */
export function mtomMessage(envelope: string, parts: Part[], action: string): { body: Buffer; contentType: string } {
  const boundary = `MIMEBoundary_${randomUUID().replace(/-/g, '')}`;
  const chunks: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="${action}"\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <rootpart@segur-sim.test>\r\n\r\n${envelope}\r\n`,
    ),
  ];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${p.contentType}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${p.cid}>\r\n\r\n`));
    chunks.push(Buffer.from(p.bytes));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<rootpart@segur-sim.test>"; start-info="application/soap+xml"; action="${action}"`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Transport (raw bytes in and out)

export interface RawResponse {
  status: number;
  contentType: string;
  bytes: Buffer;
}

export function postRaw(url: string, body: Uint8Array | string, headers: Record<string, string>): Promise<RawResponse> {
  const u = new URL(url);
  const payload = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname, headers: { ...headers, 'content-length': String(payload.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // A server refusing an oversized body answers and closes before the upload ends (EPIPE on our side).
    req.on('socket', (socket) => socket.on('error', () => {}));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Splits a multipart/related response by hand: the root text and the parts by Content-ID. */
export function splitMultipart(bytes: Buffer, contentType: string): { root: string; parts: Map<string, Buffer>; partTypes: Map<string, string> } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in ${contentType}`);
  const delim = Buffer.from(`--${boundary}`);
  const parts = new Map<string, Buffer>();
  const partTypes = new Map<string, string>();
  let root = '';
  let pos = bytes.indexOf(delim);
  let first = true;
  while (pos !== -1) {
    const start = pos + delim.length;
    if (bytes[start] === 0x2d && bytes[start + 1] === 0x2d) break;
    const headerEnd = bytes.indexOf('\r\n\r\n', start);
    const headers = bytes.subarray(start, headerEnd).toString('utf8');
    const next = bytes.indexOf(delim, headerEnd + 4);
    const content = bytes.subarray(headerEnd + 4, next - 2);
    const cid = /content-id:\s*<([^>]+)>/i.exec(headers)?.[1] ?? '';
    if (first) root = content.toString('utf8');
    else {
      parts.set(cid, Buffer.from(content));
      partTypes.set(cid, /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? '');
    }
    first = false;
    pos = next;
  }
  return { root, parts, partTypes };
}

export interface XdsResult {
  status: number;
  text: string;
  body?: XmlEl;
  faultSubcode?: string;
  /** RegistryResponse/AdhocQueryResponse status. */
  registryStatus?: string;
  errors: { code: string; context: string; location?: string; severity?: string }[];
  parts: Map<string, Buffer>;
  contentType: string;
}

function readResult(res: RawResponse): XdsResult {
  let text: string;
  let parts = new Map<string, Buffer>();
  if (/^multipart\//i.test(res.contentType)) {
    const m = splitMultipart(res.bytes, res.contentType);
    text = m.root;
    parts = m.parts;
  } else text = res.bytes.toString('utf8');
  const soap = readSoap(text);
  const statusEl = soap.body && (soap.body.attrs.status ? soap.body : findAll(soap.body, 'RegistryResponse')[0]);
  const errors = findAll(soap.body, 'RegistryError').map((e) => ({ code: e.attrs.errorCode ?? '', context: e.attrs.codeContext ?? '', location: e.attrs.location, severity: e.attrs.severity }));
  return { status: res.status, text, body: soap.body, faultSubcode: soap.faultSubcode, registryStatus: statusEl?.attrs.status, errors, parts, contentType: res.contentType };
}

export interface CallOptions extends DmpCallOptions {
  sandbox?: string;
}

function target(base: string, endpoint: 'registry' | 'repository', sandbox?: string): string {
  return `${base}${sandbox ? `/_sandbox/${sandbox}` : ''}${DMP_BASE}/${endpoint}`;
}

/** An ITI-41 call (MTOM unless `inline`). */
export async function provide(base: string, o: Iti41Options, call: CallOptions = {}): Promise<XdsResult> {
  const { body, parts } = iti41Body(o);
  const envelope = dmpEnvelope(DMP_ACTIONS.iti41, body, call);
  if (o.inline) return readResult(await postRaw(target(base, 'repository', call.sandbox), envelope, { 'content-type': `application/soap+xml; charset=UTF-8; action="${DMP_ACTIONS.iti41}"`, ...call.headers }));
  const msg = mtomMessage(envelope, parts, DMP_ACTIONS.iti41);
  return readResult(await postRaw(target(base, 'repository', call.sandbox), msg.body, { 'content-type': msg.contentType, ...call.headers }));
}

/** Any raw body to an XDS endpoint (malformed input tests). */
export async function postXds(base: string, endpoint: 'registry' | 'repository', body: Uint8Array | string, contentType: string, call: CallOptions = {}): Promise<XdsResult> {
  return readResult(await postRaw(target(base, endpoint, call.sandbox), body, { 'content-type': contentType, ...call.headers }));
}

export function queryBody(queryId: string, slots: Record<string, string | string[]>, returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass'): string {
  const s = Object.entries(slots)
    .map(([n, v]) => `<Slot name="${esc(n)}"><ValueList>${(Array.isArray(v) ? v : [v]).map((x) => `<Value>${esc(x)}</Value>`).join('')}</ValueList></Slot>`)
    .join('');
  return (
    `<ns3:AdhocQueryRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:ns4="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">` +
    `<ns3:ResponseOption returnComposedObjects="true" returnType="${returnType}"/><AdhocQuery id="${queryId}">${s}</AdhocQuery></ns3:AdhocQueryRequest>`
  );
}

export async function storedQuery(base: string, queryId: string, slots: Record<string, string | string[]>, call: CallOptions & { returnType?: 'LeafClass' | 'ObjectRef' } = {}): Promise<XdsResult> {
  const envelope = dmpEnvelope(DMP_ACTIONS.iti18, queryBody(queryId, slots, call.returnType), call);
  return readResult(await postRaw(target(base, 'registry', call.sandbox), envelope, { 'content-type': `application/soap+xml; charset=UTF-8; action="${DMP_ACTIONS.iti18}"`, ...call.headers }));
}

/** FindDocuments for a patient (status Approved by default). */
export function findDocuments(base: string, ins: string, call: CallOptions & { status?: string[]; extra?: Record<string, string | string[]>; insOid?: string; returnType?: 'LeafClass' | 'ObjectRef' } = {}): Promise<XdsResult> {
  const status = call.status ?? [ST.approved];
  return storedQuery(
    base,
    Q.findDocuments,
    { $XDSDocumentEntryPatientId: `'${ins}^^^&${call.insOid ?? '1.2.250.1.213.1.4.10'}&ISO^NH'`, $XDSDocumentEntryStatus: `(${status.map((s) => `'${s}'`).join(',')})`, ...call.extra },
    { ins, ...call },
  );
}

export async function retrieve(base: string, uniqueIds: string[], call: CallOptions & { repository?: string } = {}): Promise<XdsResult> {
  const body =
    `<RetrieveDocumentSetRequest xmlns="urn:ihe:iti:xds-b:2007" xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">` +
    uniqueIds.map((u) => `<DocumentRequest><RepositoryUniqueId>${call.repository ?? REPO}</RepositoryUniqueId><DocumentUniqueId>${esc(u)}</DocumentUniqueId></DocumentRequest>`).join('') +
    '</RetrieveDocumentSetRequest>';
  const envelope = dmpEnvelope(DMP_ACTIONS.iti43, body, call);
  return readResult(await postRaw(target(base, 'repository', call.sandbox), envelope, { 'content-type': `application/soap+xml; charset=UTF-8; action="${DMP_ACTIONS.iti43}"`, ...call.headers }));
}

/** The bytes of each DocumentResponse of an ITI-43 answer, by DocumentUniqueId (xop href URL-decoded). */
export function retrievedDocuments(r: XdsResult): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const d of findAll(r.body, 'DocumentResponse')) {
    const uid = d.children.find((c) => c.name === 'DocumentUniqueId')?.text ?? '';
    const href = findAll(d, 'Include')[0]?.attrs.href ?? '';
    const cid = decodeURIComponent(href.replace(/^cid:/, ''));
    const bytes = r.parts.get(cid);
    if (bytes) out.set(uid, bytes);
  }
  return out;
}

export async function updateSet(base: string, objectsXml: string, call: CallOptions = {}): Promise<XdsResult> {
  const body = `<ns4:SubmitObjectsRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:ns4="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"><RegistryObjectList>${objectsXml}</RegistryObjectList></ns4:SubmitObjectsRequest>`;
  const envelope = dmpEnvelope(DMP_ACTIONS.iti57, body, call);
  return readResult(await postRaw(target(base, 'registry', call.sandbox), envelope, { 'content-type': `application/soap+xml; charset=UTF-8; action="${DMP_ACTIONS.iti57}"`, ...call.headers }));
}

/** An UpdateAvailabilityStatus request (TD3.3c/d). */
export function statusUpdateXml(ss: XdsSubmissionSetMetadata, entryUuid: string, from: string, to: string): string {
  return submissionSetXml(ss) + association('urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus', 'SubmissionSet01', entryUuid, { OriginalStatus: [from], NewStatus: [to] });
}

/** A metadata update (TD3.3a/b): the whole entry again with new confidentiality codes. */
export function metadataUpdateXml(ss: XdsSubmissionSetMetadata, m: XdsDocumentMetadata, lid: string, previousVersion: number, confidentiality: XdsCode[]): string {
  return (
    submissionSetXml(ss) +
    extrinsicXml({ ...m, confidentialityCodes: confidentiality }, { id: 'Document01', lid, status: ST.approved }) +
    association('HasMember', 'SubmissionSet01', 'Document01', { SubmissionSetStatus: ['Original'], PreviousVersion: [String(previousVersion)] })
  );
}

// ---------------------------------------------------------------------------------------------------------
// Reading results

export interface EntryView {
  id: string;
  lid: string;
  status: string;
  uniqueId: string;
  version: string;
  hash?: string;
  size?: string;
  confidentiality: string[];
  classCode?: string;
  authors: string[];
  el: XmlEl;
}

export function entries(r: XdsResult): EntryView[] {
  return findAll(r.body, 'ExtrinsicObject').map((e) => {
    const slotV = (n: string) => e.children.find((c) => c.name === 'Slot' && c.attrs.name === n)?.children[0]?.children[0]?.text;
    const cls = (scheme: string) => e.children.filter((c) => c.name === 'Classification' && c.attrs.classificationScheme === scheme);
    return {
      id: e.attrs.id ?? '',
      lid: e.attrs.lid ?? '',
      status: e.attrs.status ?? '',
      uniqueId: e.children.find((c) => c.name === 'ExternalIdentifier' && c.attrs.identificationScheme === 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab')?.attrs.value ?? '',
      version: e.children.find((c) => c.name === 'VersionInfo')?.attrs.versionName ?? '',
      hash: slotV('hash'),
      size: slotV('size'),
      confidentiality: cls('urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f').map((c) => c.attrs.nodeRepresentation ?? ''),
      classCode: cls('urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a')[0]?.attrs.nodeRepresentation,
      authors: cls('urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d').flatMap((c) => c.children.filter((s) => s.attrs.name === 'authorPerson').map((s) => s.children[0]?.children[0]?.text ?? '')),
      el: e,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Documents of the world

let docCounter = 0;
/** A fresh uniqueId under the LPS test root. */
export function newUid(): string {
  return `1.2.250.1.999.7301.10.${process.pid}.${Date.now() % 1_000_000}.${++docCounter}`;
}

export function structureOf(world: World, p: Professional) {
  const sid = p.exercices[0]?.activities[0]?.structureId;
  const s = world.structures.find((x) => x.id === sid) ?? world.structures[0]!;
  return s;
}

export function makeDocument(world: World, patient: Patient, author: Professional, o: { kind?: DocumentKind; confidentiality?: ('MASQUE_PS' | 'INVISIBLE_PATIENT' | 'INVISIBLE_REPRESENTANTS_LEGAUX')[]; uniqueId?: string } = {}): BuiltDocument {
  return buildDocument({
    kind: o.kind ?? 'n1-pdf',
    patient,
    author,
    structure: structureOf(world, author),
    uniqueId: o.uniqueId ?? newUid(),
    effectiveTime: '2025-01-02T09:00:00Z',
    ...(o.confidentiality ? { confidentiality: o.confidentiality } : {}),
  });
}

export function makeReplacement(previous: BuiltDocument): BuiltDocument {
  return replacementOf(previous, { uniqueId: newUid() });
}

/** VIHF options of a world professional for a patient. */
export function asPs(world: World, p: Professional, ins: string, extra: DmpCallOptions = {}): CallOptions {
  return { ...vihfOf(world, p), ins, ...extra };
}

export { parseXml };
