/**
 * IHE XDM packaging of MSSanté documents (`IHE_XDM.zip`, notes §2.2): building the archive an LPS attaches
 * to its mail and reading the one it receives.
 *
 * Layout (ISO 9660 level-1 names, upper case):
 * ```
 * INDEX.HTM                         human entry page, links to README.TXT and the documents
 * README.TXT                        sender, sending application, instructions, tree
 * IHE_XDM/SUBSET01/METADATA.XML     ebRIM 3.0 lcm:SubmitObjectsRequest: SubmissionSet, one DocumentEntry per
 *                                   document (slots URI, hash = SHA-1 hex, size), HasMember associations,
 *                                   RPLC for a new version
 * IHE_XDM/SUBSET01/DOC0001.XML ...  the CDA R2 documents
 * ```
 * The ebRIM objects are rendered with the DMP client's renderers (`client/dmp/ebrim.ts`) from the fixtures'
 * XdsDocumentMetadata / XdsSubmissionSetMetadata, and read back with its readers, whatever the prefixes.
 * Zipped and unzipped with `fflate`. The same input gives the same bytes (entry ids derived from the
 * uniqueIds, zip dates = the submission time).
 *
 * Assumed [I] (notes §2.2–2.4 leave it open): entry ids are `urn:uuid:` name-based UUIDs of the document
 * uniqueId, so an RPLC association can target the replaced document's entry id without a registry; a
 * deletion request is the extra-metadata slot `XDM_ACTION_SLOT` = `D` on the DocumentEntry; the
 * submission set's `intendedRecipient` slot is `^^Internet^<address>` (Direct/XDM usage).
 */
import { createHash } from 'node:crypto';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import type { BuiltDocument, XdsSubmissionSetMetadata } from '../../fixtures/documents/types.js';
import { ASSOCIATION, NS } from '../dmp/constants.js';
import {
  IdAllocator,
  readAssociation,
  readDocumentEntry,
  readSubmissionSet,
  renderAssociation,
  renderDocumentEntry,
  renderSubmissionSet,
  slot,
  type DocumentEntry,
  type SubmissionSetEntry,
} from '../dmp/ebrim.js';
import { childrenNamed, esc, findAll, parseXmlTree, XmlSyntaxError, type XmlElement } from '../dmp/xml.js';

export type { BuiltDocument, XdsSubmissionSetMetadata };

/** Name of the attachment (ANS examples; match it case-insensitively on reading, `IHE_XDM.ZIP` exists). */
export const XDM_ZIP_NAME = 'IHE_XDM.zip';
/** Extra-metadata slot carrying the requested action on a DocumentEntry (`D` = delete) [I: name not published]. */
export const XDM_ACTION_SLOT = 'urn:segur-sim:xdm:action';
/** Value of `XDM_ACTION_SLOT` for a deletion request (notes §2.4 "action = D"). */
export const XDM_ACTION_DELETE = 'D';

/** Limits applied by `readXdm` (a received zip is untrusted input). */
export interface XdmReadLimits {
  /** Entries in the archive (default 1000). */
  maxEntries?: number;
  /** Uncompressed bytes of one entry (default 50 MiB). */
  maxEntryBytes?: number;
  /** Uncompressed bytes of the whole archive (default 100 MiB). */
  maxTotalBytes?: number;
}

export interface XdmReadme {
  /** The sender: name and MSSanté address. */
  sender?: string;
  /** The sending application. */
  application?: { name: string; version?: string; vendor?: string };
  /** Free text placed under "Instructions". */
  instructions?: string;
}

export interface BuildXdmInput {
  documents: BuiltDocument[];
  submissionSet: XdsSubmissionSetMetadata;
  /** Subset directory under `IHE_XDM/` (default `SUBSET01`). */
  subsetName?: 'SUBSET01' | (string & {});
  readme?: XdmReadme;
  /** Submission set `intendedRecipient` slot: the destination MSSanté addresses. */
  intendedRecipients?: string[];
  /** uniqueIds of the documents whose deletion is requested (slot `XDM_ACTION_SLOT` = `D`). */
  deleteUniqueIds?: string[];
  /** Date written in the zip entries (default: the submission time). */
  date?: Date;
}

