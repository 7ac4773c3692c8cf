// The baseline of the MSSanté bench: a bare smtp-server with the same TLS (STARTTLS, the test PKI's server
// certificate, client certificate requested), the same extensions and AUTH PLAIN accepting anything; it reads
// each message and discards it, then answers 250.
// argv: <pki dir>; prints `listening <smtp port>`.
import { SMTPServer } from 'smtp-server';
import { generateWorld } from '../../../dist/fixtures/index.js';
import { pkiProfessionals } from '../../../dist/simulators/core/host.js';
import { ensurePki, tlsServerOptions } from '../../../dist/simulators/core/pki/index.js';

const pki = await ensurePki({ dir: process.argv[2], professionals: pkiProfessionals(generateWorld({ seed: 1 })) });
const server = new SMTPServer({
  ...tlsServerOptions(pki),
  requestCert: true,
  rejectUnauthorized: false,
  name: 'sink.segur-sim.test',
  size: 50 * 1024 * 1024,
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: false,
  hideDSN: false,
  hideENHANCEDSTATUSCODES: false,
  disableReverseLookup: true,
  logger: false,
  onConnect(session, callback) {
    session.disabledCommands = ['AUTH'];
    callback();
  },
  onSecure(_socket, session, callback) {
    session.disabledCommands = [];
    callback();
  },
  onAuth(auth, _session, callback) {
    callback(null, { user: auth.username });
  },
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.once('end', () => callback(null, 'Ok: queued'));
  },
});
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.server.address().port}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
