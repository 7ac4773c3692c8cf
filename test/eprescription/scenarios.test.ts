/**
 * Scenario effects and the ePrescription outcomes, over real sockets, activated through the admin API (or the
 * X-Segur-Scenario header): the ready-made files `scenarios/eprescription-*.yaml` (generic effects) and
 * `scenarios/eprescription-outcomes/*.yaml` (outcomes), plus inline rules matching the request facts.
 * Latency is never asserted by time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, OutcomeRegistry } from '../../scenarios/index.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { action, call, DOCTOR, DOCTOR2, ep1Body, ep3Executant, ep3Prescripteur, ep4Body, envelope, faultCode, newId, PHARMACIST, subcode, tag } from './helpers.js';

const SB = 'ep-scen';
const OUTCOMES = 'scenarios/eprescription-outcomes';
let t: TestHost;
let base: string;
const active: string[] = [];

function scenarioText(name: string): string {
  try {
    return readFileSync(join('scenarios', `${name}.yaml`), 'utf8');
  } catch {
    return readFileSync(join(OUTCOMES, `${name}.yaml`), 'utf8');
  }
}

async function activate(name: string, yaml = scenarioText(name)): Promise<void> {
  await t.admin.uploadScenario(yaml, true);
  await t.admin.activate(name, SB);
  active.push(name);
}

const asDoctor = { cps: DOCTOR.idNat };
const asPharmacist = { cps: PHARMACIST.idNat };
const create = (id = newId()) => call(base, 'ep4_creer', ep4Body({ id }), asDoctor);

beforeAll(async () => {
  t = await startTestHost();
  base = `${t.http}/_sandbox/${SB}`;
  await t.admin.createSandbox(SB);
});
afterEach(async () => {
  for (const name of active.splice(0)) await t.admin.deactivate(name, SB).catch(() => undefined);
});
afterAll(() => t.close());

describe('ready-made scenario files', () => {
  it('the files directly in scenarios/ load with no outcome registered; all load through the admin API', async () => {
    const top = readdirSync('scenarios').filter((f) => /^eprescription-.*\.yaml$/.test(f));
    expect(top.sort()).toEqual(['eprescription-outage.yaml', 'eprescription-timeout.yaml']);
    for (const f of top) expect(loadScenarioFile(join('scenarios', f), new OutcomeRegistry()).name).toBe(f.replace(/\.yaml$/, ''));
    const outcomeFiles = readdirSync(OUTCOMES);
    expect(outcomeFiles.length).toBeGreaterThanOrEqual(4);
    for (const f of [...top.map((x) => join('scenarios', x)), ...outcomeFiles.map((x) => join(OUTCOMES, x))]) {
      const { name } = await t.admin.uploadScenario(readFileSync(f, 'utf8'), true);
      expect(`${name}.yaml`).toBe(f.split('/').pop());
    }
  });
});

describe('generic effects', () => {
  it('eprescription-outage: 3 calls get desir_1020 / siram_40 (any operation, even unreadable), then the service recovers', async () => {
    await activate('eprescription-outage');
    const first = await create();
    expect(first.status).toBe(500);
    expect(faultCode(first)).toBe('desir_1020');
    expect(subcode(first)).toBe('siram_40');
    expect(first.body).toContain('severite="fatale"');
    expect(first.body).toContain('messageID="uuid:0b5d0d53-7d4e-4e8e-9d62-5f9a3e1a1a11"');
    expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(newId()), asPharmacist))).toBe('desir_1020');
    const raw = await fetch(`${base}/eprescription`, { method: 'POST', body: '<not-xml', headers: { 'content-type': 'application/soap+xml' } });
    expect(await raw.text()).toContain('code="desir_1020"');
    const after = await create();
    expect(after.status).toBe(200);
    const { entries } = await t.admin.journal(SB, { service: 'eprescription', channel: 'sandbox' });
    expect(entries.some((e) => e.decision?.fired.some((f) => f.rule === 'three-faults') && e.summary.outcome === 'siram_40/desir_1020')).toBe(true);
  });

  it('eprescription-timeout: ep4_creer hangs until the client gives up; ep3 still answers; after deactivation ep4 answers', async () => {
    const id = tag((await create()).body, 'Identifiant')!;
    await activate('eprescription-timeout');
    const outcome = await new Promise<string>((resolve) => {
      const body = envelope('ep4_creer', ep4Body({ id: newId() }), asDoctor);
      const req = request(`${base}/eprescription`, { method: 'POST', timeout: 800, headers: { 'content-type': `application/soap+xml;charset=utf-8;action="${action('ep4_creer')}"` } }, (res) => resolve(`answered ${res.statusCode}`));
      req.on('timeout', () => {
        req.destroy();
        resolve('client timeout');
      });
      req.on('error', () => resolve('client timeout'));
      req.end(body);
    });
    expect(outcome).toBe('client timeout');
    expect((await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist)).status).toBe(200);
    await t.admin.deactivate('eprescription-timeout', SB);
    active.length = 0;
    expect((await create()).status).toBe(200);
    expect((await t.admin.health()).status).toBeTruthy();
  });

  it('an HTTP 503 and a connection reset from inline rules', async () => {
    await activate('ep-503', ['name: ep-503', 'rules:', '  - id: r', '    match: { service: eprescription }', '    times: 1', '    effects:', '      - http: { status: 503, body: maintenance, headers: { retry-after: "30" } }'].join('\n'));
    const res = await create();
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    await activate('ep-reset', ['name: ep-reset', 'rules:', '  - id: r', '    match: { service: eprescription }', '    times: 1', '    effects:', '      - transport: connection-reset'].join('\n'));
    await expect(create()).rejects.toThrow();
    expect((await create()).status).toBe(200);
  });
});

describe('ePrescription outcomes', () => {
  it('eprescription-ko: the next ep4_creer gets ep_102 (siram_40, Receiver), then creations succeed', async () => {
    await activate('eprescription-ko');
    const ko = await create();
    expect(faultCode(ko)).toBe('ep_102');
    expect(subcode(ko)).toBe('siram_40');
    expect(ko.body).toContain('soap:Receiver');
    expect((await create()).status).toBe(200);
  });

  it('eprescription-unavailable: desir_1020 on every call, and the service weather shows ePrescription down', async () => {
    await activate('eprescription-unavailable');
    expect(faultCode(await create())).toBe('desir_1020');
    const status = await t.admin.status(SB);
    expect(status.services.find((s) => s.id === 'eprescription')?.state).toBe('down');
  });

  it('eprescription-duplicate: the next ep4_creer answers ep_402 (nothing stored), then the same identifier is accepted', async () => {
    await activate('eprescription-duplicate');
    const id = newId();
    const dup = await create(id);
    expect(faultCode(dup)).toBe('ep_402');
    expect((await create(id)).status).toBe(200);
  });

  it('eprescription-unknown: ep3, ep1 and ep7 answer ep_404 for an existing prescription; ep4 is not affected', async () => {
    const id = tag((await create()).body, 'Identifiant')!;
    await activate('eprescription-unknown');
    expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist))).toBe('ep_404');
    expect(faultCode(await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }]), asPharmacist))).toBe('ep_404');
    expect((await create()).status).toBe(200);
  });

  it('eprescription-consent-refused: the prescriber view gets ep_410, the executant view does not', async () => {
    const id = tag((await create()).body, 'Identifiant')!;
    await activate('eprescription-consent-refused');
    expect(faultCode(await call(base, 'ep3_consulter', ep3Prescripteur(id), asDoctor))).toBe('ep_410');
    expect((await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist)).status).toBe(200);
  });

  it('rules match the request facts (rpps, identifier) and the X-Segur-Scenario header', async () => {
    const id = newId();
    await t.admin.uploadScenario(
      ['name: ep-facts', 'rules:', '  - id: by-rpps', `    match: { service: eprescription, facts: { rpps: "${DOCTOR2.rpps}" } }`, '    effects:', '      - outcome: { name: eprescription.fault, with: { code: desir_1020 } }', '  - id: by-id', `    match: { service: eprescription, operation: ep3_consulter, facts: { identifier: ${id} } }`, '    effects:', '      - outcome: { name: eprescription.unknown }'].join('\n'),
      true,
    );
    const headers = { 'x-segur-scenario': 'ep-facts' };
    const byOther = await call(base, 'ep4_creer', ep4Body({ id: newId(), prescriber: DOCTOR2.rpps }), { cps: DOCTOR2.idNat, headers });
    expect(faultCode(byOther)).toBe('desir_1020');
    expect((await call(base, 'ep4_creer', ep4Body({ id }), { ...asDoctor, headers })).status).toBe(200);
    expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(id), { ...asPharmacist, headers }))).toBe('ep_404');
    expect((await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist)).status).toBe(200);
    const { entries } = await t.admin.journal(SB, { service: 'eprescription', channel: 'header' });
    expect(entries.some((e) => e.decision?.fired.some((f) => f.rule === 'by-id'))).toBe(true);
  });

  it('an unknown X-Segur-Scenario is answered as a catalogue-shaped fault', async () => {
    const res = await call(base, 'ep4_creer', ep4Body({ id: newId() }), { ...asDoctor, headers: { 'x-segur-scenario': 'no-such-scenario' } });
    expect(res.status).toBe(400);
    expect(res.body).toContain('<siram:Erreur code="UnknownScenario"');
  });
});
