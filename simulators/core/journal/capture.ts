import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

export interface WrittenResponse {
  /** Absent when nothing was sent (connection reset or hung by a scenario). */
  status?: number;
  /** Node's header block as sent (status line included), packed; header objects when there is none. */
  headers: PackedHeaders | OutgoingHttpHeaders | Record<string, string>;
  body: Uint8Array | string | undefined;
  /** Why the response never (fully) left, when it did not. */
  cut?: string;
}

/** Headers packed into one JSON string by `packHeaders`. */
export type PackedHeaders = string & { readonly packedHeaders: true };

/**
 * Headers as the journal holds them until an entry is read: one flat string. The journal keeps thousands
 * of exchanges, so whatever it holds survives the young generation and is copied by the garbage
 * collector; a header object or Node's raw list is a dozen small objects per exchange, and copying them
 * was most of the host's GC time (measured on the no-op: 7.7 → 3.4 µs per request).
 */
export function packHeaders(headers: string | readonly string[] | OutgoingHttpHeaders): PackedHeaders {
  return JSON.stringify(headers) as PackedHeaders;
}

/**
 * Node header objects, Node's raw [name, value, ...] list, a header block as written on the wire
 * (`HTTP/1.1 200 OK\r\nName: value\r\n...`), or any of them packed, as plain lower-case strings
 * (repeated headers joined the way HTTP allows).
 */
export function flatHeaders(headers: PackedHeaders | string | IncomingHttpHeaders | OutgoingHttpHeaders | readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof headers === 'string') {
    if (headers.startsWith('"') || headers.startsWith('[') || headers.startsWith('{')) return flatHeaders(JSON.parse(headers) as string | readonly string[] | OutgoingHttpHeaders);
    for (const line of headers.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      out[name] = name in out ? `${out[name]}, ${value}` : value;
    }
    return out;
  }
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = String(headers[i]).toLowerCase();
      out[name] = name in out ? `${out[name]}, ${headers[i + 1]}` : String(headers[i + 1]);
    }
    return out;
  }
  const object = headers as IncomingHttpHeaders | OutgoingHttpHeaders;
  for (const key in object) {
    const value = object[key];
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

type Chunk = string | Uint8Array;

/**
 * The HTTP servers' response class: records exactly what is written for the responses the host
 * journals. Capturing on the wire side (instead of reading the fetch Response) keeps node-server on its
 * single-write path and records what the client really received; a subclass keeps one object shape
 * for V8 where patching each response would not.
 */
export class CapturingResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  private onWritten: ((written: WrittenResponse) => void) | undefined = undefined;
  /** The usual response is one `end(body)`: keep that chunk alone, an array only for streamed bodies. */
  private first: Chunk | undefined = undefined;
  private more: Chunk[] | undefined = undefined;

  /** Asks for `done` to be called once the response has been handed to the socket. */
  capture(done: (written: WrittenResponse) => void): void {
    this.onWritten = done;
    this.first = undefined;
    this.more = undefined;
  }

  /** The response will not be written (reset, hang): report it now, with the reason. */
  cut(reason: string): void {
    const done = this.onWritten;
    this.onWritten = undefined;
    done?.({ status: undefined, headers: {}, body: undefined, cut: reason });
  }

  override write(chunk: unknown, ...rest: unknown[]): boolean {
    if (this.onWritten) this.keep(chunk, rest[0]);
    return (super.write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }

  override end(chunk?: unknown, ...rest: unknown[]): this {
    const done = this.onWritten;
    if (!done) return (super.end as (...a: unknown[]) => this)(chunk, ...rest);
    this.onWritten = undefined;
    this.keep(chunk, rest[0]);
    const result = (super.end as (...a: unknown[]) => this)(chunk, ...rest);
    const first = this.first;
    const more = this.more;
    this.first = undefined;
    this.more = undefined;
    done({
      status: this.statusCode,
      // The header block Node wrote (what the client received, Date and Connection included), packed.
      headers: packHeaders((this as unknown as { _header?: string | null })._header || this.getHeaders()),
      // A single string (the usual JSON or XML answer) is kept as is: the journal decodes nothing until read.
      body: more ? Buffer.concat([first!, ...more].map((c) => (typeof c === 'string' ? Buffer.from(c) : c))) : first,
    });
    return result;
  }

  private keep(chunk: unknown, encoding: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const c = chunk as Chunk;
    const utf8 = encoding === undefined || encoding === 'utf8' || encoding === 'utf-8' || typeof encoding === 'function';
    const kept = typeof c === 'string' && !utf8 ? Buffer.from(c, encoding as BufferEncoding) : c;
    if (this.first === undefined) this.first = kept;
    else (this.more ??= []).push(kept);
  }
}
