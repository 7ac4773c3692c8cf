import { z } from 'zod';
import { ManualClock } from '../../simulators/core/clock.js';
import { OutcomeRegistry, ScenarioEngine, loadScenarioText, type ExchangeKey, type Scenario } from '../../scenarios/index.js';

export const T0 = Date.parse('2025-03-01T09:00:00Z');

export function registry(): OutcomeRegistry {
  const reg = new OutcomeRegistry();
  reg.register({ name: 'insi.cr', service: 'insi', description: 'INSi report code', params: z.strictObject({ cr: z.enum(['00', '01', '02']) }) });
  reg.register({ name: 'dmp.closed', service: 'dmp', description: 'the patient DMP is closed', params: z.strictObject({}), outage: true });
  return reg;
}

export function setup(seed = 42) {
  const clock = new ManualClock(T0);
  const outcomes = registry();
  const engine = new ScenarioEngine({ seed, clock, outcomes });
  const load = (yaml: string, source = 'test.yaml'): Scenario => {
    const s = loadScenarioText(yaml, source, outcomes);
    engine.addScenario(s);
    return s;
  };
  return { clock, outcomes, engine, load };
}

export function key(service: string, operation = 'op', facts: ExchangeKey['facts'] = {}, sandbox = 'sb'): ExchangeKey {
  return { service, operation, sandbox, facts };
}
