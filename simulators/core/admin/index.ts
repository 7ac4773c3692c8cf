import type { HostApp, SimulatorService } from '../service.js';
import type { HostContext } from '../host-context.js';
import { registerFixtureRoutes } from './fixtures.js';
import { registerHealthRoutes } from './health.js';
import { registerJournalRoutes } from './journal.js';
import { registerSandboxRoutes } from './sandboxes.js';
import { registerScenarioRoutes } from './scenarios.js';

/** The admin API under `/_admin` (documented in the README, "Admin API"). */
export function registerAdminRoutes(app: HostApp, host: HostContext, services: SimulatorService[]): void {
  registerHealthRoutes(app, host, services);
  registerSandboxRoutes(app, host);
  registerScenarioRoutes(app, host);
  registerJournalRoutes(app, host);
  registerFixtureRoutes(app, host);
}
