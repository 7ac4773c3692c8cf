// The simulator host (compiled build) for the MSSanté bench: SMTP submission + IMAP with STARTTLS, trainer mode
// (PLAIN with the shared password) so the load needs no PSC token; default file store (messages really stored
// on disk: the append log and the blobs), journal on.
// argv: <pki dir> <data dir> [memory]; prints `listening <smtp port>,<imap port>,<http url>`.
process.env.SEGUR_SIM_MSSANTE_PLAIN = '1';
const { loadConfig } = await import('../../../dist/simulators/core/config/load.js');
const { startHost } = await import('../../../dist/simulators/core/host.js');

const config = loadConfig({
  env: {},
  flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: process.argv[4] === 'memory' ? 'memory' : 'file', dataDir: process.argv[3],
    // Lenient: the bench's XDM is a stand-in (random PDF bytes, minimal METADATA.XML); every message is still
    // validated (the verdicts go to the journal), so the cost of validation is measured.
    mode: 'lenient' },
});
const host = await startHost({ config, pkiDir: process.argv[2], log: () => {} });
const portOf = (name) => host.listeners.find((l) => l.name === name).port;
console.log(`listening ${portOf('smtp')},${portOf('imap')},${host.url('http')}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void host.close().then(() => process.exit(0)));
