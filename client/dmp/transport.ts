/**
 * HTTP(S) transport of the DMP client: node:https with a keep-alive agent for mutual TLS (the CPx card
 * certificate in direct authentication, the structure's certificate in indirect mode, dmp.md §2.3), or a
 * fetch-like function given by the caller. Network failures, timeouts and answers without a usable SOAP
 * body under HTTP 5xx/429 become DmpUnavailableError (what the feeding queue retries).
 */
import http from 'node:http';
import https from 'node:https';
import { postBounded } from '../segur-http.js';
import { DmpTransportError, DmpUnavailableError, type DmpError } from './errors.js';

export interface DmpTlsOptions {
  /** Client certificate (or chain) PEM, for mutual TLS. */
  cert?: string;
  key?: string;
  /** Trust anchors for the server certificate. */
  ca?: string | string[];
  /** TLS 1.2 minimum by default (dmp.md §2.3). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** The subset of `fetch` the client uses (a caller may route through its own proxy or test double). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: Uint8Array; signal?: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface HttpAnswer {
  status: number;
  contentType: string;
  retryAfter?: string;
  body: Buffer;
}

export interface TransportOptions {
  tls?: DmpTlsOptions;
  fetch?: FetchLike;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** TLS errors that a retry will not fix (configuration: unknown CA, wrong name, refused certificate). */
const TLS_CONFIG = /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME|unknown ca|bad certificate|certificate required|handshake failure|wrong version/i;

export class Transport {
  private readonly agent: http.Agent | undefined;
  private readonly httpsAgent: https.Agent | undefined;

  constructor(private readonly opts: TransportOptions) {
    if (!opts.fetch) {
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      const t = opts.tls ?? {};
      this.httpsAgent = new https.Agent({
        keepAlive: true,
        maxSockets: 8,
        minVersion: t.minVersion ?? 'TLSv1.2',
        ...(t.cert ? { cert: t.cert } : {}),
        ...(t.key ? { key: t.key } : {}),
        ...(t.ca ? { ca: t.ca } : {}),
      });
    }
  }

  close(): void {
    this.agent?.destroy();
    this.httpsAgent?.destroy();
  }

  async post(url: URL, body: Buffer, headers: Record<string, string>): Promise<HttpAnswer> {
    if (this.opts.fetch) return this.viaFetch(url, body, headers);
    return this.viaNode(url, body, headers);
  }

  private async viaFetch(url: URL, body: Buffer, headers: Record<string, string>): Promise<HttpAnswer> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs);
    let res;
    try {
      res = await this.opts.fetch!(url.toString(), { method: 'POST', headers, body: new Uint8Array(body), signal });
    } catch (err) {
      throw networkError(url, err as NodeJS.ErrnoException, signal.aborted ? this.opts.timeoutMs : undefined);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > this.opts.maxResponseBytes) throw new DmpTransportError(`DMP answer larger than ${this.opts.maxResponseBytes} bytes`, 'too-large', res.status);
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after') ?? undefined, body: bytes };
  }

  private async viaNode(url: URL, payload: Buffer, headers: Record<string, string>): Promise<HttpAnswer> {
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.agent;
    const { timeoutMs, maxResponseBytes } = this.opts;
    const answer = await postBounded(url, payload, { headers, agent, timeoutMs, maxBytes: maxResponseBytes }, (f) => {
      switch (f.kind) {
        case 'too-large':
          return new DmpTransportError(`DMP answer larger than ${f.limit} bytes`, 'too-large', f.status);
        case 'timeout':
          return new DmpUnavailableError(`the DMP did not answer within ${f.timeoutMs} ms`, 'timeout');
        case 'cut':
          return new DmpUnavailableError(`the DMP answer from ${url.host} was cut`, 'network', f.status);
        default:
          return networkError(url, f.error as NodeJS.ErrnoException);
      }
    });
    const retryAfter = answer.headers['retry-after'];
    return { status: answer.status, contentType: String(answer.headers['content-type'] ?? ''), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body: answer.body };
  }
}

function networkError(url: URL, err: NodeJS.ErrnoException, timeoutMs?: number): DmpError {
  if (timeoutMs !== undefined) return new DmpUnavailableError(`the DMP did not answer within ${timeoutMs} ms`, 'timeout', undefined, undefined, err);
  const cause = (err as { cause?: NodeJS.ErrnoException }).cause ?? err;
  const code = cause.code ?? '';
  const text = `${code} ${cause.message ?? ''}`;
  if (url.protocol === 'https:' && TLS_CONFIG.test(text) && !/ECONNRESET|EPIPE|socket hang up/i.test(text)) {
    return new DmpTransportError(`TLS with ${url.host} failed: ${cause.message}`, 'tls', undefined, err);
  }
  return new DmpUnavailableError(`cannot reach the DMP at ${url.host}: ${code ? `${code} ` : ''}${cause.message ?? String(err)}`, 'network', undefined, undefined, err);
}

/** `Retry-After` as seconds (delta or HTTP date), undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, Math.round((t - now) / 1000)) : undefined;
}
