/**
 * Sending MSSanté documents (notes §1.4, §2): nodemailer over SMTP submission with STARTTLS and SASL
 * XOAUTH2 (a Pro Santé Connect access token) — or PLAIN in segur-sim's trainer mode —, one patient per
 * message, `IHE_XDM.zip` + one PDF per document, the subject convention
 * `XDM/1.0/DDM+<libellé> <NOM> <prénom> <JJ/MM/AAAA>` and the `X-MSS-*` headers. Replacement (RPLC) and
 * deletion requests per §2.4. SMTP refusals become `MssanteSmtpError` (code, enhanced status, stage).
 */
import nodemailer from 'nodemailer';
import { buildPdf } from '../../fixtures/documents/pdf.js';
import type { BuiltDocument, XdsSubmissionSetMetadata } from '../../fixtures/documents/types.js';
import { parsePatientCx } from '../dmp/ebrim.js';
import { readCdaHeader, type PatientTraits } from './cda.js';
import { enhancedStatus, MssanteInputError, MssanteSmtpError, type RefusedRecipient, type SmtpStage } from './errors.js';
import { buildXdm, XDM_ZIP_NAME, type XdmReadme } from './xdm.js';

export interface MssanteSenderOptions {
  smtp: { host: string; port: number; /** Implicit TLS (not offered by MSSanté operators; default false = STARTTLS). */ secure?: boolean };
  /** TLS: trust anchors (segur-sim: `<dataDir>/pki/ca/ca-bundle.pem`), server name (segur-sim: `localhost`), client certificate. */
  tls?: { ca?: string | string[]; servername?: string; cert?: string; key?: string; minVersion?: 'TLSv1.2' | 'TLSv1.3' };
  /**
   * Login. `user` is the mailbox address; with segur-sim add `+<sandbox>` (or give `sandbox`). XOAUTH2
   * with `accessToken` (PSC), or `password` (segur-sim trainer mode only). No auth: applicative mailbox
   * authenticated by its TLS client certificate.
   */
  auth?: { user: string; sandbox?: string; accessToken?: string; password?: string };
  /** `X-MSS-NIL`: the product reference obtained on convergence.esante.gouv.fr; sent on every message. */
  nil: string;
  /** Written in README.TXT of the XDM. */
  application?: { name: string; version?: string; vendor?: string };
  /** Connection timeouts in ms (default 30 000). */
  timeoutMs?: number;
}

/** The patient of a message: INS (qualified or not) and traits. */
export interface MssPatient extends PatientTraits {
  /** INS matricule (15 characters). */
  ins?: string;
  insOid?: string;
  /** Qualified identity (INSi-verified): `X-MSS-INS: O` needs it with the INS and the four traits. */
  qualified?: boolean;
}

export interface SendDocumentsInput {
  /** Sender mailbox (MAIL FROM and From); with a display name: `{ name, address }`. */
  from: string | { name: string; address: string };
  to: string[];
  cc?: string[];
  patient: MssPatient;
  documents: BuiltDocument[];
  submissionSet: XdsSubmissionSetMetadata;
  /** Human text of the message (UTF-8 text/plain). */
  body: string;
  /** `Disposition-Notification-To` = the sender (MDN, accusé de lecture). */
  requestReadReceipt?: boolean;
  /** ESMTP DSN (accusé de réception): NOTIFY, RET, ENVID. */
  dsn?: { notify?: ('SUCCESS' | 'FAILURE' | 'DELAY')[] | 'NEVER'; ret?: 'FULL' | 'HDRS'; envid?: string };
  /** PDFs to attach (default: the embedded PDF of N1 documents, a generated one for the others). */
  pdfs?: { filename: string; content: Uint8Array }[];
  /** `X-MSS-MES: FIN` (to a patient: no reply wanted). */
  closeConversation?: boolean;
  replyTo?: string;
  inReplyTo?: string;
  references?: string[];
  /** Marker at the start of the libellé, e.g. `[Annule et remplace]`. */
  subjectMarker?: string;
  /** Libellé in the subject (default: type display name, or "N documents"). */
  label?: string;
  /** Extra headers. */
  headers?: Record<string, string>;
  /** Forwarded to buildXdm. */
  deleteUniqueIds?: string[];
  messageId?: string;
  date?: Date;
}