/** `urn:uuid:` derived from a document uniqueId (stable: the RPLC target of a later version). */
export function entryUuidOf(uniqueId: string): string {
  const h = createHash('sha1').update(`segur-sim:xdm:${uniqueId}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** `DOC0001.XML`, `DOC0002.XML`… (8.3 upper case). */
export function xdmDocumentName(index: number): string {
  return `DOC${String(index + 1).padStart(4, '0')}.XML`;
}

function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Inserts slots right after the opening tag of a rendered ebRIM object. */
function withSlots(rendered: string, extra: string): string {
  const end = rendered.indexOf('>');
  if (rendered[end - 1] === '/') return `${rendered.slice(0, end - 1)}>${extra}</${rendered.slice(1, rendered.search(/[\s/>]/))}>`;
  return rendered.slice(0, end + 1) + extra + rendered.slice(end + 1);
}

function fromXdsTime(t: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?/.exec(t);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The METADATA.XML of a subset (exported for tests and for correspondents that sign or inspect it). */
export function renderXdmMetadata(input: Pick<BuildXdmInput, 'documents' | 'submissionSet' | 'intendedRecipients' | 'deleteUniqueIds'>): string {
  const ids = new IdAllocator();
  const ssId = 'SubmissionSet01';
  let ss = renderSubmissionSet(input.submissionSet, { id: ssId, ids });
  if (input.intendedRecipients?.length) ss = withSlots(ss, slot('intendedRecipient', input.intendedRecipients.map((a) => `^^Internet^${a}`)));
  const objects = [ss];
  const deletions = new Set(input.deleteUniqueIds ?? []);
  input.documents.forEach((doc, i) => {
    const id = entryUuidOf(doc.metadata.uniqueId);
    const rendered = renderDocumentEntry(doc.metadata, { id, ids, hash: sha1Hex(doc.content), size: doc.content.byteLength });
    let extra = slot('URI', [xdmDocumentName(i)]);
    if (deletions.has(doc.metadata.uniqueId)) extra += slot(XDM_ACTION_SLOT, [XDM_ACTION_DELETE]);
    objects.push(withSlots(rendered, extra));
  });
  let n = 0;
  for (const doc of input.documents) {
    objects.push(renderAssociation({ id: `assoc${++n}`, type: ASSOCIATION.hasMember, source: ssId, target: entryUuidOf(doc.metadata.uniqueId), slots: { SubmissionSetStatus: ['Original'] } }));
  }
  for (const doc of input.documents) {
    if (doc.replaces) objects.push(renderAssociation({ id: `assoc${++n}`, type: ASSOCIATION.rplc, source: entryUuidOf(doc.metadata.uniqueId), target: entryUuidOf(doc.replaces) }));
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<lcm:SubmitObjectsRequest xmlns="${NS.rim}" xmlns:lcm="${NS.lcm}"><RegistryObjectList>${objects.join('')}</RegistryObjectList></lcm:SubmitObjectsRequest>\n`
  );
}

function readmeText(input: BuildXdmInput, subset: string, names: string[]): string {
  const r = input.readme ?? {};
  const app = r.application;
  const lines = [
    'IHE XDM - Echange de documents de sante (MSSante)',
    '',
    `Emetteur : ${r.sender ?? '(non precise)'}`,
    `Application : ${app ? [app.name, app.version, app.vendor ? `(${app.vendor})` : undefined].filter(Boolean).join(' ') : '(non precisee)'}`,
    `Lot de soumission : ${input.submissionSet.uniqueId}`,
    '',
    'Instructions :',
    r.instructions ?? "Ouvrir INDEX.HTM pour consulter les documents. Les metadonnees IHE XDS sont dans METADATA.XML.",
    '',
    'Contenu :',
    'INDEX.HTM',
    'README.TXT',
    'IHE_XDM/',
    `  ${subset}/`,
    '    METADATA.XML',
    ...names.map((n) => `    ${n}`),
    '',
  ];
  return lines.join('\r\n');
}

