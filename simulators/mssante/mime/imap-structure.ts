/**
 * ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2) of a parsed message. Header values are given as written
 * (encoded words kept, clients decode them); addresses are split with nodemailer's address parser.
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { ImapValue } from '../imap/values.js';
import { headerValue, type MimeMessage, type MimePart, type StructuredValue } from './message.js';

type ParsedAddress = ReturnType<typeof addressparser>[number];

export function envelope(message: MimeMessage): ImapValue {
  const part = message.root;
  const h = (name: string) => headerValue(part, name) ?? null;
  const from = addresses(h('from'));
  const sender = addresses(h('sender')) ?? from;
  const replyTo = addresses(h('reply-to')) ?? from;
  return [h('date'), h('subject'), from, sender, replyTo, addresses(h('to')), addresses(h('cc')), addresses(h('bcc')), h('in-reply-to'), h('message-id')];
}

function addresses(value: string | null): ImapValue {
  if (!value || !value.trim()) return null;
  let parsed: ParsedAddress[];
  try {
    parsed = addressparser(value);
  } catch {
    return null;
  }
  const out: ImapValue[] = [];
  for (const a of parsed) {
    if (a.group) {
      // RFC 3501: a group starts with (NIL NIL "name" NIL) and ends with (NIL NIL NIL NIL).
      out.push([null, null, a.name || '', null]);
      for (const member of a.group) if (!member.group) out.push(mailbox(member.name, member.address));
      out.push([null, null, null, null]);
    } else out.push(mailbox(a.name, a.address));
  }
  return out.length ? out : null;
}

function mailbox(name: string, address: string): ImapValue {
  const at = address.lastIndexOf('@');
  const local = at >= 0 ? address.slice(0, at) : address;
  const host = at >= 0 ? address.slice(at + 1) : null;
  return [name || null, null, local || null, host || null];
}

/** BODYSTRUCTURE (`extended` = true) or BODY (`extended` = false). */
export function bodyStructure(message: MimeMessage, raw: Buffer, extended: boolean): ImapValue {
  return partStructure(message.root, raw, extended);
}

function partStructure(part: MimePart, raw: Buffer, extended: boolean): ImapValue {
  const [type, subtype] = splitType(part.contentType.value);
  if (part.children.length) {
    const out: ImapValue[] = part.children.map((c) => partStructure(c, raw, extended));
    out.push(subtype.toUpperCase());
    if (extended) out.push(params(part.contentType), disposition(part.disposition), language(part), headerValue(part, 'content-location') ?? null);
    return out;
  }
  const size = part.bodyEnd - part.bodyStart;
  const out: ImapValue[] = [
    type.toUpperCase(),
    subtype.toUpperCase(),
    params(part.contentType),
    headerValue(part, 'content-id') ?? null,
    headerValue(part, 'content-description') ?? null,
    part.encoding,
    size,
  ];
  if (part.contentType.value === 'message/rfc822' && part.message) {
    out.push(envelope(part.message), partStructure(part.message.root, raw, extended), lines(raw, part));
  } else if (type === 'text') {
    out.push(lines(raw, part));
  }
  if (extended) out.push(headerValue(part, 'content-md5') ?? null, disposition(part.disposition), language(part), headerValue(part, 'content-location') ?? null);
  return out;
}

function splitType(value: string): [string, string] {
  const slash = value.indexOf('/');
  return slash < 0 ? ['text', 'plain'] : [value.slice(0, slash), value.slice(slash + 1)];
}

function params(v: StructuredValue | undefined): ImapValue {
  if (!v) return null;
  const entries = Object.entries(v.params).filter(([k]) => k);
  if (!entries.length) return null;
  return entries.flatMap(([k, value]) => [k.toUpperCase(), String(value)]);
}

function disposition(d: StructuredValue | undefined): ImapValue {
  return d ? [d.value.toUpperCase(), params(d)] : null;
}

function language(part: MimePart): ImapValue {
  const value = headerValue(part, 'content-language');
  if (!value) return null;
  const langs = value.split(',').map((l) => l.trim()).filter(Boolean);
  return langs.length === 1 ? langs[0]! : langs;
}

/** Lines of a body: its line breaks, plus one when the last line has none. */
function lines(raw: Buffer, part: MimePart): number {
  let count = 0;
  for (let i = part.bodyStart; i < part.bodyEnd; i++) if (raw[i] === 0x0a) count++;
  if (part.bodyEnd > part.bodyStart && raw[part.bodyEnd - 1] !== 0x0a) count++;
  return count;
}
