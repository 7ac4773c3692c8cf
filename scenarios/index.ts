/** Public API of the scenario engine (see scenarios/README.md). */
export * from './engine/types.js';
export { ScenarioEngine, SandboxScenarios, describeRuleMatch, channelLabel, type Activation, type RuleRuntime, type ScenarioEngineOptions } from './engine/engine.js';
export { ScenarioError, ScenarioNotFoundError, formatIssue, type ScenarioIssue } from './engine/errors.js';
export { loadScenarioText, loadScenarioFile, loadScenarioDir, parseScenario } from './engine/load.js';
export { OutcomeRegistry, type ServiceCatalogue } from './engine/outcomes.js';
export { scenarioSchema } from './engine/schema.js';
export { parseDuration, tryParseDuration, formatDuration } from './engine/durations.js';
export { Rng, hashString, ruleStream } from './engine/rng.js';
export { matchRule, matchFact, normalizeText } from './engine/match.js';
export { drawLatency } from './engine/effects.js';