export interface SendResult {
  messageId: string;
  subject: string;
  accepted: string[];
  /** Recipients refused at RCPT while others were accepted. */
  rejected: RefusedRecipient[];
  /** Final SMTP reply (`250 2.6.0 Ok: queued as …`). */
  response: string;
  /** Queue id parsed from the reply, when present. */
  queueId?: string;
  /** The XDM attached. */
  xdm: Uint8Array;
  headers: Record<string, string>;
}

const ASCII_FOLD = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');

/** `NOM` upper case without accents. */
function upperName(s: string): string {
  return ASCII_FOLD(s).toUpperCase().trim();
}

function frDate(iso: string | undefined): string | undefined {
  const m = iso && /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : undefined;
}

/**
 * `XDM/1.0/DDM+<libellé> <NOM> <prénom> <JJ/MM/AAAA>` (ECO.2.1.3). A `marker` (`[Annule et remplace]`)
 * goes at the start of the libellé, so the subject still starts with `XDM/1.0/DDM+` as receivers and
 * validators expect.
 */
export function xdmSubject(label: string, patient: PatientTraits, marker?: string): string {
  const l = label.length > 40 ? label.slice(0, 40).trim() : label;
  return [`XDM/1.0/DDM+${marker ? `${marker} ` : ''}${l}`, upperName(patient.birthName), patient.firstName.trim(), frDate(patient.birthDate)].filter(Boolean).join(' ');
}

function fileToken(s: string): string {
  return ASCII_FOLD(s).replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/** `<date de l'acte>_<type document>_<NOM>_<prénom>.pdf` (ECO.2.1.6). */
export function pdfFileName(doc: BuiltDocument, patient: PatientTraits): string {
  const date = (doc.metadata.serviceStartTime ?? doc.metadata.creationTime).slice(0, 8);
  return `${date}_${fileToken(doc.metadata.typeCode.display || doc.metadata.typeCode.code)}_${fileToken(upperName(patient.birthName))}_${fileToken(patient.firstName)}.pdf`;
}

function embeddedPdf(doc: BuiltDocument): Uint8Array | undefined {
  const xml = new TextDecoder().decode(doc.content);
  const m = /<text[^>]*mediaType="application\/pdf"[^>]*>([\s\S]*?)<\/text>/.exec(xml);
  return m ? new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : undefined;
}

/** A PDF rendering of a document for the mail: the embedded one (N1), else a generated summary. */
export function pdfOf(doc: BuiltDocument, patient: PatientTraits): Uint8Array {
  const embedded = embeddedPdf(doc);
  if (embedded) return embedded;
  const cda = new TextDecoder().decode(doc.content);
  const narrative = [...cda.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]!).slice(1, 40);
  return buildPdf({
    title: doc.metadata.title,
    lines: [`Patient : ${upperName(patient.birthName)} ${patient.firstName} ${frDate(patient.birthDate) ?? ''}`, `Document : ${doc.metadata.typeCode.display} (${doc.metadata.uniqueId})`, '', ...narrative],
  });
}

/** `X-MSS-INS: O` only for a qualified INS with the four traits (ECO.2.4.2). */
function insFlag(p: MssPatient): 'O' | 'N' {
  return p.qualified && p.ins && p.birthName && p.firstName && p.birthDate && p.sex ? 'O' : 'N';
}

function stageOf(command: string | undefined, code: string | undefined): SmtpStage {
  const c = (command ?? '').toUpperCase();
  if (c.startsWith('AUTH') || code === 'EAUTH') return 'auth';
  if (c.startsWith('MAIL')) return 'mail';
  if (c.startsWith('RCPT')) return 'rcpt';
  if (c.startsWith('DATA') || c === '.' || c.startsWith('BDAT')) return 'data';
  if (code === 'ETLS' || c === 'STARTTLS') return 'tls';
  if (c === 'CONN' || c === 'GREETING' || c.startsWith('EHLO') || c.startsWith('HELO') || code === 'ECONNECTION' || code === 'ESOCKET' || code === 'ETIMEDOUT' || code === 'EDNS') return 'connect';
  return 'unknown';
}

interface NodemailerError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  rejected?: string[];
  rejectedErrors?: NodemailerError[];
  recipient?: string;
}

