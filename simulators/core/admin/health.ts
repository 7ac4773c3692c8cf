import type { HostApp, SimulatorService } from '../service.js';
import type { HostContext } from '../host-context.js';
import { DEFAULT_SANDBOX } from '../sandbox.js';
import { admin } from './http.js';

/** Liveness, readiness, the "météo des services" and the list of what is mounted where. */
export function registerHealthRoutes(app: HostApp, host: HostContext, services: SimulatorService[]): void {
  app.get('/_admin/health', (c) => c.json({ status: 'ok', uptimeMs: Date.now() - host.runtime.startedAt }));

  app.get('/_admin/ready', (c) => {
    const body = { ready: host.runtime.ready, listeners: host.runtime.listeners };
    return c.json(body, host.runtime.ready ? 200 : 503);
  });

  app.get('/_admin/services', (c) =>
    c.json({
      services: services.map((s) => ({ id: s.id, title: s.title, mounts: s.mounts, simulated: !s.planned, outcomes: (s.outcomes ?? []).map((o) => o.name) })),
      listeners: host.runtime.listeners,
    }),
  );

  // Météo des services: each simulated service up, degraded or down as the active scenarios make it.
  app.get('/_admin/status', (c) =>
    admin(() => {
      const sandbox = host.sandboxes.mustGet(c.req.query('sandbox') || DEFAULT_SANDBOX);
      const weather = services
        .filter((s) => s.kind !== 'tool')
        .map((s) => ({ id: s.id, title: s.title, ...host.engine.weather(sandbox.scenarios, s.id) }));
      return c.json({ sandbox: sandbox.id, at: new Date(host.clock.now()).toISOString(), services: weather });
    }),
  );
}
