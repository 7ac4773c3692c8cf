import { z } from 'zod';
import { loadScenarioText } from '../../../scenarios/engine/load.js';
import type { Scenario } from '../../../scenarios/engine/types.js';
import type { HostApp } from '../service.js';
import type { HostContext } from '../host-context.js';
import { AdminError, admin } from './http.js';

const summary = (s: Scenario) => ({ name: s.name, description: s.description, source: s.source, rules: s.rules.length });

/** The scenario library (list, show, upload) and per-sandbox activation. */
export function registerScenarioRoutes(app: HostApp, host: HostContext): void {
  app.get('/_admin/scenarios', (c) => c.json({ scenarios: host.engine.listScenarios().map(summary) }));

  app.get('/_admin/outcomes', (c) =>
    c.json({ outcomes: host.outcomes.list().map((o) => ({ name: o.name, service: o.service, description: o.description, outage: !!o.outage })) }),
  );

  app.get('/_admin/scenarios/:name', (c) =>
    admin(() => {
      const scenario = host.engine.getScenario(c.req.param('name'));
      if (!scenario) throw new AdminError(404, 'UnknownScenario', `no scenario named "${c.req.param('name')}" in the library`);
      return c.json(scenario);
    }),
  );

  // Upload a scenario as YAML (or JSON { "yaml": "..." }); validated exactly as a file would be.
  app.post('/_admin/scenarios', (c) =>
    admin(async () => {
      const type = c.req.header('content-type') ?? '';
      let text = await c.req.text();
      if (type.includes('json')) {
        const parsed = z.object({ yaml: z.string() }).safeParse(JSON.parse(text || '{}'));
        if (!parsed.success) throw new AdminError(400, 'InvalidBody', 'send the scenario as YAML, or as JSON { "yaml": "<scenario text>" }');
        text = parsed.data.yaml;
      }
      if (!text.trim()) throw new AdminError(400, 'InvalidBody', 'empty scenario: send the YAML text as the body');
      const scenario = loadScenarioText(text, 'admin-api', host.outcomes);
      const replace = c.req.query('replace') === 'true';
      if (host.engine.getScenario(scenario.name) && !replace) throw new AdminError(409, 'ScenarioExists', `a scenario named "${scenario.name}" is already loaded (add ?replace=true to replace it)`);
      host.engine.addScenario(scenario);
      return c.json(summary(scenario), 201);
    }),
  );

  app.get('/_admin/sandboxes/:id/scenarios', (c) =>
    admin(() => {
      const sandbox = host.sandboxes.mustGet(c.req.param('id'));
      return c.json({ sandbox: sandbox.id, active: host.engine.active(sandbox.scenarios) });
    }),
  );

  app.post('/_admin/sandboxes/:id/scenarios/:name', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const name = c.req.param('name');
      if (!host.engine.getScenario(name)) throw new AdminError(404, 'UnknownScenario', `no scenario named "${name}" in the library (GET /_admin/scenarios lists them)`);
      host.engine.activate(sandbox.scenarios, name);
      await host.sandboxes.saveActive(sandbox);
      return c.json({ sandbox: sandbox.id, active: host.engine.active(sandbox.scenarios) });
    }),
  );

  app.delete('/_admin/sandboxes/:id/scenarios/:name', (c) =>
    admin(async () => {
      const sandbox = host.sandboxes.mustGet(c.req.param('id'));
      const name = c.req.param('name');
      if (!host.engine.deactivate(sandbox.scenarios, name)) throw new AdminError(404, 'NotActive', `scenario "${name}" is not active in sandbox ${sandbox.id}`);
      await host.sandboxes.saveActive(sandbox);
      return c.json({ sandbox: sandbox.id, active: host.engine.active(sandbox.scenarios) });
    }),
  );
}
