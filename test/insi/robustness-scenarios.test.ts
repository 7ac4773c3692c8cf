import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../fixtures/types.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { ACTION_SANS, ACTION_VIT, allTags, assertionPs, envelope, post, recsansBody, recvitBody, tag, vitaleAssertion, type Traits } from './helpers.js';

let t: TestHost;
let world: World;

beforeAll(async () => {
  t = await startTestHost({ maxBodyBytes: 4 * 1024 * 1024 });
  world = t.host.context.sandboxes.world();
});
afterAll(() => t.close());

const zoe: Traits = { nom: 'ADRUN', prenom: 'ZOE', sexe: 'F', date: '1975-12-31' };
/** CPx over plain HTTP: the assertion PS authenticates. */
const cpx = (body: string, action = ACTION_SANS, extraSecurity = '') => envelope(body, action, { security: assertionPs() + extraSecurity, bodyId: true });

async function healthy() {
  expect((await t.admin.health()).status).toBeTruthy();
}

describe('bad input answers a SOAP fault and the host lives on', () => {
  const cases: [string, string, number, RegExp][] = [
    ['malformed XML', '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><a></soap:Body>', 400, /XML mal formé/],
    ['not XML at all', 'hello, INSi', 400, /XML mal formé/],
    ['a non-SOAP document', '<RECSANSVITALE xmlns="http://www.cnamts.fr/INSiRecSans"/>', 400, /pas une enveloppe SOAP/],
    ['a SOAP 1.1 envelope', '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', 500, /soap:VersionMismatch[\s\S]*SOAP 1\.2/],
    ['an unknown body element', '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><x:Foo xmlns:x="urn:x"/></soap:Body></soap:Envelope>', 400, /Opération inconnue/],
    [
      'entity expansion (billion laughs)',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&lol2;</soap:Body></soap:Envelope>',
      400,
      /DOCTYPE\/ENTITY sont interdites/,
    ],
    ['an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>', 400, /DOCTYPE/],
    ['an empty body', '', 400, /Requête vide/],
  ];
  for (const [name, body, status, reason] of cases) {
    it(name, async () => {
      const res = await post(`${t.http}/lps`, body);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/soap\+xml/);
      expect(res.body).toMatch(/<soap:Fault>/);
      expect(res.body).toMatch(status === 500 ? /VersionMismatch/ : /<soap:Value>soap:Sender<\/soap:Value>/);
      expect(res.body).toMatch(reason);
      await healthy();
    });
  }

  it('an oversized body gets a 413 SOAP fault', async () => {
    const big = cpx(recsansBody({ ...zoe, nom: 'A'.repeat(2 * 1024 * 1024) }));
    const res = await post(`${t.http}/lps`, big);
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/trop volumineuse/);
    await healthy();
  });

  it('missing traits are a verdict and, in strict mode, an insi_400 fault', async () => {
    const res = await post(`${t.http}/lps`, cpx(recsansBody({ ...zoe, sexe: 'X', date: '31/12/1975' })));
    expect(res.status).toBe(500);
    expect(res.body).toContain('code="insi_400"');
    expect(res.body).toContain('Sexe');
  });
});

describe('RECVITALE', () => {
  const card = () => world.vitaleCards.find((v) => v.beneficiaires.length > 1)!;

  it('finds a beneficiary by the ouvrant droit NIR + name + date + rang, and by MatriculeIndividu', async () => {
    const c = card();
    const b = c.beneficiaires[1]!;
    const p = world.patients.find((x) => x.id === b.patientId)!;
    const security = vitaleAssertion({ nirOD: c.ouvrantDroit.matricule, rang: b.rang, issuedAtMs: t.host.context.clock.now() });
    const res = await post(`${t.http}/lps`, cpx(recvitBody({ od: c.ouvrantDroit.matricule.slice(0, 13), nom: p.rniv.nomNaissance, date: p.rniv.dateNaissance, rang: b.rangNaissance }), ACTION_VIT, security), { action: ACTION_VIT });
    expect(tag(res.body, 'CodeCR')).toBe('00');
    expect(tag(res.body, 'NumIdentifiant')).toBe(p.ins!.numIdentifiant);
    if (b.matriculeIndividu) {
      const byInd = await post(`${t.http}/lps`, cpx(recvitBody({ individu: b.matriculeIndividu, od: c.ouvrantDroit.matricule.slice(0, 13), nom: p.rniv.nomNaissance, date: p.rniv.dateNaissance }), ACTION_VIT, security));
      expect(tag(byInd.body, 'NumIdentifiant')).toBe(p.ins!.numIdentifiant);
    }
  });

  it('an expired Vitale assertion (CNDA 1.02) and a changed card (CNDA 1.03) are refused', async () => {
    const c = card();
    const p = world.patients.find((x) => x.id === c.beneficiaires[0]!.patientId)!;
    const body = recvitBody({ od: c.ouvrantDroit.matricule.slice(0, 13), nom: p.rniv.nomNaissance, date: p.rniv.dateNaissance });
    const old = vitaleAssertion({ nirOD: c.ouvrantDroit.matricule, issuedAtMs: t.host.context.clock.now() - 21 * 60_000 });
    const expired = await post(`${t.http}/lps`, cpx(body, ACTION_VIT, old));
    expect(expired.status).toBe(500);
    expect(expired.body).toContain('code="insi_302"');
    const other = world.vitaleCards.find((v) => v.id !== c.id)!;
    const changed = await post(`${t.http}/lps`, cpx(body, ACTION_VIT, vitaleAssertion({ nirOD: other.ouvrantDroit.matricule, issuedAtMs: t.host.context.clock.now() })));
    expect(changed.body).toContain('code="insi_303"');
  });
});