function indexHtml(input: BuildXdmInput, subset: string, names: string[]): string {
  const items = input.documents
    .map((d, i) => `<li><a href="IHE_XDM/${subset}/${names[i]}">${esc(d.metadata.title)}</a> (${esc(d.metadata.typeCode.display || d.metadata.typeCode.code)})</li>`)
    .join('\n');
  return (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="UTF-8"><title>IHE XDM</title></head><body>\n' +
    `<h1>Documents de sant&#233;</h1>\n<p>Emetteur : ${esc(input.readme?.sender ?? '(non pr\u00e9cis\u00e9)')}</p>\n` +
    `<ul>\n${items}\n</ul>\n<p><a href="README.TXT">README.TXT</a> &#8212; <a href="IHE_XDM/${subset}/METADATA.XML">METADATA.XML</a></p>\n</body></html>\n`
  );
}

/** Builds `IHE_XDM.zip` for one patient's documents. */
export function buildXdm(input: BuildXdmInput): Uint8Array {
  if (!input.documents.length) throw new Error('buildXdm: no document');
  const subset = input.subsetName ?? 'SUBSET01';
  if (!/^[A-Z0-9_]{1,8}$/.test(subset)) throw new Error(`buildXdm: subset name must be an ISO 9660 level-1 directory name (got "${subset}")`);
  const names = input.documents.map((_, i) => xdmDocumentName(i));
  const enc = new TextEncoder();
  const mtime = input.date ?? fromXdsTime(input.submissionSet.submissionTime) ?? new Date(Date.UTC(2000, 0, 1));
  const files: Zippable = {
    'INDEX.HTM': [enc.encode(indexHtml(input, subset, names)), { mtime }],
    'README.TXT': [enc.encode(readmeText(input, subset, names)), { mtime }],
    [`IHE_XDM/${subset}/METADATA.XML`]: [enc.encode(renderXdmMetadata(input)), { mtime }],
  };
  input.documents.forEach((d, i) => {
    files[`IHE_XDM/${subset}/${names[i]}`] = [d.content, { mtime }];
  });
  return zipSync(files, { level: 6, mtime });
}

// ------------------------------------------------------------------ reading

export interface XdmDocument {
  /** Path inside the zip, e.g. `IHE_XDM/SUBSET01/DOC0001.XML`. */
  path: string;
  bytes: Uint8Array;
  /** The DocumentEntry (patientId, uniqueId, typeCode, classCode, authors, hash, size…). */
  metadata: DocumentEntry;
  /** The `URI` slot as written. */
  uri?: string;
  /** `D` when the sender asks for the deletion of this document. */
  action?: string;
  /** Entry id targeted by an RPLC association from this document (the replaced document). */
  replacesEntryUUID?: string;
}

export interface XdmContent {
  /** Subset directory read (`SUBSET01`). */
  subset?: string;
  submissionSet?: SubmissionSetEntry & { intendedRecipients: string[] };
  documents: XdmDocument[];
  /** Everything that does not follow the layout: missing files, hash or size mismatch, bad XML... */
  problems: string[];
}

