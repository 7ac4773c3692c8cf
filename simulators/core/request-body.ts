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
      // One owned buffer (Buffer.concat may hand back a slice of a shared pool).
      const body = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
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

/** Makes `c.req.arrayBuffer()`, `.text()` and `.json()` answer from bytes already read (text decoded on first use). */
export function primeHonoBody(c: Context, body: Uint8Array): void {
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache.arrayBuffer = Promise.resolve(body.buffer);
  let text: Promise<string> | undefined;
  Object.defineProperty(cache, 'text', { enumerable: true, configurable: true, get: () => (text ??= Promise.resolve(decoder.decode(body))) });
}
