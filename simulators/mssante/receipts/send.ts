/**
 * Receipts sent by simulated readers (Mon espace santé patients, simulated correspondents' software) into
 * the mail store, the way the reader's operator would deliver them: null reverse-path, trace headers,
 * the recipient's INBOX. Real IMAP clients send their own MDNs by SMTP; nothing here reacts to `\Seen`.
 */
import { randomBytes } from 'node:crypto';
import { OPERATOR_HOSTNAME } from '../constants.js';
import { parseMime } from '../mime/message.js';
import type { MailStore } from '../store/mail-store.js';
import { buildMdn, buildStandardErrorMail, dispositionField, INTEGRATION_ERRORS, isIntegrationErrorCode, notificationSubject, originalFacts, type MdnDisposition } from './mdn.js';

export type ReceiptOriginal = Buffer | { raw: Buffer };

export interface ReceiptOptions {
  /** Name of the reading software (MDN Reporting-UA). */
  userAgent?: string;
  date?: Date;
  /** Only deliver to addresses this accepts (e.g. the directory's mailboxes); others are reported unsent. */
  deliverable?: (address: string) => boolean;
}

export type ReceiptResult =
  | { sent: true; kind: 'mdn' | 'standard'; to: string; uid: number; messageId: string; subject: string; disposition?: string }
  | { sent: false; reason: string };

function rawOf(message: ReceiptOriginal): Buffer {
  return Buffer.isBuffer(message) ? message : message.raw;
}

function trace(bytes: Buffer, to: string, date: Date): Buffer {
  const id = randomBytes(6).toString('hex').toUpperCase();
  return Buffer.concat([Buffer.from(`Return-Path: <>\r\nReceived: by ${OPERATOR_HOSTNAME} (segur-sim) id ${id} for <${to}>; ${date.toUTCString().replace('GMT', '+0000')}\r\n`), bytes]);
}

async function store(storeRef: MailStore, to: string, bytes: Buffer, date: Date): Promise<number> {
  const added = await storeRef.addMessage(to, 'INBOX', trace(bytes, to, date), { internalDate: date.getTime(), meta: { source: 'smtp', mailFrom: '', rcptTo: to } });
  return added.uid;
}

function headerOf(bytes: Buffer, name: string): string {
  const head = bytes.subarray(0, Math.min(bytes.length, 8192)).toString('utf8');
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
}

async function sendMdn(storeRef: MailStore, message: ReceiptOriginal, reader: string, disposition: MdnDisposition, opts: ReceiptOptions): Promise<ReceiptResult> {
  const original = rawOf(message);
  const facts = originalFacts(parseMime(original));
  const to = facts.notificationTo;
  if (!to) return { sent: false, reason: 'the message has no Disposition-Notification-To: no MDN was requested' };
  if (opts.deliverable && !opts.deliverable(to)) return { sent: false, reason: `Disposition-Notification-To ${to} is not a mailbox of the trust space` };
  const date = opts.date ?? new Date();
  const bytes = buildMdn({ original, facts, reader: reader.toLowerCase(), to, disposition, userAgent: opts.userAgent, date });
  const uid = await store(storeRef, to, bytes, date);
  return { sent: true, kind: 'mdn', to, uid, messageId: headerOf(bytes, 'Message-ID'), subject: notificationSubject(facts.subject, disposition), disposition: dispositionField(disposition) };
}

/**
 * A simulated recipient (patient in Mon espace santé, simulated correspondent) has read `message`: if its
 * sender asked for a read receipt (`Disposition-Notification-To`), the MDN (`displayed`) goes to that
 * address's INBOX. Mon espace santé patients cannot refuse it (notes §1.5, ENS MES v1.3 §6), so it is sent
 * even when `Disposition-Notification-To` differs from `Return-Path` (RFC 8098 would ask a human user).
 * The caller sets `$MDNSent` on the original if it keeps it in a folder.
 */
export function sendReadReceipt(storeRef: MailStore, message: ReceiptOriginal, reader: string, opts: ReceiptOptions = {}): Promise<ReceiptResult> {
  return sendMdn(storeRef, message, reader, { type: 'displayed' }, opts);
}

/** The simulated recipient's software integrated the document: MDN `processed` (when one was requested). */
export function sendIntegrationSuccess(storeRef: MailStore, message: ReceiptOriginal, reader: string, opts: ReceiptOptions = {}): Promise<ReceiptResult> {
  return sendMdn(storeRef, message, reader, { type: 'processed' }, opts);
}

/**
 * The simulated recipient's software failed to integrate the document with `code` (900–906): an error MDN
 * (`processed/Error: <code>^<label>`, subject `[KO Intégration système !][<code>] XDM/1.0/DDM+…`) when the
 * sender asked for one, else a standard mail with the same subject, the original message and its
 * attachments, to `Reply-To` or `From` (notes §1.5; CI-SIS volet, struct-email-standard).
 * `reader` defaults to the first `To` of the message.
 */
export async function sendIntegrationError(
  storeRef: MailStore,
  message: ReceiptOriginal,
  code: number,
  opts: ReceiptOptions & { reader?: string; label?: string } = {},
): Promise<ReceiptResult> {
  if (!isIntegrationErrorCode(code)) return { sent: false, reason: `integration error code ${code} is not one of 900-906` };
  const label = opts.label ?? INTEGRATION_ERRORS[code];
  const original = rawOf(message);
  const mime = parseMime(original);
  const facts = originalFacts(mime);
  const reader = (opts.reader ?? facts.to[0] ?? '').toLowerCase();
  if (!reader) return { sent: false, reason: 'no reader: the message has no To and none was given' };
  if (facts.notificationTo) return sendMdn(storeRef, original, reader, { type: 'processed-error', code, label }, opts);
  const to = facts.replyTo ?? facts.from;
  if (!to) return { sent: false, reason: 'the message has no Disposition-Notification-To, Reply-To nor From' };
  if (opts.deliverable && !opts.deliverable(to)) return { sent: false, reason: `${to} is not a mailbox of the trust space` };
  const date = opts.date ?? new Date();
  const bytes = buildStandardErrorMail({ original, mime, facts, reader, to, code, label, date });
  const uid = await store(storeRef, to, bytes, date);
  return { sent: true, kind: 'standard', to, uid, messageId: headerOf(bytes, 'Message-ID'), subject: notificationSubject(facts.subject, { type: 'processed-error', code, label }) };
}
