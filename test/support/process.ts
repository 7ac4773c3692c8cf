import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

export const CLI = join(import.meta.dirname, '../../bin/segur-sim.mjs');

export interface HostProcess {
  child: ChildProcess;
  http: string;
  stdout: () => string;
}

/** A data dir that already holds the run's test PKI, so a spawned simulator does not regenerate keys. */
export function dataDirWithPki(): string {
  const dir = mkdtempSync(join(tmpdir(), 'segur-sim-data-'));
  cpSync(inject('pkiDir'), join(dir, 'pki'), { recursive: true });
  return dir;
}

/** Runs `segur-sim start` as a real process on free ports and waits for its banner. */
export function spawnHost(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HostProcess> {
  const child = spawn(process.execPath, [CLI, 'start', '--http-port', '0', '--https-port', '0', '--smtp-port', '0', '--imap-port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner after 45 s:\n${out}\n${err}`)), 45_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /admin API\s+(http:\/\/[\d.]+:\d+)\/_admin/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, http: m[1]!, stdout: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`segur-sim exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
