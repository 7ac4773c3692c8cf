/**
 * Final delivery inside the simulated espace de confiance: every recipient is a mailbox of this operator,
 * so an accepted message lands in its INBOX; a recipient planned to bounce (magic `mss-bounce`, a scenario
 * outcome, Mon espace santé's 25 Mo limit) gets nothing and the sender gets a DSN in its own INBOX.
 */
import { randomBytes } from 'node:crypto';
import { applyCitizenRules } from '../citizen/hook.js';
import { OPERATOR_HOSTNAME } from '../constants.js';
import type { MailStore } from '../store/mail-store.js';
import { buildDsn, type DsnRecipient } from './dsn.js';
import type { Verdict } from '../../core/journal/journal.js';
import { refusalFor, validateMessage, type SmtpRefusal, type ValidationReport } from '../validation/index.js';

export interface PlannedRecipient {
  address: string;
  notify?: string[];
  orcpt?: string;
  /** Set when the recipient must bounce after acceptance. */
  bounce?: { status: string; diagnostic: string };
}

export interface DeliveryInput {
  store: MailStore;
  raw: Buffer;
  mailFrom: string;
  envelopeDsn?: { ret?: string | null; envid?: string | null };
  recipients: PlannedRecipient[];
  transaction: string;
  /** For the Received header. */
  client: { helo?: string; address?: string; login?: string; tls?: string };
  arrival: Date;
}

export interface DeliveryResult {
  address: string;
  status: 'delivered' | 'bounced';
  uid?: number;
  diagnostic?: string;
}

export interface DeliveryOutcome {
  results: DeliveryResult[];
  /** UID of the DSN placed in the sender's INBOX, if one was generated. */
  dsn?: { to: string; uid: number; kind: 'failure' | 'success' };
  /** The message as stored (with the trace headers the operator added). */
  stored: Buffer;
  /**
   * Where the message as received can be read back, when it was delivered: the blob of `stored`, and the
   * offset of the received bytes in it (absent when headers had to be inserted inside the header block).
   */
  copy?: { blob: string; offset?: number };
}

/** Adds what a submission + final-delivery server adds: Return-Path, Received, and a missing Message-ID / Date (RFC 6409 §8). */
export function traceHeaders(raw: Buffer, input: Pick<DeliveryInput, 'mailFrom' | 'transaction' | 'client' | 'arrival'>): Buffer {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const headerText = end >= 0 ? head.slice(0, end) : head;
  const extra: string[] = [];
  const date = rfc5322Date(input.arrival);
  extra.push(`Return-Path: <${input.mailFrom}>`);
  const from = input.client.helo ? `${input.client.helo} (${input.client.address ? `[${input.client.address}]` : 'unknown'})` : `unknown (${input.client.address ?? ''})`;
  extra.push(`Received: from ${from}\r\n\tby ${OPERATOR_HOSTNAME} (segur-sim) with ESMTPSA id ${input.transaction}${input.client.tls ? `\r\n\t(using ${input.client.tls})` : ''}${input.client.login ? `\r\n\t(authenticated as ${input.client.login})` : ''};\r\n\t${date}`);
  const add: string[] = [];
  if (!/^message-id:/im.test(headerText)) add.push(`Message-ID: <${input.transaction}@${OPERATOR_HOSTNAME}>`);
  if (!/^date:/im.test(headerText)) add.push(`Date: ${date}`);
  const prefix = Buffer.from(`${extra.join('\r\n')}\r\n`, 'utf8');
  if (!add.length) return Buffer.concat([prefix, raw]);
  // Missing fields go at the end of the header block.
  const cut = end >= 0 ? Buffer.byteLength(head.slice(0, end), 'latin1') : raw.length;
  const eol = raw.includes('\r\n') ? '\r\n' : '\n';
  return Buffer.concat([prefix, raw.subarray(0, cut), Buffer.from(`${eol}${add.join(eol)}`), raw.subarray(cut)]);
}

