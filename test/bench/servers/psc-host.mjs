// The whole simulator host (compiled build) with PSC headless mode on in the default sandbox.
// argv: <pki dir> <data dir>
import { loadConfig } from '../../../dist/simulators/core/config/load.js';
import { startHost } from '../../../dist/simulators/core/host.js';

const config = loadConfig({ env: {}, flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'memory', dataDir: process.argv[3] } });
const host = await startHost({ config, pkiDir: process.argv[2], log: () => {} });
const url = host.url('http');
const res = await fetch(`${url}/_admin/sandboxes/default/psc`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ autoApprove: true }) });
if (!res.ok) throw new Error(`psc settings: ${res.status}`);
console.log(`listening ${url}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void host.close().then(() => process.exit(0)));
