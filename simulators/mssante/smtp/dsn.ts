/**
 * Delivery status notifications (RFC 3464 inside an RFC 6522 multipart/report), the "accusé de réception"
 * of MSSanté: a failure report when a recipient bounces, a success report when the sender asked
 * `NOTIFY=SUCCESS`. Worded like Postfix, which most operators run.
 */
import { randomBytes } from 'node:crypto';
import { MAILER_DAEMON, OPERATOR_HOSTNAME } from '../constants.js';

export interface DsnRecipient {
  /** Final recipient address. */
  address: string;
  /** ORCPT as given (`rfc822;addr`). */
  orcpt?: string;
  action: 'failed' | 'delivered' | 'relayed' | 'delayed';
  /** Enhanced status code, e.g. `5.1.1`, `2.0.0`. */
  status: string;
  /** SMTP reply of the remote end, e.g. `550 5.1.1 <x>: Recipient address rejected`. */
  diagnostic?: string;
}

export interface DsnInput {
  /** Where the report goes: the envelope sender of the original message. */
  to: string;
  envid?: string | null;
  /** `HDRS` returns only the header; `FULL` (or absent) the whole message. */
  ret?: string | null;
  arrivalDate: Date;
  recipients: DsnRecipient[];
  original: Buffer;
  /** Deterministic boundary/ids in tests. */
  random?: () => string;
}

export function buildDsn(input: DsnInput): Buffer {
  const rnd = input.random ?? (() => randomBytes(8).toString('hex'));
  const boundary = `segur-sim-dsn-${rnd()}`;
  const failed = input.recipients.some((r) => r.action === 'failed');
  const date = new Date();
  const subject = failed ? 'Undelivered Mail Returned to Sender' : 'Successful Mail Delivery Report';
  const human = failed
    ? [
        `This is the mail system at host ${OPERATOR_HOSTNAME}.`,
        '',
        "I'm sorry to have to inform you that your message could not",
        'be delivered to one or more recipients. It\'s attached below.',
        '',
        ...input.recipients.filter((r) => r.action === 'failed').map((r) => `<${r.address}>: ${r.diagnostic ?? r.status}`),
      ]
    : [
        `This is the mail system at host ${OPERATOR_HOSTNAME}.`,
        '',
        'Your message was successfully delivered to the destination(s)',
        'listed below. If the message was delivered to mailbox you will',
        'receive no further notifications. Otherwise you may still receive',
        'notifications of mail delivery errors from other systems.',
        '',
        ...input.recipients.map((r) => `<${r.address}>: delivery via ${OPERATOR_HOSTNAME}: ${r.diagnostic ?? r.status}`),
      ];
  const perMessage = [`Reporting-MTA: dns; ${OPERATOR_HOSTNAME}`];
  if (input.envid) perMessage.push(`Original-Envelope-Id: ${input.envid}`);
  perMessage.push(`Arrival-Date: ${input.arrivalDate.toUTCString().replace('GMT', '+0000')}`);
  const perRecipient = input.recipients.map((r) => {
    const lines = [`Final-Recipient: rfc822; ${r.address}`];
    if (r.orcpt) lines.push(`Original-Recipient: ${r.orcpt.includes(';') ? r.orcpt : `rfc822;${r.orcpt}`}`);
    lines.push(`Action: ${r.action}`, `Status: ${r.status}`);
    if (r.diagnostic) lines.push(`Diagnostic-Code: smtp; ${r.diagnostic}`);
    return lines.join('\r\n');
  });
  const headersOnly = (input.ret ?? '').toUpperCase() === 'HDRS';
  const returned = headersOnly ? headerBlock(input.original) : input.original;
  const head = [
    `From: Mail Delivery System <${MAILER_DAEMON}>`,
    `To: <${input.to}>`,
    `Subject: ${subject}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <dsn.${rnd()}@${OPERATOR_HOSTNAME}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    ...human,
    '',
    `--${boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    perMessage.join('\r\n'),
    '',
    perRecipient.join('\r\n\r\n'),
    '',
    `--${boundary}`,
    `Content-Description: ${headersOnly ? 'Undelivered Message Headers' : failed ? 'Undelivered Message' : 'Delivered Message'}`,
    `Content-Type: ${headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`,
    ...(headersOnly ? [] : ['Content-Transfer-Encoding: 8bit']),
    '',
    '',
  ].join('\r\n');
  const tail = `\r\n--${boundary}--\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), returned, Buffer.from(tail)]);
}

/** The header block of a message (up to and including the empty line). */
export function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return raw.subarray(0, crlf + 4);
  if (lf >= 0) return raw.subarray(0, lf + 2);
  return raw;
}
