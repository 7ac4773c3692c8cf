import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { Hono, type Context, type ErrorHandler, type Handler, type MiddlewareHandler } from 'hono';
import { ScenarioNotFoundError } from '../../scenarios/engine/engine.js';
import { registerAdminRoutes } from './admin/index.js';
import { Exchange } from './exchange.js';
import type { HostContext } from './host-context.js';
import { CapturingResponse, packHeaders, type WrittenResponse } from './journal/capture.js';
import { clientCertInfo, type ClientCertInfo } from './pki/index.js';
import { primeHonoBody, readIncomingBody, TOO_LARGE } from './request-body.js';
import { SandboxError } from './sandbox.js';
import { headerScenarios, pathWithoutSandbox, rawHeader, sandboxOf, SCENARIO_HEADER } from './sandbox-routing.js';
import type { HostEnv, SimulatorService } from './service.js';

/** One Hono app serves the HTTP and HTTPS listeners: admin API, then every simulator at its mounts. */
export function buildApp(host: HostContext, services: SimulatorService[]): Hono<HostEnv> {
  const app = new Hono<HostEnv>({ getPath: (req) => pathWithoutSandbox(req.url) });

  const onError: ErrorHandler<HostEnv> = (err, c) => {
    // A simulator bug must never show a stack or kill the process: answer in the protocol's shape and journal it.
    const exchange = c.get('exchange') as Exchange | undefined;
    host.log(`error serving ${c.req.method} ${c.req.path}: ${err.stack ?? err.message}`);
    if (exchange) return exchange.service.renderError({ status: 500, code: 'SimulatorError', message: `segur-sim internal error: ${err.message}` });
    return c.json({ error: { code: 'SimulatorError', message: err.message } }, 500);
  };
  app.onError(onError);

  registerAdminRoutes(app, host, services);

  const mounted: { mount: string; middleware: MiddlewareHandler<HostEnv> }[] = [];
  for (const service of services) {
    const middleware = exchangeMiddleware(host, service);
    for (const mount of service.mounts) mounted.push({ mount, middleware });
    // Each route under a mount gets the exchange middleware wrapped around its handler, rather than one
    // `app.use(`${mount}/*`)`: a route with a single handler takes Hono's direct path instead of composing
    // a middleware chain on every request (the no-op benchmark's largest cost after the journal).
    const collected = new Hono<HostEnv>();
    service.routes(collected, host);
    const seen = new Set<string>();
    for (const route of collected.routes) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`${service.id}: ${key} is registered twice; a route takes one handler`);
      seen.add(key);
      const underMount = service.mounts.some((m) => route.path === m || route.path.startsWith(`${m}/`));
      app.on(route.method, route.path, underMount ? withExchange(middleware, route.handler as Handler<HostEnv>, onError) : route.handler);
    }
  }

  app.notFound((c) => {
    const notFound = () => c.json({ error: { code: 'NotFound', message: `nothing is served at ${c.req.path}; see GET /_admin/services` } }, 404);
    // Unknown paths under a simulator's mount are still exchanges of that simulator: sandbox-scoped and journaled.
    const path = c.req.path;
    const owner = mounted.find(({ mount }) => path === mount || path.startsWith(`${mount}/`));
    return owner ? withExchange(owner.middleware, notFound, onError)(c, async () => {}) : notFound();
  });
  return app;
}

/**
 * `middleware` around `handler` with the semantics Hono's compose gives `app.use` + a route (the error a
 * handler throws lands in `c.error` and the error handler's response in `c.res`), without building a
 * composed chain per request.
 */
