import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';

export interface WrittenResponse {
  /** Absent when nothing was sent (connection reset or hung by a scenario). */
  status?: number;
  headers: OutgoingHttpHeaders | Record<string, string>;
  body: Uint8Array | string | undefined;
  /** Why the response never (fully) left, when it did not. */
  cut?: string;
}

/**
 * Node header objects, or Node's raw [name, value, ...] list, as plain lower-case strings (repeated
 * headers joined the way HTTP allows).
 */
export function flatHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders | readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
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
      headers: this.getHeaders(),
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
