/**
 * The IHE_XDM.zip of an MSSanté message (notes §2.2, §2.3): layout (README.TXT, INDEX.HTM,
 * IHE_XDM/SUBSETxx/METADATA.XML + documents), METADATA.XML as an ebRIM SubmitObjectsRequest (parsed by the
 * core parser: a DOCTYPE is an error verdict, never a crash), the documents it names (present, size, SHA-1),
 * the patient of every DocumentEntry / SubmissionSet and of every CDA `recordTarget`.
 */
import { createHash } from 'node:crypto';
import { parseXml, XmlSyntaxError, type XmlEl } from '../../core/xml/tree.js';
import type { Verdict } from '../../core/journal/journal.js';
import { DEFAULT_ZIP_LIMITS, readZip, type ZipLimits } from './zip.js';

/** INS OIDs (notes §2.3): NIR, NIA, test NIR, demonstration. */
export const INS_OIDS: ReadonlyMap<string, string> = new Map([
  ['1.2.250.1.213.1.4.8', 'NIR'],
  ['1.2.250.1.213.1.4.9', 'NIA'],
  ['1.2.250.1.213.1.4.10', 'NIR de test'],
  ['1.2.250.1.213.1.4.11', 'NIR de démonstration'],
]);

/** IHE ITI TF-3 UUIDs (notes §2.2). */
export const XDS_UUIDS = {
  documentEntry: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  dePatientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
  ssPatientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
} as const;

export interface PatientId {
  /** As written in METADATA.XML (CX) or built from the CDA id (`extension^^^&root&ISO`). */
  raw: string;
  id: string;
  oid: string;
  /** True when the assigning authority is one of the INS OIDs. */
  ins: boolean;
  source: string;
}

export interface XdmDocument {
  /** Path in the zip. */
  path: string;
  uri: string;
  mimeType?: string;
  /** CDA `ClinicalDocument/code/@code`, when the document is a CDA. */
  cdaCode?: string;
  cdaTitle?: string;
  patient?: PatientId;
  cdaPatient?: PatientId;
  /** Every id of the CDA recordTarget (INS or not). */
  cdaIds?: string[];
}

export interface XdmReport {
  verdicts: Verdict[];
  /** Readable as a zip (layout checks ran). */
  readable: boolean;
  documents: XdmDocument[];
  /** Every patient identifier met (metadata and CDA). */
  patients: PatientId[];
  subsets: string[];
}

/** Longest text kept per CDA element: the header fields read here (title, ids) are far shorter. */
const CDA_HEADER_TEXT = 4096;

const CX = /^([^^&]+)\^\^\^&([0-9]+(?:\.[0-9]+)*)&ISO(?:\^([A-Z]+))?$/;

export function parseCx(value: string, source: string): PatientId | undefined {
  const m = CX.exec(value.trim());
  if (!m) return undefined;
  return { raw: value.trim(), id: m[1]!, oid: m[2]!, ins: INS_OIDS.has(m[2]!), source };
}

function descendants(el: XmlEl, name: string, out: XmlEl[] = [], depth = 0): XmlEl[] {
  if (depth > 64) return out;
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    descendants(c, name, out, depth + 1);
  }
  return out;
}

function slotValues(el: XmlEl, name: string): string[] | undefined {
  const slot = el.children.find((c) => c.name === 'Slot' && c.attrs.name === name);
  if (!slot) return undefined;
  return descendants(slot, 'Value').map((v) => v.text);
}

/** The URI slot: one value, or several `n|part` values to join (XDS long URIs). */
function uriOf(values: string[]): string {
  if (values.length > 1 && values.every((v) => /^\d+\|/.test(v))) {
    return values
      .map((v) => [Number(v.slice(0, v.indexOf('|'))), v.slice(v.indexOf('|') + 1)] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, v]) => v)
      .join('');
  }
  return values[0] ?? '';
}

function externalId(el: XmlEl, scheme: string): string | undefined {
  return el.children.find((c) => c.name === 'ExternalIdentifier' && c.attrs.identificationScheme === scheme)?.attrs.value;
}

function unsafeName(name: string): boolean {
  return name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || name.split(/[\\/]/).includes('..');
}

