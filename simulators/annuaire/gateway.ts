/**
 * What the ANS API gateway (Gravitee) does in front of the FHIR server: the `ESANTE-API-KEY` check and the
 * 17 calls/s plan, plus the error bodies both layers answer with.
 */
import type { Clock } from '../core/clock.js';
import { FHIR_JSON } from './constants.js';

/** `fhir`: OperationOutcome (default). `gravitee`: Gravitee's own `{message, http_status_code}` JSON [I]. */
export type GatewayErrorStyle = 'fhir' | 'gravitee';

/** FHIR IssueType codes used by the simulator. */
export type IssueCode = 'invalid' | 'not-found' | 'not-supported' | 'processing' | 'login' | 'security' | 'forbidden' | 'throttled' | 'exception';

/** A FHIR OperationOutcome response with one error issue. */
export function outcomeResponse(status: number, code: IssueCode, diagnostics: string, opts: { details?: string; headers?: Record<string, string>; severity?: 'error' | 'fatal' } = {}): Response {
  const issue: Record<string, unknown> = { severity: opts.severity ?? 'error', code, diagnostics };
  if (opts.details) issue.details = { text: opts.details };
  return new Response(JSON.stringify({ resourceType: 'OperationOutcome', issue: [issue] }), { status, headers: { 'content-type': FHIR_JSON, ...opts.headers } });
}

/** An error raised by the gateway layer (key, plan, method), in the configured style. */
export function gatewayError(style: GatewayErrorStyle, status: number, code: IssueCode, message: string, details: string, headers: Record<string, string> = {}): Response {
  if (style === 'gravitee') {
    return new Response(JSON.stringify({ message, http_status_code: status }), { status, headers: { 'content-type': 'application/json', ...headers } });
  }
  return outcomeResponse(status, code, message, { details, headers });
}

export const GATEWAY_MESSAGES = {
  /** Gravitee when no plan matches the request (no key) [I: Gravitee default]. */
  missingKey: 'Unauthorized',
  /** Gravitee API-key policy, unknown/revoked key (API_KEY_INVALID) [S: Gravitee source]. */
  invalidKey: 'API Key is not valid or is expired / revoked.',
  /** Gravitee rate-limit policy message [S: Gravitee source]. */
  rateLimited: (limit: number, windowMs: number) =>
    windowMs % 1000 === 0 ? `Rate limit exceeded ! You reach the limit of ${limit} requests per ${windowMs / 1000} seconds` : `Rate limit exceeded ! You reach the limit of ${limit} requests per ${windowMs} milliseconds`,
} as const;

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms at which the current window ends. */
  reset: number;
}

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed window per API key, as Gravitee's rate-limit policy counts: the window opens with the first call
 * and lasts `windowMs`; every call in it counts (refused ones too); the `limit + 1`-th is refused.
 * Scoped by an object (the sandbox), so parallel CI runs using the demo key do not throttle each other.
 */
export class RateLimiter {
  private readonly scopes = new WeakMap<object, Map<string, Window>>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.limit > 0;
  }

  hit(scope: object, key: string): RateDecision {
    const now = this.clock.now();
    let windows = this.scopes.get(scope);
    if (!windows) {
      windows = new Map();
      this.scopes.set(scope, windows);
    }
    let w = windows.get(key);
    if (!w || now - w.start >= this.windowMs || now < w.start) {
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    return { allowed: w.count <= this.limit, limit: this.limit, remaining: Math.max(0, this.limit - w.count), reset: w.start + this.windowMs };
  }

  /** Headers of the rate-limit policy (Gravitee `X-Rate-Limit-*`) [I: names as Gravitee sends them]. */
  static headers(d: RateDecision): Record<string, string> {
    return { 'x-rate-limit-limit': String(d.limit), 'x-rate-limit-remaining': String(d.remaining), 'x-rate-limit-reset': String(d.reset) };
  }
}
