/**
 * MTOM/XOP (dmp.md §2.2): `multipart/related; type="application/xop+xml"` requests (ITI-41) and responses
 * (ITI-43). Parts are split on the raw bytes, so binary documents pass through untouched.
 */
import { createHash } from 'node:crypto';
import type { Attachment } from './types.js';
import { DmpFault } from './types.js';

export interface Multipart {
  /** The root part (the SOAP envelope) as text. */
  root: string;
  rootContentType: string;
  attachments: Map<string, Attachment>;
}

/** A parameter of a Content-Type header (`boundary`, `start`, `type`, `action`), quotes removed. */
export function contentTypeParam(contentType: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i');
  const m = re.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export function isMultipart(contentType: string): boolean {
  return /^\s*multipart\/related/i.test(contentType);
}

/** `cid:abc%40urn` or `<abc@urn>` → `abc@urn` (hrefs are URL-encoded, Content-IDs are not). */
export function normalizeContentId(id: string): string {
  let v = id.trim();
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  if (/^cid:/i.test(v)) v = v.slice(4);
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

const decoder = new TextDecoder();
const CRLF2 = Buffer.from('\r\n\r\n');

export function parseMultipart(body: Uint8Array, contentType: string): Multipart {
  const boundary = contentTypeParam(contentType, 'boundary');
  if (!boundary) throw new DmpFault(400, 'InvalidMessage', 'multipart/related request without a boundary parameter');
  const start = contentTypeParam(contentType, 'start');
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; bytes: Uint8Array }[] = [];
  let pos = buf.indexOf(delimiter);
  if (pos === -1) throw new DmpFault(400, 'InvalidMessage', `no part delimited by "--${boundary}" in the multipart body`);
  while (pos !== -1) {
    let cursor = pos + delimiter.length;
    if (buf[cursor] === 0x2d && buf[cursor + 1] === 0x2d) break; // closing delimiter
    const headerEnd = buf.indexOf(CRLF2, cursor);
    if (headerEnd === -1) throw new DmpFault(400, 'InvalidMessage', 'a multipart part has no header/body separator');
    const headers: Record<string, string> = {};
    for (const line of decoder.decode(buf.subarray(cursor, headerEnd)).split(/\r\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    cursor = headerEnd + 4;
    const next = buf.indexOf(delimiter, cursor);
    if (next === -1) throw new DmpFault(400, 'InvalidMessage', `the multipart body is not closed by "--${boundary}--"`);
    // The CRLF before a delimiter belongs to the delimiter.
    let end = next;
    if (buf[end - 2] === 0x0d && buf[end - 1] === 0x0a) end -= 2;
    parts.push({ headers, bytes: new Uint8Array(buf.subarray(cursor, end)) });
    pos = next;
  }
  if (parts.length === 0) throw new DmpFault(400, 'InvalidMessage', 'the multipart body has no part');
  const rootId = start ? normalizeContentId(start) : undefined;
  const rootIndex = rootId ? parts.findIndex((p) => p.headers['content-id'] && normalizeContentId(p.headers['content-id']) === rootId) : 0;
  if (rootIndex === -1) throw new DmpFault(400, 'InvalidMessage', `no part has the Content-ID given by start="${start}"`);
  const rootPart = parts[rootIndex]!;
  const attachments = new Map<string, Attachment>();
  parts.forEach((p, i) => {
    if (i === rootIndex) return;
    const cid = p.headers['content-id'];
    if (!cid) return;
    let bytes = p.bytes;
    if (/^base64$/i.test(p.headers['content-transfer-encoding'] ?? '')) bytes = new Uint8Array(Buffer.from(decoder.decode(bytes), 'base64'));
    const contentId = normalizeContentId(cid);
    attachments.set(contentId, { contentId, contentType: p.headers['content-type'] ?? 'application/octet-stream', bytes });
  });
  return { root: decoder.decode(rootPart.bytes), rootContentType: rootPart.headers['content-type'] ?? '', attachments };
}

/** A Content-ID for a response part in the live style `<uuid>-<n>@urn:ihe:iti:xds-b:2007`. */
export function partContentId(seed: string, n: number): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}-${n}@urn:ihe:iti:xds-b:2007`;
}

/**
 * The href of a part as the live DMP (CXF) writes it: `cid:<uuid>-<n>@urn%3Aihe%3Aiti%3Axds-b%3A2007`, the
 * domain part URL-encoded, the `@` kept (dmp.md §2.2).
 */
export function xopHref(contentId: string): string {
  const at = contentId.lastIndexOf('@');
  return at === -1 ? `cid:${encodeURIComponent(contentId)}` : `cid:${contentId.slice(0, at)}@${encodeURIComponent(contentId.slice(at + 1))}`;
}

/** A multipart/related MTOM message: the envelope as root, then each attachment. */
export function buildMultipart(envelope: string, attachments: Attachment[], action: string, seed: string): { body: Uint8Array; contentType: string } {
  const boundary = `uuid:${partContentId(`${seed}|boundary`, 0).split('-').slice(0, 5).join('-')}`;
  const rootId = `root.message@cxf.apache.org`;
  const chunks: Buffer[] = [];
  chunks.push(
    Buffer.from(
      `\r\n--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="${action}"\r\n` +
        `Content-Transfer-Encoding: binary\r\nContent-ID: <${rootId}>\r\n\r\n${envelope}`,
    ),
  );
  for (const a of attachments) {
    chunks.push(Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${a.contentType}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${a.contentId}>\r\n\r\n`));
    chunks.push(Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength));
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--`));
  const contentType = `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<${rootId}>"; start-info="application/soap+xml"; action="${action}"`;
  return { body: new Uint8Array(Buffer.concat(chunks)), contentType };
}
