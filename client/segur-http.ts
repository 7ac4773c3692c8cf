import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/**
 * One JSON call to a segur-sim endpoint (admin API, Vitale reader): a network failure or an
 * `{ error: { code, message } }` answer becomes the caller's error type, built by `fail`.
 */
export async function segurJson<T>(
  url: string,
  init: RequestInit,
  fail: (status: number, code: string, message: string) => Error,
  unreachable: (cause: string) => string,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw fail(0, 'Unreachable', unreachable(cause ? ` (${cause})` : ''));
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw fail(response.status, error?.code ?? `HTTP${response.status}`, error?.message ?? (text || response.statusText));
  }
  if (json === undefined && text) throw fail(response.status, 'InvalidResponse', `answered ${response.status} without JSON: ${text.slice(0, 200)}`);
  return json as T;
}

/** Why a bounded POST failed; each client turns it into its own error type. */
export type PostFailure =
  | { kind: 'too-large'; limit: number; status: number | undefined }
  | { kind: 'timeout'; timeoutMs: number }
  /** The request could not be sent (connection refused, TLS handshake...). */
  | { kind: 'request'; error: NodeJS.ErrnoException }
  /** The answer broke off while it was being read. */
  | { kind: 'response'; error: Error; status: number | undefined }
  /** The connection closed before the whole answer arrived. */
  | { kind: 'cut'; status: number | undefined };

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One POST over node:http(s) with a whole-exchange timeout and a cap on the answer's size (a client must
 * not buffer whatever a misbehaving server sends). Settles once: the first failure wins.
 */
export function postBounded(
  url: URL,
  payload: Buffer,
  opts: { headers: Record<string, string | number>; agent?: http.Agent; timeoutMs: number; maxBytes: number },
  failure: (f: PostFailure) => Error,
): Promise<RawAnswer> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (f: PostFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(failure(f));
    };
    const request = mod.request(url, { method: 'POST', headers: { ...opts.headers, 'Content-Length': String(payload.length) }, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) {
          fail({ kind: 'too-large', limit: opts.maxBytes, status: res.statusCode });
          request.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (error) => fail({ kind: 'response', error, status: res.statusCode }));
      res.on('aborted', () => fail({ kind: 'cut', status: res.statusCode }));
    });
    const timer = setTimeout(() => {
      fail({ kind: 'timeout', timeoutMs: opts.timeoutMs });
      request.destroy();
    }, opts.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => fail({ kind: 'request', error }));
    request.end(payload);
  });
}

/**
 * A SOAP endpoint from a base URL: `path` (e.g. `/lps`) appended unless the URL already ends with it (a
 * trailing slash tolerated). `invalid` builds the module's own input error.
 */
export function endpointUrl(baseUrl: string, path: string, invalid: (message: string) => Error): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid(`baseUrl "${baseUrl}" is not a URL`);
  }
  const trimmed = url.pathname.replace(/\/$/, '');
  if (!trimmed.endsWith(path)) url.pathname = trimmed + path;
  return url;
}

/**
 * A keep-alive agent for the URL's scheme: over https with the trust anchors and, for mutual TLS, the
 * client key and certificate (chain). `invalid` builds the module's own input error for another scheme.
 */
export function keepAliveAgent(url: URL, opts: { maxSockets: number; ca?: string | string[]; key?: string; cert?: string }, invalid: (message: string) => Error): http.Agent {
  if (url.protocol === 'https:') {
    const tls: https.AgentOptions = { keepAlive: true, maxSockets: opts.maxSockets };
    if (opts.ca) tls.ca = Array.isArray(opts.ca) ? opts.ca : [opts.ca];
    if (opts.key && opts.cert) {
      tls.key = opts.key;
      tls.cert = opts.cert;
    }
    return new https.Agent(tls);
  }
  if (url.protocol === 'http:') return new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets });
  throw invalid(`baseUrl must be http(s), got ${url.protocol}`);
}
