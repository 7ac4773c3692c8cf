import type { HostEnv, ProtocolError, SimulatorService } from './service.js';
import type { Context } from 'hono';

/**
 * A service whose simulator is not written yet: its production paths are mounted (so clients, scenarios
 * and the service weather already see it) and, unless a scenario forces a fault, every call gets a 501
 * in the protocol's own error shape.
 */
export function plannedService(spec: { id: string; title: string; mounts: string[]; renderError: (e: ProtocolError) => Response; kind?: 'national' | 'tool' }): SimulatorService {
  const serve = async (c: Context<HostEnv>) => {
    const exchange = c.get('exchange');
    await exchange.decide(c.req.path.split('/').filter(Boolean).pop() ?? spec.id);
    const fault = await exchange.fault();
    if (fault) return fault;
    return spec.renderError({ status: 501, code: 'NotImplemented', message: `${spec.title} is mounted here but not simulated yet in this version of segur-sim` });
  };
  return {
    ...spec,
    planned: true,
    routes(app) {
      for (const mount of spec.mounts) app.all(mount, serve).all(`${mount}/*`, serve);
    },
  };
}