describe('scenario outcomes and magic personas', () => {
  async function withOutcome(sandbox: string, outcome: string, traits: Traits = zoe) {
    const name = `o-${sandbox}`;
    await t.admin.uploadScenario(`
name: ${name}
rules:
  - id: r
    match: { service: insi }
    effects:
      - outcome: ${outcome}
`);
    await t.admin.activate(name, sandbox);
    return post(`${t.http}/_sandbox/${sandbox}/lps`, cpx(recsansBody(traits)));
  }

  it('insi.cr forces 01 and 02', async () => {
    expect(tag((await withOutcome('cr01', '{ name: insi.cr, with: { cr: "01" } }')).body, 'CodeCR')).toBe('01');
    expect(tag((await withOutcome('cr02', '{ name: insi.cr, with: { cr: "02" } }')).body, 'CodeCR')).toBe('02');
  });

  it('insi.mismatch: accent, first-name order, birth place, sex, INS change', async () => {
    const ec: Traits = { nom: 'ECETINSI', prenom: 'PIERRE-ALAIN', sexe: 'M', date: '2009-07-14' };
    const dv: Traits = { nom: 'D\'ARTAGNAN DE L\'HERAULT', prenom: 'PIERRE-ALAIN', sexe: 'M', date: '2001-06-17' };
    expect(tag((await withOutcome('mm-accent', '{ name: insi.mismatch, with: { kind: accent } }', dv)).body, 'NomNaissance')).toBe("D'ARTAGNAN-DE-L'HERAULT");
    expect(tag((await withOutcome('mm-accent2', '{ name: insi.mismatch, with: { kind: accent } }')).body, 'NomNaissance')).toBe('AEDRUN');
    expect(tag((await withOutcome('mm-order', '{ name: insi.mismatch, with: { kind: first-name-order } }', ec)).body, 'ListePrenom')).toBe('MURIEL FLORIANT PIERRE-ALAIN');
    expect(tag((await withOutcome('mm-place', '{ name: insi.mismatch, with: { kind: birth-place } }')).body, 'LieuNaissance')).toBe('99999');
    expect(tag((await withOutcome('mm-sex', '{ name: insi.mismatch, with: { kind: sex } }')).body, 'Sexe')).toBe('M');
    const change = await withOutcome('mm-ins', '{ name: insi.mismatch, with: { kind: ins-change } }');
    const nums = allTags(change.body, 'NumIdentifiant');
    expect(nums).toEqual(['2751263220750', '2751263220749']);
    expect(allTags(change.body, 'Cle')[1]).toBe('74');
  });

  it('insi.fault DESIR_560 and desir_550 as outcomes; insi.oid test gives OID .10', async () => {
    expect((await withOutcome('f560', '{ name: insi.fault, with: { code: DESIR_560 } }')).body).toContain('code="DESIR_560"');
    expect((await withOutcome('f550', '{ name: insi.fault, with: { code: desir_550 } }')).body).toContain('code="desir_550"');
    expect(tag((await withOutcome('oid10', '{ name: insi.oid, with: { oid: test } }')).body, 'OID')).toBe('1.2.250.1.213.1.4.10');
  });

  it('magic world patients (insi-cr01, insi-homonym, insi-technical-error) show as channel magic in the journal', async () => {
    const sb = 'magic';
    const q = (p: World['patients'][number], lieu?: string) => post(`${t.http}/_sandbox/${sb}/lps`, cpx(recsansBody({ nom: p.ins!.traits.nomNaissance, prenom: p.ins!.traits.prenom, sexe: p.ins!.traits.sexe, date: p.ins!.traits.dateNaissance, lieu })));
    const cr01 = world.patients.find((p) => p.magic?.includes('insi-cr01') && p.ins)!;
    expect(tag((await q(cr01)).body, 'CodeCR')).toBe('01');
    const hom = world.patients.find((p) => p.magic?.includes('insi-homonym') && p.ins)!;
    expect(tag((await q(hom)).body, 'CodeCR')).toBe('02');
    expect(tag((await q(hom, hom.ins!.traits.lieuNaissance)).body, 'CodeCR')).toBe('00');
    const tech = world.patients.find((p) => p.magic?.includes('insi-technical-error') && p.ins)!;
    const techRes = await q(tech);
    expect(techRes.status).toBe(500);
    expect(techRes.body).toContain('code="insi_102"');
    const journal = await t.admin.journal(sb, { service: 'insi' });
    expect(journal.entries.map((e) => e.decision?.channel)).toEqual(['magic', 'magic', 'default', 'magic']);
    expect(journal.entries[0]!.summary).toMatchObject({ operation: 'rechercherInsAvecTraitsIdentite', authMode: 'cpx', cr: '01' });
  });
});
