import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../client/admin.js';
import { ManualClock } from '../../simulators/core/clock.js';
import { startTestHost, type TestHost } from '../support/host.js';

const tagScenario = (name: string, tag: string, extra = '') => `
name: ${name}
rules:
  - id: tag
    match: { service: echo, operation: noop }
    effects:
      - outcome: { name: echo.tag, with: { tag: ${tag} } }
${extra}`;

interface Echo {
  channel: string;
  tag: string | null;
  explain: string;
}

let t: TestHost;
let magicIns: string;
const clock = new ManualClock('2026-03-02T08:00:00Z');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segur-sim-scn-'));
  const startupFile = join(dir, 'startup.yaml');
  writeFileSync(startupFile, tagScenario('from-startup', 'startup'));
  t = await startTestHost({ 'scenarios.startup': [startupFile] }, { clock });
  magicIns = t.host.context.sandboxes.world().patients.find((p) => p.magic?.length && p.ins)!.ins!.matricule;
  await t.admin.uploadScenario(tagScenario('from-sandbox', 'sandbox'));
  await t.admin.uploadScenario(tagScenario('from-header', 'header'));
});
afterAll(() => t.close());

async function echo(sandbox: string, query = '', headers: Record<string, string> = {}): Promise<Echo> {
  const res = await fetch(`${t.http}/_sandbox/${sandbox}/_echo/noop${query}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Echo;
}

describe('scenario engine over real sockets', () => {
  it('applies the precedence header > sandbox > magic > startup > default and says which channel decided', async () => {
    const sb = 'precedence';
    await t.admin.createSandbox(sb);
    expect(await echo(sb)).toMatchObject({ channel: 'startup', tag: 'startup' });
    expect(await echo(sb, `?ins=${magicIns}`)).toMatchObject({ channel: 'magic' });
    expect((await echo(sb, `?ins=${magicIns}`)).tag).toMatch(/^magic:/);
    await t.admin.activate('from-sandbox', sb);
    expect(await echo(sb, `?ins=${magicIns}`)).toMatchObject({ channel: 'sandbox', tag: 'sandbox' });
    expect(await echo(sb, `?ins=${magicIns}`, { 'X-Segur-Scenario': 'from-header' })).toMatchObject({ channel: 'header', tag: 'header' });
    await t.admin.deactivate('from-sandbox', sb);
    expect(await echo(sb)).toMatchObject({ channel: 'startup' });

    const journal = await t.admin.journal(sb, { service: 'echo' });
    expect(journal.entries.map((e) => e.decision?.channel)).toEqual(['startup', 'magic', 'magic', 'sandbox', 'header', 'startup']);
    expect(journal.entries[4]!.decision!.explain).toContain('from-header');
  });

  it('an unknown X-Segur-Scenario gets the protocol error, not a silent default', async () => {
    const res = await fetch(`${t.http}/lps`, { method: 'POST', body: '<x/>', headers: { 'x-segur-scenario': 'no-such-thing' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/soap:Fault[\s\S]*no-such-thing/);
  });

  it('fails the next 3 calls, then recovers', async () => {
    await t.admin.uploadScenario(`
name: three-failures
rules:
  - id: fail
    match: { service: echo }
    times: 3
    effects:
      - http: { status: 503 }
`);
    await t.admin.activate('three-failures', 'count');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${t.http}/_sandbox/count/_echo/noop`)).status);
    expect(statuses).toEqual([503, 503, 503, 200, 200]);
  });

  it('fires only inside its time window (injected clock)', async () => {
    await t.admin.uploadScenario(`
name: outage-window
rules:
  - id: down
    match: { service: insi }
    window: { from: 10s, until: 40s }
    effects:
      - soap-fault: { code: desir_1020, subcode: siram_40, reason: Le service est temporairement inaccessible }
`);
    await t.admin.activate('outage-window', 'window');
    const call = async () => (await fetch(`${t.http}/_sandbox/window/lps`, { method: 'POST', body: '<x/>' })).text();
    expect(await call()).not.toContain('desir_1020');
    clock.advance(15_000);
    const during = await call();
    expect(during).toContain('siram_40');
    expect(during).toContain('desir_1020');
    const weather = await t.admin.status('window');
    expect(weather.services.find((s) => s.id === 'insi')!.state).toBe('down');
    clock.advance(30_000);
    expect(await call()).not.toContain('desir_1020');
    expect((await t.admin.status('window')).services.find((s) => s.id === 'insi')!.state).toBe('up');
  });

  it('draws seeded probabilities: the same seed and calls give the same sequence', async () => {
    const yaml = `
name: coin
rules:
  - id: flip
    match: { service: echo }
    probability: 0.5
    effects:
      - http: { status: 500 }
`;
    const run = async (host: TestHost, sandbox: string) => {
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await fetch(`${host.http}/_sandbox/${sandbox}/_echo/noop`, { headers: { 'x-segur-scenario': 'coin' } })).status);
      return out;
    };
    await t.admin.uploadScenario(yaml);
    const first = await run(t, 'coin-a');
    const second = await run(t, 'coin-b');
    expect(first).toEqual(second);
    expect(first).toContain(500);
    expect(first).toContain(200);

    const other = await startTestHost({ seed: 7 });
    try {
      await other.admin.uploadScenario(yaml);
      expect(await run(other, 'coin-c')).not.toEqual(first);
    } finally {
      await other.close();
    }
  });

  it('resets the connection, hangs until the client gives up, and trickles a slow body — and lives on', async () => {
    await t.admin.uploadScenario(`
name: transport-faults
rules:
  - id: reset
    match: { service: echo, facts: { mode: reset } }
    effects: [ { transport: connection-reset } ]
  - id: hang
    match: { service: echo, facts: { mode: hang } }
    effects: [ { transport: hang } ]
  - id: slow
    match: { service: echo, facts: { mode: slow } }
    effects: [ { transport: { slow-body: { bytesPerSecond: 200 } } } ]
`);
    await t.admin.activate('transport-faults', 'transport');
    const base = `${t.http}/_sandbox/transport/_echo/noop`;
    await expect(fetch(`${base}?mode=reset`)).rejects.toThrow();
    await expect(fetch(`${base}?mode=hang`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();

    const chunks = await new Promise<number>((resolve, reject) => {
      request(`${base}?mode=slow`, (res) => {
        let n = 0;
        res.on('data', () => n++);
        res.on('end', () => resolve(n));
      })
        .on('error', reject)
        .end();
    });
    expect(chunks).toBeGreaterThan(3);
    expect((await t.admin.health()).status).toBe('ok');
    expect((await fetch(base)).status).toBe(200);
  });

  it('validates uploaded scenarios with file, line and field', async () => {
    const err = await t.admin
      .uploadScenario(`name: broken
rules:
  - id: a
    match: { service: echo }
    tims: 3
    effects:
      - http: { status: 503 }
`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminApiError);
    expect((err as AdminApiError).status).toBe(400);
    expect((err as AdminApiError).message).toMatch(/admin-api:5:\d+/);
    expect((err as AdminApiError).message).toContain('tims');
    const unknownOutcome = await t.admin.uploadScenario(tagScenario('bad-outcome', 'x').replace('echo.tag', 'echo.tga')).catch((e: unknown) => e);
    expect((unknownOutcome as AdminApiError).message).toContain('echo.tga');
  });

  it('lists, activates and deactivates through the admin API, persisting nothing across sandboxes', async () => {
    const names = (await t.admin.scenarios()).scenarios.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['from-sandbox', 'three-failures']));
    await expect(t.admin.activate('nope', 'default')).rejects.toMatchObject({ status: 404 });
    await t.admin.activate('from-sandbox', 'lists');
    expect((await t.admin.activeScenarios('lists')).active.map((a) => a.name)).toEqual(['from-sandbox']);
    expect((await t.admin.activeScenarios('default')).active).toEqual([]);
    await expect(t.admin.deactivate('from-sandbox', 'default')).rejects.toMatchObject({ status: 404 });
  });
});
