import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validatePscToken } from '../../simulators/core/psc-token.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { Browser, CLIENT_ID, CLIENT_SECRET, decodeJwt, discover, issuerOf, REDIRECT, setPsc, startAuth } from './helpers.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
});
afterAll(() => t?.close());

const world = () => t.host.context.sandboxes.world();

describe('PSC discovery', () => {
  it('serves the wallet discovery document with Keycloak-shaped endpoints', async () => {
    const res = await fetch(`${issuerOf(t.http)}/.well-known/wallet-openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    const iss = issuerOf(t.http);
    expect(doc.issuer).toBe(iss);
    expect(doc.authorization_endpoint).toBe(`${iss}/protocol/openid-connect/auth`);
    expect(doc.token_endpoint).toBe(`${iss}/protocol/openid-connect/token`);
    expect(doc.userinfo_endpoint).toBe(`${iss}/protocol/openid-connect/userinfo`);
    expect(doc.jwks_uri).toBe(`${iss}/protocol/openid-connect/certs`);
    expect(doc.introspection_endpoint).toBe(`${iss}/protocol/openid-connect/token/introspect`);
    expect(doc.end_session_endpoint).toBe(`${iss}/protocol/openid-connect/logout`);
    expect(doc.backchannel_authentication_endpoint).toBe(`${iss}/protocol/openid-connect/ext/ciba/auth`);
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'tls_client_auth']));
    const std = (await (await fetch(`${iss}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(std.token_endpoint).toBe(doc.token_endpoint);
  });

  it('puts the sandbox prefix in the issuer', async () => {
    const doc = (await (await fetch(`${issuerOf(t.http, 'disc')}/.well-known/wallet-openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.issuer).toBe(issuerOf(t.http, 'disc'));
    expect(doc.token_endpoint).toBe(`${issuerOf(t.http, 'disc')}/protocol/openid-connect/token`);
  });

  it('lists the configured clients', async () => {
    const body = (await (await fetch(`${t.http}/_admin/psc/clients`)).json()) as { clients: { clientId: string; authMethod: string }[] };
    expect(body.clients.map((c) => c.clientId)).toEqual(['segur-sim-lgc', 'segur-sim-mtls']);
    expect(body.clients[1]!.authMethod).toBe('tls_client_auth');
  });
});

describe('PSC authorization code flow (openid-client)', () => {
  it('headless: autoApprove + login_hint issues the code at once; claims come from the fixtures', async () => {
    const sandbox = 'headless';
    await setPsc(t, sandbox, { autoApprove: true, authMode: 'CARD' });
    const pro = world().professionals.find((p) => p.specialty)!;
    const config = await discover(t.http, sandbox);
    const start = await startAuth(config, { login_hint: pro.rpps });
    const res = await fetch(start.url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const callback = new URL(res.headers.get('location')!);
    expect(callback.href.startsWith(REDIRECT)).toBe(true);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('iss')).toBe(issuerOf(t.http, sandbox));

    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    expect(tokens.expires_in).toBe(120);
    expect((tokens as unknown as Record<string, unknown>).refresh_expires_in).toBe(1800);
    expect(tokens.refresh_token).toBeTruthy();
    const at = decodeJwt(tokens.access_token);
    expect(at.header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(at.payload).toMatchObject({
      iss: issuerOf(t.http, sandbox),
      sub: `f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:${pro.idNat}`,
      typ: 'Bearer',
      azp: CLIENT_ID,
      acr: 'eidas3',
      authMode: 'CARD',
      preferred_username: pro.idNat,
      SubjectNameID: pro.idNat,
      otherIds: [{ identifiant: pro.idNat, origine: 'RPPS', qualite: 1 }],
    });
    expect(at.payload.aud).toBeUndefined();
    expect((at.payload.exp as number) - (at.payload.iat as number)).toBe(120);
    const idt = tokens.claims()!;
    expect(idt.acr).toBe('eidas3');
    expect(idt.SubjectNameID).toBe(pro.idNat);
    expect(idt.aud).toBe(CLIENT_ID);

    const info = await oidc.fetchUserInfo(config, tokens.access_token, idt.sub);
    expect(info).toMatchObject({ SubjectNameID: pro.idNat, preferred_username: pro.idNat, given_name: pro.firstNameRniv, family_name: pro.lastNameRniv, authMode: 'CARD' });
    const ref = info.SubjectRefPro as { codeCivilite: string; exercices: { codeProfession: string; codeCategorieProfessionnelle: string; codeSavoirFaire: string; activities: Record<string, string>[] }[] };
    expect(ref.codeCivilite).toBe(pro.civility);
    expect(ref.exercices[0]!.codeProfession).toBe(pro.exercices[0]!.profession.code);
    expect(ref.exercices[0]!.codeCategorieProfessionnelle).toBe('C');
    expect(ref.exercices[0]!.codeSavoirFaire).toBe(pro.exercices[0]!.specialty?.code ?? '');
    const activity = pro.exercices[0]!.activities[0]!;
    const structure = world().structures.find((s) => s.id === activity.structureId)!;
    expect(ref.exercices[0]!.activities[0]).toMatchObject({ raisonSocialeSite: structure.name, ancienIdentifiantDeLaStructure: structure.idNat, codeSecteurDactivite: activity.secteurActivite.code, codeModeExercice: activity.mode });
    expect(info.SubjectRole).toEqual([`${pro.exercices[0]!.profession.code}^1.2.250.1.213.1.1.5.5`]);
    expect(info.SubjectOrganization).toBe(structure.name);
    expect(info.Secteur_Activite).toBe(`${activity.secteurActivite.code}^1.2.250.1.71.4.2.4`);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(decodeJwt(refreshed.access_token).payload.SubjectNameID).toBe(pro.idNat);

    // introspection over HTTP (client auth) and in process
    const intro = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(intro).toMatchObject({ active: true, client_id: CLIENT_ID, SubjectNameID: pro.idNat, preferred_username: pro.idNat, authMode: 'CARD', acr: 'eidas3' });
    const sb = t.host.context.sandboxes.get(sandbox)!;
    const v = await validatePscToken(t.host.context, sb, refreshed.access_token);
    expect(v.active).toBe(true);
    expect(v.claims).toMatchObject({ SubjectNameID: pro.idNat, preferred_username: pro.idNat, azp: CLIENT_ID });
    // sandbox isolation
    const other = await t.host.context.sandboxes.resolve('isolation-b');
    expect((await validatePscToken(t.host.context, other, refreshed.access_token)).active).toBe(false);
    const configB = await discover(t.http, 'isolation-b');
    expect((await oidc.tokenIntrospection(configB, refreshed.access_token)).active).toBe(false);
    // a sandbox reset drops its PSC sessions and tokens
    await fetch(`${t.http}/_admin/sandboxes/${sandbox}/reset`, { method: 'POST' });
    expect((await validatePscToken(t.host.context, sb, refreshed.access_token)).active).toBe(false);
  });

  it('through the login page: GET the page, POST the form, follow the redirects', async () => {
    const sandbox = 'page';
    const pro = world().professionals[3]!;
    const config = await discover(t.http, sandbox);
    const start = await startAuth(config);
    const browser = new Browser();
    const first = await browser.follow(start.url.href, t.http);
    expect(first.res.status).toBe(200);
    const html = await first.res.text();
    expect(html).toContain('lang="fr"');
    expect(html).toContain('e-CPS');
    expect(html).toContain(pro.rpps);
    // search by RPPS
    const search = await browser.fetch(`${first.url}?q=${pro.rpps}`);
    const found = await search.text();
    expect(found).toContain(pro.idNat);
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
    const post = await browser.follow(new URL(action, t.http).href, t.http, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ idNat: pro.idNat, authMode: 'MOBILE', action: 'login' }).toString(),
    });
    expect(post.url.startsWith(REDIRECT)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(post.url), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    const claims = tokens.claims()!;
    expect(claims.SubjectNameID).toBe(pro.idNat);
    expect(claims.acr).toBe('eidas1');
    expect(decodeJwt(tokens.access_token).payload.authMode).toBe('MOBILE');

    // RP-initiated logout: confirmation page, then back to the client with its state
    const logoutUrl = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://localhost:9999/logout', state: 'bye' });
    const confirm = await browser.follow(logoutUrl.href, t.http);
    expect(confirm.res.status).toBe(200);
    const confirmHtml = await confirm.res.text();
    expect(confirmHtml).toContain('Déconnexion');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmHtml)![1]!;
    const formAction = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirmHtml)![1]!;
    const done = await browser.follow(new URL(formAction, t.http).href, t.http, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ xsrf, logout: 'yes' }).toString() });
    expect(done.url).toBe('http://localhost:9999/logout?state=bye');
  });

  it('the login page cancel button returns access_denied to the client', async () => {
    const config = await discover(t.http, 'page-cancel');
    const start = await startAuth(config);
    const browser = new Browser();
    const first = await browser.follow(start.url.href, t.http);
    const post = await browser.follow(first.url, t.http, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=cancel' });
    const back = new URL(post.url);
    expect(back.searchParams.get('error')).toBe('access_denied');
  });
});

describe('PSC OAuth errors', () => {
  it('rejects an unregistered redirect_uri with an error page (no redirect)', async () => {
    const config = await discover(t.http, 'errors');
    const start = await startAuth(config, { redirect_uri: 'https://evil.example/cb' });
    const res = await fetch(start.url, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('redirect_uri');
  });

  it('requires PKCE', async () => {
    const config = await discover(t.http, 'errors');
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid scope_all', state: 'x' });
    const res = await fetch(url, { redirect: 'manual' });
    const loc = new URL(res.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('invalid_request');
  });

  it('invalid_grant for a wrong PKCE verifier and for a reused code', async () => {
    const sandbox = 'errors-grant';
    await setPsc(t, sandbox, { autoApprove: true });
    const pro = world().professionals[0]!;
    const config = await discover(t.http, sandbox);
    const token = (code: string, verifier: string) =>
      fetch(`${issuerOf(t.http, sandbox)}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
      });
    const start = await startAuth(config, { login_hint: pro.idNat });
    const code = new URL((await fetch(start.url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    const wrong = await token(code, oidc.randomPKCECodeVerifier());
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant' });

    const start2 = await startAuth(config, { login_hint: pro.idNat });
    const code2 = new URL((await fetch(start2.url, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;
    expect((await token(code2, start2.verifier)).status).toBe(200);
    const reused = await token(code2, start2.verifier);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('invalid_client for a wrong secret', async () => {
    const res = await fetch(`${issuerOf(t.http)}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:nope`).toString('base64')}` },
      body: 'grant_type=authorization_code&code=x&redirect_uri=' + encodeURIComponent(REDIRECT),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
  });
});
