/** The client against a local OpenID provider on real sockets (code+PKCE, refresh, userinfo, logout, CIBA). */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headlessLogin, headlessLogout, PscClient, PscError, PscSessionEndedError, startCiba, HeadlessBrowser } from '../../client/psc/index.js';
import { CLIENT, startLocalOp, type LocalOp } from './local-op.js';
import { DOCTOR_USERINFO } from './samples.js';

let op: LocalOp;

beforeAll(async () => {
  op = await startLocalOp([DOCTOR_USERINFO], { walletDiscovery: true });
});
afterAll(async () => {
  await op?.close();
});

function client(extra: Partial<Parameters<typeof PscClient.create>[0]> = {}) {
  return PscClient.create({ issuer: op.issuer, clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: CLIENT.redirect, postLogoutRedirectUri: CLIENT.postLogout, ...extra });
}

describe('PscClient against a local OP', () => {
  it('discovers on the wallet path first and builds a PSC-shaped authorization URL', async () => {
    op.paths.length = 0;
    const c = await client();
    expect(c.discoveryUrl).toBe(`${op.issuer}/.well-known/wallet-openid-configuration`);
    expect(op.paths[0]).toBe('/.well-known/wallet-openid-configuration');
    const req = await c.authorizationUrl({ loginHint: '899700427885' });
    const p = req.url.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('scope')).toBe('openid scope_all');
    expect(p.get('acr_values')).toBe('eidas1');
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('state')).toBe(req.state);
    expect(p.get('nonce')).toBe(req.nonce);
    expect(p.get('login_hint')).toBe('899700427885');
    expect(p.get('redirect_uri')).toBe(CLIENT.redirect);
    c.close();
  });

  it('falls back to the standard discovery path', async () => {
    const op2 = await startLocalOp([DOCTOR_USERINFO], { walletDiscovery: false });
    try {
      const c = await PscClient.create({ issuer: op2.issuer, clientId: CLIENT.id, clientSecret: CLIENT.secret, redirectUri: CLIENT.redirect });
      expect(c.discoveryUrl).toBe(`${op2.issuer}/.well-known/openid-configuration`);
      expect(op2.paths.slice(0, 2)).toEqual(['/.well-known/wallet-openid-configuration', '/.well-known/openid-configuration']);
      c.close();
    } finally {
      await op2.close();
    }
  });

  it('refuses plain http outside localhost', async () => {
    await expect(PscClient.create({ issuer: 'http://psc.example.org/auth/realms/esante-wallet', clientId: 'x', clientSecret: 'y' })).rejects.toMatchObject({ code: 'insecure_issuer' });
  });

  it('headless code flow → tokens → userinfo → refresh → introspection → logout', async () => {
    const c = await client();
    const tokens = await headlessLogin(c, { loginHint: '899700427885' });
    expect(tokens.accessToken).toBeTruthy();
    expect(tokens.idToken).toBeTruthy();
    expect(tokens.refreshToken).toBeTruthy();
    expect(tokens.expiresAt - Date.now()).toBeGreaterThan(100_000);
    expect(tokens.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    expect(c.idTokenClaims?.sub).toBe('899700427885');

    const ui = await c.userinfo();
    expect(ui.SubjectNameID).toBe('899700427885');
    expect(ui.SubjectRefPro?.exercices?.[0]?.codeSavoirFaire).toBe('SM26');

    // Never shows a token when serialised or inspected.
    expect(JSON.stringify(c)).not.toContain(tokens.accessToken);
    expect(inspect(c)).not.toContain(tokens.accessToken);
    expect(JSON.stringify(c)).not.toContain(tokens.refreshToken!);

    const refreshed = await c.refresh();
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect((await c.introspect()).active).toBe(true);
    expect((await c.introspect(tokens.accessToken)).active).toBe(true);

    const out = await headlessLogout(c, { browser: tokens.browser, postLogoutRedirectUri: CLIENT.postLogout, state: 'bye-1' });
    expect(out.revoked).toEqual(['refresh_token', 'access_token']);
    expect(out.endSessionUrl?.searchParams.get('id_token_hint')).toBeTruthy();
    expect(out.landedAt?.href).toBe(`${CLIENT.postLogout}?state=bye-1`);
    expect(c.isAuthenticated).toBe(false);
    await expect(c.userinfo()).rejects.toMatchObject({ code: 'no_session' });

    // The revoked refresh token is dead at the OP.
    const probe = await client();
    expect((await probe.introspect(refreshed.refreshToken!)).active).toBe(false);
    probe.close();
    c.close();
  });

  it('refreshes ahead of expiry and ends the session when the refresh is refused', async () => {
    let now = Date.now();
    const ended: PscSessionEndedError[] = [];
    const c = await client({ now: () => now, refreshSkewSeconds: 30, onSessionEnded: (e) => ended.push(e) });
    const first = await headlessLogin(c, { loginHint: '899700427885' });
    expect(await c.accessToken()).toBe(first.accessToken);
    now += 95_000; // 25 s left < 30 s skew: refreshed on demand
    const second = await c.accessToken();
    expect(second).not.toBe(first.accessToken);
    expect(c.expiry!.accessTokenExpiresAt).toBeGreaterThan(first.expiresAt);

    // Revoke the refresh token behind the client's back (another device logged out...).
    const other = await client();
    await (await import('openid-client')).tokenRevocation(other.config, c.tokens().refreshToken!, { token_type_hint: 'refresh_token' });
    other.close();
    now += 200_000;
    const err = await c.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PscSessionEndedError);
    expect(ended).toHaveLength(1);
    expect(c.isAuthenticated).toBe(false);
    c.close();
  });

  it('reports a login page as headless_not_enabled, and a bad state as invalid_state', async () => {
    const c = await client();
    op.autoApprove = false;
    try {
      await expect(headlessLogin(c, { loginHint: '899700427885' })).rejects.toMatchObject({ code: 'headless_not_enabled', description: 'Pro Santé Connect - Connexion' });
    } finally {
      op.autoApprove = true;
    }
    await expect(c.handleCallback(`${CLIENT.redirect}?code=abc&state=nope`)).rejects.toMatchObject({ code: 'invalid_state' });
    // An OP error on the redirect comes back with its OAuth code.
    const req = await c.authorizationUrl();
    await expect(c.handleCallback(`${CLIENT.redirect}?error=access_denied&state=${req.state}&iss=${encodeURIComponent(op.issuer)}`)).rejects.toMatchObject({ code: 'access_denied' });
    c.close();
  });
});

