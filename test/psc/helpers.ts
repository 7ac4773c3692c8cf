import * as oidc from 'openid-client';
import type { TestHost } from '../support/host.js';

export const REALM = '/auth/realms/esante-wallet';
export const CLIENT_ID = 'segur-sim-lgc';
export const CLIENT_SECRET = 'segur-sim-lgc-secret';
export const REDIRECT = 'http://localhost:9999/callback';

export function issuerOf(base: string, sandbox?: string): string {
  return `${base}${sandbox ? `/_sandbox/${sandbox}` : ''}${REALM}`;
}

/** openid-client configuration against the simulator (http allowed, client_secret_basic). */
export async function discover(base: string, sandbox?: string, opts: { clientId?: string; secret?: string } = {}): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuerOf(base, sandbox)), opts.clientId ?? CLIENT_ID, undefined, oidc.ClientSecretBasic(opts.secret ?? CLIENT_SECRET), {
    execute: [oidc.allowInsecureRequests],
  });
}

export async function setPsc(t: TestHost, sandbox: string, settings: { autoApprove?: boolean; authMode?: 'MOBILE' | 'CARD' }): Promise<void> {
  const res = await fetch(`${t.http}/_admin/sandboxes/${sandbox}/psc`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  if (!res.ok) throw new Error(`PUT psc settings: ${res.status} ${await res.text()}`);
}

/** A tiny browser: a cookie jar and manual redirects. */
export class Browser {
  private readonly jar = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.jar.size) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  /** Follows redirects until one leaves `base` (the client's redirect_uri) or a page is served. */
  async follow(url: string, base: string, init?: RequestInit): Promise<{ res: Response; url: string }> {
    let res = await this.fetch(url, init);
    let current = url;
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      current = new URL(res.headers.get('location')!, current).href;
      if (!current.startsWith(base)) return { res, url: current };
      res = await this.fetch(current);
    }
    return { res, url: current };
  }
}

export interface AuthStart {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function startAuth(config: oidc.Configuration, extra: Record<string, string> = {}): Promise<AuthStart> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid scope_all',
    acr_values: 'eidas1',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h!, 'base64url').toString()), payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) };
}
