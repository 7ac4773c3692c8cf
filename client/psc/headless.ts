/**
 * Code flow without a browser, for CI and the scenario flows: against a PSC simulator sandbox set to
 * auto-approve, the authorization URL carrying `login_hint` answers with redirects only. This module
 * follows them (redirect: 'manual', keeping cookies like a browser would) until the `Location` points at
 * the redirect URI, and hands that URL to `PscClient.handleCallback`. It never posts credentials: when the
 * server shows a login page instead, it stops with `headless_not_enabled`.
 */
import { PscError } from './errors.js';
import type { FetchLike } from './fetch.js';
import type { PscClient } from './session.js';
import type { PscTokenSet } from './types.js';

/** Name=value cookies per host, enough for an OP's interaction and session cookies. */
class CookieJar {
  readonly #byHost = new Map<string, Map<string, string>>();

  store(url: URL, response: Response): void {
    const setCookies = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
    if (!setCookies.length) return;
    let jar = this.#byHost.get(url.host);
    if (!jar) this.#byHost.set(url.host, (jar = new Map()));
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a)) || attrs.some((a) => /^\s*expires\s*=/i.test(a) && Date.parse(a.split('=').slice(1).join('=')) < Date.now());
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  header(url: URL): string | undefined {
    const jar = this.#byHost.get(url.host);
    if (!jar?.size) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clear(): void {
    this.#byHost.clear();
  }
}

export interface HeadlessOptions {
  /** Redirects to follow at most (default 15). */
  maxRedirects?: number;
}

export interface NavigationResult {
  /** The URL that matched `stopAt`, if any. */
  stoppedAt?: URL;
  /** Last response when the chain ended elsewhere. */
  finalUrl: URL;
  status: number;
  body?: string;
}

/** A minimal cookie-keeping navigator over the client's transport (sandbox header, trust anchors). */
export class HeadlessBrowser {
  readonly cookies = new CookieJar();

  constructor(
    private readonly fetchImpl: FetchLike,
    private readonly opts: HeadlessOptions = {},
  ) {}

