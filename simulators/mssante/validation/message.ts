/**
 * Validation of a submitted MSSanté message (notes §1.4, §2): the X-MSS-* headers, the subject convention,
 * the attachments (IHE_XDM.zip read safely, a PDF beside it), one patient per message and the INS
 * everywhere it appears. Pure: bytes in, verdicts out. Only a message that claims to carry a health
 * document (an IHE_XDM.zip, `X-MSS-CODECDA`/`X-MSS-INS`, an `XDM/1.0/DDM` subject) gets the document
 * rules; plain mail between professionals only gets the `X-MSS-NIL` warning.
 */
import type { Verdict } from '../../core/journal/journal.js';
import { decodeWords, headerValue, headerValues, parseMime, type MimePart } from '../mime/message.js';
import { INS_OIDS, validateXdm, type PatientId, type XdmDocument } from './xdm.js';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip.js';

export const SUBJECT_PREFIX = 'XDM/1.0/DDM+';
/** Subject prefix of an integration error notification (MDN or standard mail, notes §1.5). */
export const KO_PREFIX = /^\[KO Intégration système ! ?\]\[(\d{3})\] /;
const XDM_NAME = /^IHE_XDM\.ZIP$/i;

export interface ValidationContext {
  /** Accepted recipients (with their directory type: a PAT address carries the patient's matricule). */
  recipients?: { address: string; type?: string }[];
  zipLimits?: ZipLimits;
}

export interface Attachment {
  filename?: string;
  contentType: string;
  size: number;
}

export interface ValidationReport {
  verdicts: Verdict[];
  /** The message claims to carry a health document (document rules applied). */
  healthDocument: boolean;
  /** A receipt (multipart/report): document rules not applied. */
  receipt: boolean;
  subject?: string;
  headers: { nil?: string; ins?: string; codeCda?: string; mes?: string };
  attachments: Attachment[];
  documents: XdmDocument[];
  /** The patient of the message (INS matricule), when one was found. */
  patient?: string;
}

function filenameOf(part: MimePart): string | undefined {
  const name = part.disposition?.params.filename ?? part.contentType.params.name;
  return name === undefined ? undefined : decodeWords(name);
}

function leaves(part: MimePart, out: MimePart[] = [], depth = 0): MimePart[] {
  if (depth > 20) return out;
  if (part.children.length) for (const c of part.children) leaves(c, out, depth + 1);
  else out.push(part);
  return out;
}

/** The decoded body of a leaf part (base64, quoted-printable, or as is). */
export function partBody(raw: Buffer, part: MimePart): Buffer {
  const body = raw.subarray(part.bodyStart, part.bodyEnd);
  if (part.encoding === 'BASE64') return Buffer.from(body.toString('latin1'), 'base64');
  if (part.encoding === 'QUOTED-PRINTABLE') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return body;
}

const NIL_FORMAT = /^[\x21-\x7e]{1,64}$/;
const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const BIRTH_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;

