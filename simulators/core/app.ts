import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { Hono, type Context, type Handler } from 'hono';
import { ScenarioNotFoundError } from '../../scenarios/engine/engine.js';
import { registerAdminRoutes } from './admin/index.js';
import { Exchange } from './exchange.js';
import type { HostContext } from './host-context.js';
import { CapturingResponse, packHeaders, type WrittenResponse } from './journal/capture.js';
import { clientCertInfo, type ClientCertInfo } from './pki/index.js';
import { primeHonoBody, readIncomingBody, TOO_LARGE } from './request-body.js';
import { SandboxError, type Sandbox } from './sandbox.js';
import { headerScenarios, pathWithoutSandbox, rawHeader, sandboxOf, SCENARIO_HEADER } from './sandbox-routing.js';
import type { HostEnv, SimulatorService } from './service.js';

/** One Hono app serves the HTTP and HTTPS listeners: admin API, then every simulator at its mounts. */
export function buildApp(host: HostContext, services: SimulatorService[]): Hono<HostEnv> {
  const app = new Hono<HostEnv>({ getPath: (req) => pathWithoutSandbox(req.url) });

  const onError: OnError = (err, c) => {
    // A simulator bug must never show a stack or kill the process: answer in the protocol's shape and journal it.
    const exchange = c.get('exchange') as Exchange | undefined;
    host.log(`error serving ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    if (exchange) return exchange.service.renderError({ status: 500, code: 'SimulatorError', message: `segur-sim internal error: ${err.message}` });
    return c.json({ error: { code: 'SimulatorError', message: err.message } }, 500);
  };
  app.onError(onError);

  registerAdminRoutes(app, host, services);

  const mounted: { mount: string; pipeline: ExchangePipeline }[] = [];
  for (const service of services) {
    const pipeline = exchangePipeline(host, service);
    for (const mount of service.mounts) mounted.push({ mount, pipeline });
    // Each route under a mount gets the exchange pipeline wrapped around its handler, rather than one
    // `app.use(`${mount}/*`)` middleware: a route with a single handler takes Hono's direct path instead of
    // composing a middleware chain, and a synchronous handler is served without a promise.
    const collected = new Hono<HostEnv>();
    service.routes(collected, host);
    const seen = new Set<string>();
    for (const route of collected.routes) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`${service.id}: ${key} is registered twice; a route takes one handler`);
      seen.add(key);
      app.on(route.method, route.path, service.mounts.some((m) => isUnder(route.path, m)) ? withExchange(pipeline, route.handler as Handler<HostEnv>, onError) : route.handler);
    }
  }

  app.notFound((c) => {
    const notFound = () => c.json({ error: { code: 'NotFound', message: `nothing is served at ${c.req.path}; see GET /_admin/services` } }, 404);
    // Unknown paths under a simulator's mount are still exchanges of that simulator: sandbox-scoped and journaled.
    const path = c.req.path;
    const owner = mounted.find(({ mount }) => isUnder(path, mount));
    return owner ? withExchange(owner.pipeline, notFound, onError)(c, nothingAfter) : notFound();
  });
  return app;
}

/** A mount serves itself and everything below it. */
function isUnder(path: string, mount: string): boolean {
  return path === mount || path.startsWith(`${mount}/`);
}

type OnError = (err: Error, c: Context<HostEnv>) => Response;
type Served = Response | Promise<Response>;
const nothingAfter = async () => {};

/**
 * `handler` inside the exchange pipeline, with the semantics Hono's compose gives a middleware and a route
 * (a handler's error lands in `c.error`, the error handler's response in `c.res`). Promises only where a
 * step is asynchronous: a synchronous handler on a ready sandbox is served in one synchronous pass.
 */
function withExchange(pipeline: ExchangePipeline, handler: Handler<HostEnv>, onError: OnError): (c: Context<HostEnv>, next: typeof nothingAfter) => Served {
  const failed = (c: Context<HostEnv>, err: unknown): Response => {
    if (!(err instanceof Error)) throw err;
    c.error = err;
    // An unknown X-Segur-Scenario is the client's mistake: answered by the pipeline's `close`, not logged as a failure.
    if (!(err instanceof ScenarioNotFoundError)) c.res = onError(err, c);
    return c.res;
  };
  // After the handler: its response (or its error) in `c.res`, then the pipeline's closing steps.
  const settle = (c: Context<HostEnv>, turn: Turn, res: unknown, err?: { error: unknown }): Served => {
    if (err) failed(c, err.error);
    else if (res && !c.finalized) c.res = res as Response;
    const closed = pipeline.close(c, turn);
    return closed ? closed.then(() => c.res) : c.res;
  };
  const run = (c: Context<HostEnv>, opened: Turn | Response): Served => {
    if (opened instanceof Response) return opened;
    let res: unknown;
    try {
      res = handler(c, nothingAfter);
    } catch (error) {
      return settle(c, opened, undefined, { error });
    }
    return res instanceof Promise ? res.then((r) => settle(c, opened, r), (error) => settle(c, opened, undefined, { error })) : settle(c, opened, res);
  };
  return (c) => {
    let opened: Turn | Response | Promise<Turn | Response>;
    try {
      opened = pipeline.open(c);
    } catch (err) {
      return failed(c, err);
    }
    return opened instanceof Promise ? opened.then((o) => run(c, o), (err) => failed(c, err)) : run(c, opened);
  };
}

const certCache = new WeakMap<object, ClientCertInfo>();

function tlsInfo(c: Context<HostEnv>): { transport: 'http' | 'https'; cert: ClientCertInfo | undefined } {
  const socket = c.env?.incoming?.socket as TLSSocket | undefined;
  if (!socket || !socket.encrypted) return { transport: 'http', cert: undefined };
  // The certificate is the same for every request of a keep-alive connection: read it once.
  let cert = certCache.get(socket);
  if (!cert) {
    cert = clientCertInfo(socket);
    certCache.set(socket, cert);
  }
  return { transport: 'https', cert };
}

/** One request in a simulator's pipeline: its exchange, and how it is journaled once answered. */
interface Turn {
  exchange: Exchange;
  outgoing: unknown;
  journal: (written: WrittenResponse) => void;
}

interface ExchangePipeline {
  /** Before the handler: the turn, or the response that ends the request here (unknown sandbox, body too large). */
  open(c: Context<HostEnv>): Turn | Response | Promise<Turn | Response>;
  /** After the handler, `c.res` set: undefined when done, a promise when a step had to wait. */
  close(c: Context<HostEnv>, turn: Turn): Promise<void> | undefined;
}

/**
 * Scopes the request to its sandbox, hands the simulator an Exchange, and journals the exchange once the
 * response has left (with the scenario decision and the validators' verdicts).
 *
 * Headers are read from Node's IncomingMessage and the response is captured as written: touching
 * `c.req.raw.headers`/`.body` or reading the Response object would make node-server build full fetch
 * objects and leave its fast path (measured: 10 % of bare throughput instead of ≥ 70 %).
 */
function exchangePipeline(host: HostContext, service: SimulatorService): ExchangePipeline {
  const refuseTooLarge = (exchange: Exchange) => {
    exchange.verdict('error', 'http.body.size', `request body larger than maxBodyBytes (${host.config.maxBodyBytes} bytes)`);
    return service.renderError(tooLarge(host));
  };

  const start = (c: Context<HostEnv>, sandbox: Sandbox, startedAt: number, t0: number, rawHeaders: readonly string[]): Turn | Response | Promise<Turn | Response> => {
    const incoming = c.env?.incoming;
    const { transport, cert } = tlsInfo(c);
    const exchange = new Exchange(service, sandbox, host, {
      headerScenarios: headerScenarios(rawHeader(rawHeaders, SCENARIO_HEADER)),
      socket: incoming?.socket,
      transport,
      clientCert: cert,
    });
    c.set('exchange', exchange);
    const method = c.req.method;
    let requestBody: Uint8Array | undefined;
    const journal = (written: WrittenResponse) =>
      sandbox.journal.add({
        sandbox: sandbox.id,
        service: service.id,
        operation: exchange.operation,
        transport,
        startedAt,
        endedAt: startedAt + (performance.now() - t0),
        request: { method, url: c.req.url, headers: packHeaders(rawHeaders), body: requestBody },
        response: { status: written.status, headers: written.headers, body: written.body },
        summary: exchange.summary,
        verdicts: exchange.verdicts.length ? exchange.verdicts : undefined,
        decision: exchange.decision,
        client: { address: incoming?.socket?.remoteAddress, certificate: cert?.subject },
        error: c.error && !(c.error instanceof ScenarioNotFoundError) ? c.error.message : written.cut,
      });
    const outgoing = c.env?.outgoing;
    if (outgoing instanceof CapturingResponse) outgoing.capture(journal);
    const turn: Turn = { exchange, outgoing, journal };
    if (method === 'GET' || method === 'HEAD') return turn;

    if (Number(rawHeader(rawHeaders, 'content-length') ?? 0) > host.config.maxBodyBytes) return refuseTooLarge(exchange);
    if (incoming) {
      return readIncomingBody(incoming, host.config.maxBodyBytes).then((body) => {
        if (body === TOO_LARGE) return refuseTooLarge(exchange);
        requestBody = body;
        primeHonoBody(c, body);
        return turn;
      });
    }
    // Served outside the host's listeners (app.fetch in a unit test).
    return c.req.arrayBuffer().then((buffer) => {
      requestBody = new Uint8Array(buffer);
      return requestBody.byteLength > host.config.maxBodyBytes ? refuseTooLarge(exchange) : turn;
    });
  };

  return {
    open(c) {
      const startedAt = host.clock.now();
      const t0 = performance.now();
      const rawHeaders = c.env?.incoming?.rawHeaders ?? [...c.req.raw.headers].flat();
      const sandboxId = sandboxOf(c.req.url, rawHeaders);
      const sandbox = host.sandboxes.get(sandboxId);
      if (sandbox) return start(c, sandbox, startedAt, t0, rawHeaders);
      return host.sandboxes.resolve(sandboxId).then(
        (resolved) => start(c, resolved, startedAt, t0, rawHeaders),
        (err) => {
          if (err instanceof SandboxError) return service.renderError({ status: err.status, code: 'UnknownSandbox', message: err.message });
          throw err;
        },
      );
    },

    close(c, { exchange, outgoing, journal }) {
      if (c.error instanceof ScenarioNotFoundError) c.res = service.renderError({ status: 400, code: 'UnknownScenario', message: c.error.message });
      if (exchange.cutBy && outgoing instanceof CapturingResponse) outgoing.cut(`connection ${exchange.cutBy} by scenario`);
      const slow = exchange.slowBody;
      if (!(outgoing instanceof CapturingResponse)) return journalFromResponse(c, journal).then(() => (slow ? slowBody(c, slow) : undefined));
      return slow ? slowBody(c, slow) : undefined;
    },
  };
}

/** Served outside the host's listeners (app.fetch in a unit test): the journal reads the Response object. */
async function journalFromResponse(c: Context<HostEnv>, journal: Turn['journal']): Promise<void> {
  const response = c.res.clone();
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
  journal({ status: response.status, headers: Object.fromEntries(response.headers), body });
}

/** The `slow-body` transport fault: the response body re-sent at the scenario's rate. */
async function slowBody(c: Context<HostEnv>, bytesPerSecond: number): Promise<void> {
  if (!c.res.body) return;
  const response = c.res;
  const bytes = new Uint8Array(await response.arrayBuffer());
  c.res = undefined as unknown as Response; // detach, or Hono re-wraps the old response's headers around it
  c.res = new Response(trickle(bytes, bytesPerSecond), { status: response.status, headers: Object.fromEntries(response.headers) });
}

function tooLarge(host: HostContext) {
  return { status: 413, code: 'RequestTooLarge', message: `request body larger than ${host.config.maxBodyBytes} bytes` };
}

/** A body that arrives at `bytesPerSecond`, in small chunks (the `slow-body` transport fault). */
function trickle(body: Uint8Array, bytesPerSecond: number): ReadableStream<Uint8Array> {
  const chunk = Math.max(1, Math.floor(bytesPerSecond / 10));
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset >= body.length) return controller.close();
      await new Promise((r) => setTimeout(r, (chunk / bytesPerSecond) * 1000));
      controller.enqueue(body.subarray(offset, offset + chunk));
      offset += chunk;
    },
  });
}
