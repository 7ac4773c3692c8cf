/**
 * Message disposition notifications (RFC 8098 inside an RFC 6522 multipart/report), the "accusé de
 * lecture" of MSSanté (notes §1.5), and the integration error notifications of the CI-SIS volet
 * « Transmission au LPS d'un document CDA provenant d'un courriel MSSanté » (codes 900–906): an error MDN
 * when the sender asked for one (`Disposition-Notification-To`), otherwise a "standard" RFC 5322 mail with
 * the same subject convention, the original message and its attachments.
 */
import { randomBytes } from 'node:crypto';
import { OPERATOR_HOSTNAME } from '../constants.js';
import { decodeWords, headerValue, type MimeMessage, type MimePart } from '../mime/message.js';
import { KO_PREFIX, SUBJECT_PREFIX } from '../validation/message.js';

/** Integration error codes returned by the consuming software (notes §1.5; labels of the CI-SIS volet, 905/906 [I]). */
export const INTEGRATION_ERRORS = {
  900: 'Version du document incorrecte lors d’une demande de remplacement/suppression',
  901: 'Auteur non autorisé à remplacer ou supprimer un document',
  902: 'Identifiant patient inconnu',
  903: 'INS non présent dans le document',
  904: 'L’INS transmis ne correspond pas exactement à celui stocké dans la base du consommateur',
  905: 'INS incomplet',
  906: 'Autre erreur',
} as const;

export type IntegrationErrorCode = keyof typeof INTEGRATION_ERRORS;

export function isIntegrationErrorCode(code: number): code is IntegrationErrorCode {
  return Object.prototype.hasOwnProperty.call(INTEGRATION_ERRORS, code);
}

/** The disposition the receiving software reports. */
export type MdnDisposition = { type: 'displayed' } | { type: 'processed' } | { type: 'processed-error'; code: IntegrationErrorCode; label: string };

export interface OriginalFacts {
  messageId?: string;
  subject?: string;
  /** Address of `Disposition-Notification-To`, if any. */
  notificationTo?: string;
  returnPath?: string;
  /** `From` address (where a standard error mail goes when no MDN was asked). */
  from?: string;
  replyTo?: string;
  to: string[];
  originalRecipient?: string;
}

/** First address of an address-list header value (`Name <a@b>` or `a@b`). */
export function firstAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(value);
  if (angle) return angle[1]!.toLowerCase();
  const bare = /([^\s<>,;:"]+@[^\s<>,;:"]+)/.exec(value);
  return bare?.[1]?.toLowerCase();
}

function allAddresses(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/([^\s<>,;:"]+@[^\s<>,;:"]+)/g)].map((m) => m[1]!.toLowerCase());
}

export function originalFacts(mime: MimeMessage): OriginalFacts {
  const h = (n: string) => headerValue(mime.root, n);
  const subject = h('subject');
  const originalRecipient = h('original-recipient');
  return {
    messageId: h('message-id')?.trim(),
    subject: subject === undefined ? undefined : decodeWords(subject).trim(),
    notificationTo: firstAddress(h('disposition-notification-to')),
    returnPath: firstAddress(h('return-path')) ?? (h('return-path')?.includes('<>') ? '' : undefined),
    from: firstAddress(h('from')),
    replyTo: firstAddress(h('reply-to')),
    to: [...allAddresses(h('to')), ...allAddresses(h('cc'))],
    originalRecipient: originalRecipient?.replace(/^rfc822;\s*/i, '').trim(),
  };
}

/** Subject of a notification: the original XDM subject, prefixed by `[KO Intégration système !][code] ` on error. */
export function notificationSubject(original: string | undefined, disposition: MdnDisposition): string {
  const base = (original ?? '').replace(KO_PREFIX, '').trim();
  if (disposition.type === 'processed-error') return `[KO Intégration système !][${disposition.code}] ${base.startsWith(SUBJECT_PREFIX) ? base : `${SUBJECT_PREFIX}${base}`}`;
  if (base.startsWith(SUBJECT_PREFIX)) return base;
  // Plain mail: no convention in the notes [I].
  return `Accusé de lecture : ${base || '(sans objet)'}`;
}

export function dispositionField(d: MdnDisposition): string {
  if (d.type === 'processed-error') return `automatic-action/MDN-sent-automatically; processed/Error: ${d.code}^${d.label}`;
  return `automatic-action/MDN-sent-automatically; ${d.type}`;
}

/** RFC 2047 encoding of a header value when it is not ASCII. */
export function encodeHeader(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1) || OPERATOR_HOSTNAME;
}

export interface MdnInput {
  /** The message as the reader received it. */
  original: Buffer;
  facts: OriginalFacts;
  /** The mailbox that read / failed to integrate the message (Final-Recipient, From). */
  reader: string;
  /** Where the MDN goes (the `Disposition-Notification-To` address). */
  to: string;
  disposition: MdnDisposition;
  /** Name of the reading software (Reporting-UA). */
  userAgent?: string;
  date?: Date;
  random?: () => string;
}

