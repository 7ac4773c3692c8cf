// The simulator host (compiled build) for the ePrescription benchmark: file store in the given data dir (each
// ep4_creer is one line appended to the sandbox's events.jsonl), journal on, default world.
// argv: <pki dir> <data dir>; prints `listening <http url>`.
// With EP_BENCH_CPU_PROFILE=<file>, a V8 CPU profile of the whole run is written there on SIGTERM (what
// `node --cpu-prof` gives, for a server spawned by the bench's own helper).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../../../dist/simulators/core/config/load.js';
import { startHost } from '../../../dist/simulators/core/host.js';

const profileFile = process.env.EP_BENCH_CPU_PROFILE;
const session = profileFile ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const config = loadConfig({
  env: {},
  flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'file', dataDir: process.argv[3] },
});
const host = await startHost({ config, pkiDir: process.argv[2], log: (m) => process.stderr.write(`${m}\n`) });
console.log(`listening ${host.url('http')}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    if (session) writeFileSync(profileFile, JSON.stringify((await session.post('Profiler.stop')).profile));
    await host.close();
    process.exit(0);
  });
}