export function validateMessage(raw: Buffer, ctx: ValidationContext = {}): ValidationReport {
  const verdicts: Verdict[] = [];
  const error = (rule: string, message: string) => verdicts.push({ level: 'error', rule, message });
  const warning = (rule: string, message: string) => verdicts.push({ level: 'warning', rule, message });
  const info = (rule: string, message: string) => verdicts.push({ level: 'info', rule, message });

  const mime = parseMime(raw);
  const root = mime.root;
  const one = (name: string): string | undefined => {
    const values = headerValues(root, name);
    if (values.length > 1) error('mss.header.duplicate', `${name} appears ${values.length} times (one value expected)`);
    const v = values[0];
    return v === undefined ? undefined : decodeWords(v).trim();
  };
  const headers = { nil: one('X-MSS-NIL'), ins: one('X-MSS-INS'), codeCda: one('X-MSS-CODECDA'), mes: one('X-MSS-MES') };
  const subjectRaw = headerValue(root, 'subject');
  const subject = subjectRaw === undefined ? undefined : decodeWords(subjectRaw).trim();
  const parts = leaves(root);
  const attachments: Attachment[] = parts
    .filter((p) => p !== root || p.disposition)
    .map((p) => ({ filename: filenameOf(p), contentType: p.contentType.value, size: p.bodyEnd - p.bodyStart }))
    .filter((a) => a.filename !== undefined || !a.contentType.startsWith('text/'));
  const xdmParts = parts.filter((p) => XDM_NAME.test(filenameOf(p) ?? ''));
  const receipt = root.contentType.value === 'multipart/report';
  const report: ValidationReport = { verdicts, healthDocument: false, receipt, subject, headers, attachments, documents: [] };

  // X-MSS-NIL: on every message (ECO.2.4.3); its value is the product reference, format not published.
  if (headers.nil === undefined) {
    // Decided below: an error on a health-document message, a warning on plain mail.
  } else if (!NIL_FORMAT.test(headers.nil)) warning('mss.header.nil.format', `X-MSS-NIL ${JSON.stringify(headers.nil)} is not a product reference (1-64 printable characters, no space)`);
  if (headers.mes !== undefined && headers.mes.toUpperCase() !== 'FIN') warning('mss.header.mes.format', `X-MSS-MES is ${JSON.stringify(headers.mes)}; the only value defined is FIN`);

  if (receipt) {
    if (headers.nil === undefined) warning('mss.header.nil', 'X-MSS-NIL is missing (every message sent by an LPS carries it, ECO.2.4.3)');
    info('mss.receipt', `multipart/report (${root.contentType.params['report-type'] ?? 'no report-type'}): a receipt, document rules not applied`);
    return report;
  }

  const subjectClaims = subject !== undefined && subject.replace(KO_PREFIX, '').toUpperCase().startsWith('XDM/1.0/DDM');
  const healthDocument = xdmParts.length > 0 || headers.codeCda !== undefined || headers.ins !== undefined || subjectClaims;
  report.healthDocument = healthDocument;
  if (!healthDocument) {
    if (headers.nil === undefined) warning('mss.header.nil', 'X-MSS-NIL is missing (every message sent by an LPS carries it, ECO.2.4.3)');
    return report;
  }
  if (headers.nil === undefined) error('mss.header.nil', 'X-MSS-NIL is missing (every message sent by an LPS carries it, ECO.2.4.3)');

  // The attachment.
  if (!xdmParts.length) {
    const named = [headers.codeCda !== undefined && 'X-MSS-CODECDA', headers.ins !== undefined && 'X-MSS-INS', subjectClaims && 'an XDM/1.0/DDM subject'].filter(Boolean).join(', ');
    error('mss.xdm.missing', `the message claims a health document (${named}) but has no IHE_XDM.zip attachment`);
  }
  if (xdmParts.length > 1) error('mss.xdm.count', `${xdmParts.length} IHE_XDM.zip attachments; one per message is expected`);
  const patients: PatientId[] = [];
  for (const part of xdmParts) {
    const name = filenameOf(part)!;
    if (part.contentType.value !== 'application/zip' && part.contentType.value !== 'application/x-zip-compressed' && part.contentType.value !== 'application/octet-stream') {
      warning('mss.xdm.content-type', `${name} is sent as ${part.contentType.value}; application/zip is expected`);
    }
    const xdm = validateXdm(partBody(raw, part), name, ctx.zipLimits ?? DEFAULT_ZIP_LIMITS);
    verdicts.push(...xdm.verdicts);
    report.documents.push(...xdm.documents);
    patients.push(...xdm.patients);
  }
  const cdas = report.documents.filter((d) => d.cdaCode !== undefined || d.cdaIds !== undefined);

  // One patient per message (ECO.2.1.1).
  const distinct = [...new Map(patients.filter((p) => p.ins).map((p) => [p.id, p])).values()];
  const others = [...new Map(patients.filter((p) => !p.ins).map((p) => [`${p.id}@${p.oid}`, p])).values()];
  if (distinct.length > 1) error('mss.patient.single', `the message concerns ${distinct.length} patients (${distinct.map((p) => p.id).join(', ')}); one patient per message (ECO.2.1.1)`);
  else if (!distinct.length && others.length > 1) error('mss.patient.single', `the message carries ${others.length} different patient identifiers (${others.map((p) => p.raw).join(', ')}); one patient per message (ECO.2.1.1)`);
  report.patient = distinct[0]?.id;

  // X-MSS-INS (ECO.2.4.2): O when a qualified INS is present, else N; only when a CDA is in the XDM.
  if (headers.ins === undefined) {
    if (xdmParts.length) error('mss.header.ins', 'X-MSS-INS is missing (O or N, required when a CDA travels in IHE_XDM.zip, ECO.2.4.2)');
  } else if (!/^[ON]$/.test(headers.ins)) error('mss.header.ins.format', `X-MSS-INS is ${JSON.stringify(headers.ins)}; O or N is expected`);
  else if (headers.ins === 'O' && xdmParts.length) {
    const metaIns = report.documents.filter((d) => d.patient);
    for (const d of metaIns) if (!d.patient!.ins) error('mss.header.ins.metadata', `X-MSS-INS: O but the patientId of ${d.uri} (${d.patient!.raw}) is not an INS (OID ${[...INS_OIDS.keys()].join(', ')})`);
    for (const d of cdas) if (!d.cdaPatient) error('mss.cda.ins', `X-MSS-INS: O but the CDA ${d.uri} has no INS in recordTarget/patientRole/id (integration error 903)`);
  } else if (headers.ins === 'N' && distinct.length) info('mss.header.ins.unqualified', `X-MSS-INS: N although an INS is present (${distinct[0]!.id}): the identity is declared not qualified`);

  // X-MSS-CODECDA (ECO.2.4.1): the CDA code(s), comma-separated.
  const cdaCodes = [...new Set(cdas.map((d) => d.cdaCode).filter((c): c is string => !!c))];
  if (headers.codeCda === undefined) {
    if (xdmParts.length) error('mss.header.codecda', `X-MSS-CODECDA is missing (the CDA code${cdaCodes.length ? `: ${cdaCodes.join(',')}` : ''}, required when a CDA travels in IHE_XDM.zip, ECO.2.4.1)`);
  } else {
    const codes = headers.codeCda.split(',').map((c) => c.trim());
    if (codes.some((c) => !CODE.test(c))) error('mss.header.codecda.format', `X-MSS-CODECDA ${JSON.stringify(headers.codeCda)} is not a comma-separated list of codes`);
    else if (cdas.length) {
      const declared = [...new Set(codes)].sort();
      const actual = [...cdaCodes].sort();
      if (declared.join(',') !== actual.join(',')) error('mss.header.codecda.match', `X-MSS-CODECDA is ${declared.join(',')}, the CDA documents have code ${actual.join(',') || '(none)'}`);
    }
  }

  // Subject (ECO.2.1.3): XDM/1.0/DDM+<libellé> <NOM> <prénom> [<JJ/MM/AAAA>].
  checkSubject(subject, error, warning);

  // A PDF copy of each CDA (ECO.2.1.1/2.1.5), named <date>_<type>_<NOM>_<prénom>[_<dossier>].pdf (ECO.2.1.6).
  if (xdmParts.length) {
    const pdfs = attachments.filter((a) => a.contentType === 'application/pdf' || /\.pdf$/i.test(a.filename ?? ''));
    if (!pdfs.length) warning('mss.attachment.pdf', 'no PDF attached beside IHE_XDM.zip (a PDF/A-1 copy of each CDA is expected, ECO.2.1.1)');
    for (const pdf of pdfs) {
      if (!/^\d{8}_[^_]+(?:_[^_]+){2,}\.pdf$/i.test(pdf.filename ?? '')) warning('mss.attachment.pdf.name', `PDF ${JSON.stringify(pdf.filename ?? '(no name)')} does not follow <AAAAMMJJ>_<type>_<NOM>_<prénom>[_<dossier>].pdf (ECO.2.1.6)`);
    }
  }

  // A Mon espace santé recipient is the patient: its address is <matricule INS>@patient...
  if (report.patient) {
    for (const r of ctx.recipients ?? []) {
      if (r.type !== 'PAT') continue;
      const local = r.address.slice(0, r.address.indexOf('@'));
      if (local !== report.patient) error('mss.patient.recipient', `the document concerns patient ${report.patient} but is sent to the Mon espace santé address of ${local}`);
    }
  }
  return report;
}

