import { request as httpsRequest } from 'node:https';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePscToken } from '../../simulators/core/psc-token.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { CLIENT_ID, CLIENT_SECRET, decodeJwt, discover, issuerOf, REDIRECT, setPsc, startAuth } from './helpers.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost({ 'psc.cibaInterval': 1 } as never);
});
afterAll(() => t?.close());

const world = () => t.host.context.sandboxes.world();
const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;

function https(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; cert?: { keyPem: string; chainPem: string } }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, ca: t.host.context.pki.caCertsPem, ...(opts.cert ? { key: opts.cert.keyPem, cert: opts.cert.chainPem } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function addScenario(sandbox: string, name: string, rules: unknown[]): Promise<void> {
  const create = await fetch(`${t.http}/_admin/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml: JSON.stringify({ name, rules }) }) });
  if (!create.ok) throw new Error(`scenario: ${create.status} ${await create.text()}`);
  const activate = await fetch(`${t.http}/_admin/sandboxes/${sandbox}/scenarios/${name}`, { method: 'POST' });
  if (!activate.ok) throw new Error(`activate: ${activate.status} ${await activate.text()}`);
}

describe('PSC CIBA (poll)', () => {
  it('pending until approved through the admin API, then tokens', async () => {
    const sandbox = 'ciba-approve';
    const pro = world().professionals[2]!;
    const config = await discover(t.http, sandbox);
    const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid scope_all', login_hint: pro.idNat, binding_message: '42', acr_values: 'eidas1', channel: 'CARD' });
    expect(ack.expires_in).toBe(120);
    expect(ack.interval).toBe(1);
    // a poll while pending
    const pending = await fetch(`${issuerOf(t.http, sandbox)}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: new URLSearchParams({ grant_type: 'urn:openid:params:grant-type:ciba', auth_req_id: ack.auth_req_id }).toString(),
    });
    expect(pending.status).toBe(400);
    expect(await pending.json()).toMatchObject({ error: 'authorization_pending' });
    const list = (await (await fetch(`${t.http}/_admin/sandboxes/${sandbox}/psc/ciba`)).json()) as { requests: { authReqId: string; bindingMessage: string; channel: string; idNat: string }[] };
    expect(list.requests).toEqual([expect.objectContaining({ authReqId: ack.auth_req_id, bindingMessage: '42', channel: 'CARD', idNat: pro.idNat })]);
    const approve = await fetch(`${t.http}/_admin/sandboxes/${sandbox}/psc/ciba/${ack.auth_req_id}/approve`, { method: 'POST' });
    expect(approve.status).toBe(200);
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, ack);
    const at = decodeJwt(tokens.access_token).payload;
    expect(at).toMatchObject({ SubjectNameID: pro.idNat, authMode: 'CARD', acr: 'eidas3' });
    expect(tokens.claims()!.SubjectNameID).toBe(pro.idNat);
  });

  it('denied by the admin API → access_denied', async () => {
    const sandbox = 'ciba-deny';
    const config = await discover(t.http, sandbox);
    const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid scope_all', login_hint: world().professionals[1]!.rpps, binding_message: '07' });
    await fetch(`${t.http}/_admin/sandboxes/${sandbox}/psc/ciba/${ack.auth_req_id}/deny`, { method: 'POST' });
    await expect(oidc.pollBackchannelAuthenticationGrant(config, ack)).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('scenario psc.ciba expire → expired_token; approve after a delay → tokens', async () => {
    const sandbox = 'ciba-scenario';
    await addScenario(sandbox, 'psc-ciba-expire', [{ id: 'exp', match: { service: 'psc', operation: 'ciba', facts: { idNat: world().professionals[4]!.idNat } }, effects: [{ outcome: { name: 'psc.ciba', with: { decision: 'expire', afterMs: 100 } } }] }]);
    const config = await discover(t.http, sandbox);
    const ack = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid scope_all', login_hint: world().professionals[4]!.idNat, binding_message: '11' });
    await expect(oidc.pollBackchannelAuthenticationGrant(config, ack)).rejects.toMatchObject({ error: 'expired_token' });

    await addScenario(sandbox, 'psc-ciba-approve', [{ id: 'ok', match: { service: 'psc', operation: 'ciba', facts: { idNat: world().professionals[5]!.idNat } }, effects: [{ outcome: { name: 'psc.ciba', with: { decision: 'approve', afterMs: 300 } } }] }]);
    const ack2 = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid scope_all', login_hint: world().professionals[5]!.idNat, binding_message: '12', channel: 'MOBILE' });
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, ack2);
    expect(decodeJwt(tokens.access_token).payload).toMatchObject({ SubjectNameID: world().professionals[5]!.idNat, authMode: 'MOBILE', acr: 'eidas1' });
  });

  it('unknown login_hint is refused', async () => {
    const config = await discover(t.http, 'ciba-unknown');
    await expect(oidc.initiateBackchannelAuthentication(config, { scope: 'openid scope_all', login_hint: '899999999999' })).rejects.toMatchObject({ error: 'invalid_request' });
  });
});

