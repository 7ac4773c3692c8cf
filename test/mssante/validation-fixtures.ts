/** Test material for the MSSanté validation and receipts tests: IHE_XDM.zip archives (fflate) and raw messages. */
import { createHash } from 'node:crypto';
import { strToU8, zipSync, type Zippable } from 'fflate';
import nodemailer, { type SendMailOptions } from 'nodemailer';

export const INS_TEST_OID = '1.2.250.1.213.1.4.10';
export const DE_PATIENT = 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427';
export const SS_PATIENT = 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446';
export const DE_TYPE = 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1';

export interface XdmDoc {
  /** File name in SUBSET01. */
  name?: string;
  code?: string;
  /** INS in the CDA recordTarget (undefined: none; a local id is given instead). */
  cdaIns?: string;
  /** CX patientId in METADATA.XML (default: the CDA INS with the test OID). */
  patientId?: string;
  /** Override METADATA size/hash/URI. */
  size?: string;
  hash?: string;
  uri?: string;
  /** Do not store the file in the zip. */
  omitFile?: boolean;
}

export interface XdmOptions {
  docs?: XdmDoc[];
  omitIndex?: boolean;
  omitReadme?: boolean;
  omitMetadata?: boolean;
  /** Replaces METADATA.XML entirely. */
  metadata?: string;
  /** Extra entries. */
  extra?: Record<string, Uint8Array>;
}

export function cx(ins: string, oid = INS_TEST_OID): string {
  return `${ins}^^^&${oid}&ISO^NH`;
}

export function cda(code: string, ins: string | undefined, title = 'Compte rendu de consultation'): string {
  const id = ins ? `<id root="${INS_TEST_OID}" extension="${ins}"/>` : '<id root="1.2.250.1.999.7.1" extension="IPP-42"/>';
  return `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="1.2.250.1.999.1.1" extension="DOC-${code}"/>
  <code code="${code}" codeSystem="2.16.840.1.113883.6.1" displayName="${title}"/>
  <title>${title}</title>
  <recordTarget><patientRole>${id}<patient><name><family qualifier="BR">CORSE</family><given>FIGATELLIX</given></name><administrativeGenderCode code="M" codeSystem="2.16.840.1.113883.5.1"/><birthTime value="19881012"/></patient></patientRole></recordTarget>
</ClinicalDocument>
`;
}

function metadataXml(entries: { id: string; uri: string; size: string; hash: string; patientId: string }[], ssPatient: string | undefined): string {
  const eos = entries
    .map(
      (e) => `    <rim:ExtrinsicObject id="${e.id}" mimeType="text/xml" objectType="${DE_TYPE}">
      <rim:Slot name="URI"><rim:ValueList><rim:Value>${e.uri}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="size"><rim:ValueList><rim:Value>${e.size}</rim:Value></rim:ValueList></rim:Slot>
      <rim:Slot name="hash"><rim:ValueList><rim:Value>${e.hash}</rim:Value></rim:ValueList></rim:Slot>
      <rim:ExternalIdentifier id="${e.id}-pid" registryObject="${e.id}" identificationScheme="${DE_PATIENT}" value="${e.patientId.replace(/&/g, '&amp;')}"/>
    </rim:ExtrinsicObject>`,
    )
    .join('\n');
  const ss = ssPatient ? `<rim:ExternalIdentifier id="ss-pid" registryObject="SubmissionSet01" identificationScheme="${SS_PATIENT}" value="${ssPatient.replace(/&/g, '&amp;')}"/>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
  <rim:RegistryObjectList>
${eos}
    <rim:RegistryPackage id="SubmissionSet01">${ss}</rim:RegistryPackage>
  </rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
`;
}

export function buildXdm(ins: string, opts: XdmOptions = {}): Uint8Array {
  const docs = opts.docs ?? [{ code: '11488-4', cdaIns: ins }];
  const files: Zippable = {};
  if (!opts.omitIndex) files['INDEX.HTM'] = strToU8('<html><body><a href="README.TXT">README</a> <a href="IHE_XDM/SUBSET01/DOC0001.XML">DOC0001</a></body></html>');
  if (!opts.omitReadme) files['README.TXT'] = strToU8('segur-sim test sender\r\nIHE_XDM/SUBSET01/DOC0001.XML\r\n');
  const entries = docs.map((d, i) => {
    const name = d.name ?? `DOC${String(i + 1).padStart(4, '0')}.XML`;
    const bytes = strToU8(cda(d.code ?? '11488-4', d.cdaIns));
    if (!d.omitFile) files[`IHE_XDM/SUBSET01/${name}`] = bytes;
    return {
      id: `Document${String(i + 1).padStart(2, '0')}`,
      uri: d.uri ?? name,
      size: d.size ?? String(bytes.length),
      hash: d.hash ?? createHash('sha1').update(bytes).digest('hex'),
      patientId: d.patientId ?? cx(d.cdaIns ?? ins),
    };
  });
  if (!opts.omitMetadata) files['IHE_XDM/SUBSET01/METADATA.XML'] = strToU8(opts.metadata ?? metadataXml(entries, entries[0]?.patientId));
  Object.assign(files, opts.extra ?? {});
  return zipSync(files, { level: 6 });
}

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
export const PDF_NAME = '20240115_CR_consultation_CORSE_FIGATELLIX.pdf';

export interface MailSpec {
  from: string;
  to: string | string[];
  subject?: string;
  headers?: Record<string, string>;
  xdm?: Uint8Array | false;
  xdmName?: string;
  pdf?: boolean;
  dnt?: string;
  text?: string;
}

/** A valid document message for `ins` unless `spec` says otherwise. */
export function documentMail(ins: string, spec: MailSpec): SendMailOptions {
  const headers: Record<string, string> = { 'X-MSS-NIL': 'NIL-SEGUR-0042', 'X-MSS-CODECDA': '11488-4', 'X-MSS-INS': 'O', ...(spec.dnt ? { 'Disposition-Notification-To': spec.dnt } : {}) };
  for (const [k, v] of Object.entries(spec.headers ?? {})) {
    if (v === '') delete headers[k];
    else headers[k] = v;
  }
  const attachments: SendMailOptions['attachments'] = [];
  if (spec.xdm !== false) attachments.push({ filename: spec.xdmName ?? 'IHE_XDM.zip', content: Buffer.from(spec.xdm ?? buildXdm(ins)), contentType: 'application/zip' });
  if (spec.pdf !== false) attachments.push({ filename: PDF_NAME, content: PDF, contentType: 'application/pdf' });
  return {
    from: spec.from,
    to: spec.to,
    subject: spec.subject ?? 'XDM/1.0/DDM+Compte rendu de consultation CORSE FIGATELLIX 12/10/1988',
    text: spec.text ?? 'Bonjour, veuillez trouver ci-joint le compte rendu.',
    headers,
    attachments,
  };
}

/** The raw RFC 5322 bytes nodemailer would send. */
export async function compose(options: SendMailOptions): Promise<Buffer> {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = (await t.sendMail(options)) as unknown as { message: Buffer };
  return info.message;
}
