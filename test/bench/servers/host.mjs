// The whole simulator host as users run it (compiled build), on free ports, memory store.
// argv: <pki dir> <data dir>
import { loadConfig } from '../../../dist/simulators/core/config/load.js';
import { startHost } from '../../../dist/simulators/core/host.js';

const config = loadConfig({ env: {}, flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'memory', dataDir: process.argv[3] } });
const host = await startHost({ config, pkiDir: process.argv[2], log: () => {} });
console.log(`listening ${host.url('http')}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void host.close().then(() => process.exit(0)));
