import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateWorld, loadCommunes } from '../../../fixtures/index.js';
import { pkiProfessionals } from '../../../simulators/core/host.js';
import { ensurePki } from '../../../simulators/core/pki/index.js';
import type { BenchContext } from '../lib.js';

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

/** What a start costs before any listener: the COG, the world, the test PKI (cold and warm). */
export async function startupCostsBench(_ctx: BenchContext): Promise<string[]> {
  const cog = loadCommunes(); // memoised: reports the time of the first load in this process
  const [, worldMs] = time(() => generateWorld({ seed: 3 }));
  const [big, bigMs] = time(() => generateWorld({ seed: 4, patients: 10_000 }));
  const dir = mkdtempSync(join(tmpdir(), 'bench-pki-'));
  const pros = pkiProfessionals(big);
  const t0 = performance.now();
  await ensurePki({ dir, professionals: pros.slice(0, 30) });
  const coldMs = performance.now() - t0;
  const t1 = performance.now();
  await ensurePki({ dir, professionals: pros.slice(0, 30) });
  const warmMs = performance.now() - t1;
  rmSync(dir, { recursive: true, force: true });
  return [
    'Start-up costs (in process)',
    `  COG communes, first load (${cog.communes})  ${cog.loadMs.toFixed(0)} ms`,
    `  default world (200 patients)               ${worldMs.toFixed(0)} ms`,
    `  10 000-patient world                       ${bigMs.toFixed(0)} ms`,
    `  test PKI, cold (30 professionals, 38 keys) ${coldMs.toFixed(0)} ms`,
    `  test PKI, warm (reused from disk)          ${warmMs.toFixed(1)} ms`,
  ];
}
