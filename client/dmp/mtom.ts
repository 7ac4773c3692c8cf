/**
 * MTOM/XOP (dmp.md §2.2). Building: the ITI-41 request as `multipart/related; type="application/xop+xml"`,
 * the SOAP envelope as root part, each document as a binary part referenced by
 * `<xop:Include href="cid:…"/>`. Parsing: any multipart/related answer (ITI-43 always, ITI-41 when the
 * server mirrors MTOM), split on the raw bytes so documents pass through untouched; `cid:` hrefs are
 * URL-decoded before matching Content-IDs (the live DMP writes `…@urn%3Aihe%3Aiti%3Axds-b%3A2007`).
 */
import { randomUUID } from 'node:crypto';
import { DmpProtocolError } from './errors.js';

export interface MimePart {
  /** Content-ID without the angle brackets. */
  contentId: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface BuiltMultipart {
  body: Buffer;
  contentType: string;
  boundary: string;
  rootContentId: string;
}

/** A Content-ID for a part: `<uuid>-<n>@<domain>` (RFC 2392 addr-spec). */
export function newContentId(n: number, domain = 'segur-sim.lgc'): string {
  return `${randomUUID()}-${n}@${domain}`;
}

/** The `href` of an `xop:Include` for a Content-ID: `cid:` + URL-encoded addr-spec (`@` kept, as CXF writes it). */
export function cidHref(contentId: string): string {
  return `cid:${encodeURIComponent(contentId).replace(/%40/g, '@')}`;
}

/** `cid:abc%40x`, `<abc@x>` or `abc@x` → `abc@x`. */
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

/** A parameter of a Content-Type header, quotes removed. */
export function contentTypeParam(contentType: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))`, 'i');
  const m = re.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export function isMultipart(contentType: string | undefined): boolean {
  return /^\s*multipart\/related/i.test(contentType ?? '');
}

/** The MTOM message: SOAP 1.2 envelope as root (`application/xop+xml`), then the parts in order. */
export function buildMultipart(envelopeXml: string, parts: MimePart[], action: string): BuiltMultipart {
  const boundary = `MIMEBoundary_${randomUUID().replace(/-/g, '')}`;
  const rootContentId = `root.${randomUUID()}@segur-sim.lgc`;
  const chunks: Buffer[] = [];
  chunks.push(
    Buffer.from(
      `--${boundary}\r\n` +
        `Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="${action}"\r\n` +
        `Content-Transfer-Encoding: binary\r\n` +
        `Content-ID: <${rootContentId}>\r\n\r\n`,
      'utf8',
    ),
    Buffer.from(envelopeXml, 'utf8'),
  );
  for (const p of parts) {
    chunks.push(
      Buffer.from(`\r\n--${boundary}\r\nContent-Type: ${p.contentType}\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${p.contentId}>\r\n\r\n`, 'utf8'),
      Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength),
    );
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  const contentType =
    `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<${rootContentId}>"; ` +
    `start-info="application/soap+xml"; action="${action}"`;
  return { body: Buffer.concat(chunks), contentType, boundary, rootContentId };
}

export interface ParsedMultipart {
  /** The root part (the SOAP envelope) as UTF-8 text. */
  root: string;
  rootContentType: string;
  /** Other parts by normalised Content-ID. */
  parts: Map<string, MimePart>;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

/** Splits a multipart/related body. Tolerates LF-only line ends and a missing closing delimiter's CRLF. */
export function parseMultipart(body: Uint8Array, contentType: string): ParsedMultipart {
  const boundary = contentTypeParam(contentType, 'boundary');
  if (!boundary) throw new DmpProtocolError(`multipart answer without a boundary (Content-Type: ${contentType})`);
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const raw: { headers: Record<string, string>; bytes: Buffer }[] = [];
  let pos = buf.indexOf(delimiter);
  if (pos === -1) throw new DmpProtocolError(`no part delimited by "--${boundary}" in the multipart answer`);
  while (pos !== -1) {
    let cursor = pos + delimiter.length;
    if (buf[cursor] === 0x2d && buf[cursor + 1] === 0x2d) break;
    // Skip the rest of the delimiter line (transport padding, CRLF).
    const eol = buf.indexOf(0x0a, cursor);
    if (eol === -1) break;
    cursor = eol + 1;
    let headerEnd = buf.indexOf(CRLF2, cursor - 2);
    let sepLen = 4;
    const lfEnd = buf.indexOf(LF2, cursor - 1);
    if (headerEnd === -1 || (lfEnd !== -1 && lfEnd < headerEnd)) {
      headerEnd = lfEnd;
      sepLen = 2;
    }
    if (headerEnd === -1) throw new DmpProtocolError('a multipart part has no header/body separator');
    const headers: Record<string, string> = {};
    for (const line of buf.subarray(cursor, Math.max(cursor, headerEnd)).toString('utf8').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const start = headerEnd + sepLen;
    const next = buf.indexOf(delimiter, start);
    if (next === -1) throw new DmpProtocolError(`the multipart answer is not closed by "--${boundary}--"`);
    let end = next;
    if (buf[end - 1] === 0x0a) end -= buf[end - 2] === 0x0d ? 2 : 1;
    raw.push({ headers, bytes: buf.subarray(start, Math.max(start, end)) });
    pos = next;
  }
  if (raw.length === 0) throw new DmpProtocolError('the multipart answer has no part');
  const start = contentTypeParam(contentType, 'start');
  const rootId = start ? normalizeContentId(start) : undefined;
  let rootIndex = rootId ? raw.findIndex((p) => p.headers['content-id'] && normalizeContentId(p.headers['content-id']) === rootId) : 0;
  if (rootIndex === -1) rootIndex = 0;
  const rootPart = raw[rootIndex]!;
  const parts = new Map<string, MimePart>();
  raw.forEach((p, i) => {
    if (i === rootIndex) return;
    const cid = p.headers['content-id'];
    if (!cid) return;
    let bytes: Uint8Array = new Uint8Array(p.bytes);
    if (/^base64$/i.test(p.headers['content-transfer-encoding'] ?? '')) bytes = new Uint8Array(Buffer.from(p.bytes.toString('latin1'), 'base64'));
    const contentId = normalizeContentId(cid);
    parts.set(contentId, { contentId, contentType: p.headers['content-type'] ?? 'application/octet-stream', bytes });
  });
  return { root: rootPart.bytes.toString('utf8'), rootContentType: rootPart.headers['content-type'] ?? '', parts };
}
