/**
 * The MIME structure of a stored message, as IMAP serves it: every part with the byte offsets of its header
 * block and body inside the raw message (for BODY[section] fetches), its parsed Content-* headers (for
 * BODYSTRUCTURE), and the nested message of a message/rfc822 part. Header blocks are read by
 * `@zone-eu/mailsplit`'s header parser (the one of mailparser and imapflow); parts are split here.
 */
import libmime from 'libmime';
import Headers from '@zone-eu/mailsplit/lib/headers.js';

export interface StructuredValue {
  value: string;
  params: Record<string, string>;
}

export interface MimePart {
  /** Offsets in the raw message: header block [headerStart, bodyStart), body [bodyStart, bodyEnd). */
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  /** Raw header lines, unfolded: [lower-case name, value as written (encoded words kept)]. */
  headers: [string, string][];
  /** Lower-case `type/subtype`, with the RFC 2045/2046 defaults applied. */
  contentType: StructuredValue;
  disposition?: StructuredValue;
  /** Content-Transfer-Encoding, as written (upper-cased), default `7BIT`. */
  encoding: string;
  children: MimePart[];
  /** The encapsulated message of a message/rfc822 part (offsets relative to the same raw buffer). */
  message?: MimeMessage;
}

export interface MimeMessage {
  /** The root part: its header block is the message header. */
  root: MimePart;
}

/** Header blocks larger than this make the message one opaque part (as a mail server refuses them). */
const MAX_HEADER_BYTES = 2 * 1024 * 1024;
/** Most parts split out of one message, and deepest multipart nesting, before the rest is left opaque. */
const MAX_PARTS = 5000;
const MAX_DEPTH = 64;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

/**
 * Parses the MIME tree of `raw[start, end)`. Never throws on malformed input (a single text part at worst).
 *
 * The message is already whole in memory, so boundaries are located with `Buffer.indexOf` (native search)
 * instead of a streaming splitter that looks at every byte in JavaScript: on a 300 KB message with a
 * base64 attachment that is the difference between a few microseconds and a few milliseconds.
 */
export function parseMime(raw: Buffer, start = 0, end = raw.length): MimeMessage {
  return parseMessage(raw, start, end, { parts: 0 }, 0);
}

function parseMessage(raw: Buffer, start: number, end: number, budget: { parts: number }, depth: number): MimeMessage {
  const root = parsePart(raw, start, end, undefined, budget, depth);
  if (!root) {
    const part = emptyPart(start, start);
    part.bodyEnd = end;
    return { root: part };
  }
  return { root };
}

/** One part of `raw[start, end)`: its header block, then its children when it is a multipart. */
function parsePart(raw: Buffer, start: number, end: number, parent: MimePart | undefined, budget: { parts: number }, depth: number): MimePart | undefined {
  if (++budget.parts > MAX_PARTS) return undefined;
  const bodyStart = headerEnd(raw, start, end);
  if (bodyStart - start > MAX_HEADER_BYTES) return undefined;
  const part = emptyPart(start, bodyStart);
  part.bodyEnd = end;
  readHeaders(raw.subarray(start, bodyStart), part, parent);
  const boundary = part.contentType.params.boundary;
  if (part.contentType.value.startsWith('multipart/') && boundary && depth < MAX_DEPTH) {
    for (const [childStart, childEnd] of multipartBodies(raw, bodyStart, end, Buffer.from(`--${boundary}`, 'latin1'))) {
      const child = parsePart(raw, childStart, childEnd, part, budget, depth + 1);
      if (!child) break;
      part.children.push(child);
    }
  } else if (part.contentType.value === 'message/rfc822' && depth < MAX_DEPTH) {
    part.message = parseMessage(raw, bodyStart, end, budget, depth + 1);
  }
  return part;
}

/** Where the body starts: after the empty line that ends the header block (all of it is header when there is none). */
function headerEnd(raw: Buffer, start: number, end: number): number {
  if (start >= end) return end;
  if (raw[start] === LF) return start + 1;
  if (raw[start] === CR && raw[start + 1] === LF && start + 1 < end) return start + 2;
  let i = raw.indexOf(LF, start);
  while (i >= 0 && i < end - 1) {
    if (raw[i + 1] === LF) return i + 2;
    if (raw[i + 1] === CR && raw[i + 2] === LF && i + 2 < end) return i + 3;
    i = raw.indexOf(LF, i + 1);
  }
  return end;
}

/**
 * The body parts of a multipart body `raw[from, to)` (RFC 2046 §5.1.1): each runs from the line after a
 * delimiter line (`--boundary`, transport padding allowed) to the line ending before the next one; the
 * preamble and the epilogue after the close delimiter (`--boundary--`) belong to no part. An unclosed
 * multipart ends at `to`.
 */
