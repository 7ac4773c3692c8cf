import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';

/** True when `taskset` can pin processes (Linux with util-linux) and the machine has at least two cores. */
const PINNED = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    execFileSync('taskset', ['-c', '1', 'true']);
    return true;
  } catch {
    return false;
  }
})();

/** Pins this process (the autocannon load generator) to core 1; returns whether pinning is in effect. */
export function pinLoadGenerator(): boolean {
  if (!PINNED) return false;
  execFileSync('taskset', ['-cp', '1', String(process.pid)]);
  return true;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Drives `url` with autocannon for `seconds` and returns throughput and latency percentiles (ms). */
export async function load(opts: { url: string; seconds?: number; connections?: number; method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> }): Promise<LoadResult> {
  const result = await autocannon({
    url: opts.url,
    duration: opts.seconds ?? 5,
    connections: opts.connections ?? 32,
    pipelining: 1,
    method: opts.method ?? 'GET',
    body: opts.body,
    headers: opts.headers,
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Starts a server script in its own process (plain node: the compiled build); it must print `listening <url>`. */
export function spawnServer(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  // Server on core 0, load generator on core 1 (see pinLoadGenerator): otherwise they fight over both
  // cores and a comparison swings by ±20 % from run to run.
  const [command, ...prefix] = PINNED ? ['taskset', '-c', '0', process.execPath] : [process.execPath];
  const child = spawn(command!, [...prefix, script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
}

export function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function row(label: string, r: LoadResult): string {
  return `  ${label.padEnd(44)} ${Math.round(r.rps).toString().padStart(7)} req/s   p50 ${r.p50.toFixed(1).padStart(5)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.errors + r.non2xx ? `(${r.errors} errors, ${r.non2xx} non-2xx)` : ''}`;
}

export function verdict(ok: boolean, text: string): string {
  return `  ${ok ? 'PASS' : 'MISS'} ${text}`;
}

export interface BenchContext {
  pkiDir: string;
  /** Seconds per measurement. */
  seconds: number;
  /** Alternating rounds per comparison. */
  rounds: number;
}

/** The run with the median throughput (its latencies come with it). */
export function median(runs: LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
}
