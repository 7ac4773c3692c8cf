import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

export const TOO_LARGE = Symbol('too large');

/**
 * Reads a request body straight from Node's IncomingMessage, stopping at `limit` bytes (chunked bodies
 * included). Going through `c.req.arrayBuffer()` would make node-server build a full fetch Request first,
 * a cost every SOAP, OAuth and XDS call would pay.
 */
export function readIncomingBody(incoming: IncomingMessage, limit: number): Promise<Uint8Array | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        // node-server drains what is left once the 413 is sent.
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      // One owned buffer (Buffer.concat may hand back a slice of a shared pool, and the journal keeps
      // bodies), not zero-filled since every byte is written.
      const body = Buffer.allocUnsafeSlow(size);
      let offset = 0;
      for (const chunk of chunks) {
        chunk.copy(body, offset);
        offset += chunk.length;
      }
      resolve(body);
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    incoming.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

const decoder = new TextDecoder();

/**
 * Hono's body cache for a body already read: `arrayBuffer` ready, `text` decoded on first use (a getter
 * on the prototype: one object shape for every request, instead of a property defined per request).
 * Other forms (`json`, `formData`) are derived by Hono from the first cached entry.
 */
class PrimedBodyCache {
  // The only own enumerable property: Hono derives the other forms from the first one it finds.
  readonly arrayBuffer: Promise<ArrayBuffer>;
  readonly #body: Uint8Array;
  #text: Promise<string> | undefined = undefined;

  constructor(body: Uint8Array) {
    this.#body = body;
    this.arrayBuffer = Promise.resolve(body.buffer.byteLength === body.byteLength ? (body.buffer as ArrayBuffer) : (body.slice().buffer as ArrayBuffer));
  }

  get text(): Promise<string> {
    return (this.#text ??= Promise.resolve(decoder.decode(this.#body)));
  }
}

/** Makes `c.req.arrayBuffer()`, `.text()` and `.json()` answer from bytes already read (text decoded on first use). */
export function primeHonoBody(c: Context, body: Uint8Array): void {
  (c.req as unknown as { bodyCache: unknown }).bodyCache = new PrimedBodyCache(body);
}