function refused(e: NodemailerError): RefusedRecipient {
  return { address: e.recipient ?? '', code: e.responseCode, enhanced: enhancedStatus(e.response), response: e.response };
}

/** nodemailer error → MssanteSmtpError. */
export function smtpErrorOf(err: unknown): MssanteSmtpError {
  const e = err as NodemailerError;
  const recipients = (e.rejectedErrors ?? []).map(refused);
  const first = e.rejectedErrors?.[e.rejectedErrors.length - 1];
  const code = e.responseCode ?? first?.responseCode;
  const response = e.response ?? first?.response;
  const stage = stageOf(e.command ?? first?.command, e.code);
  return new MssanteSmtpError(`MSSanté SMTP ${stage}: ${response ?? e.message}`, stage, code, enhancedStatus(response), response, recipients, err);
}

function checkOnePatient(input: { patient: MssPatient; documents: BuiltDocument[]; submissionSet: XdsSubmissionSetMetadata }): void {
  if (!input.documents.length) throw new MssanteInputError('no document to send', 'documents');
  const ids = new Set(input.documents.map((d) => d.metadata.patientId));
  if (ids.size > 1) throw new MssanteInputError('one patient per message (ECO.2.1.1): the documents belong to several patients', 'documents');
  const [pid] = ids;
  if (input.submissionSet.patientId !== pid) throw new MssanteInputError('the submission set names another patient than the documents', 'submissionSet');
  const cx = parsePatientCx(pid!);
  if (input.patient.ins && cx && cx.ins !== input.patient.ins) throw new MssanteInputError(`patient INS ${input.patient.ins} differs from the documents' ${cx.ins}`, 'patient');
  for (const f of ['birthName', 'firstName'] as const) if (!input.patient[f]?.trim()) throw new MssanteInputError(`patient.${f} is required (subject convention)`, `patient.${f}`);
}

export class MssanteSender {
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(private readonly options: MssanteSenderOptions) {
    if (!options.nil) throw new MssanteInputError('nil (X-MSS-NIL product reference) is required', 'nil');
    const a = options.auth;
    const user = a ? (a.sandbox ? `${a.user}+${a.sandbox}` : a.user) : undefined;
    const timeout = options.timeoutMs ?? 30_000;
    this.transport = nodemailer.createTransport({
      host: options.smtp.host,
      port: options.smtp.port,
      secure: options.smtp.secure ?? false,
      requireTLS: !options.smtp.secure,
      tls: { minVersion: 'TLSv1.2', ...(options.tls ?? {}) },
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(a && user ? { auth: a.accessToken ? { type: 'OAuth2' as const, user, accessToken: a.accessToken } : { user, pass: a.password ?? '' } } : {}),
    });
  }

  /** The mailbox part of the login (without `+sandbox`). */
  get mailbox(): string | undefined {
    return this.options.auth?.user.replace(/\+[^@+]*$/, '');
  }

