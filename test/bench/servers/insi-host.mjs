// The simulator host (compiled build) with a 10 000-patient world, plus a canned-response endpoint on the
// same host and listeners: POST /_canned/lps answers a fixed RESULTAT through the same exchange pipeline
// (sandbox, scenario engine, journal), so the comparison isolates what the INSi simulator itself costs.
// argv: <pki dir> <data dir>; prints `listening <https url>`.
import { loadConfig } from '../../../dist/simulators/core/config/load.js';
import { startHost } from '../../../dist/simulators/core/host.js';
import { allServices } from '../../../dist/simulators/registry.js';

const CANNED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><env:Body xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:env="http://www.w3.org/2003/05/soap-envelope">' +
  '<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat" xmlns:ns0="http://www.cnamts.fr/INSiRecVit" xmlns:ns1="http://www.cnamts.fr/INSiRecSans"><CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR>' +
  '<INDIVIDU><INSACTIF><IdIndividu><NumIdentifiant>2751263220749</NumIdentifiant><Cle>74</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSACTIF>' +
  '<TIQ><NomNaissance>ADRUN</NomNaissance><ListePrenom>ZOE</ListePrenom><Sexe>F</Sexe><DateNaissance>1975-12-31</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ></INDIVIDU></RESULTAT></env:Body></soap:Envelope>';

const canned = {
  id: 'canned',
  title: 'Canned INSi response (bench baseline)',
  mounts: ['/_canned'],
  kind: 'tool',
  renderError: (e) => new Response(e.message, { status: e.status }),
  routes(app) {
    app.post('/_canned/lps', async (c) => {
      await c.req.arrayBuffer();
      return c.body(CANNED, 200, { 'content-type': 'application/soap+xml; charset=utf-8' });
    });
  },
};

const config = loadConfig({
  env: {},
  flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'memory', dataDir: process.argv[3], 'world.patients': 10000 },
});
const host = await startHost({ config, pkiDir: process.argv[2], services: [...allServices, canned], log: () => {} });
console.log(`listening ${host.url('https')}`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void host.close().then(() => process.exit(0)));