/** Validates one IHE_XDM.zip. `label` names it in the verdicts (its file name). */
export function validateXdm(zip: Uint8Array, label: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): XdmReport {
  const verdicts: Verdict[] = [];
  const documents: XdmDocument[] = [];
  const patients: PatientId[] = [];
  const subsets: string[] = [];
  const error = (rule: string, message: string) => verdicts.push({ level: 'error', rule, message });
  const warning = (rule: string, message: string) => verdicts.push({ level: 'warning', rule, message });

  const reading = readZip(zip, limits);
  if (!reading.ok) {
    error(reading.reason === 'limits' ? 'mss.xdm.limits' : 'mss.xdm.zip', `${label}: ${reading.message}`);
    return { verdicts, readable: false, documents, patients, subsets };
  }
  const entries = reading.entries;
  const names = [...entries.keys()].filter((n) => !n.endsWith('/'));
  const byUpper = new Map(names.map((n) => [n.toUpperCase(), n]));
  for (const n of names) if (unsafeName(n)) error('mss.xdm.entry-name', `${label}: entry name ${JSON.stringify(n)} leaves the archive (absolute path or ..)`);
  if (!byUpper.has('INDEX.HTM')) error('mss.xdm.layout.index', `${label}: INDEX.HTM is missing at the root of the archive (IHE XDM layout)`);
  if (!byUpper.has('README.TXT')) error('mss.xdm.layout.readme', `${label}: README.TXT is missing at the root of the archive (IHE XDM layout)`);
  const metadataFiles = names.filter((n) => /^IHE_XDM\/[^/]+\/METADATA\.XML$/i.test(n));
  if (!metadataFiles.length) {
    error('mss.xdm.layout.metadata', `${label}: no IHE_XDM/SUBSETnn/METADATA.XML in the archive`);
    return { verdicts, readable: true, documents, patients, subsets };
  }
  for (const metaPath of metadataFiles) {
    const dir = metaPath.slice(0, metaPath.lastIndexOf('/') + 1);
    subsets.push(dir.slice(0, -1));
    if (metaPath !== metaPath.toUpperCase()) warning('mss.xdm.layout.case', `${label}: ${metaPath} is not upper-case (ISO 9660 names: IHE_XDM/SUBSET01/METADATA.XML)`);
    let root: XmlEl;
    try {
      root = parseXml(entries.get(metaPath)!);
    } catch (err) {
      if (err instanceof XmlSyntaxError && err.reason === 'doctype') error('mss.xdm.metadata.doctype', `${label}: ${metaPath} declares a DOCTYPE (refused: no DTD or entity is accepted)`);
      else if (err instanceof XmlSyntaxError) error('mss.xdm.metadata.xml', `${label}: ${metaPath} is not well-formed XML (line ${err.line}, column ${err.column}: ${err.message})`);
      else error('mss.xdm.metadata.xml', `${label}: ${metaPath} could not be read (${(err as Error).message})`);
      continue;
    }
    if (root.name !== 'SubmitObjectsRequest') {
      error('mss.xdm.metadata.root', `${label}: ${metaPath} root is <${root.name}>, an ebRIM 3.0 lcm:SubmitObjectsRequest is expected`);
      continue;
    }
    const entriesXml = descendants(root, 'ExtrinsicObject');
    if (!entriesXml.length) error('mss.xdm.metadata.documents', `${label}: ${metaPath} has no ExtrinsicObject (DocumentEntry)`);
    for (const pkg of descendants(root, 'RegistryPackage')) {
      const value = externalId(pkg, XDS_UUIDS.ssPatientId);
      if (value === undefined) continue;
      const p = parseCx(value, `${metaPath} SubmissionSet.patientId`);
      if (p) patients.push(p);
      else error('mss.xdm.metadata.patientId', `${label}: SubmissionSet.patientId ${JSON.stringify(value)} is not a CX identifier (id^^^&OID&ISO)`);
    }
    for (const eo of entriesXml) {
      const id = eo.attrs.id ?? '(no id)';
      if (eo.attrs.objectType && eo.attrs.objectType !== XDS_UUIDS.documentEntry) warning('mss.xdm.metadata.objectType', `${label}: ExtrinsicObject ${id} objectType is ${eo.attrs.objectType}, not the stable DocumentEntry type`);
      const uriValues = slotValues(eo, 'URI');
      const uri = uriValues ? uriOf(uriValues) : '';
      if (!uri) {
        error('mss.xdm.metadata.uri', `${label}: DocumentEntry ${id} has no URI slot (the document's file name in ${dir.slice(0, -1)})`);
        continue;
      }
      const doc: XdmDocument = { path: `${dir}${uri}`, uri, mimeType: eo.attrs.mimeType };
      documents.push(doc);
      const patientValue = externalId(eo, XDS_UUIDS.dePatientId);
      if (patientValue === undefined) error('mss.xdm.metadata.patientId', `${label}: DocumentEntry ${id} has no patientId (ExternalIdentifier ${XDS_UUIDS.dePatientId})`);
      else {
        const p = parseCx(patientValue, `${metaPath} DocumentEntry ${id}`);
        if (!p) error('mss.xdm.metadata.patientId', `${label}: DocumentEntry ${id} patientId ${JSON.stringify(patientValue)} is not a CX identifier (matricule^^^&OID&ISO^NH)`);
        else {
          doc.patient = p;
          patients.push(p);
        }
      }
      let name = byUpper.get(doc.path.toUpperCase());
      if (!name || unsafeName(uri)) {
        error('mss.xdm.metadata.uri.missing', `${label}: DocumentEntry ${id} names ${uri}, which is not in ${dir.slice(0, -1)}`);
        continue;
      }
      if (name !== doc.path) warning('mss.xdm.layout.case', `${label}: ${doc.path} is stored as ${name}`);
      doc.path = name;
      const bytes = entries.get(name)!;
      const size = slotValues(eo, 'size')?.[0];
      if (size !== undefined && Number(size) !== bytes.length) error('mss.xdm.metadata.size', `${label}: DocumentEntry ${id} size is ${size}, ${name} has ${bytes.length} bytes`);
      const hash = slotValues(eo, 'hash')?.[0];
      if (hash !== undefined) {
        const actual = createHash('sha1').update(bytes).digest('hex');
        if (hash.toLowerCase() !== actual) error('mss.xdm.metadata.hash', `${label}: DocumentEntry ${id} hash is ${hash}, the SHA-1 of ${name} is ${actual}`);
      }
      if (/xml/i.test(doc.mimeType ?? '') || /\.xml$/i.test(name)) readCda(bytes, doc, label, verdicts);
      if (doc.cdaPatient) patients.push(doc.cdaPatient);
      if (doc.patient && doc.cdaPatient && (doc.patient.id !== doc.cdaPatient.id || doc.patient.oid !== doc.cdaPatient.oid)) {
        error('mss.patient.metadata-cda', `${label}: DocumentEntry ${id} patientId ${doc.patient.raw} differs from the CDA recordTarget INS ${doc.cdaPatient.raw}`);
      }
    }
  }
  return { verdicts, readable: true, documents, patients, subsets };
}

