// A bare oidc-provider with the PSC simulator's own configuration (same provider factory, same hooks,
// same clients and keys), served by a plain node:http server: no Hono, no sandbox routing, no scenario
// engine, no journal. The baseline for the PSC bench.
import { createServer } from 'node:http';
import { generateWorld } from '../../../dist/fixtures/index.js';
import { configSchema } from '../../../dist/simulators/core/config/schema.js';
import { PscHostRuntime, REALM_PATH } from '../../../dist/simulators/psc/runtime.js';

const config = configSchema.parse({});
const world = generateWorld({ seed: config.seed, patients: config.world.patients, professionals: config.world.professionals, structures: config.world.structures });
const listeners = [];
const hostContext = { config, runtime: { listeners } };
const runtime = new PscHostRuntime(hostContext);
const sandbox = { id: 'default', world, state: () => ({ settings: { autoApprove: true, authMode: 'MOBILE' } }) };
const sandboxRt = runtime.sandbox(sandbox);

const server = createServer(async (req, res) => {
  const url = req.url;
  const idx = url.indexOf(REALM_PATH);
  if (idx === -1) {
    res.statusCode = 404;
    return res.end();
  }
  const issuer = `http://${req.headers.host}${url.slice(0, idx)}${REALM_PATH}`;
  const { callback } = await sandboxRt.provider(issuer);
  req.originalUrl = url;
  req.url = url.slice(idx + REALM_PATH.length) || '/';
  await callback(req, res);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  listeners.push({ name: 'http', url: `http://127.0.0.1:${port}` });
  console.log(`listening http://127.0.0.1:${port}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
