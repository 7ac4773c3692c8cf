import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../client/admin.js';
import { couvertureFor, VitaleReader, VitaleReaderError } from '../../client/vitale.js';
import type { Patient, VitaleCard, World } from '../../fixtures/index.js';
import { ManualClock } from '../../simulators/core/clock.js';
import { parseVitaleAssertion, VITALE_ASSERTION_VALIDITY_MS, vitaleAssertionTimeStatus } from '../../simulators/vitale/assertion.js';
import { startTestHost, type TestHost } from '../support/host.js';

const START = '2026-03-02T08:00:00.000Z';
const clock = new ManualClock(START);
let t: TestHost;
let world: World;
let card: VitaleCard;
let child: Patient;

beforeAll(async () => {
  t = await startTestHost({}, { clock });
  world = t.host.context.sandboxes.world();
  card = world.vitaleCards.find((c) => c.beneficiaires.length >= 3 && c.beneficiaires.some((b) => b.qualite === '6'))!;
  child = world.patients.find((p) => p.id === card.beneficiaires.find((b) => b.qualite === '6')!.patientId)!;
});
afterAll(() => t.close());

async function errorOf(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AdminApiError || err instanceof VitaleReaderError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('virtual carte Vitale reader', () => {
  it('presents the card of an ayant droit: the card shows the ouvrant droit and every beneficiary with rang', async () => {
    const sb = 'family';
    const presented = await t.admin.vitalePresent(child.ins!.matricule, { sandbox: sb });
    expect(presented.inserted).toMatchObject({ cardId: card.id, kind: 'carte', insertedAt: START, patientId: child.id, rang: child.vitale!.rang });

    const reader = new VitaleReader(t.http, sb);
    const view = await reader.readCard();
    const holder = world.patients.find((p) => p.id === card.ouvrantDroit.patientId)!;
    expect(view).toMatchObject({
      kind: 'carte',
      serialNumber: card.serialNumber,
      cardId: card.id,
      ouvrantDroit: {
        numIdentifiant: card.ouvrantDroit.matricule.slice(0, 13),
        cle: card.ouvrantDroit.matricule.slice(13),
        matricule: card.ouvrantDroit.matricule,
        nomNaissance: holder.rniv.nomNaissance,
        prenom: holder.rniv.prenom,
      },
      presentedFor: { patientId: child.id, rang: child.vitale!.rang },
    });
    expect(view.ouvrantDroit.numIdentifiant).toMatch(/^\d{6}[AB0-9]\d{6}$/);
    expect(view.couverture.grandRegime).toBe('01');
    expect(view.couverture.organisme).toMatch(/^\d{3}$/);
    expect(view.couverture.codeCentre).toMatch(/^\d{4}$/);
    expect(view.beneficiaires.map((b) => b.rang)).toEqual(card.beneficiaires.map((b) => b.rang));
    expect(view.beneficiaires[0]).toMatchObject({ rang: 1, qualite: '0', qualiteLibelle: 'assuré', nomUsuel: card.beneficiaires[0]!.nomUsuel });
    const mine = view.beneficiaires.find((b) => b.rang === child.vitale!.rang)!;
    expect(mine).toEqual({
      rang: child.vitale!.rang,
      qualite: '6',
      qualiteLibelle: 'enfant',
      nomUsuel: card.beneficiaires.find((b) => b.patientId === child.id)!.nomUsuel,
      nomNaissance: child.rniv.nomNaissance,
      prenom: child.rniv.prenom,
      dateNaissance: child.birthDate,
      rangNaissance: child.rangNaissance,
      matriculeIndividu: child.ins!.matricule,
    });

    // COUVERTURE for RECVITALE, from the card.
    expect(couvertureFor(view, mine.rang)).toEqual({
      GrandRegime: '01',
      Organisme: view.couverture.organisme,
      CodeCentre: view.couverture.codeCentre,
      ASSURE: { Id: { Num: card.ouvrantDroit.matricule.slice(0, 13), Cle: card.ouvrantDroit.matricule.slice(13) } },
      BENEFICIAIRE: { Nir: { Num: child.ins!.matricule.slice(0, 13), Cle: child.ins!.matricule.slice(13) }, DateNai: child.birthDate, Rang: mine.rang },
    });

    // The admin view says the same, and the reading is journaled.
    const shown = await t.admin.vitale(sb);
    expect(shown.card).toEqual(view);
    const journal = await t.admin.journal(sb, { service: 'vitale' });
    expect(journal.entries.map((e) => [e.operation, e.response.status])).toEqual([['read', 200]]);
  });

  it('accepts a patient id, a card id, a serial number and --apcv; without a patient, the first card', async () => {
    const sb = 'refs';
    expect((await t.admin.vitalePresent(child.id, { sandbox: sb })).inserted).toMatchObject({ cardId: card.id, patientId: child.id });
    expect((await t.admin.vitalePresent(card.id, { sandbox: sb })).inserted).toMatchObject({ cardId: card.id, patientId: card.ouvrantDroit.patientId, rang: 1 });
    expect((await t.admin.vitalePresent(card.serialNumber, { sandbox: sb, kind: 'apcv' })).inserted).toMatchObject({ cardId: card.id, kind: 'apcv' });
    expect((await new VitaleReader(t.http, sb).readCard()).kind).toBe('apcv');
    expect((await t.admin.vitalePresent(undefined, { sandbox: sb })).inserted).toMatchObject({ cardId: world.vitaleCards[0]!.id, kind: 'carte' });
  });

  it('issues an assertion with the contract shape, valid 20 minutes from the host clock', async () => {
    const sb = 'assertion';
    clock.set(START);
    await t.admin.vitalePresent(child.id, { sandbox: sb });
    const rang = child.vitale!.rang;

    // Raw XML form.
    const res = await fetch(`${t.http}/_sandbox/${sb}/_vitale/assertion`, { method: 'POST', body: JSON.stringify({ rang }), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('xml');
    const xml = await res.text();
    expect(xml).toMatch(
      new RegExp(
        '^<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2\\.0:assertion" ID="_vitale-[0-9a-f-]{36}" IssueInstant="2026-03-02T08:00:00\\.000Z" Version="2\\.0">' +
          '<saml2:Issuer>urn:segur-sim:vitale</saml2:Issuer>' +
          `<saml2:Subject><saml2:NameID>${card.serialNumber}</saml2:NameID></saml2:Subject>` +
          '<saml2:Conditions NotBefore="2026-03-02T08:00:00\\.000Z" NotOnOrAfter="2026-03-02T08:20:00\\.000Z"/>' +
          '<saml2:AttributeStatement>' +
          `<saml2:Attribute Name="NirOuvrantDroit"><saml2:AttributeValue>${card.ouvrantDroit.matricule}</saml2:AttributeValue></saml2:Attribute>` +
          `<saml2:Attribute Name="RangBeneficiaire"><saml2:AttributeValue>${rang}</saml2:AttributeValue></saml2:Attribute>` +
          '</saml2:AttributeStatement></saml2:Assertion>$',
      ),
    );
    const parsed = parseVitaleAssertion(xml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.assertion).toMatchObject({ serialNumber: card.serialNumber, nirOuvrantDroit: card.ouvrantDroit.matricule, rangBeneficiaire: rang, issuer: 'urn:segur-sim:vitale' });
    expect(parsed.assertion.notOnOrAfterMs - parsed.assertion.issuedAtMs).toBe(VITALE_ASSERTION_VALIDITY_MS);

    // JSON form through the client, after the clock moved: a fresh 20-minute window.
    clock.advance(5 * 60_000);
    const issued = await new VitaleReader(t.http, sb).assertion(rang);
    expect(issued).toMatchObject({ issueInstant: '2026-03-02T08:05:00.000Z', notBefore: '2026-03-02T08:05:00.000Z', notOnOrAfter: '2026-03-02T08:25:00.000Z', validitySeconds: 1200, rang, serialNumber: card.serialNumber });
    expect(issued.beneficiaire.matriculeIndividu).toBe(child.ins!.matricule);
    const again = parseVitaleAssertion(issued.assertion);
    expect(again.ok && again.assertion.id).toBe(issued.id);
    expect(issued.id).not.toBe(parsed.assertion.id);

    // Obsolescence (CNDA 1.02): valid until NotOnOrAfter, excluded.
    expect(vitaleAssertionTimeStatus(parsed.assertion, clock.now())).toBe('valid');
    clock.set('2026-03-02T08:19:59.999Z');
    expect(vitaleAssertionTimeStatus(parsed.assertion, clock.now())).toBe('valid');
    clock.set('2026-03-02T08:20:00.000Z');
    expect(vitaleAssertionTimeStatus(parsed.assertion, clock.now())).toBe('expired');
    clock.set(START);
  });

  it('remove empties the reader: NoCard for reading and for the assertion', async () => {
    const sb = 'remove';
    await t.admin.vitalePresent(child.id, { sandbox: sb });
    const removed = await t.admin.vitaleRemove(sb);
    expect(removed.removed).toMatchObject({ cardId: card.id });
    const reader = new VitaleReader(t.http, sb);
    expect(await errorOf(reader.readCard())).toMatchObject({ status: 404, code: 'NoCard' });
    expect(await errorOf(reader.assertion(1))).toMatchObject({ status: 404, code: 'NoCard' });
    expect((await errorOf(reader.readCard())).message).toContain('segur-sim vitale present');
    expect(await t.admin.vitale(sb)).toEqual({ sandbox: sb, inserted: null, card: null });
    expect(await errorOf(t.admin.vitaleRemove(sb))).toMatchObject({ status: 404, code: 'NoCard' });
  });

  it('keeps sandboxes isolated', async () => {
    await t.admin.vitalePresent(child.id, { sandbox: 'iso-a' });
    expect((await new VitaleReader(t.http, 'iso-a').readCard()).cardId).toBe(card.id);
    expect(await errorOf(new VitaleReader(t.http, 'iso-b').readCard())).toMatchObject({ code: 'NoCard' });
    // The /_sandbox/<id>/ prefix works too.
    const res = await fetch(`${t.http}/_sandbox/iso-a/_vitale/card`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cardId: string }).cardId).toBe(card.id);
    // Reset empties the reader.
    await t.admin.resetSandbox('iso-a');
    expect(await errorOf(new VitaleReader(t.http, 'iso-a').readCard())).toMatchObject({ code: 'NoCard' });
  });

  it('scenario outcome vitale.read makes the reader fail; vitale.assertion backdates', async () => {
    const sb = 'scenario';
    await t.admin.vitalePresent(child.id, { sandbox: sb });
    await t.admin.uploadScenario(`
name: vitale-reader-down
rules:
  - id: down
    match: { service: vitale }
    times: 1
    effects:
      - outcome: { name: vitale.read, with: { error: reader-unavailable } }
`);
    await t.admin.uploadScenario(`
name: vitale-blocked
rules:
  - id: blocked
    match: { service: vitale, operation: read }
    effects:
      - outcome: { name: vitale.read, with: { error: card-blocked } }
`);
    await t.admin.uploadScenario(`
name: vitale-stale
rules:
  - id: stale
    match: { service: vitale, operation: assertion }
    effects:
      - outcome: { name: vitale.assertion, with: { backdateMinutes: 21 } }
`);
    await t.admin.activate('vitale-reader-down', sb);
    const reader = new VitaleReader(t.http, sb);
    expect(await errorOf(reader.readCard())).toMatchObject({ status: 503, code: 'ReaderUnavailable' });
    expect((await reader.readCard()).cardId).toBe(card.id);
    await t.admin.deactivate('vitale-reader-down', sb);

    const blocked = new VitaleReader(t.http, sb, { scenario: 'vitale-blocked' });
    expect(await errorOf(blocked.readCard())).toMatchObject({ status: 403, code: 'CardBlocked' });

    clock.set(START);
    const stale = await new VitaleReader(t.http, sb, { scenario: 'vitale-stale' }).assertion(1);
    expect(stale.issueInstant).toBe('2026-03-02T07:39:00.000Z');
    const parsed = parseVitaleAssertion(stale.assertion);
    expect(parsed.ok && vitaleAssertionTimeStatus(parsed.assertion, clock.now())).toBe('expired');

    const journal = await t.admin.journal(sb, { service: 'vitale' });
    expect(journal.entries.map((e) => e.response.status)).toEqual([503, 200, 403, 200]);
    expect(journal.entries[0]!.decision!.channel).toBe('sandbox');
    expect(journal.entries[2]!.decision!.channel).toBe('header');
  });

  it('the world\'s last card is magic: blocked (en opposition)', async () => {
    const last = world.vitaleCards.at(-1)!;
    await t.admin.vitalePresent(last.id, { sandbox: 'magic' });
    const err = await errorOf(new VitaleReader(t.http, 'magic').readCard());
    expect(err).toMatchObject({ status: 403, code: 'CardBlocked' });
  });

  it('gives precise errors for bad inputs', async () => {
    const sb = 'errors';
    expect(await errorOf(t.admin.vitalePresent('pat-99999', { sandbox: sb }))).toMatchObject({ status: 404, code: 'UnknownPatient' });
    const noCard = world.patients.find((p) => !p.vitale)!;
    const without = await errorOf(t.admin.vitalePresent(noCard.id, { sandbox: sb }));
    expect(without).toMatchObject({ status: 404, code: 'PatientWithoutCard' });
    expect(without.message).toContain(noCard.id);
    expect(await errorOf(t.admin.request('POST', `/_admin/sandboxes/${sb}/vitale`, { patient: child.id, kind: 'smartcard' }))).toMatchObject({ status: 400, code: 'InvalidBody' });
    expect(await errorOf(t.admin.request('POST', `/_admin/sandboxes/${sb}/vitale`, { patient: child.id, colour: 'green' }))).toMatchObject({ status: 400, code: 'InvalidBody' });

    await t.admin.vitalePresent(child.id, { sandbox: sb });
    const post = (body: string) => fetch(`${t.http}/_sandbox/${sb}/_vitale/assertion`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const codeOf = async (body: string) => {
      const res = await post(body);
      return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    };
    expect(await codeOf('{')).toEqual([400, 'InvalidJson']);
    expect(await codeOf('{}')).toEqual([400, 'InvalidRang']);
    expect(await codeOf('{"rang": 0}')).toEqual([400, 'InvalidRang']);
    expect(await codeOf('{"rang": 1.5}')).toEqual([400, 'InvalidRang']);
    expect(await codeOf('{"rang": 1, "nir": "x"}')).toEqual([400, 'InvalidBody']);
    expect(await codeOf('{"rang": 42}')).toEqual([404, 'UnknownRang']);
    expect((await post('{"rang": "2"}')).status).toBe(200);
  });
});