export async function deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
  await applyCitizenRules(input); // Mon espace santé rules (citizen/README.md): may set bounces
  const stored = traceHeaders(input.raw, input);
  const results: DeliveryResult[] = [];
  const report: DsnRecipient[] = [];
  let copy: DeliveryOutcome['copy'];
  for (const r of input.recipients) {
    const notify = (r.notify ?? []).map((n) => n.toUpperCase());
    if (r.bounce) {
      results.push({ address: r.address, status: 'bounced', diagnostic: r.bounce.diagnostic });
      // RFC 3461 §4.1: a failure report unless NOTIFY was given without FAILURE (NEVER, or SUCCESS/DELAY only).
      if (!notify.length || notify.includes('FAILURE')) report.push({ address: r.address, orcpt: r.orcpt, action: 'failed', status: r.bounce.status, diagnostic: r.bounce.diagnostic });
      continue;
    }
    const added = await input.store.addMessage(r.address, 'INBOX', stored, {
      internalDate: input.arrival.getTime(),
      meta: { source: 'smtp', mailFrom: input.mailFrom, rcptTo: r.address, dsn: { ...input.envelopeDsn, notify: r.notify, orcpt: r.orcpt }, transaction: input.transaction },
    });
    results.push({ address: r.address, status: 'delivered', uid: added.uid });
    if (!copy) {
      const offset = stored.length - input.raw.length;
      copy = { blob: added.blob, ...(stored.subarray(offset).equals(input.raw) ? { offset } : {}) };
    }
    if (notify.includes('SUCCESS')) report.push({ address: r.address, orcpt: r.orcpt, action: 'delivered', status: '2.0.0', diagnostic: '250 2.0.0 delivered to mailbox' });
  }
  let dsn: DeliveryOutcome['dsn'];
  if (report.length && input.mailFrom) {
    const failed = report.filter((r) => r.action === 'failed');
    const bytes = buildDsn({ to: input.mailFrom, envid: input.envelopeDsn?.envid, ret: input.envelopeDsn?.ret, arrivalDate: input.arrival, recipients: report, original: stored });
    const added = await input.store.addMessage(input.mailFrom, 'INBOX', withDsnTrace(bytes, input.mailFrom), {
      meta: { source: 'dsn', mailFrom: '', rcptTo: input.mailFrom, transaction: input.transaction },
    });
    dsn = { to: input.mailFrom, uid: added.uid, kind: failed.length ? 'failure' : 'success' };
  }
  return { results, dsn, stored, ...(copy ? { copy } : {}) };
}

function withDsnTrace(bytes: Buffer, to: string): Buffer {
  const id = randomBytes(6).toString('hex');
  return Buffer.concat([Buffer.from(`Return-Path: <>\r\nReceived: by ${OPERATOR_HOSTNAME} (segur-sim) id ${id} for <${to}>; ${rfc5322Date(new Date())}\r\n`), bytes]);
}

export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** What the operator's content validation decided about a submitted message (validation/README.md). */
export interface Screening {
  verdicts: Verdict[];
  /** Set in strict mode when an error verdict refuses the message: answer DATA with it, deliver nothing. */
  refusal?: SmtpRefusal;
  /** For the `smtp.data` journal summary. */
  validation: { healthDocument: boolean; receipt: boolean; patient?: string; documents: { uri: string; code?: string }[]; errors: number; warnings: number; mode: 'strict' | 'lenient' };
  report: ValidationReport;
}

/**
 * The DATA-stage hook: validates the message as received (notes §1.4, §2). `strict` refuses a message
 * with an error verdict (the caller answers `refusal` and delivers nothing); `lenient` delivers, and the
 * verdicts go into the transaction's journal entry either way. Never throws on bad content.
 */
export function screenSubmission(raw: Buffer, ctx: { mode: 'strict' | 'lenient'; recipients?: { address: string; type?: string }[] }): Screening {
  const report = validateMessage(raw, { recipients: ctx.recipients });
  const errors = report.verdicts.filter((v) => v.level === 'error').length;
  const validation = {
    healthDocument: report.healthDocument,
    receipt: report.receipt,
    ...(report.patient ? { patient: report.patient } : {}),
    documents: report.documents.map((d) => ({ uri: d.uri, ...(d.cdaCode ? { code: d.cdaCode } : {}) })),
    errors,
    warnings: report.verdicts.filter((v) => v.level === 'warning').length,
    mode: ctx.mode,
  };
  const refusal = ctx.mode === 'strict' ? refusalFor(report.verdicts) : undefined;
  return { verdicts: report.verdicts, ...(refusal ? { refusal } : {}), validation, report };
}
