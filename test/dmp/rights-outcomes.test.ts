/**
 * Rights as a client meets them over the wire: the scenario outcomes (dmp.absent, dmp.closed,
 * dmp.opposition, dmp.blocked) through the sandbox and header channels, consultation without authorization
 * answered at TD0.2 level (NON_EXISTE / INTERDIT), and the ready-made dmp-outage scenario.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, DMP_ACTIONS, dmpCall, find, findAll, outputOf, pickAuthorizedPair, pickDossier, setAuthorizationBody, startDmpHost, td02Body, td14Body, type DmpTestHost } from './support.js';

let t: DmpTestHost;
let pair: ReturnType<typeof pickAuthorizedPair>;

async function loadScenario(yaml: string): Promise<void> {
  const res = await fetch(`${t.http}/_admin/scenarios?replace=true`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
  if (!res.ok) throw new Error(`load scenario: ${res.status} ${await res.text()}`);
}

async function activate(sandbox: string, name: string): Promise<void> {
  const res = await fetch(`${t.http}/_admin/sandboxes/${sandbox}/scenarios/${name}`, { method: 'POST' });
  if (!res.ok) throw new Error(`activate: ${res.status} ${await res.text()}`);
}

const outcomeScenario = (name: string, outcome: string, withParams = '') => `name: ${name}\nrules:\n  - id: r\n    match: { service: dmp }\n    effects:\n      - outcome: { name: ${outcome}${withParams ? `, with: ${withParams}` : ''} }\n`;

beforeAll(async () => {
  t = await startDmpHost();
  pair = pickAuthorizedPair(t, { mt: true });
  await loadScenario(outcomeScenario('t-dmp-absent', 'dmp.absent'));
  await loadScenario(outcomeScenario('t-dmp-closed', 'dmp.closed'));
  await loadScenario(outcomeScenario('t-dmp-blocked', 'dmp.blocked'));
  await loadScenario(outcomeScenario('t-dmp-opposition', 'dmp.opposition', '{ kind: acces_urgence }'));
});
afterAll(() => t.close());

const td02 = (base: string, reason = 'TEST_EXST', extra: Parameters<typeof dmpCall>[4] = {}) => dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(pair.ins, reason), { ins: pair.ins, ...pair.vihf, ...extra });
const authorization = (res: Awaited<ReturnType<typeof dmpCall>>) => at(findAll(res.body, 'attentionLine')[0], 'value')?.attrs.code;

describe('scenario outcomes', () => {
  it('dmp.absent (sandbox channel): NF, and TD0.3 refused with DMPNotFound', async () => {
    await activate('o-absent', 't-dmp-absent');
    const base = `${t.http}/_sandbox/o-absent`;
    const res = await td02(base);
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('NF');
    const set = await dmpCall(base, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins: pair.ins, ...pair.vihf });
    expect(outputOf(set).status).toBe('DMPNotFound');
    const journal = (await (await fetch(`${t.http}/_admin/sandboxes/o-absent/journal?service=dmp`)).json()) as { entries: { decision?: { channel: string } }[] };
    expect(journal.entries.every((e) => e.decision?.channel === 'sandbox')).toBe(true);
  });

  it('dmp.closed (header channel): terminated at TD0.2, DMPClosed at TD1.4 — the stored dossier is untouched', async () => {
    const res = await td02(t.http, 'TEST_EXST', { headers: { 'X-Segur-Scenario': 't-dmp-closed' } });
    expect(at(find(res.body, 'patient'), 'statusCode')?.attrs.code).toBe('terminated');
    const close = await dmpCall(t.http, 'patients', DMP_ACTIONS.td14, td14Body('FERM', { ins: pair.ins }), { ins: pair.ins, ...pair.vihf, headers: { 'X-Segur-Scenario': 't-dmp-closed' } });
    expect(at(find(close.body, 'acknowledgementDetail'), 'code')?.attrs.code).toBe('DMPClosed');
    const plain = await td02(t.http);
    expect(at(find(plain.body, 'patient'), 'statusCode')?.attrs.code).toBe('active');
  });

  it('dmp.blocked: the caller reads INTERDIT and is refused everything but TD0.2', async () => {
    await activate('o-blocked', 't-dmp-blocked');
    const base = `${t.http}/_sandbox/o-blocked`;
    expect(authorization(await td02(base))).toBe('INTERDIT');
    const admin = await td02(base, 'CNSLT_DATA');
    expect(find(admin.body, 'acknowledgement')?.attrs.typeCode).toBe('AE');
    const set = await dmpCall(base, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins: pair.ins, ...pair.vihf });
    expect(outputOf(set).status).toBe('DMPAccessDeniedByRightsService');
  });

  it('dmp.opposition { kind: acces_urgence }: TD1.3a shows OPPOSITION_ACCES_URGENCE true', async () => {
    await activate('o-opp', 't-dmp-opposition');
    const res = await td02(`${t.http}/_sandbox/o-opp`, 'CNSLT_DATA');
    const obs = Object.fromEntries(findAll(res.body, 'administrativeObservation').map((o) => [at(o, 'code')?.attrs.code, at(o, 'value')?.attrs.value]));
    expect(obs.OPPOSITION_ACCES_URGENCE).toBe('true');
  });

  it('the outcomes are listed by the admin API with their parameters checked', async () => {
    const outcomes = (await (await fetch(`${t.http}/_admin/outcomes`)).json()) as unknown;
    const names = JSON.stringify(outcomes);
    for (const n of ['dmp.closed', 'dmp.opposition', 'dmp.blocked', 'dmp.absent']) expect(names).toContain(n);
    const bad = await fetch(`${t.http}/_admin/scenarios`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: outcomeScenario('t-bad', 'dmp.opposition', '{ kind: partout }') });
    expect(bad.status).toBe(400);
  });
});

describe('consultation without authorization is visible at TD0.2', () => {
  it('a PS never authorized reads NON_EXISTE, the expired one EXPIRE', async () => {
    const stranger = t.world.professionals.find((p) => p.profession.code === '10' && !pair.dossier.authorizations.has(p.idNat));
    expect(stranger).toBeDefined();
    let res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(pair.ins), { ins: pair.ins, nameId: stranger!.idNat });
    expect(authorization(res)).toBe('NON_EXISTE');
    const withExpired = pickDossier(t, (d) => d.status === 'active' && [...d.authorizations.values()].some((a) => a.status === 'EXPIRE'), 'a dossier with an expired authorization');
    const expired = [...withExpired.dossier.authorizations.values()].find((a) => a.status === 'EXPIRE')!;
    res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(withExpired.ins), { ins: withExpired.ins, nameId: expired.idNat });
    expect(authorization(res)).toBe('EXPIRE');
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('OK');
  });
});

describe('ready-made scenario dmp-outage', () => {
  it('3 SOAP 503 faults, then the DMP answers again', async () => {
    await activate('o-outage', 'dmp-outage');
    const base = `${t.http}/_sandbox/o-outage`;
    for (let i = 0; i < 3; i++) {
      const res = await td02(base);
      expect(res.status).toBe(503);
      expect(res.faultSubcode).toBe('DMPServiceUnavailable');
      expect(res.text).toContain('<soap:Value>soap:Receiver</soap:Value>');
    }
    const ok = await td02(base);
    expect(ok.status).toBe(200);
    expect(find(ok.body, 'queryResponseCode')?.attrs.code).toBe('OK');
  });
});
