import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from '../lib.js';
import { kill, load, median, row, spawnServer, verdict, type LoadResult } from '../lib.js';

const CLI = join(import.meta.dirname, '../../../bin/segur-sim.mjs');

/** Spawns `segur-sim start` and measures until GET /_admin/ready answers 200 (whole process, tsx included). */
async function timeToReady(dataDir: string, port: number): Promise<{ ms: number; bannerMs: number }> {
  const t0 = performance.now();
  // Every core, as on a user's machine (this process may be pinned to one for the load tests).
  const child = spawn('taskset', ['-c', '0-1', process.execPath, CLI, 'start', '--data-dir', dataDir, '--http-port', String(port), '--https-port', '0', '--smtp-port', '0', '--imap-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/_admin/ready`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`segur-sim exited: ${out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const ms = performance.now() - t0;
    const bannerMs = Number(/ready in (\d+) ms/.exec(out)?.[1] ?? NaN);
    return { ms, bannerMs };
  } finally {
    await kill(child);
  }
}

export async function foundationBench(ctx: BenchContext): Promise<string[]> {
  const lines = ['Foundation — routed no-op (sandbox + scenario engine + journal) vs bare Hono, same machine, same run'];
  const bare = await spawnServer(join(import.meta.dirname, '../servers/bare-hono.mjs'));
  const host = await spawnServer(join(import.meta.dirname, '../servers/host.mjs'), [ctx.pkiDir, mkdtempSync(join(tmpdir(), 'bench-'))]);
  try {
    // Two cores are shared by the servers and the load generator, so single runs swing by ±30 %:
    // warm both up, then alternate several rounds and compare medians.
    await load({ url: `${bare.url}/_echo/noop`, seconds: 1 });
    await load({ url: `${host.url}/_echo/noop`, seconds: 1 });
    const bareRuns: LoadResult[] = [];
    const hostRuns: LoadResult[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      bareRuns.push(await load({ url: `${bare.url}/_echo/noop`, seconds: ctx.seconds }));
      hostRuns.push(await load({ url: `${host.url}/_echo/noop`, seconds: ctx.seconds }));
    }
    const bareResult = median(bareRuns);
    const hostResult = median(hostRuns);
    const ratio = hostResult.rps / bareResult.rps;
    lines.push(row(`bare hono (median of ${ctx.rounds})`, bareResult), row(`segur-sim /_echo/noop, journal on (median of ${ctx.rounds})`, hostResult));
    lines.push(verdict(ratio >= 0.7, `throughput ratio ${(ratio * 100).toFixed(0)} % of bare (goal ≥ 70 %)`));
  } finally {
    await Promise.all([kill(bare.child), kill(host.child)]);
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ready-'));
  const cold = await timeToReady(dataDir, 17081);
  const warm = await timeToReady(dataDir, 17082);
  lines.push('Time to ready (spawn `segur-sim start` → GET /_admin/ready 200, default world, file store)');
  lines.push(`  first start (generates the test PKI)      ${Math.round(cold.ms)} ms (host reports ${cold.bannerMs} ms)`);
  lines.push(`  next start (PKI and state reused)         ${Math.round(warm.ms)} ms (host reports ${warm.bannerMs} ms)`);
  lines.push(verdict(warm.ms < 1500, `ready in ${Math.round(warm.ms)} ms (goal < 1 500 ms)`));
  return lines;
}