function multipartBodies(raw: Buffer, from: number, to: number, delimiter: Buffer): [number, number][] {
  const bodies: [number, number][] = [];
  // Searched within the multipart only: a nested part's boundary is never looked for through the rest of the message.
  const area = raw.subarray(0, to);
  let open = -1;
  let i = area.indexOf(delimiter, from);
  while (i >= 0 && bodies.length < MAX_PARTS) {
    const line = delimiterLine(raw, i, from, to, delimiter.length);
    if (line) {
      if (open >= 0) bodies.push([open, lineEndBefore(raw, i, open)]);
      if (line.close) return bodies;
      open = line.next;
    }
    i = area.indexOf(delimiter, i + 1);
  }
  if (open >= 0) bodies.push([open, to]);
  return bodies;
}

/** Whether a delimiter found at `i` starts a line and ends one; if so whether it closes, and where the next line starts. */
function delimiterLine(raw: Buffer, i: number, from: number, to: number, length: number): { close: boolean; next: number } | undefined {
  if (i !== from && raw[i - 1] !== LF) return undefined;
  let j = i + length;
  const close = raw[j] === DASH && raw[j + 1] === DASH && j + 1 < to;
  if (close) j += 2;
  while (j < to && (raw[j] === 0x20 || raw[j] === 0x09)) j++;
  if (j >= to) return { close, next: to };
  if (raw[j] === LF) return { close, next: j + 1 };
  if (raw[j] === CR && raw[j + 1] === LF && j + 1 < to) return { close, next: j + 2 };
  return undefined;
}

/** The line ending before a delimiter belongs to the delimiter (never reaching back before `floor`). */
function lineEndBefore(raw: Buffer, i: number, floor: number): number {
  if (i > floor && raw[i - 1] === LF) {
    i--;
    if (i > floor && raw[i - 1] === CR) i--;
  }
  return i;
}

function emptyPart(headerStart: number, bodyStart: number): MimePart {
  return { headerStart, bodyStart, bodyEnd: bodyStart, headers: [], contentType: { value: 'text/plain', params: {} }, encoding: '7BIT', children: [] };
}

function readHeaders(block: Buffer, part: MimePart, parent: MimePart | undefined): void {
  const list = new Headers(block).getList().filter((h) => h.key);
  part.headers = list.map((h) => {
    const line = h.line.replace(/\r?\n[ \t]*/g, ' ');
    const colon = line.indexOf(':');
    return [h.key, colon >= 0 ? line.slice(colon + 1).trim() : ''] as [string, string];
  });
  const ct = headerValue(part, 'content-type');
  const parsed = ct ? libmime.parseHeaderValue(ct) : undefined;
  const type = parsed?.value && /^[^/\s]+\/[^/\s]+$/.test(parsed.value) ? parsed.value.toLowerCase() : undefined;
  const defaultType = parent?.contentType.value === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  part.contentType = { value: type ?? defaultType, params: type && parsed ? parsed.params : defaultType === 'text/plain' ? { charset: 'us-ascii' } : {} };
  const cd = headerValue(part, 'content-disposition');
  if (cd) {
    const d = libmime.parseHeaderValue(cd);
    if (d.value) part.disposition = { value: d.value.toLowerCase(), params: d.params };
  }
  part.encoding = (headerValue(part, 'content-transfer-encoding') ?? '7BIT').trim().toUpperCase() || '7BIT';
}

/** First value of a header (as written, unfolded), or undefined. */
export function headerValue(part: MimePart, name: string): string | undefined {
  const key = name.toLowerCase();
  return part.headers.find(([k]) => k === key)?.[1];
}

export function headerValues(part: MimePart, name: string): string[] {
  const key = name.toLowerCase();
  return part.headers.filter(([k]) => k === key).map(([, v]) => v);
}

/** Decoded (RFC 2047) header value, for SEARCH and summaries. */
export function decodedHeader(part: MimePart, name: string): string | undefined {
  const value = headerValue(part, name);
  return value === undefined ? undefined : decodeWords(value);
}

/** RFC 2047 encoded words decoded; the value as is when they are malformed. */
export function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/**
 * The part an IMAP section path designates (RFC 3501 §6.4.5): `[]` is the message itself; in a message
 * whose root is not multipart, `1` is its body; numbers after a message/rfc822 part address the
 * encapsulated message. Returns the part and the message it belongs to, or undefined.
 */
export function resolvePart(message: MimeMessage, path: readonly number[]): { part: MimePart; message: MimeMessage } | undefined {
  let msg = message;
  let cur: MimePart | undefined;
  for (const n of path) {
    if (cur && !cur.children.length) {
      if (!cur.message) return undefined;
      msg = cur.message;
      cur = undefined;
    }
    if (!cur) {
      const root = msg.root;
      if (root.children.length) cur = root.children[n - 1];
      else cur = n === 1 ? root : undefined;
    } else cur = cur.children[n - 1];
    if (!cur) return undefined;
  }
  return { part: cur ?? msg.root, message: msg };
}
