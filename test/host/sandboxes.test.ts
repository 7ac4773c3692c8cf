import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminApiError } from '../../client/admin.js';
import { startTestHost, type TestHost } from '../support/host.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
  await t.admin.uploadScenario(`
name: echo-unavailable
rules:
  - id: all
    match: { service: echo, operation: noop }
    effects:
      - http: { status: 503, body: down }
`);
});
afterAll(() => t.close());

const put = (base: string, key: string, value: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/_echo/records/${key}`, { method: 'PUT', body: JSON.stringify(value), headers: { 'content-type': 'application/json', ...headers } });

describe('sandboxes', () => {
  it('keep state, scenarios and journal apart for two concurrent runs (header and path prefix)', async () => {
    await t.admin.createSandbox('run-a');
    await t.admin.createSandbox('run-b');
    const runA = { 'x-segur-sandbox': 'run-a' };
    const runB = `${t.http}/_sandbox/run-b`;

    // Interleaved writes from both runs.
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? put(t.http, `k${i}`, { run: 'a', i }, runA) : put(runB, `k${i}`, { run: 'b', i }))));
    const keysA = (await (await fetch(`${t.http}/_echo/records`, { headers: runA })).json()) as { keys: string[] };
    const keysB = (await (await fetch(`${runB}/_echo/records`)).json()) as { keys: string[] };
    expect(keysA.keys.sort()).toEqual(['k1', 'k11', 'k13', 'k15', 'k17', 'k19', 'k3', 'k5', 'k7', 'k9']);
    expect(keysB.keys).toHaveLength(10);
    expect(keysB.keys).not.toContain('k1');
    expect((await fetch(`${runB}/_echo/records/k1`)).status).toBe(404);

    await t.admin.activate('echo-unavailable', 'run-a');
    expect((await fetch(`${t.http}/_echo/noop`, { headers: runA })).status).toBe(503);
    expect((await fetch(`${runB}/_echo/noop`)).status).toBe(200);
    expect((await fetch(`${t.http}/_echo/noop`)).status).toBe(200);

    const journalA = await t.admin.journal('run-a');
    const journalB = await t.admin.journal('run-b');
    expect(journalA.entries.every((e) => e.sandbox === 'run-a')).toBe(true);
    expect(journalB.entries.every((e) => e.sandbox === 'run-b')).toBe(true);
    expect(journalA.count).toBe(12); // 10 writes, 1 list, 1 noop
    expect(journalB.count).toBe(13); // 10 writes, 1 list, 1 get, 1 noop
  });

  it('reset brings a sandbox back to the seeded world', async () => {
    await t.admin.createSandbox('to-reset');
    const h = { 'x-segur-sandbox': 'to-reset' };
    await put(t.http, 'x', 1, h);
    await t.admin.activate('echo-unavailable', 'to-reset');
    await t.admin.resetSandbox('to-reset');
    expect(((await (await fetch(`${t.http}/_echo/records`, { headers: h })).json()) as { keys: string[] }).keys).toEqual([]);
    expect((await t.admin.activeScenarios('to-reset')).active).toEqual([]);
    expect((await fetch(`${t.http}/_echo/noop`, { headers: h })).status).toBe(200);
    expect((await t.admin.journal('to-reset')).count).toBe(2); // only the two calls after the reset
  });

  it('creates with a seed, refuses duplicates, deletes, and protects the default sandbox', async () => {
    const created = await t.admin.createSandbox('seeded', 42);
    expect(created.seed).toBe(42);
    await expect(t.admin.createSandbox('seeded')).rejects.toMatchObject({ status: 409 });
    await t.admin.deleteSandbox('seeded');
    expect((await t.admin.sandboxes()).sandboxes.map((s) => s.id)).not.toContain('seeded');
    await expect(t.admin.deleteSandbox('default')).rejects.toBeInstanceOf(AdminApiError);
    await expect(t.admin.deleteSandbox('never-made')).rejects.toMatchObject({ status: 404 });
  });

  it('creates a sandbox on first use, unless auto-creation is off', async () => {
    expect((await fetch(`${t.http}/_sandbox/fresh-ci-run/_echo/noop`)).status).toBe(200);
    expect((await t.admin.sandboxes()).sandboxes.map((s) => s.id)).toContain('fresh-ci-run');

    const strict = await startTestHost({ sandboxes: { autoCreate: false } });
    try {
      const res = await fetch(`${strict.http}/_echo/noop`, { headers: { 'x-segur-sandbox': 'nope' } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UnknownSandbox');
    } finally {
      await strict.close();
    }
  });
});
