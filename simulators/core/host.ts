import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getRequestListener } from '@hono/node-server';
import { ScenarioEngine } from '../../scenarios/engine/engine.js';
import { loadScenarioDir, loadScenarioFile } from '../../scenarios/engine/load.js';
import { OutcomeRegistry } from '../../scenarios/engine/outcomes.js';
import type { World } from '../../fixtures/index.js';
import { allServices } from '../registry.js';
import { buildApp } from './app.js';
import { offsetClock, systemClock, type Clock } from './clock.js';
import type { Config } from './config/schema.js';
import type { HostContext, ListenerState } from './host-context.js';
import { ensurePki, tlsServerOptions } from './pki/index.js';
import { CapturingResponse } from './journal/capture.js';
import { projectRoot } from './paths.js';
import { SandboxManager } from './sandbox.js';
import type { SimulatorService } from './service.js';
import { placeholderMailServer } from './tcp-placeholder.js';

/** The ready-made scenarios shipped with segur-sim (`scenarios/*.yaml`), always in the library. */
export const BUILTIN_SCENARIO_DIR = join(projectRoot(), 'scenarios');

export interface StartOptions {
  config: Config;
  services?: SimulatorService[];
  clock?: Clock;
  /** Where the test PKI lives; defaults to `<dataDir>/pki`. Tests share one to avoid regenerating keys. */
  pkiDir?: string;
  log?: (message: string) => void;
}

export interface RunningHost {
  context: HostContext;
  listeners: ListenerState[];
  url(name: ListenerState['name']): string;
  /** Milliseconds from the call to startHost until every listener was up. */
  readyMs: number;
  close(): Promise<void>;
}

/** The fixture professionals as the PKI issues their personal certificates (CPS-like subjects). */
export function pkiProfessionals(world: World) {
  return world.professionals.map((p) => ({ id: p.id, rpps: p.rpps, idNat: p.idNat, firstName: p.firstNameRniv, lastName: p.lastNameRniv, profession: p.profession.label }));
}

/** Starts every simulator in one process: HTTP, HTTPS (mTLS-capable), SMTP and IMAP listeners. */
export async function startHost(opts: StartOptions): Promise<RunningHost> {
  const t0 = performance.now();
  const { config } = opts;
  const log = opts.log ?? ((msg: string) => console.error(`[segur-sim] ${msg}`));
  const services = opts.services ?? allServices;
  const clock = opts.clock ?? (config.clockStart ? offsetClock(config.clockStart) : systemClock);

  const outcomes = new OutcomeRegistry();
  for (const service of services) for (const outcome of service.outcomes ?? []) outcomes.register(outcome);
  const engine = new ScenarioEngine({ seed: config.seed, clock, outcomes });
  for (const scenario of loadScenarioDir(BUILTIN_SCENARIO_DIR, outcomes)) engine.addScenario(scenario);
  for (const dir of config.scenarios.dirs) for (const scenario of loadScenarioDir(dir, outcomes)) engine.addScenario(scenario);
  const startup: string[] = [];
  for (const ref of config.scenarios.startup) {
    if (/\.ya?ml$/i.test(ref)) {
      const scenario = loadScenarioFile(ref, outcomes);
      engine.addScenario(scenario);
      startup.push(scenario.name);
    } else if (engine.getScenario(ref)) startup.push(ref);
    else throw new Error(`startup scenario "${ref}" is neither a YAML file nor a scenario of the library`);
  }
  engine.setStartup(startup);

  const runtime: HostContext['runtime'] = { ready: false, startedAt: Date.now(), listeners: [] };
  const sandboxes = new SandboxManager(config, clock, engine, services, log);
  const world = sandboxes.world();
  for (const service of services) if (service.magicRules) engine.setMagic(service.id, service.magicRules(world));

  const pki = await ensurePki({ dir: opts.pkiDir ?? join(config.dataDir, 'pki'), professionals: pkiProfessionals(world), hostnames: config.tls.hostnames, log });
  const context: HostContext = { config, clock, engine, outcomes, sandboxes, pki, runtime, log };
  await sandboxes.start();

  const app = buildApp(context, services);
  const listener = getRequestListener(app.fetch, {
    // Errors while reading or writing a socket (client gone, reset fault) must not take the host down.
    errorHandler: (err) => log(`connection error: ${(err as Error).message}`),
  });
  const http = createHttpServer({ keepAliveTimeout: 65_000, ServerResponse: CapturingResponse }, listener);
  const tls = tlsServerOptions(pki);
  const https = createHttpsServer({ ...tls, requestCert: config.tls.requestClientCert, keepAliveTimeout: 65_000, ServerResponse: CapturingResponse }, listener);
  const claimed: Partial<Record<'smtp' | 'imap', NetServer>> = {};
  for (const service of services) Object.assign(claimed, service.tcpListeners?.(context));
  const smtp = claimed.smtp ?? placeholderMailServer('smtp');
  const imap = claimed.imap ?? placeholderMailServer('imap');

  const servers: [ListenerState['name'], NetServer, string][] = [
    ['http', http, 'http'],
    ['https', https, 'https'],
    ['smtp', smtp, 'smtp'],
    ['imap', imap, 'imap'],
  ];
  try {
    for (const [name, server, scheme] of servers) {
      const port = await listen(server, config.ports[name], config.bind, name);
      const shownHost = config.bind.includes(':') ? `[${config.bind}]` : config.bind;
      runtime.listeners.push({ name, port, url: `${scheme}://${shownHost}:${port}`, up: true });
    }
  } catch (err) {
    await Promise.all(servers.map(([, server]) => closeServer(server)));
    throw err;
  }
  runtime.ready = true;
  const readyMs = performance.now() - t0;

  return {
    context,
    listeners: runtime.listeners,
    readyMs,
    url(name) {
      return runtime.listeners.find((l) => l.name === name)!.url;
    },
    async close() {
      runtime.ready = false;
      await Promise.all(servers.map(([, server]) => closeServer(server)));
      await sandboxes.closeAll();
    },
  };
}

function listen(server: NetServer, port: number, host: string, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? ` (port ${port} is taken: choose another with SEGUR_SIM_${name.toUpperCase()}_PORT or --${name}-port)` : '';
      reject(new Error(`cannot listen for ${name.toUpperCase()} on ${host}:${port}: ${err.message}${hint}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    (server as HttpServer).closeAllConnections?.();
    server.close(() => resolve());
  });
}