describe('PSC mTLS client authentication (tls_client_auth)', () => {
  it('the INSI-AUTO organisation certificate authenticates segur-sim-mtls at the token endpoint', async () => {
    const sandbox = 'mtls';
    await setPsc(t, sandbox, { autoApprove: true });
    const pro = world().professionals[6]!;
    const iss = issuerOf(t.https, sandbox);
    const verifier = oidc.randomPKCECodeVerifier();
    const auth = new URL(`${iss}/protocol/openid-connect/auth`);
    auth.search = new URLSearchParams({ response_type: 'code', client_id: 'segur-sim-mtls', redirect_uri: REDIRECT, scope: 'openid scope_all', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', login_hint: pro.idNat }).toString();
    const redirected = await https(auth.href, {});
    expect(redirected.status).toBe(303);
    const code = new URL(String(redirected.headers.location)).searchParams.get('code')!;
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'segur-sim-mtls' }).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const noCert = await https(`${iss}/protocol/openid-connect/token`, { method: 'POST', headers, body: form });
    expect(noCert.status).toBe(401);
    expect(JSON.parse(noCert.body)).toMatchObject({ error: 'invalid_client' });
    const wrongCert = await https(`${iss}/protocol/openid-connect/token`, { method: 'POST', headers, body: form, cert: t.host.context.pki.orgClients['INSI-MANU'] });
    expect(wrongCert.status).toBe(401);
    const ok = await https(`${iss}/protocol/openid-connect/token`, { method: 'POST', headers, body: form, cert: t.host.context.pki.orgClients['INSI-AUTO'] });
    expect(ok.status).toBe(200);
    const tokens = JSON.parse(ok.body) as { access_token: string };
    expect(decodeJwt(tokens.access_token).payload).toMatchObject({ azp: 'segur-sim-mtls', SubjectNameID: pro.idNat });
    const intro = await https(`${iss}/protocol/openid-connect/token/introspect`, { method: 'POST', headers, body: `token=${tokens.access_token}&client_id=segur-sim-mtls`, cert: t.host.context.pki.orgClients['INSI-AUTO'] });
    expect(JSON.parse(intro.body)).toMatchObject({ active: true, SubjectNameID: pro.idNat });
  });
});

