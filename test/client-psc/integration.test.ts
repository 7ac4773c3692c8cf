/**
 * The PSC client against the segur-sim PSC simulator, over real sockets (startTestHost). Skipped while
 * `simulators/psc/service.ts` is still the planned-service stub.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateWorld } from '../../fixtures/index.js';
import type { Professional } from '../../fixtures/types.js';
import { approveCiba, denyCiba, headlessLogin, headlessLogout, PscClient, setPscSandbox, startCiba, type PscClientOptions } from '../../client/psc/index.js';
import { startTestHost, type TestHost } from '../support/host.js';

const serviceSource = readFileSync(fileURLToPath(new URL('../../simulators/psc/service.ts', import.meta.url)), 'utf8');
const pscPlanned = /plannedService\s*\(/.test(serviceSource);

/** The simulator's default LGC client (simulators/psc/README.md). */
const LGC = {
  clientId: process.env.PSC_TEST_CLIENT_ID ?? 'segur-sim-lgc',
  clientSecret: process.env.PSC_TEST_CLIENT_SECRET ?? 'segur-sim-lgc-secret',
  redirectUri: 'http://localhost:7080/callback',
  postLogoutRedirectUri: 'http://localhost:7080/logged-out',
};
const REALM = '/auth/realms/esante-wallet';
const SANDBOX = 'client-psc';

describe.skipIf(pscPlanned)('PSC client against the simulator', () => {
  let th: TestHost;
  let pro: Professional;
  const clients: PscClient[] = [];

  const create = async (over: Partial<PscClientOptions> = {}) => {
    const c = await PscClient.create({ issuer: `${th.http}${REALM}`, ...LGC, sandbox: SANDBOX, ...over });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    th = await startTestHost();
    await th.admin.createSandbox(SANDBOX).catch(() => undefined);
    await setPscSandbox(th.admin, SANDBOX, { autoApprove: true, authMode: 'CARD' });
    const world = generateWorld({ seed: 1 });
    pro = world.professionals.find((p) => p.profession.code === '10' && p.specialty && p.card.eCps) ?? world.professionals.find((p) => p.profession.code === '10')!;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await th?.close();
  });

  it('discovers on the wallet path', async () => {
    const c = await create();
    expect(c.discoveryUrl).toBe(`${th.http}${REALM}/.well-known/wallet-openid-configuration`);
    expect(c.metadata.issuer.endsWith(REALM)).toBe(true);
  });

  it('headless code flow → tokens → userinfo → refresh → logout', async () => {
    const c = await create();
    const tokens = await headlessLogin(c, { loginHint: pro.idNat });
    expect(tokens.accessToken).toBeTruthy();
    expect(tokens.refreshToken).toBeTruthy();
    expect(Math.round((tokens.expiresAt - Date.now()) / 1000)).toBeLessThanOrEqual(120);

    const ui = await c.userinfo();
    expect(ui.SubjectNameID).toBe(`8${pro.rpps}`);
    expect(ui.sub.endsWith(`:8${pro.rpps}`)).toBe(true);
    expect(ui.SubjectRefPro?.exercices?.[0]?.codeProfession).toBe('10');

    const refreshed = await c.refresh();
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect((await c.userinfo()).SubjectNameID).toBe(pro.idNat);

    const introspection = await c.introspect();
    expect(introspection.active).toBe(true);

    const out = await headlessLogout(c, { browser: tokens.browser, postLogoutRedirectUri: LGC.postLogoutRedirectUri, state: 'bye' });
    expect(out.endSessionUrl?.pathname).toBe(`${REALM}/protocol/openid-connect/logout`);
    expect(out.landedAt?.href).toContain(LGC.postLogoutRedirectUri);
    expect(c.isAuthenticated).toBe(false);
    const probe = await create();
    expect((await probe.introspect(refreshed.refreshToken!)).active).toBe(false);
  });

  it('mTLS client (tls_client_auth with the INSI-AUTO organisation certificate) over https', async () => {
    const pki = inject('pkiDir');
    const c = await create({
      issuer: `${th.https}${REALM}`,
      clientId: 'segur-sim-mtls',
      clientSecret: undefined,
      tls: {
        keyPem: readFileSync(join(pki, 'org/INSI-AUTO.key.pem'), 'utf8'),
        certPem: readFileSync(join(pki, 'org/INSI-AUTO.fullchain.pem'), 'utf8'),
        ca: readFileSync(join(pki, 'ca/ca-bundle.pem'), 'utf8'),
      },
    });
    expect(c.authMethod).toBe('tls_client_auth');
    await headlessLogin(c, { loginHint: pro.idNat });
    expect((await c.userinfo()).SubjectNameID).toBe(pro.idNat);
  });

  it('headless code flow by RPPS login_hint', async () => {
    const c = await create();
    await headlessLogin(c, { loginHint: pro.rpps });
    expect((await c.userinfo()).SubjectNameID).toBe(pro.idNat);
  });

  it('CIBA: approve through the admin API while polling', async () => {
    const c = await create();
    const pending = await startCiba(c, { loginHint: pro.idNat, bindingMessage: '07', channel: 'MOBILE' });
    const polling = pending.poll();
    setTimeout(() => void approveCiba(th.admin, SANDBOX, pending.authReqId), 300);
    const result = await polling;
    expect(result.status).toBe('approved');
    expect((await c.userinfo()).SubjectNameID).toBe(pro.idNat);
  }, 40_000);

  it('CIBA: deny → access_denied', async () => {
    const c = await create();
    const pending = await startCiba(c, { loginHint: pro.idNat, channel: 'CARD' });
    await denyCiba(th.admin, SANDBOX, pending.authReqId);
    expect(await pending.poll()).toMatchObject({ status: 'denied', error: 'access_denied' });
  }, 40_000);
});
