/**
 * Runs scenario suites against a running segur-sim: every case in a fresh sandbox (created, scenarios
 * activated, run, then deleted — kept when the case fails, so its journal can be read), several cases at
 * once, each judged against its expectations.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { AdminClient } from '../../admin.js';
import { LgcEnvironment } from '../environment.js';
import { runFlow } from '../flows/index.js';
import type { FlowResult } from '../run.js';
import type { SuiteCase, SuiteFile } from './suite-file.js';

export interface CaseResult {
  suite: string;
  name: string;
  /** The expectations held. */
  passed: boolean;
  /** Why not (one line each). */
  failures: string[];
  sandbox: string;
  /** Whether the sandbox was kept (failed case). */
  keptSandbox: boolean;
  ms: number;
  scenarios: string[];
  flow?: FlowResult;
  command?: { exitCode: number | null; signal?: string };
  /** What the case printed (flow steps or the command's output). */
  output: string[];
}

export interface SuiteRunOptions {
  url: string;
  /** Cases at once when the suite does not say (default 2). */
  parallel?: number;
  /** Keep every sandbox (default: only those of failed cases). */
  keepSandboxes?: boolean;
  /** Longest a `command` case may run, ms (default 10 min). */
  commandTimeoutMs?: number;
  /** Called as each case ends (progress). */
  onCase?: (result: CaseResult) => void;
}

export interface SuiteReport {
  startedAt: string;
  ms: number;
  passed: number;
  failed: number;
  suites: { name: string; source: string; ms: number; cases: CaseResult[] }[];
}

const slug = (s: string) => s.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').slice(0, 24).replace(/^-+|-+$/g, '') || 'case';

async function pool<T, R>(items: T[], size: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** The expectations of a case against what the flow did. */
export function judge(expect: SuiteCase['expect'], result: { ok: boolean; error?: string; steps: { title: string; ok: boolean; detail?: string; error?: string }[] }): string[] {
  const failures: string[] = [];
  if (result.ok !== expect.ok) failures.push(expect.ok ? `expected success, stopped: ${result.error ?? 'failed'}` : 'expected a failure, but every step succeeded');
  if (!expect.ok && expect.stoppedAt) {
    const failed = result.steps.find((s) => !s.ok);
    if (!failed || !failed.title.startsWith(expect.stoppedAt)) failures.push(`expected to stop at "${expect.stoppedAt}", stopped at ${failed ? `"${failed.title}"` : 'no step'}`);
  }
  if (expect.error && !(result.error ?? '').includes(expect.error)) failures.push(`expected an error containing "${expect.error}", got ${result.error ? `"${result.error}"` : 'none'}`);
  for (const [title, text] of Object.entries(expect.steps ?? {})) {
    const step = result.steps.find((s) => s.title.startsWith(title));
    if (!step) failures.push(`no step "${title}"`);
    else if (!`${step.detail ?? ''} ${step.error ?? ''}`.includes(text)) failures.push(`step "${step.title}": expected "${text}" in "${step.detail ?? step.error ?? ''}"`);
  }
  return failures;
}

function runCommand(command: string, env: Record<string, string>, timeoutMs: number, output: string[]): Promise<{ exitCode: number | null; signal?: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const collect = (d: Buffer) => {
      pending += d.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      output.push(...lines);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending) output.push(pending);
      resolve({ exitCode: code, ...(signal ? { signal } : {}) });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      output.push(`cannot run the command: ${err.message}`);
      resolve({ exitCode: null });
    });
  });
}

async function runCase(suite: SuiteFile, c: SuiteCase, index: number, opts: SuiteRunOptions): Promise<CaseResult> {
  const t0 = performance.now();
  const admin = new AdminClient(opts.url);
  const sandbox = `suite-${slug(suite.name)}-${index + 1}-${randomBytes(3).toString('hex')}`;
  const output: string[] = [];
  const result: CaseResult = { suite: suite.name, name: c.name, passed: false, failures: [], sandbox, keptSandbox: false, ms: 0, scenarios: [...c.scenarios], output };
  try {
    await admin.createSandbox(sandbox, c.seed);
    if (c.scenario) {
      const name = typeof c.scenario.name === 'string' ? c.scenario.name : `${slug(suite.name)}-${slug(c.name)}`;
      await admin.uploadScenario(stringify({ ...c.scenario, name }), true);
      result.scenarios.push(name);
    }
    // A scenario named by a file path (relative to the suite file) is loaded into the library first: the
    // outcome scenarios are kept out of the startup library (scenarios/*-outcomes/).
    for (const [i, s] of result.scenarios.entries()) {
      if (!/\.ya?ml$/.test(s)) continue;
      const text = await readFile(resolve(dirname(suite.source), s), 'utf8');
      const uploaded = await admin.uploadScenario(text, true);
      result.scenarios[i] = uploaded.name;
    }
    for (const s of result.scenarios) await admin.activate(s, sandbox);
    if (c.flow) {
      const env = await LgcEnvironment.connect({ url: opts.url, sandbox });
      const flow = await runFlow(c.flow, { env, professional: c.professional, patient: c.patient, timeoutMs: c.timeoutMs, out: (l) => output.push(l) });
      result.flow = flow;
      result.failures = judge(c.expect, flow);
    } else {
      const base = admin.baseUrl;
      const cmd = await runCommand(c.command!, { SEGUR_SIM_URL: base, SEGUR_SIM_SANDBOX: sandbox, SEGUR_SIM_SANDBOX_URL: `${base}/_sandbox/${sandbox}` }, opts.commandTimeoutMs ?? 600_000, output);
      result.command = cmd;
      const ok = cmd.exitCode === 0;
      if (ok !== c.expect.ok) result.failures.push(c.expect.ok ? `the command exited with ${cmd.exitCode ?? cmd.signal}` : 'the command succeeded but a failure was expected');
    }
  } catch (err) {
    result.failures.push(`the case could not run: ${(err as Error).message}`);
  }
  result.passed = result.failures.length === 0;
  result.keptSandbox = !!opts.keepSandboxes || !result.passed;
  if (!result.keptSandbox) await admin.deleteSandbox(sandbox).catch(() => undefined);
  result.ms = Math.round(performance.now() - t0);
  opts.onCase?.(result);
  return result;
}

export async function runSuites(suites: SuiteFile[], opts: SuiteRunOptions): Promise<SuiteReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const report: SuiteReport = { startedAt, ms: 0, passed: 0, failed: 0, suites: [] };
  for (const suite of suites) {
    const s0 = performance.now();
    const cases = await pool(suite.cases, suite.parallel ?? opts.parallel ?? 2, (c, i) => runCase(suite, c, i, opts));
    report.suites.push({ name: suite.name, source: suite.source, ms: Math.round(performance.now() - s0), cases });
  }
  const all = report.suites.flatMap((s) => s.cases);
  report.passed = all.filter((c) => c.passed).length;
  report.failed = all.length - report.passed;
  report.ms = Math.round(performance.now() - t0);
  return report;
}
