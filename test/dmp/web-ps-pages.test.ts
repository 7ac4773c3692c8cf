/** TD0.9 Web PS: server-rendered pages, direct authentication (card certificate, PSC token, simulator header), rights, traces. */
import * as oidc from 'openid-client';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover, setPsc, startAuth } from '../psc/helpers.js';
import { DMP_ACTIONS, dmpCall, pickAuthorizedPair, pickBlockedProfessional, pickDossier, pickUnauthorizedProfessional, startDmpHost, td02Body, vihfOf, type DmpTestHost } from './support.js';

let t: DmpTestHost;
beforeAll(async () => {
  t = await startDmpHost();
});
afterAll(() => t.close());

const web = (sandbox: string, path: string, headers: Record<string, string> = {}) => fetch(`${t.http}/_sandbox/${sandbox}/dmp-web-ps${path}`, { headers, redirect: 'manual' });
const as = (idNat: string) => ({ 'x-segur-ps': idNat });

/** Rows of the first table, cells as text. */
function rows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[dh]>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()));
}

describe('authentication (direct only)', () => {
  it('without any credential: 401 page', async () => {
    const pair = pickAuthorizedPair(t);
    const res = await web('wps-auth', `/AccesDirect/DossierPatient/${pair.ins}`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('authentification directe requise');
  });

  it('the CPS card certificate over HTTPS identifies the professional', async () => {
    const pair = pickAuthorizedPair(t);
    const pki = t.host.context.pki;
    const card = pki.professional(pair.professional.idNat)!;
    const html = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(`${t.https}/_sandbox/wps-card/dmp-web-ps/AccesDirect/DossierPatient/${pair.ins}`);
      const req = httpsRequest({ hostname: u.hostname, port: u.port, path: u.pathname, key: card.keyPem, cert: card.chainPem, ca: pki.caCertsPem }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(html.status).toBe(200);
    expect(html.body).toContain('carte CPS (certificat TLS)');
    expect(html.body).toContain(pair.professional.idNat);
  });

  it('an e-CPS Pro Santé Connect access token identifies the professional; a bad token is refused', async () => {
    const sandbox = 'wps-psc';
    const pair = pickAuthorizedPair(t);
    await setPsc(t, sandbox, { autoApprove: true, authMode: 'MOBILE' });
    const config = await discover(t.http, sandbox);
    const start = await startAuth(config, { login_hint: pair.professional.idNat });
    const redirect = await fetch(start.url, { redirect: 'manual' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(redirect.headers.get('location')!), { pkceCodeVerifier: start.verifier, expectedState: start.state, expectedNonce: start.nonce });
    let res = await web(sandbox, `/Documents/${pair.ins}`, { authorization: `Bearer ${tokens.access_token}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('e-CPS (Pro Santé Connect)');
    res = await web(sandbox, `/Documents/${pair.ins}`, { authorization: 'Bearer not-a-token' });
    expect(res.status).toBe(401);
  });
});

describe('pages', () => {
  it('dossier, documents and dashboard for an authorized PS', async () => {
    const pair = pickAuthorizedPair(t, { mt: true });
    let res = await web('wps-pages', `/AccesDirect/DossierPatient/${pair.ins}`, as(pair.professional.idNat));
    expect(res.status).toBe(200);
    let html = await res.text();
    expect(html).toContain(pair.dossier.admin.family);
    expect(html).not.toMatch(/<script/i);
    const fields = Object.fromEntries(rows(html).map((r) => [r[0], r[1]]));
    expect(fields['Statut du DMP']).toBe('Actif');
    expect(fields['Votre autorisation']).toBe('VALIDE');
    expect(fields['Vous êtes médecin traitant DMP']).toBe('oui');

    res = await web('wps-pages', `/Documents/${pair.ins}`, as(pair.professional.idNat));
    expect(res.status).toBe(200);
    html = await res.text();
    expect(html).toContain('<th>Classe</th>');
    const docs = rows(html);
    // The seeded DMPs hold 3 to 8 documents (fixtures/dmp.ts); the médecin traitant sees them all.
    expect(docs.length).toBeGreaterThanOrEqual(3);
    for (const r of docs) {
      expect(r[0]).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
      expect(r[5]).toMatch(/Actif|Remplacé|Archivé|Supprimé/);
    }

    res = await web('wps-pages', `/AccesDirect/TableauDeBord`, as(pair.professional.idNat));
    html = await res.text();
    expect(html).toContain(`/_sandbox/wps-pages/dmp-web-ps/AccesDirect/DossierPatient/${pair.ins}`);
  });

  it('keeps ?ps= in the links when that is how the PS came in', async () => {
    const pair = pickAuthorizedPair(t);
    const res = await fetch(`${t.http}/_sandbox/wps-query/dmp-web-ps/AccesDirect/DossierPatient/${pair.ins}?ps=${pair.professional.idNat}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`/_sandbox/wps-query/dmp-web-ps/Documents/${pair.ins}?ps=${pair.professional.idNat}`);
  });

  it('refuses a PS without authorization, the blocked PS, and answers 404 without DMP', async () => {
    const { dossier, ins } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    const stranger = pickUnauthorizedProfessional(t, dossier);
    let res = await web('wps-rights', `/Documents/${ins}`, as(stranger.idNat));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('DMPAccessDeniedByRightsService');
    res = await web('wps-rights', `/Documents/${ins}`, as(pickBlockedProfessional(t, dossier).idNat));
    expect(res.status).toBe(403);
    const none = t.world.patients.find((p) => p.ins && !t.dossiers.get(p.ins.matricule))!;
    res = await web('wps-rights', `/AccesDirect/DossierPatient/${none.ins!.matricule}`, as(stranger.idNat));
    expect(res.status).toBe(404);
    const closed = pickDossier(t, (d) => d.status === 'closed', 'a closed dossier');
    res = await web('wps-rights', `/Documents/${closed.ins}`, as(stranger.idNat));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('DMPClosed');
  });

  it('history: the MT sees every access, another PS only their own', async () => {
    const sandbox = 'wps-history';
    const mt = pickAuthorizedPair(t, { mt: true });
    const other = [...mt.dossier.authorizations.values()].find((a) => a.status === 'VALIDE' && a.idNat !== mt.professional.idNat && t.world.professionals.some((p) => p.idNat === a.idNat));
    expect(other, 'a second VALIDE professional on the MT’s patient').toBeDefined();
    const otherPro = t.world.professionals.find((p) => p.idNat === other!.idNat)!;
    // The other PS tests the DMP through the web service, then opens the history.
    await dmpCall(`${t.http}/_sandbox/${sandbox}`, 'patients', DMP_ACTIONS.td02, td02Body(mt.ins), { ins: mt.ins, ...vihfOf(t.world, otherPro) });
    let res = await web(sandbox, `/HistoriqueAcces/${mt.ins}`, as(otherPro.idNat));
    let traces = rows(await res.text());
    expect(traces.length).toBe(2); // TD0.2 and this page
    expect(traces.every((r) => r[1]!.includes(otherPro.idNat))).toBe(true);
    res = await web(sandbox, `/HistoriqueAcces/${mt.ins}`, as(mt.professional.idNat));
    const html = await res.text();
    expect(html).toContain('vous voyez tous les accès');
    traces = rows(html);
    expect(traces.length).toBe(3);
    expect(traces.some((r) => r[1]!.includes(otherPro.idNat) && r[5]!.includes('TD0.2'))).toBe(true);
    expect(traces[0]![1]).toContain(mt.professional.idNat); // newest first
    // A refused access is traced as refused.
    const stranger = pickUnauthorizedProfessional(t, mt.dossier);
    await web(sandbox, `/Documents/${mt.ins}`, as(stranger.idNat));
    traces = rows(await (await web(sandbox, `/HistoriqueAcces/${mt.ins}`, as(mt.professional.idNat))).text());
    expect(traces.some((r) => r[1]!.includes(stranger.idNat) && r[6]!.startsWith('Refusé'))).toBe(true);
  });
});