/** Reads the CDA header of a document: code, title, recordTarget ids. Not a CDA → nothing (other XML). */
function readCda(bytes: Uint8Array, doc: XdmDocument, label: string, verdicts: Verdict[]): void {
  let root: XmlEl;
  try {
    // Only the header is read: the body's text (an embedded PDF, often most of the bytes) is not kept.
    root = parseXml(bytes, { maxText: CDA_HEADER_TEXT });
  } catch (err) {
    const reason = err instanceof XmlSyntaxError && err.reason === 'doctype' ? 'declares a DOCTYPE (refused)' : `is not well-formed XML (${(err as Error).message})`;
    verdicts.push({ level: 'error', rule: 'mss.cda.xml', message: `${label}: ${doc.path} ${reason}` });
    return;
  }
  if (root.name !== 'ClinicalDocument') return;
  const code = root.children.find((c) => c.name === 'code');
  doc.cdaCode = code?.attrs.code;
  doc.cdaTitle = root.children.find((c) => c.name === 'title')?.text;
  if (!doc.cdaCode) verdicts.push({ level: 'error', rule: 'mss.cda.code', message: `${label}: ${doc.path} ClinicalDocument has no code/@code` });
  const roles = root.children.filter((c) => c.name === 'recordTarget').flatMap((rt) => rt.children.filter((c) => c.name === 'patientRole'));
  if (roles.length > 1) verdicts.push({ level: 'error', rule: 'mss.patient.single', message: `${label}: ${doc.path} has ${roles.length} recordTarget patients` });
  const ids = roles.flatMap((r) => r.children.filter((c) => c.name === 'id'));
  doc.cdaIds = ids.map((i) => `${i.attrs.extension ?? ''}^^^&${i.attrs.root ?? ''}&ISO`);
  const ins = ids.find((i) => i.attrs.root && INS_OIDS.has(i.attrs.root) && i.attrs.extension);
  if (ins) doc.cdaPatient = { raw: `${ins.attrs.extension}^^^&${ins.attrs.root}&ISO^NH`, id: ins.attrs.extension!, oid: ins.attrs.root!, ins: true, source: `${doc.path} recordTarget` };
}
