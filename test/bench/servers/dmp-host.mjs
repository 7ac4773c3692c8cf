// The simulator host (compiled build) for the DMP benchmark: file store in the given data dir, journal on,
// the world size given. With a pre-load file (JSON lines of `xds.submit` events, written by the bench), the
// default sandbox's DMP store is opened and every event is recorded through `DmpStore.record` (applied to
// the registry, appended to the sandbox's event log) before the host reports it listens.
// argv: <pki dir> <data dir> <patients> [<pre-load events.jsonl>]; prints `listening <http url>`.
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../../dist/simulators/core/config/load.js';
import { startHost } from '../../../dist/simulators/core/host.js';
import { dmpStore } from '../../../dist/simulators/dmp/store.js';

const config = loadConfig({
  env: {},
  flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'file', dataDir: process.argv[3], 'world.patients': Number(process.argv[4] ?? 200) },
});
const host = await startHost({ config, pkiDir: process.argv[2], log: (m) => process.stderr.write(`${m}\n`) });
const preloadFile = process.argv[5];
if (preloadFile) {
  const t0 = performance.now();
  const sandbox = await host.context.sandboxes.resolve('default');
  const store = await dmpStore(sandbox);
  let n = 0;
  let batch = [];
  for await (const line of createInterface({ input: createReadStream(preloadFile), crlfDelay: Infinity })) {
    if (!line) continue;
    batch.push(store.record(JSON.parse(line)));
    n++;
    if (batch.length >= 2000) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  console.log(`preloaded ${n} ${Math.round(performance.now() - t0)}`);
}
console.log(`listening ${host.url('http')}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void host.close().then(() => process.exit(0)));