  /** One patient's documents in IHE_XDM.zip + PDFs, with the X-MSS-* headers. */
  async sendDocuments(input: SendDocumentsInput): Promise<SendResult> {
    checkOnePatient(input);
    if (!input.to.length) throw new MssanteInputError('no recipient', 'to');
    const fromAddress = typeof input.from === 'string' ? input.from : input.from.address;
    const xdm = buildXdm({
      documents: input.documents,
      submissionSet: input.submissionSet,
      intendedRecipients: input.to,
      deleteUniqueIds: input.deleteUniqueIds,
      readme: { sender: fromAddress, application: this.options.application },
    });
    const label = input.label ?? (input.documents.length > 1 ? `${input.documents.length} documents` : input.documents[0]!.metadata.typeCode.display || input.documents[0]!.metadata.title);
    const subject = xdmSubject(label, input.patient, input.subjectMarker);
    const cdaCodes = [...new Set(input.documents.filter((d) => readCdaHeader(d.content)).map((d) => d.metadata.typeCode.code))];
    const headers: Record<string, string> = { 'X-MSS-NIL': this.options.nil };
    if (cdaCodes.length) {
      headers['X-MSS-CODECDA'] = cdaCodes.join(',');
      headers['X-MSS-INS'] = insFlag(input.patient);
    }
    if (input.closeConversation) headers['X-MSS-MES'] = 'FIN';
    if (input.requestReadReceipt) headers['Disposition-Notification-To'] = fromAddress;
    Object.assign(headers, input.headers ?? {});
    const pdfs = input.pdfs ?? input.documents.map((d) => ({ filename: pdfFileName(d, input.patient), content: pdfOf(d, input.patient) }));
    const dsn = input.dsn
      ? { notify: input.dsn.notify === 'NEVER' ? 'NEVER' : (input.dsn.notify ?? ['FAILURE']), ...(input.dsn.ret ? { return: input.dsn.ret } : {}), ...(input.dsn.envid ? { id: input.dsn.envid } : {}) }
      : undefined;
    try {
      const info = await this.transport.sendMail({
        from: input.from,
        to: input.to,
        ...(input.cc?.length ? { cc: input.cc } : {}),
        subject,
        text: input.body,
        textEncoding: 'quoted-printable',
        headers,
        ...(input.messageId ? { messageId: input.messageId } : {}),
        ...(input.date ? { date: input.date } : {}),
        ...(input.replyTo ? { replyTo: input.replyTo } : {}),
        ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}),
        ...(input.references?.length ? { references: input.references } : {}),
        ...(dsn ? { dsn } : {}),
        attachments: [
          { filename: XDM_ZIP_NAME, content: Buffer.from(xdm), contentType: 'application/zip' },
          ...pdfs.map((p) => ({ filename: p.filename, content: Buffer.from(p.content), contentType: 'application/pdf' })),
        ],
      });
      const sent = info as unknown as { messageId: string; accepted: string[]; rejected: string[]; response: string; rejectedErrors?: NodemailerError[] };
      const rejected = (sent.rejectedErrors ?? []).map(refused);
      for (const r of sent.rejected ?? []) if (!rejected.some((x) => x.address === r)) rejected.push({ address: r });
      const queueId = /queued as ([A-Za-z0-9]+)/.exec(sent.response)?.[1];
      return { messageId: sent.messageId, subject, accepted: sent.accepted.map(String), rejected, response: sent.response, ...(queueId ? { queueId } : {}), xdm, headers };
    } catch (err) {
      throw smtpErrorOf(err);
    }
  }

  /**
   * "Annule et remplace" (§2.4): the new version (built with `replacementOf`: same setId, version + 1,
   * CDA relatedDocument RPLC) in a new XDM whose RPLC association targets the old entry, to the same
   * recipients; libellé marked `[Annule et remplace]`, In-Reply-To / References to the first mail.
   */
  async sendUpdate(input: Omit<SendDocumentsInput, 'documents'> & { document: BuiltDocument; originalMessageId?: string }): Promise<SendResult> {
    if (!input.document.replaces) throw new MssanteInputError('the new version has no `replaces` (build it with replacementOf)', 'document');
    const { document, originalMessageId, ...rest } = input;
    return this.sendDocuments({
      ...rest,
      documents: [document],
      subjectMarker: rest.subjectMarker ?? '[Annule et remplace]',
      ...(originalMessageId ? { inReplyTo: originalMessageId, references: [...(rest.references ?? []), originalMessageId] } : {}),
    });
  }

  /**
   * Deletion request (§2.4): the document again in the XDM with the extra metadata action = `D`, a body
   * saying it must be deleted, libellé marked `[Demande de suppression]` [I].
   */
  async sendDeletion(input: Omit<SendDocumentsInput, 'documents' | 'body'> & { document: BuiltDocument; body?: string; originalMessageId?: string }): Promise<SendResult> {
    const { document, originalMessageId, ...rest } = input;
    const body =
      rest.body ??
      `Le document « ${document.metadata.title} » (identifiant ${document.metadata.uniqueId}) transmis précédemment doit être supprimé du dossier du patient.\r\n`;
    return this.sendDocuments({
      ...rest,
      body,
      documents: [document],
      deleteUniqueIds: [document.metadata.uniqueId],
      subjectMarker: rest.subjectMarker ?? '[Demande de suppression]',
      ...(originalMessageId ? { inReplyTo: originalMessageId, references: [...(rest.references ?? []), originalMessageId] } : {}),
    });
  }

  /** Connects, upgrades and authenticates without sending (throws MssanteSmtpError). */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw smtpErrorOf(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}

export type { XdmReadme };
