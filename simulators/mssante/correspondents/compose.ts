/**
 * A small RFC 5322 / MIME composer for the messages the simulator writes itself (correspondents, the
 * simulated patient): UTF-8 text (quoted-printable), base64 attachments, RFC 2047 encoded words.
 */
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from '../smtp/delivery.js';

export interface Attachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

export interface ComposeInput {
  from: { address: string; name?: string };
  to: string[];
  subject: string;
  date: Date;
  messageId: string;
  /** Extra header fields, in order (X-MSS-*, In-Reply-To, Reply-To...). */
  headers?: [string, string][];
  text: string;
  attachments?: Attachment[];
}

const ASCII = /^[\x20-\x7e]*$/;

/** RFC 2047 `B` encoded words, each at most 75 characters, split on character boundaries. */
export function encodeWords(value: string): string {
  if (ASCII.test(value)) return value;
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

export function mailbox(a: { address: string; name?: string }): string {
  if (!a.name) return `<${a.address}>`;
  return ASCII.test(a.name) ? `"${a.name.replace(/["\\]/g, '')}" <${a.address}>` : `${encodeWords(a.name)} <${a.address}>`;
}

function base64Lines(bytes: Uint8Array): string {
  return (Buffer.from(bytes).toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

function quotedPrintable(text: string): string {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
  const lines: string[] = [];
  let line = '';
  const push = (token: string) => {
    if (line.length + token.length > 75) {
      lines.push(`${line}=`);
      line = '';
    }
    line += token;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0d && bytes[i + 1] === 0x0a) {
      // Trailing space/tab before a line break must be encoded.
      if (/[ \t]$/.test(line)) line = line.slice(0, -1) + `=${line.charCodeAt(line.length - 1).toString(16).toUpperCase().padStart(2, '0')}`;
      lines.push(line);
      line = '';
      i++;
      continue;
    }
    push(b === 0x3d || b < 0x20 || b > 0x7e ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b));
  }
  lines.push(line);
  return lines.join('\r\n');
}

function filenameParam(name: string): string {
  return ASCII.test(name) ? `"${name}"` : `"${encodeWords(name)}"`;
}

export function compose(input: ComposeInput): Buffer {
  const head: string[] = [
    `From: ${mailbox(input.from)}`,
    `To: ${input.to.map((t) => `<${t}>`).join(', ')}`,
    `Subject: ${encodeWords(input.subject)}`,
    `Date: ${rfc5322Date(input.date)}`,
    `Message-ID: ${input.messageId}`,
    ...(input.headers ?? []).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
  ];
  const textPart = ['Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(input.text)];
  if (!input.attachments?.length) return Buffer.from([...head, ...textPart, ''].join('\r\n'), 'utf8');
  const boundary = `----=_segur-sim_${randomBytes(8).toString('hex')}`;
  const parts = [textPart.join('\r\n')];
  for (const a of input.attachments) {
    parts.push(
      [
        `Content-Type: ${a.contentType}; name=${filenameParam(a.filename)}`,
        'Content-Transfer-Encoding: base64',
        `Content-Disposition: attachment; filename=${filenameParam(a.filename)}`,
        '',
        base64Lines(a.content),
      ].join('\r\n'),
    );
  }
  const body = [`Content-Type: multipart/mixed; boundary="${boundary}"`, '', 'This is a multi-part message in MIME format.', ...parts.map((p) => `--${boundary}\r\n${p}`), `--${boundary}--`, ''];
  return Buffer.from([...head, ...body].join('\r\n'), 'utf8');
}