  /** Follows redirects from `start` until `stopAt(url)` is true, or a non-redirect response. */
  async navigate(start: URL, stopAt: (url: URL) => boolean, init: { method?: string; body?: URLSearchParams } = {}): Promise<NavigationResult> {
    let url = start;
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.body;
    const max = this.opts.maxRedirects ?? 15;
    for (let hop = 0; hop <= max; hop++) {
      if (stopAt(url)) return { stoppedAt: url, finalUrl: url, status: 0 };
      const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9,*/*;q=0.8' };
      const cookie = this.cookies.header(url);
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await this.fetchImpl(url.href, { method, headers, body: body?.toString(), redirect: 'manual' });
      this.cookies.store(url, response);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        url = new URL(location, url);
        if (response.status !== 307 && response.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const text = await response.text();
      return { finalUrl: url, status: response.status, body: text };
    }
    throw new PscError(`more than ${max} redirects from ${start.origin}${start.pathname}`, 'too_many_redirects');
  }
}

function sameEndpoint(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname.replace(/\/+$/, '') === b.pathname.replace(/\/+$/, '');
}

function summary(body: string | undefined): string {
  if (!body) return '';
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
  if (title) return title;
  try {
    const json = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    if (typeof json.error === 'string') return `${json.error}${typeof json.error_description === 'string' ? `: ${json.error_description}` : ''}`;
  } catch {
    /* not JSON */
  }
  return body.replace(/\s+/g, ' ').slice(0, 160);
}

export interface HeadlessLoginOptions extends HeadlessOptions {
  /** idNat (SubjectNameID) or RPPS of the professional. */
  loginHint: string;
  /** Reuse a browser (its cookies keep the PSC SSO session, e.g. for `headlessLogout`). */
  browser?: HeadlessBrowser;
  /** Extra authorization parameters. */
  extra?: Record<string, string>;
}

/**
 * Runs the authorization code flow without a browser and installs the tokens in `client`.
 * Needs the sandbox's PSC headless mode (auto-approve) on the server side.
 */
export async function headlessLogin(client: PscClient, opts: HeadlessLoginOptions): Promise<PscTokenSet & { browser: HeadlessBrowser }> {
  if (!opts.loginHint) throw new PscError('headless login needs loginHint (idNat or RPPS)', 'invalid_request');
  const browser = opts.browser ?? new HeadlessBrowser(client.fetch, opts);
  const request = await client.authorizationUrl({ loginHint: opts.loginHint, extra: opts.extra });
  const redirect = new URL(client.redirectUri!);
  const nav = await browser.navigate(request.url, (u) => sameEndpoint(u, redirect));
  if (!nav.stoppedAt) {
    const what = summary(nav.body);
    throw new PscError(
      `PSC did not redirect back to ${redirect.href} (HTTP ${nav.status} at ${nav.finalUrl.origin}${nav.finalUrl.pathname}${what ? `: ${what}` : ''}); ` +
        'is headless mode (auto-approve) enabled for this sandbox?',
      'headless_not_enabled',
      nav.status,
      what || undefined,
    );
  }
  const tokens = await client.handleCallback(nav.stoppedAt);
  return Object.assign(tokens, { browser });
}

/** Parses the first HTML form of a page: action, method and the fields a browser would submit. */
export function parseForm(html: string, base: URL): { action: URL; method: string; fields: URLSearchParams } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const attr = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)?.slice(1).find((v) => v !== undefined);
  const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const fields = new URLSearchParams();
  for (const input of form[2]!.match(/<input\b[^>]*>/gi) ?? []) {
    const type = (attr(input, 'type') ?? 'text').toLowerCase();
    const name = attr(input, 'name');
    if (!name || ['submit', 'button', 'image', 'checkbox', 'radio'].includes(type)) continue;
    fields.append(decode(name), decode(attr(input, 'value') ?? ''));
  }
  // The submit button (possibly outside the form, tied by form="id"): prefer value "yes".
  const buttons = [...html.matchAll(/<button\b[^>]*>/gi)].map((m) => m[0]).filter((b) => attr(b, 'name'));
  const button = buttons.find((b) => (attr(b, 'value') ?? '').toLowerCase() === 'yes') ?? buttons[0];
  if (button) fields.append(decode(attr(button, 'name')!), decode(attr(button, 'value') ?? ''));
  const action = new URL(decode(attr(form[1]!, 'action') ?? base.href), base);
  return { action, method: (attr(form[1]!, 'method') ?? 'GET').toUpperCase(), fields };
}

/**
 * Logs out and, like a browser would, calls the end-session URL (submitting the OP's logout confirmation
 * form when it shows one), with the browser's cookies when given. Resolves with where the chain ended.
 */
export async function headlessLogout(
  client: PscClient,
  opts: HeadlessOptions & { browser?: HeadlessBrowser; postLogoutRedirectUri?: string; state?: string } = {},
): Promise<{ endSessionUrl?: URL; revoked: string[]; landedAt?: URL; status?: number }> {
  const { endSessionUrl, revoked } = await client.logout({ postLogoutRedirectUri: opts.postLogoutRedirectUri, state: opts.state });
  if (!endSessionUrl) return { revoked };
  const browser = opts.browser ?? new HeadlessBrowser(client.fetch, opts);
  const post = opts.postLogoutRedirectUri ? new URL(opts.postLogoutRedirectUri) : undefined;
  const stop = (u: URL) => !!post && sameEndpoint(u, post);
  let nav = await browser.navigate(endSessionUrl, stop);
  for (let i = 0; i < 2 && !nav.stoppedAt && nav.status === 200 && nav.body; i++) {
    const form = parseForm(nav.body, nav.finalUrl);
    if (!form) break;
    nav =
      form.method === 'POST'
        ? await browser.navigate(form.action, stop, { method: 'POST', body: form.fields })
        : await browser.navigate(new URL(`${form.action.origin}${form.action.pathname}?${form.fields}`), stop);
  }
  if (!nav.stoppedAt && nav.status >= 400) {
    throw new PscError(`PSC end-session answered HTTP ${nav.status}: ${summary(nav.body)}`, 'logout_failed', nav.status);
  }
  return { endSessionUrl, revoked, landedAt: nav.stoppedAt ?? nav.finalUrl, status: nav.status };
}
