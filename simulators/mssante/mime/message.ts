/**
 * The MIME structure of a stored message, as IMAP serves it: every part with the byte offsets of its header
 * block and body inside the raw message (for BODY[section] fetches), its parsed Content-* headers (for
 * BODYSTRUCTURE), and the nested message of a message/rfc822 part. The splitting itself is done by
 * `@zone-eu/mailsplit` (the MIME splitter of mailparser and imapflow); this module only keeps positions.
 */
import libmime from 'libmime';
import Splitter from '@zone-eu/mailsplit/lib/message-splitter.js';
import type MimeNode from '@zone-eu/mailsplit/lib/mime-node.js';

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

interface NodeInfo {
  node: MimeNode;
  part: MimePart;
  bodyBytes: number;
}

/** Parses the MIME tree of `raw[start, end)`. Never throws on malformed input (a single text part at worst). */
export async function parseMime(raw: Buffer, start = 0, end = raw.length, depth = 0): Promise<MimeMessage> {
  const slice = raw.subarray(start, end);
  const infos: NodeInfo[] = [];
  const byNode = new Map<MimeNode, NodeInfo>();
  try {
    await new Promise<void>((resolve, reject) => {
      const splitter = new Splitter({ ignoreEmbedded: true, maxHeadSize: 2 * 1024 * 1024, maxChildNodes: 5000 });
      let pos = 0;
      let current: NodeInfo | undefined;
      splitter.on('data', (chunk) => {
        if (chunk.type === 'node') {
          const node = chunk as unknown as MimeNode;
          const headerLen = node.getHeaders().length;
          const part = emptyPart(start + pos, start + pos + headerLen);
          readHeaders(node, part, node.parentNode ? byNode.get(node.parentNode as MimeNode)?.part : undefined);
          current = { node, part, bodyBytes: 0 };
          infos.push(current);
          byNode.set(node, current);
          const parent = node.parentNode ? byNode.get(node.parentNode as MimeNode) : undefined;
          parent?.part.children.push(part);
          pos += headerLen;
        } else {
          if (chunk.type === 'body' && current) current.bodyBytes += chunk.value.length;
          pos += chunk.value.length;
        }
      });
      const events = splitter as unknown as NodeJS.EventEmitter;
      events.once('error', reject);
      events.once('end', resolve);
      splitter.end(slice);
    });
  } catch {
    // Unparseable structure (header block too large...): serve it as one opaque text part.
    const part = emptyPart(start, start);
    part.bodyEnd = end;
    return { root: part };
  }
  if (!infos.length) {
    const part = emptyPart(start, start);
    part.bodyEnd = end;
    return { root: part };
  }
  for (const info of infos) {
    const { node, part } = info;
    if (node.root) part.bodyEnd = end;
    else if (node.multipart) part.bodyEnd = multipartEnd(raw, part.bodyStart, end, node._parentBoundary);
    else part.bodyEnd = part.bodyStart + info.bodyBytes;
  }
  for (const info of infos) {
    const { part } = info;
    if (part.contentType.value === 'message/rfc822' && depth < 10 && !part.children.length) {
      part.message = await parseMime(raw, part.bodyStart, part.bodyEnd, depth + 1);
    }
  }
  return { root: infos[0]!.part };
}

function emptyPart(headerStart: number, bodyStart: number): MimePart {
  return { headerStart, bodyStart, bodyEnd: bodyStart, headers: [], contentType: { value: 'text/plain', params: {} }, encoding: '7BIT', children: [] };
}

function readHeaders(node: MimeNode, part: MimePart, parent: MimePart | undefined): void {
  const list = node.headers ? node.headers.getList() : [];
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

/** Where a nested multipart's body ends: before the CRLF that precedes the next delimiter of its parent. */
function multipartEnd(raw: Buffer, from: number, limit: number, parentBoundary: Buffer | false): number {
  if (!parentBoundary) return limit;
  const delimiter = Buffer.concat([Buffer.from('\n--'), parentBoundary]);
  let i = raw.indexOf(delimiter, Math.max(0, from - 1));
  while (i >= 0 && i < limit) {
    const after = raw[i + delimiter.length];
    if (after === undefined || after === 0x0d || after === 0x0a || after === 0x2d || after === 0x20 || after === 0x09) {
      return i > 0 && raw[i - 1] === 0x0d ? i - 1 : i;
    }
    i = raw.indexOf(delimiter, i + 1);
  }
  return limit;
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