describe('PSC scenario outcomes and code expiry', () => {
  it('an expired authorization code is invalid_grant (codeTtl 1 s)', async () => {
    const short = await startTestHost({ 'psc.codeTtl': 1 } as never);
    const sandbox = 'code-expiry';
    await setPsc(short, sandbox, { autoApprove: true });
    const config = await discover(short.http, sandbox);
    const start = await startAuth(config, { login_hint: world().professionals[0]!.idNat });
    const callback = new URL((await fetch(start.url, { redirect: 'manual' })).headers.get('location')!);
    await new Promise((r) => setTimeout(r, 2200));
    await expect(oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce })).rejects.toMatchObject({ error: 'invalid_grant' });
    await short.close();
  });

  it('psc.login access_denied, psc.token expired/revoked/bad-signature, psc.claims drop exercices', async () => {
    const sandbox = 'outcomes';
    await setPsc(t, sandbox, { autoApprove: true });
    const [p0, p1, p2, p3, p4] = world().professionals;
    await addScenario(sandbox, 'psc-outcomes', [
      { id: 'refuse', match: { service: 'psc', operation: 'authorize', facts: { idNat: p0!.idNat } }, effects: [{ outcome: { name: 'psc.login', with: { error: 'access_denied' } } }] },
    ]);
    const config = await discover(t.http, sandbox);
    const refused = await fetch((await startAuth(config, { login_hint: p0!.idNat })).url, { redirect: 'manual' });
    expect(new URL(refused.headers.get('location')!).searchParams.get('error')).toBe('access_denied');

    const flow = async (login: string, scenario?: string) => {
      const start = await startAuth(config, { login_hint: login });
      const cb = new URL((await fetch(start.url, { redirect: 'manual' })).headers.get('location')!);
      const code = cb.searchParams.get('code')!;
      const res = await fetch(`${issuerOf(t.http, sandbox)}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic, ...(scenario ? { 'x-segur-scenario': scenario } : {}) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: start.verifier }).toString(),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { access_token: string };
    };
    const sb = () => t.host.context.sandboxes.get(sandbox)!;
    for (const state of ['expired', 'revoked', 'bad-signature'] as const) {
      const name = `psc-token-${state}`;
      await fetch(`${t.http}/_admin/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml: JSON.stringify({ name, rules: [{ id: state, match: { service: 'psc', operation: 'token' }, effects: [{ outcome: { name: 'psc.token', with: { state } } }] }] }) }) });
      const tokens = await flow(p1!.idNat, name);
      const v = await validatePscToken(t.host.context, sb(), tokens.access_token);
      expect(v.active, state).toBe(false);
      const intro = await oidc.tokenIntrospection(config, tokens.access_token);
      expect(intro.active, state).toBe(false);
      if (state === 'expired') expect(decodeJwt(tokens.access_token).payload.exp as number).toBeLessThan(Date.now() / 1000);
    }
    const good = await flow(p2!.idNat);
    expect((await validatePscToken(t.host.context, sb(), good.access_token)).active).toBe(true);

    await fetch(`${t.http}/_admin/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml: JSON.stringify({ name: 'psc-drop', rules: [{ id: 'drop', match: { service: 'psc', operation: 'userinfo' }, effects: [{ outcome: { name: 'psc.claims', with: { drop: 'exercices' } } }] }] }) }) });
    const tokens = await flow(p3!.idNat);
    const info = await fetch(`${issuerOf(t.http, sandbox)}/protocol/openid-connect/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}`, 'x-segur-scenario': 'psc-drop' } });
    expect(((await info.json()) as { SubjectRefPro: { exercices: unknown[] } }).SubjectRefPro.exercices).toEqual([]);

    // generic http effect on the token operation
    await fetch(`${t.http}/_admin/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ yaml: JSON.stringify({ name: 'psc-503', rules: [{ id: 'down', match: { service: 'psc', operation: 'token' }, effects: [{ http: { status: 503 } }] }] }) }) });
    const start = await startAuth(config, { login_hint: p4!.idNat });
    const cb = new URL((await fetch(start.url, { redirect: 'manual' })).headers.get('location')!);
    const down = await fetch(`${issuerOf(t.http, sandbox)}/protocol/openid-connect/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic, 'x-segur-scenario': 'psc-503' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: start.verifier }).toString() });
    expect(down.status).toBe(503);
  });
});