describe('CIBA against a local OP', () => {
  it('approve while polling → tokens and userinfo', async () => {
    const c = await client();
    const pending = await startCiba(c, { loginHint: '899700427885', bindingMessage: '42', channel: 'MOBILE' });
    expect(pending.bindingMessage).toBe('42');
    expect(op.ciba.get(pending.authReqId)).toMatchObject({ bindingMessage: '42', channel: 'MOBILE', accountId: '899700427885' });
    const polling = pending.poll();
    setTimeout(() => void op.approve(pending.authReqId), 500);
    const result = await polling;
    expect(result.status).toBe('approved');
    if (result.status !== 'approved') throw new Error('not approved');
    expect(result.tokens.accessToken).toBeTruthy();
    expect((await c.userinfo()).SubjectNameID).toBe('899700427885');
    c.close();
  }, 30_000);

  it('deny → access_denied', async () => {
    const c = await client();
    const pending = await startCiba(c, { loginHint: '899700427885', channel: 'CARD' });
    expect(pending.bindingMessage).toMatch(/^\d{2}$/);
    await op.deny(pending.authReqId);
    const result = await pending.poll();
    expect(result).toMatchObject({ status: 'denied', error: 'access_denied' });
    expect(c.isAuthenticated).toBe(false);
    c.close();
  }, 30_000);

  it('abort, unknown user and bad binding message', async () => {
    const c = await client();
    const pending = await startCiba(c, { loginHint: '899700427885', channel: 'CARD' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    expect(await pending.poll({ signal: ac.signal })).toEqual({ status: 'aborted' });
    await expect(startCiba(c, { loginHint: '899700000000', channel: 'CARD' })).rejects.toBeInstanceOf(PscError);
    await expect(startCiba(c, { loginHint: '899700427885', channel: 'CARD', bindingMessage: '123' })).rejects.toMatchObject({ code: 'invalid_binding_message' });
    c.close();
  });
});

describe('HeadlessBrowser', () => {
  it('is exported for flows that drive other pages', () => {
    expect(typeof HeadlessBrowser).toBe('function');
  });
});
