import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, dataDirWithPki, runCli, spawnHost, stop, type HostProcess } from '../support/process.js';

let host: HostProcess;
beforeAll(async () => {
  host = await spawnHost(['--memory', '--data-dir', dataDirWithPki()]);
});
afterAll(() => stop(host.child));

describe('segur-sim CLI', () => {
  it('prints where each service listens when it starts', () => {
    const banner = host.stdout();
    expect(banner).toMatch(/segur-sim ready in \d+ ms/);
    for (const label of ['INSi', 'DMP', 'Pro Santé Connect', 'Annuaire Santé', 'ePrescription', 'MSSanté SMTP', 'MSSanté IMAP']) expect(banner).toContain(label);
    expect(banner).toMatch(/\/lps/);
    expect(banner).toMatch(/\/si-dmp-server\/v2\/services/);
    expect(banner).toMatch(/\/auth\/realms\/esante-wallet/);
    expect(banner).toMatch(/\/fhir\/v2/);
  });

  it('has --help on every command', async () => {
    for (const args of [['--help'], ['start', '--help'], ['scenario', '--help'], ['scenario', 'activate', '--help'], ['sandbox', '--help'], ['journal', 'tail', '--help'], ['fixtures', '--help'], ['status', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: segur-sim');
    }
  });

  it('prints the same fixtures for the same seed, byte for byte', async () => {
    const a = await runCli(['fixtures', '--seed', '7', '--count', '12']);
    const b = await runCli(['fixtures', '--seed', '7', '--count', '12']);
    const c = await runCli(['fixtures', '--seed', '8', '--count', '12']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
    expect(JSON.parse(a.stdout).patients).toHaveLength(12);
    const bad = await runCli(['fixtures', '--count', 'lots']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--count must be an integer');
  });

  it('reports configuration errors precisely, without a stack trace', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'segur-sim-cfg-'));
    const file = join(cwd, 'bad.yaml');
    writeFileSync(file, 'ports:\n  http: 70800\nmode: lax\n');
    const r = await runCli(['start', '--config', file, '--seed', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:9: ports.http: must be between 0 and 65535 (got 70800)`);
    expect(r.stderr).toContain('mode: must be "strict" or "lenient"');
    expect(r.stderr).toContain('flag --seed');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const env = await runCli(['start'], { SEGUR_SIM_HTTPS_PORT: 'https' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('environment variable SEGUR_SIM_HTTPS_PORT: ports.https');
    const missing = await runCli(['start', '--config', join(cwd, 'nope.yaml')]);
    expect(missing.stderr).toContain('config file not found');
  });

  it('follows the journal live with `journal tail`', async () => {
    const { spawn } = await import('node:child_process');
    const tail = spawn(process.execPath, [CLI, 'journal', 'tail', '-s', 'tailed', '--url', host.http], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let err = '';
      tail.stderr.on('data', (d) => (err += d));
      // Wait until it is connected (it says so on stderr), then make a call in that sandbox.
      while (!err.includes('following')) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      await fetch(`${host.http}/_sandbox/tailed/_echo/noop`);
      const line = await new Promise<string>((resolve) => tail.stdout.once('data', (d) => resolve(String(d))));
      expect(line).toMatch(/echo\s+noop\s+200/);
    } finally {
      tail.kill('SIGINT');
    }
  });

  it('manages sandboxes, scenarios and the journal of a running simulator', async () => {
    const url = ['--url', host.http];
    expect((await runCli(['sandbox', 'create', 'cli-run', ...url])).stdout.trim()).toBe('cli-run');
    const list = await runCli(['scenario', 'list', '-s', 'cli-run', ...url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('insi-outage');
    const on = await runCli(['scenario', 'activate', 'insi-outage', '-s', 'cli-run', ...url]);
    expect(on.stdout).toContain('activated insi-outage');
    expect((await runCli(['scenario', 'list', '-s', 'cli-run', ...url])).stdout).toMatch(/● insi-outage/);
    const status = await runCli(['status', '-s', 'cli-run', '--json', ...url]);
    expect(JSON.parse(status.stdout).services.find((s: { id: string }) => s.id === 'insi').state).toBe('down');
    await fetch(`${host.http}/_sandbox/cli-run/lps`, { method: 'POST', body: '<x/>' });
    const journal = await runCli(['journal', 'list', '-s', 'cli-run', ...url]);
    expect(journal.stdout).toMatch(/insi\s+\S+\s+\d{3}/);
    expect((await runCli(['scenario', 'deactivate', 'insi-outage', '-s', 'cli-run', ...url])).code).toBe(0);
    expect((await runCli(['sandbox', 'reset', 'cli-run', ...url])).stdout).toContain('reset');
    expect((await runCli(['sandbox', 'delete', 'cli-run', ...url])).stdout).toContain('deleted');
    const gone = await runCli(['scenario', 'activate', 'nope', '-s', 'default', ...url]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no scenario named "nope"');
    const down = await runCli(['sandbox', 'list', '--url', 'http://127.0.0.1:9']);
    expect(down.stderr).toContain('cannot reach segur-sim');
  });
});
