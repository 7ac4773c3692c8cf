/**
 * `npm run bench`: every benchmark of segur-sim in one run, printing figures next to their baselines.
 * Options: --seconds N (per measurement, default 4), --rounds N (alternating rounds, default 5), --only <suite>.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateWorld } from '../../fixtures/index.js';
import { pkiProfessionals } from '../../simulators/core/host.js';
import { ensurePki } from '../../simulators/core/pki/index.js';
import { pinLoadGenerator, type BenchContext } from './lib.js';
import { dmpBench } from './suites/dmp.js';
import { eprescriptionBench } from './suites/eprescription.js';
import { foundationBench } from './suites/foundation.js';
import { insiBench } from './suites/insi.js';
import { mssanteBench } from './suites/mssante.js';
import { pscBench } from './suites/psc.js';
import { startupCostsBench } from './suites/startup-costs.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '5' }, only: { type: 'string' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const suites: Record<string, (ctx: BenchContext) => Promise<string[]>> = { foundation: foundationBench, 'startup-costs': startupCostsBench, insi: insiBench, psc: pscBench, dmp: dmpBench, mssante: mssanteBench, eprescription: eprescriptionBench };

const pkiDir = mkdtempSync(join(tmpdir(), 'segur-sim-bench-pki-'));
await ensurePki({ dir: pkiDir, professionals: pkiProfessionals(generateWorld({ seed: 1 })) });

const pinned = pinLoadGenerator();
console.log(`segur-sim benchmarks — node ${process.version}, ${seconds} s per measurement, ${rounds} alternating rounds, ${pinned ? 'servers pinned to core 0, load generator to core 1' : 'no CPU pinning (taskset unavailable)'}\n`);
for (const [name, suite] of Object.entries(suites)) {
  if (values.only && values.only !== name) continue;
  console.log((await suite({ pkiDir, seconds, rounds })).join('\n'));
  console.log('');
}
