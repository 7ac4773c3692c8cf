/**
 * Rule streams. Every rule draws from its own stream of the shared PRNG, seeded from
 * (global seed, scenario name, rule id) and deliberately not from the sandbox id: two CI runs in
 * different sandboxes making the same calls draw the same values.
 */
import { Prng, hash32 } from '../../simulators/core/random.js';

export { Prng as Rng, hash32 as hashString };

/** The stream a rule draws its probability and latency values from. */
export function ruleStream(seed: number, scenario: string, rule: string): Prng {
  return new Prng('segur-sim/rule', seed, scenario, rule);
}
