/**
 * Public contract of the scenario engine. Simulators only see these types: they describe a
 * request (service, operation, facts), ask the engine for a Decision and apply its effects.
 */
import type { z } from 'zod';

/** What a simulator tells the engine about one request: INS, birth name, RPPS, mailbox, document type... */
export type FactValue = string | number | boolean | null | undefined | readonly string[];
export type RequestFacts = Record<string, FactValue>;

export interface ExchangeKey {
  service: string;
  operation: string;
  sandbox: string;
  facts: RequestFacts;
}

/**
 * A fact matcher in a rule: exact value (case- and accent-insensitive for strings), any of a list,
 * a regex (tested on the raw value; `flags` such as "i"), or presence.
 */
export type FactMatcher =
  | string
  | number
  | boolean
  | readonly (string | number)[]
  | { regex: string; flags?: string }
  | { exists: boolean };

export interface RuleMatch {
  service?: string | readonly string[];
  operation?: string | readonly string[];
  sandbox?: string | readonly string[];
  facts?: Record<string, FactMatcher>;
}

export type LatencySpec =
  | { fixed: number }
  | { uniform: readonly [number, number] }
  | { lognormal: { median: number; sigma: number; max?: number } };

export type TransportFault =
  | { type: 'connection-reset' }
  | { type: 'hang' }
  | { type: 'slow-body'; bytesPerSecond: number };

/** Effects as written in a scenario (durations already converted to milliseconds). */
export type EffectSpec =
  | { latency: LatencySpec }
  | { transport: TransportFault }
  | { http: { status: number; body?: string; headers?: Record<string, string> } }
  | { soapFault: { code: string; subcode?: string; reason?: string; detail?: string; status?: number } }
  | { outcome: { name: string; with: Record<string, unknown> } };

/** Time window of a rule: offsets (ms) from the scenario's activation, or absolute instants (ms since epoch). */
export interface WindowSpec {
  fromMs?: number;
  untilMs?: number;
  fromAt?: number;
  untilAt?: number;
}

export interface RuleSpec {
  id: string;
  description?: string;
  match: RuleMatch;
  effects: EffectSpec[];
  /** Fire only for this many matching requests, then recover. */
  times?: number;
  /** Let this many matching requests through before firing. */
  after?: number;
  window?: WindowSpec;
  /** Chance (0..1) that a matching request fires the rule; drawn from the seeded RNG. */
  probability?: number;
}

export interface Scenario {
  name: string;
  description?: string;
  /** Where it came from: a file path, 'admin-api', 'magic:<service>'... */
  source: string;
  rules: RuleSpec[];
}

/** Business outcome registered by a simulator (INSi CR 01, DMP closed, SMTP 5xx at a stage...). */
export interface OutcomeDefinition<P extends z.ZodType = z.ZodType> {
  /** Namespaced name, e.g. `insi.cr`, `dmp.closed`, `smtp.reply`. */
  name: string;
  service: string;
  description: string;
  params: P;
  /** True when the outcome makes the service unavailable (the service weather shows it down). */
  outage?: boolean;
}

/** Which precedence channel decided (DESIGN.md, "Scenario precedence"). */
export type DecisionChannel = 'header' | 'sandbox' | 'magic' | 'startup' | 'default';

/** An effect after the engine resolved it: latency drawn from its distribution, outcome params parsed. */
export type ResolvedEffect =
  | { kind: 'latency'; ms: number; spec: LatencySpec }
  | { kind: 'transport'; fault: TransportFault }
  | { kind: 'http'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'soapFault'; code: string; subcode?: string; reason?: string; detail?: string; status?: number }
  | { kind: 'outcome'; name: string; params: Record<string, unknown> };

export interface FiredRule {
  scenario: string;
  rule: string;
  /** Human explanation: which matchers held, count/window state, probability draw. */
  reason: string;
}

export interface Decision {
  channel: DecisionChannel;
  /** Rules that fired, in order. Empty when channel is 'default'. */
  fired: FiredRule[];
  effects: ResolvedEffect[];
  /** Sum of the drawn latencies, in ms. */
  latencyMs: number;
  /** One-line explanation for the journal. */
  explain: string;
}

export type ServiceWeather = 'up' | 'degraded' | 'down';
