import { z } from 'zod';
import type { World } from '../../fixtures/index.js';
import type { RequestFacts, RuleSpec } from '../../scenarios/engine/types.js';
import { jsonError } from '../core/errors/renderers.js';
import type { SimulatorService } from '../core/service.js';

/** State of the echo service in a sandbox: free-form records, used to check isolation and durability. */
export interface EchoState {
  records: Record<string, unknown>;
}

const RECORD_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

const tagOutcome = z.object({ tag: z.string().min(1) }).strict();

/**
 * Diagnostics service at `/_echo`: a no-op that goes through the whole pipeline (sandbox, scenario engine,
 * journal) and answers with what it saw. Used by the benchmark, by the host's own tests, and by a vendor
 * checking that its scenario files do what they expect before pointing real software at the simulators.
 */
export const echoService: SimulatorService = {
  id: 'echo',
  title: 'Diagnostics echo',
  mounts: ['/_echo'],
  kind: 'tool',
  outcomes: [{ name: 'echo.tag', service: 'echo', description: 'Adds a tag to the echo answer (shows which rule decided).', params: tagOutcome }],
  initialState: (): EchoState => ({ records: {} }),
  magicRules(world: World): RuleSpec[] {
    // Every patient carrying a magic tag makes the echo answer with that tag when its INS is given.
    return world.patients
      .filter((p) => p.magic?.length && p.ins)
      .map((p) => ({
        id: `magic-${p.id}`,
        match: { service: 'echo', facts: { ins: p.ins!.matricule } },
        effects: [{ outcome: { name: 'echo.tag', with: { tag: `magic:${p.magic!.join(',')}` } } }],
      }));
  },
  renderError: jsonError,
  routes(app) {
    // Synchronous whenever the scenario engine has nothing to wait for: the no-op then measures the
    // pipeline itself (sandbox, scenario engine, journal), not promise scheduling.
    app.all('/_echo/noop', (c): Response | Promise<Response> => {
      const exchange = c.get('exchange');
      const facts: RequestFacts = c.req.url.includes('?') ? c.req.query() : {};
      const answer = (fault: Response | undefined): Response => {
        if (fault) return fault;
        const decision = exchange.decision!;
        exchange.summary = { facts };
        return c.json({ ok: true, sandbox: exchange.sandbox.id, transport: exchange.transport, clientCert: exchange.clientCert ?? null, facts, channel: decision.channel, tag: exchange.outcome<{ tag: string }>('echo.tag')?.tag ?? null, explain: decision.explain });
      };
      const forced = exchange.enter('noop', facts);
      return forced instanceof Promise ? forced.then(answer) : answer(forced);
    });

    app.put('/_echo/records/:key', async (c) => {
      const exchange = c.get('exchange');
      const key = c.req.param('key');
      const forced = await exchange.enter('record.put', { key });
      if (forced) return forced;
      // The validation every simulator does, in miniature: strict rejects, lenient serves and reports.
      if (!RECORD_KEY.test(key)) {
        exchange.verdict('error', 'echo.key.format', `record key "${key}" is not 1-64 letters, digits, ".", "_" or "-"`);
        if (exchange.rejects) return jsonError({ status: 400, code: 'InvalidKey', message: exchange.verdicts[0]!.message });
      }
      let value: unknown;
      try {
        value = await c.req.json();
      } catch {
        return jsonError({ status: 400, code: 'InvalidJson', message: 'the body must be JSON' });
      }
      await exchange.sandbox.store.update((data) => {
        (data.services.echo as EchoState).records[key] = value;
      });
      exchange.summary = { key };
      return c.json({ stored: key }, 201);
    });

    app.get('/_echo/records/:key', async (c) => {
      const exchange = c.get('exchange');
      const key = c.req.param('key');
      const forced = await exchange.enter('record.get', { key });
      if (forced) return forced;
      const records = exchange.sandbox.state<EchoState>('echo').records;
      return key in records ? c.json({ key, value: records[key] }) : jsonError({ status: 404, code: 'NotFound', message: `no record "${key}" in sandbox ${exchange.sandbox.id}` });
    });

    app.get('/_echo/records', async (c) => {
      const exchange = c.get('exchange');
      const forced = await exchange.enter('record.list');
      if (forced) return forced;
      return c.json({ keys: Object.keys(exchange.sandbox.state<EchoState>('echo').records) });
    });
  },
};
