/**
 * HTTP transport handed to openid-client as its `customFetch`.
 *
 * Node 20's global fetch cannot present a client certificate (that needs an undici Agent, which Node does
 * not expose), so mTLS (`tls_client_auth` with an IGC-Santé-like ORG certificate) and private trust anchors go
 * through `node:https` here. Without TLS options, the global fetch is used. Either way the extra headers
 * (e.g. `X-Segur-Sandbox`) are added to every request.
 */
import http from 'node:http';
import https from 'node:https';

export interface PscTlsOptions {
  /** Client key (PEM) for mutual TLS: the structure's organisation certificate key. */
  keyPem?: string;
  /** Client certificate (PEM, the full chain is best). */
  certPem?: string;
  /** PKCS#12 bundle instead of keyPem/certPem. */
  pfx?: Buffer;
  passphrase?: string;
  /** Trust anchors for the server certificate (e.g. the simulator's `ca/ca-bundle.pem`). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface FetchInit {
  method?: string;
  headers?: Record<string, string> | Headers | [string, string][];
  body?: unknown;
  redirect?: 'manual' | 'follow' | 'error';
  signal?: AbortSignal | null;
}

/** The subset of fetch this module needs (and provides). */
export type FetchLike = (url: string, init?: FetchInit) => Promise<Response>;

export interface Transport {
  fetch: FetchLike;
  /** True when requests go through node:https with the given TLS options. */
  readonly mtls: boolean;
  close(): void;
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError(`unsupported request body type for the PSC transport: ${Object.prototype.toString.call(body)}`);
}

function headerRecord(headers: FetchInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

/** A fetch over node:http(s) with a dedicated agent (client certificate, trust anchors, keep-alive). */
function nodeFetch(tls: PscTlsOptions): { fetch: FetchLike; close(): void } {
  const httpsAgent = new https.Agent({
    keepAlive: true,
    key: tls.keyPem,
    cert: tls.certPem,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    ca: tls.ca,
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
  });
  const httpAgent = new http.Agent({ keepAlive: true });
  const fetchImpl: FetchLike = (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const isHttps = target.protocol === 'https:';
      if (!isHttps && target.protocol !== 'http:') return reject(new TypeError(`unsupported protocol ${target.protocol}`));
      const body = bodyBytes(init.body);
      const headers = headerRecord(init.headers);
      if (body && headers['content-length'] === undefined) headers['content-length'] = String(body.length);
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const req = (isHttps ? https : http).request(target, { method: init.method ?? 'GET', headers, agent: isHttps ? httpsAgent : httpAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const status = res.statusCode ?? 500;
          const nullBody = status === 204 || status === 205 || status === 304 || init.method === 'HEAD';
          try {
            resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
          } catch (err) {
            reject(err);
          }
        });
      });
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
      req.end(body);
    });
  return {
    fetch: fetchImpl,
    close() {
      httpsAgent.destroy();
      httpAgent.destroy();
    },
  };
}

/** Builds the transport: node:https when TLS options are given, the global fetch otherwise; adds `headers`. */
export function createTransport(opts: { tls?: PscTlsOptions; headers?: Record<string, string> } = {}): Transport {
  const tls = opts.tls;
  const useNode = !!tls && (tls.keyPem !== undefined || tls.certPem !== undefined || tls.pfx !== undefined || tls.ca !== undefined || tls.rejectUnauthorized === false);
  const base = useNode ? nodeFetch(tls!) : { fetch: ((url, init) => fetch(url, init as RequestInit)) as FetchLike, close() {} };
  const extra = opts.headers ?? {};
  const hasExtra = Object.keys(extra).length > 0;
  return {
    mtls: useNode && (tls!.certPem !== undefined || tls!.pfx !== undefined),
    fetch: hasExtra
      ? (url, init = {}) => {
          const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
          for (const [k, v] of Object.entries(extra)) if (!headers.has(k)) headers.set(k, v);
          return base.fetch(url, { ...init, headers: headerRecord(headers) });
        }
      : base.fetch,
    close: base.close,
  };
}