function checkSubject(subject: string | undefined, error: (r: string, m: string) => void, warning: (r: string, m: string) => void): void {
  if (subject === undefined || !subject) {
    error('mss.subject.prefix', `the subject is empty; ${SUBJECT_PREFIX}<libellé> <NOM> <prénom> <date de naissance> is expected (ECO.2.1.3)`);
    return;
  }
  const bare = subject.replace(KO_PREFIX, '');
  if (!bare.startsWith(SUBJECT_PREFIX)) {
    error('mss.subject.prefix', `the subject ${JSON.stringify(subject)} does not start with ${SUBJECT_PREFIX} (ECO.2.1.3)`);
    return;
  }
  const tokens = bare.slice(SUBJECT_PREFIX.length).trim().split(/\s+/).filter(Boolean);
  const last = tokens[tokens.length - 1] ?? '';
  const hasDate = /^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$/.test(last);
  const needed = hasDate ? 4 : 3;
  if (tokens.length < needed) {
    error('mss.subject.fields', `the subject ${JSON.stringify(subject)} lacks fields: <libellé> <NOM> <prénom> are mandatory after ${SUBJECT_PREFIX} (ECO.2.1.3)`);
    return;
  }
  if (hasDate) {
    const m = BIRTH_DATE.exec(last);
    const valid = m && Number(m[1]) >= 1 && Number(m[1]) <= 31 && Number(m[2]) >= 1 && Number(m[2]) <= 12;
    if (!valid) warning('mss.subject.birthdate', `the birth date ${JSON.stringify(last)} in the subject is not JJ/MM/AAAA`);
  }
  const nom = tokens[tokens.length - (hasDate ? 3 : 2)]!;
  if (nom !== nom.toUpperCase() || /[^\x00-\x7f]/.test(nom)) warning('mss.subject.nom', `the NOM ${JSON.stringify(nom)} in the subject is not upper-case without accents`);
}

export interface SmtpRefusal {
  code: number;
  enhanced: string;
  text: string;
}

/**
 * The reply a strict operator gives at DATA for a message with error verdicts: `554 5.6.0` (transaction
 * failed, media error: the content is refused, RFC 3463 X.6.0), naming the first rule.
 */
export function refusalFor(verdicts: readonly Verdict[]): SmtpRefusal | undefined {
  const errors = verdicts.filter((v) => v.level === 'error');
  const first = errors[0];
  if (!first) return undefined;
  const more = errors.length > 1 ? ` (+${errors.length - 1} other error${errors.length > 2 ? 's' : ''})` : '';
  let text = `Message refused by MSSanté content validation: ${first.rule}: ${first.message}`.replace(/[\r\n]+/g, ' ');
  if (text.length > 400) text = `${text.slice(0, 397)}...`;
  return { code: 554, enhanced: '5.6.0', text: `${text}${more}` };
}
