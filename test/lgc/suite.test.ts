/**
 * The scenario-suite runner from the command line against a running host: the ready suites of
 * scenarios/suites/ (every simulator's error catalogue) pass, the JUnit and JSON reports say so, a case
 * whose expectation fails exits non-zero and keeps its sandbox, a vendor command runs in a fresh sandbox,
 * and a bad suite file gets a precise message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteReport } from '../../client/lgc/suite/runner.js';
import { judge } from '../../client/lgc/suite/runner.js';
import { parseSuite } from '../../client/lgc/suite/suite-file.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { runCli } from '../support/process.js';

let th: TestHost;
const dir = mkdtempSync(join(tmpdir(), 'segur-sim-suite-'));

beforeAll(async () => {
  th = await startTestHost();
});
afterAll(async () => {
  await th?.close();
});

describe('segur-sim suite', () => {
  it('runs every ready suite in fresh sandboxes, passes, and writes JUnit and JSON reports', async () => {
    const junit = join(dir, 'junit.xml');
    const json = join(dir, 'report.json');
    const r = await runCli(['suite', 'scenarios/suites', '--url', th.http, '--junit', junit, '--json-report', json, '--parallel', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as SuiteReport;
    expect(report.failed).toBe(0);
    expect(report.suites.map((s) => s.name).sort()).toEqual(['annuaire', 'dmp', 'eprescription', 'insi', 'mssante', 'psc-vitale']);
    expect(report.passed).toBeGreaterThanOrEqual(20);
    // Each case ran in its own sandbox, deleted afterwards (it passed).
    const sandboxes = new Set(report.suites.flatMap((s) => s.cases.map((c) => c.sandbox)));
    expect(sandboxes.size).toBe(report.passed);
    const left = (await th.admin.sandboxes()).sandboxes.map((s) => s.id);
    expect(left.filter((id) => sandboxes.has(id))).toEqual([]);

    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'));
    expect(xml.testsuites.tests).toBe(String(report.passed));
    expect(xml.testsuites.failures).toBe('0');
    const insi = [xml.testsuites.testsuite].flat().find((s: { name: string }) => s.name === 'insi');
    const outage = insi.testcase.find((c: { name: string }) => c.name === 'service unavailable (desir_1020)');
    expect(outage['system-out']).toContain('✖ INSi: rechercherInsAvecCarteVitale');
    expect(r.stdout).toMatch(/✔ \d+ passed, 0 failed/);
  }, 300_000);

  it('exits non-zero when an expectation fails, keeps the sandbox, and reports why', async () => {
    const file = join(dir, 'failing.yaml');
    writeFileSync(
      file,
      stringify({
        name: 'failing',
        cases: [
          { name: 'expects a success under an INSi outage', flow: 'consultation', scenarios: ['insi-outage'] },
          { name: 'vendor command sees its sandbox', command: `node -e "process.exit(process.env.SEGUR_SIM_SANDBOX_URL.endsWith('/_sandbox/' + process.env.SEGUR_SIM_SANDBOX) ? 0 : 3)"` },
          { name: 'vendor command failing', command: `node -e "console.log('checking'); process.exit(2)"` },
        ],
      }),
    );
    const junit = join(dir, 'failing.xml');
    const r = await runCli(['suite', file, '--url', th.http, '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✔ failing › vendor command sees its sandbox');
    expect(r.stdout).toContain('✖ failing › vendor command failing');
    expect(r.stdout).toContain('the command exited with 2');
    expect(r.stdout).toMatch(/expected success, stopped: INSi: rechercherInsAvecCarteVitale: .*desir_1020/);
    const kept = /sandbox kept: (suite-failing-1-[0-9a-f]+)/.exec(r.stdout)?.[1];
    expect(kept).toBeDefined();
    expect((await th.admin.sandboxes()).sandboxes.some((s) => s.id === kept)).toBe(true);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('failures="2"');
    expect(xml).toContain('<failure message="the command exited with 2"');
    expect(xml).toContain('checking');
  }, 120_000);

  it('refuses a bad suite file with the file, the path and the reason', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: Bad Name\ncases:\n  - name: x\n    flow: consultation\n    command: true\n    expct: {}\n');
    const r = await runCli(['suite', file, '--url', th.http]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: name: lower-case words joined by "-"`);
    expect(r.stderr).toMatch(/cases\.0: .*expct/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await runCli(['suite', join(dir, 'missing'), '--url', th.http])).stderr).toContain('no such file or directory');
  });
});

describe('suite expectations', () => {
  const run = { ok: false, error: 'INSi: fault desir_1020', steps: [{ title: 'Read the card', ok: true, detail: 'rang 1' }, { title: 'INSi: search', ok: false, error: 'fault desir_1020' }] };
  it('holds when the flow stops where and as expected', () => {
    expect(judge({ ok: false, stoppedAt: 'INSi', error: 'desir_1020', steps: { Read: 'rang 1' } }, run)).toEqual([]);
  });
  it('says what differs', () => {
    expect(judge({ ok: true }, run)).toEqual(['expected success, stopped: INSi: fault desir_1020']);
    expect(judge({ ok: false, stoppedAt: 'DMP' }, run)).toEqual(['expected to stop at "DMP", stopped at "INSi: search"']);
    expect(judge({ ok: false, steps: { Read: 'rang 2', Nope: 'x' } }, run)).toEqual(['step "Read the card": expected "rang 2" in "rang 1"', 'no step "Nope"']);
  });
  it('validates a case: one of flow or command', () => {
    expect(() => parseSuite('name: a\ncases:\n  - name: x\n', 'a.yaml')).toThrow(/give exactly one of "flow" or "command"/);
    expect(() => parseSuite('name: a\ncases:\n  - { name: x, flow: consultation }\n  - { name: x, flow: reception }\n', 'a.yaml')).toThrow(/two cases are named "x"/);
  });
});