/** An RFC 8098 MDN: text/plain, message/disposition-notification, message/rfc822 (the original, whole). */
export function buildMdn(input: MdnInput): Buffer {
  const rnd = input.random ?? (() => randomBytes(8).toString('hex'));
  const boundary = `segur-sim-mdn-${rnd()}`;
  const date = input.date ?? new Date();
  const d = input.disposition;
  const subject = notificationSubject(input.facts.subject, d);
  const human =
    d.type === 'processed-error'
      ? [
          `Le message ci-dessous n’a pas pu être intégré automatiquement dans le DPI pour la raison suivante : ${d.label}`,
          `Code erreur : ${d.code}`,
          '',
          `Destinataire : ${input.reader}`,
          `Objet du message d’origine : ${input.facts.subject ?? ''}`,
        ]
      : d.type === 'processed'
        ? [`Le message « ${input.facts.subject ?? ''} » a été intégré par le logiciel de ${input.reader}.`]
        : [`Le message « ${input.facts.subject ?? ''} » envoyé à ${input.reader} a été affiché (lu) par son destinataire.`, '', 'Cet accusé de lecture ne garantit pas que le contenu a été compris.'];
  const report = [`Reporting-UA: ${domainOf(input.reader)}; ${input.userAgent ?? 'segur-sim simulated correspondent'}`];
  if (input.facts.originalRecipient) report.push(`Original-Recipient: rfc822;${input.facts.originalRecipient}`);
  report.push(`Final-Recipient: rfc822;${input.reader}`);
  if (input.facts.messageId) report.push(`Original-Message-ID: ${input.facts.messageId}`);
  report.push(`Disposition: ${dispositionField(d)}`);
  if (d.type === 'processed-error') report.push(`Error: ${d.code}^${d.label}`);
  const head = [
    ...replyHeader(input, subject, date, `mdn.${rnd()}`),
    `Content-Type: multipart/report; report-type=disposition-notification; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...human,
    '',
    `--${boundary}`,
    'Content-Type: message/disposition-notification',
    // The 900-906 labels are French (UTF-8), as the volet writes them.
    ...(d.type === 'processed-error' ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    ...report,
    '',
    `--${boundary}`,
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), input.original, Buffer.from(`\r\n--${boundary}--\r\n`)]);
}

export interface StandardErrorInput {
  original: Buffer;
  mime: MimeMessage;
  facts: OriginalFacts;
  reader: string;
  to: string;
  code: IntegrationErrorCode;
  label: string;
  date?: Date;
  random?: () => string;
}

/**
 * The "courriel standard" of the volet (struct-email-standard): human text with the code and label, the
 * original message (message/rfc822) and, again, its attachments (IHE_XDM.zip, PDF) for a manual retry.
 */
export function buildStandardErrorMail(input: StandardErrorInput): Buffer {
  const rnd = input.random ?? (() => randomBytes(8).toString('hex'));
  const boundary = `segur-sim-ko-${rnd()}`;
  const date = input.date ?? new Date();
  const subject = notificationSubject(input.facts.subject, { type: 'processed-error', code: input.code, label: input.label });
  const attachments = leafAttachments(input.mime.root).map((p) => input.original.subarray(p.headerStart, p.bodyEnd));
  const head = [
    ...replyHeader(input, subject, date, `ko.${rnd()}`),
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `Le message ci-dessous n’a pas pu être intégré automatiquement dans le DPI pour la raison suivante : ${input.label}`,
    `Code erreur : ${input.code}`,
    '',
    `--${boundary}`,
    'Content-Type: message/rfc822',
    'Content-Disposition: inline',
    '',
    '',
  ].join('\r\n');
  const chunks: Buffer[] = [Buffer.from(head, 'utf8'), input.original];
  for (const a of attachments) chunks.push(Buffer.from(`\r\n--${boundary}\r\n`), a);
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** The header both automatic answers share: from the reader to the sender, threaded on the original. */
function replyHeader(input: { reader: string; to: string; facts: OriginalFacts }, subject: string, date: Date, idLocalPart: string): string[] {
  return [
    `From: <${input.reader}>`,
    `To: <${input.to}>`,
    `Subject: ${encodeHeader(subject)}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: <${idLocalPart}@${domainOf(input.reader)}>`,
    ...(input.facts.messageId ? [`In-Reply-To: ${input.facts.messageId}`, `References: ${input.facts.messageId}`] : []),
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
  ];
}

function leafAttachments(part: MimePart, out: MimePart[] = [], depth = 0): MimePart[] {
  if (depth > 20) return out;
  for (const c of part.children) {
    if (c.children.length) leafAttachments(c, out, depth + 1);
    else if (c.disposition?.value === 'attachment' || c.disposition?.params.filename || c.contentType.params.name) out.push(c);
  }
  return out;
}