/** Reads a received `IHE_XDM.zip`. Never throws on content: what is wrong goes to `problems`. */
export function readXdm(zip: Uint8Array, limits: XdmReadLimits = {}): XdmContent {
  const maxEntries = limits.maxEntries ?? 1000;
  const maxEntryBytes = limits.maxEntryBytes ?? 50 * 1024 * 1024;
  const maxTotalBytes = limits.maxTotalBytes ?? 100 * 1024 * 1024;
  const problems: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    let count = 0;
    let declared = 0;
    files = unzipSync(zip, {
      filter: (f) => {
        if (++count > maxEntries) throw new RangeError(`more than ${maxEntries} entries`);
        if (f.name.endsWith('/')) return false;
        if (f.originalSize > maxEntryBytes) throw new RangeError(`entry ${f.name} is ${f.originalSize} bytes (limit ${maxEntryBytes})`);
        declared += f.originalSize;
        if (declared > maxTotalBytes) throw new RangeError(`archive over ${maxTotalBytes} bytes uncompressed`);
        return true;
      },
    });
  } catch (err) {
    problems.push(`not a readable zip: ${(err as Error).message}`);
    return { documents: [], problems };
  }
  let total = 0;
  for (const [name, bytes] of Object.entries(files)) {
    total += bytes.byteLength;
    if (bytes.byteLength > maxEntryBytes || total > maxTotalBytes) {
      problems.push(`entry ${name} inflates beyond the limits`);
      return { documents: [], problems };
    }
  }
  const byUpper = new Map(Object.keys(files).map((k) => [k.replace(/\\/g, '/').toUpperCase(), k]));
  if (!byUpper.has('INDEX.HTM')) problems.push('INDEX.HTM missing');
  if (!byUpper.has('README.TXT')) problems.push('README.TXT missing');
  const metadataPaths = [...byUpper.keys()].filter((k) => /^IHE_XDM\/[^/]+\/METADATA\.XML$/.test(k)).sort();
  if (!metadataPaths.length) {
    problems.push('IHE_XDM/<subset>/METADATA.XML missing');
    return { documents: [], problems };
  }
  if (metadataPaths.length > 1) problems.push(`${metadataPaths.length} subsets; only ${metadataPaths[0]!.split('/')[1]} read`);
  const metaUpper = metadataPaths[0]!;
  const subsetDir = metaUpper.slice(0, metaUpper.lastIndexOf('/') + 1);
  const subset = subsetDir.split('/')[1];
  let root: XmlElement;
  try {
    root = parseXmlTree(new TextDecoder('utf-8', { fatal: false }).decode(files[byUpper.get(metaUpper)!]!));
  } catch (err) {
    problems.push(`METADATA.XML: ${err instanceof XmlSyntaxError ? err.message : String(err)}`);
    return { subset, documents: [], problems };
  }
  if (root.name !== 'SubmitObjectsRequest') problems.push(`METADATA.XML: root is ${root.name}, expected lcm:SubmitObjectsRequest`);

  const packages = findAll(root, 'RegistryPackage');
  let submissionSet: XdmContent['submissionSet'];
  if (packages[0]) {
    const intended = childrenNamed(packages[0], 'Slot').find((s) => s.attrs.name === 'intendedRecipient');
    const recipients = intended ? findAll(intended, 'Value').map((v) => v.text.trim().split('^').pop() ?? '').filter(Boolean) : [];
    submissionSet = { ...readSubmissionSet(packages[0]), intendedRecipients: recipients };
  } else problems.push('METADATA.XML: no RegistryPackage (submission set)');

  const associations = findAll(root, 'Association').map(readAssociation);
  const documents: XdmDocument[] = [];
  const referenced = new Set<string>();
  for (const eo of findAll(root, 'ExtrinsicObject')) {
    const metadata = readDocumentEntry(eo);
    const slots = new Map(childrenNamed(eo, 'Slot').map((s) => [s.attrs.name ?? '', findAll(s, 'Value').map((v) => v.text.trim())]));
    const uri = slots.get('URI')?.[0];
    const action = slots.get(XDM_ACTION_SLOT)?.[0] ?? [...slots].find(([k]) => /(^|:)action$/i.test(k))?.[1][0];
    const label = metadata.uniqueId || metadata.entryUUID;
    if (!uri) {
      problems.push(`document ${label}: no URI slot`);
      continue;
    }
    const pathUpper = (subsetDir + uri.replace(/^\.?\//, '')).toUpperCase();
    const real = byUpper.get(pathUpper);
    if (!real) {
      problems.push(`document ${label}: ${uri} not found in ${subsetDir}`);
      continue;
    }
    referenced.add(pathUpper);
    const bytes = files[real]!;
    if (metadata.hash && metadata.hash.toLowerCase() !== sha1Hex(bytes)) problems.push(`document ${label}: hash ${metadata.hash} does not match ${uri}`);
    if (metadata.size !== undefined && metadata.size !== bytes.byteLength) problems.push(`document ${label}: size ${metadata.size} but ${uri} is ${bytes.byteLength} bytes`);
    if (!metadata.patientId) problems.push(`document ${label}: no patientId`);
    if (submissionSet?.patientId && metadata.patientId && metadata.patientId !== submissionSet.patientId) problems.push(`document ${label}: patientId differs from the submission set's`);
    const rplc = associations.find((a) => a.type === ASSOCIATION.rplc && a.sourceObject === metadata.entryUUID);
    const doc: XdmDocument = { path: real, bytes, metadata, uri };
    if (action) doc.action = action;
    if (rplc) doc.replacesEntryUUID = rplc.targetObject;
    documents.push(doc);
  }
  for (const key of byUpper.keys()) if (key.startsWith(subsetDir) && key !== metaUpper && !referenced.has(key)) problems.push(`${byUpper.get(key)} is not described in METADATA.XML`);
  if (!documents.length) problems.push('no document');
  return { subset, submissionSet, documents, problems };
}