function withExchange(middleware: MiddlewareHandler<HostEnv>, handler: Handler<HostEnv>, onError: ErrorHandler<HostEnv>): Handler<HostEnv> {
  const nothingAfter = async () => {};
  // The error of a handler or of the middleware itself: in `c.error`, and the error handler's response in `c.res`.
  const failed = async (c: Context<HostEnv>, err: unknown) => {
    if (!(err instanceof Error)) throw err;
    c.error = err;
    c.res = await onError(err, c);
  };
  return async (c) => {
    try {
      const early = await middleware(c, async () => {
        try {
          const res = await handler(c, nothingAfter);
          if (res && !c.finalized) c.res = res as Response;
        } catch (err) {
          await failed(c, err);
        }
      });
      if (early && !c.finalized) c.res = early;
    } catch (err) {
      await failed(c, err);
    }
    return c.res;
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

/**
 * Scopes the request to its sandbox, hands the simulator an Exchange, and journals the exchange once the
 * response has left (with the scenario decision and the validators' verdicts).
 *
 * Headers are read from Node's IncomingMessage and the response is captured as written: touching
 * `c.req.raw.headers`/`.body` or reading the Response object would make node-server build full fetch
 * objects and leave its fast path (measured: 10 % of bare throughput instead of ≥ 70 %).
 */
function exchangeMiddleware(host: HostContext, service: SimulatorService): MiddlewareHandler<HostEnv> {
  const refuseTooLarge = (exchange: Exchange) => {
    exchange.verdict('error', 'http.body.size', `request body larger than maxBodyBytes (${host.config.maxBodyBytes} bytes)`);
    return service.renderError(tooLarge(host));
  };
  return async (c, next) => {
    const startedAt = host.clock.now();
    const t0 = performance.now();
    const incoming = c.env?.incoming;
    const rawHeaders = incoming?.rawHeaders ?? [...c.req.raw.headers].flat();
    const sandboxId = sandboxOf(c.req.url, rawHeaders);
    let sandbox = host.sandboxes.get(sandboxId);
    if (!sandbox) {
      try {
        sandbox = await host.sandboxes.resolve(sandboxId);
      } catch (err) {
        if (err instanceof SandboxError) return service.renderError({ status: err.status, code: 'UnknownSandbox', message: err.message });
        throw err;
      }
    }
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

    if (method !== 'GET' && method !== 'HEAD') {
      if (Number(rawHeader(rawHeaders, 'content-length') ?? 0) > host.config.maxBodyBytes) return refuseTooLarge(exchange);
      if (incoming) {
        const body = await readIncomingBody(incoming, host.config.maxBodyBytes);
        if (body === TOO_LARGE) return refuseTooLarge(exchange);
        requestBody = body;
        primeHonoBody(c, body);
      } else {
        // Served outside the host's listeners (app.fetch in a unit test).
        requestBody = new Uint8Array(await c.req.arrayBuffer());
        if (requestBody.byteLength > host.config.maxBodyBytes) return refuseTooLarge(exchange);
      }
    }

    try {
      await next();
    } catch (err) {
      if (!(err instanceof ScenarioNotFoundError)) throw err;
      c.res = service.renderError({ status: 400, code: 'UnknownScenario', message: err.message });
    }
    if (c.error instanceof ScenarioNotFoundError) c.res = service.renderError({ status: 400, code: 'UnknownScenario', message: c.error.message });

    if (exchange.cutBy && outgoing instanceof CapturingResponse) outgoing.cut(`connection ${exchange.cutBy} by scenario`);
    else if (!(outgoing instanceof CapturingResponse)) {
      // Served outside the host's listeners (app.fetch in a unit test): journal from the Response object.
      const response = c.res.clone();
      const body = response.body ? new Uint8Array(await response.arrayBuffer()) : undefined;
      journal({ status: response.status, headers: Object.fromEntries(response.headers), body });
    }

    const slow = exchange.slowBody;
    if (slow && c.res.body) {
      const response = c.res;
      const bytes = new Uint8Array(await response.arrayBuffer());
      c.res = undefined as unknown as Response; // detach, or Hono re-wraps the old response's headers around it
      c.res = new Response(trickle(bytes, slow), { status: response.status, headers: Object.fromEntries(response.headers) });
    }
  };
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
