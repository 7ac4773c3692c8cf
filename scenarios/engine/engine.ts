/**
 * The scenario engine: one place that decides, for every request of every simulator, which
 * latency, fault or business outcome applies (DESIGN.md principle 2), deterministically for a
 * seed (principle 4), and says why (principle 5).
 *
 * Precedence channels, highest first: header → sandbox active scenarios (most recent first) →
 * magic fixtures → startup scenarios → default. Within a channel every rule that holds fires;
 * the first channel with a fired rule decides and the channels below are not consulted (their
 * counters and random streams do not move).
 */
import { describeMatcher, matchRule, normalizedNames, ruleHolds, ruleTargetsService, type NormalizedNames } from './match.js';
import { ruleStream, type Rng } from './rng.js';
import { resolveEffect } from './effects.js';
import { describeWindow, inWindow } from './window.js';
import { ScenarioError, ScenarioNotFoundError, formatPath, type ScenarioIssue } from './errors.js';
import type { OutcomeRegistry } from './outcomes.js';
import { weatherOf } from './weather.js';
import { MagicIndex } from './magic-index.js';
import type { Clock } from '../../simulators/core/clock.js';
import type { Decision, DecisionChannel, ExchangeKey, FiredRule, ResolvedEffect, RuleSpec, Scenario, ServiceWeather } from './types.js';

export { ScenarioError, ScenarioNotFoundError } from './errors.js';

export interface ScenarioEngineOptions {
  seed: number;
  clock: Clock;
  outcomes: OutcomeRegistry;
}

export interface Activation {
  name: string;
  activatedAt: number;
}

/** Per-sandbox, per-channel, per-rule runtime: how many matching requests were seen, and the rule's stream. */
export interface RuleRuntime {
  matched: number;
  rng: Rng;
}

/**
 * The scenario runtime of one sandbox: active scenarios, activation instants, counters and random
 * streams. Create it with `engine.createSandbox(id)`; only the engine changes it.
 */
export class SandboxScenarios {
  /** Sandbox-channel activations, most recent first. */
  readonly activations: Activation[] = [];
  /** When each header-named scenario was first used in this sandbox (its windows start there). */
  readonly headerFirstUse = new Map<string, number>();
  readonly runtime = new Map<string, RuleRuntime>();

  constructor(
    readonly id: string,
    /** Creation or last reset: activation instant of startup scenarios and magic rules. */
    public startedAt: number,
  ) {}
}

/** A scenario as one channel sees it: its rules and when its relative windows start. */
interface ChannelEntry {
  scenario: Scenario;
  activatedAt: number;
}

const CHANNELS = ['header', 'sandbox', 'magic', 'startup'] as const;

/**
 * The decision of most requests, shared: the journal keeps each exchange's decision, and one frozen
 * object instead of three fresh ones per request is measurably less garbage-collector work.
 */
const NO_RULE_MATCHED: Decision = Object.freeze({ channel: 'default', fired: Object.freeze([]) as unknown as Decision['fired'], effects: Object.freeze([]) as unknown as Decision['effects'], latencyMs: 0, explain: 'no scenario rule matched' });

const CHANNEL_LABEL: Record<Exclude<DecisionChannel, 'default'>, string> = {
  header: 'header scenario',
  sandbox: 'sandbox scenario',
  magic: 'magic fixture',
  startup: 'startup scenario',
};

export function channelLabel(channel: Exclude<DecisionChannel, 'default'>): string {
  return CHANNEL_LABEL[channel];
}

export function runtimeKey(channel: DecisionChannel, scenario: string, rule: string): string {
  return `${channel}\u0000${scenario}\u0000${rule}`;
}

interface RuleFiring {
  fired: FiredRule;
  effects: ResolvedEffect[];
  /** "2/3, window 10s–2m": the state shown in the one-line explanation. */
  state: string;
}

export class ScenarioEngine {
  readonly seed: number;
  readonly clock: Clock;
  readonly outcomes: OutcomeRegistry;
  private readonly scenarios = new Map<string, Scenario>();
  private readonly magic = new Map<string, Scenario>();
  /** Magic scenarios per service they can concern, so a request only walks its own service's rules. */
  private readonly magicIndex = new Map<string, MagicIndex>();
  private startup: string[] = [];

  constructor(options: ScenarioEngineOptions) {
    this.seed = options.seed;
    this.clock = options.clock;
    this.outcomes = options.outcomes;
  }

  // ---- library -------------------------------------------------------------------------------

  /** Adds a scenario to the library, replacing one with the same name. */
  addScenario(scenario: Scenario): void {
    this.scenarios.set(scenario.name, scenario);
  }

  /** Removes a scenario; sandboxes where it was active simply stop seeing it. */
  removeScenario(name: string): boolean {
    this.startup = this.startup.filter((n) => n !== name);
    return this.scenarios.delete(name);
  }

  getScenario(name: string): Scenario | undefined {
    return this.scenarios.get(name);
  }

  /** Library scenarios in name order. */
  listScenarios(): Scenario[] {
    return [...this.scenarios.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private mustGet(name: string): Scenario {
    const scenario = this.scenarios.get(name);
    if (!scenario) throw new ScenarioNotFoundError(name, [...this.scenarios.keys()].sort());
    return scenario;
  }

  /** Scenarios active in every sandbox at the lowest non-default precedence, in the given order. */
  setStartup(names: string[]): void {
    for (const name of names) this.mustGet(name);
    this.startup = [...new Set(names)];
  }

  getStartup(): string[] {
    return [...this.startup];
  }

  /**
   * Magic-fixture rules contributed by one simulator (replacing its previous ones). A rule without
   * `match.service` only applies to that service. Throws ScenarioError on duplicate ids or outcomes
   * that are unknown or have invalid params (outcome params are stored parsed).
   */
  setMagic(service: string, rules: RuleSpec[]): void {
    const source = `magic:${service}`;
    const issues: ScenarioIssue[] = [];
    const seen = new Set<string>();
    const checked = rules.map((rule, i) => {
      if (seen.has(rule.id)) issues.push({ source, path: formatPath([i, 'id']), message: `duplicate rule id "${rule.id}"` });
      seen.add(rule.id);
      const effects = rule.effects.map((effect, j) => {
        if (!('outcome' in effect)) return effect;
        const def = this.outcomes.get(effect.outcome.name);
        const path = [i, 'effects', j, 'outcome'];
        if (!def) {
          issues.push({ source, path: formatPath([...path, 'name']), message: `unknown outcome "${effect.outcome.name}"` });
          return effect;
        }
        const parsed = def.params.safeParse(effect.outcome.with ?? {});
        if (!parsed.success) {
          for (const issue of parsed.error.issues) issues.push({ source, path: formatPath([...path, 'with', ...issue.path]), message: issue.message });
          return effect;
        }
        return { outcome: { name: effect.outcome.name, with: parsed.data as Record<string, unknown> } };
      });
      return { ...rule, match: { service, ...rule.match }, effects };
    });
    if (issues.length) throw new ScenarioError(issues);
    if (checked.length === 0) this.magic.delete(service);
    else this.magic.set(service, { name: source, source, rules: checked });
    this.magicIndex.clear();
  }

  // ---- sandboxes -----------------------------------------------------------------------------

  createSandbox(id: string): SandboxScenarios {
    return new SandboxScenarios(id, this.clock.now());
  }

  /** Activates a library scenario in a sandbox (again: it moves first and its counters restart). */
  activate(sb: SandboxScenarios, name: string, at?: number): void {
    this.mustGet(name);
    this.deactivate(sb, name);
    sb.activations.unshift({ name, activatedAt: at ?? this.clock.now() });
  }

  deactivate(sb: SandboxScenarios, name: string): boolean {
    const i = sb.activations.findIndex((a) => a.name === name);
    this.clearRuntime(sb, 'sandbox', name);
    if (i < 0) return false;
    sb.activations.splice(i, 1);
    return true;
  }

  /** Active scenarios of a sandbox (still in the library), most recently activated first. */
  active(sb: SandboxScenarios): Activation[] {
    return sb.activations.filter((a) => this.scenarios.has(a.name)).map((a) => ({ ...a }));
  }

  /** Back to the start: no activations, counters and streams fresh, startup windows restart now. */
  resetSandbox(sb: SandboxScenarios): void {
    sb.activations.length = 0;
    sb.headerFirstUse.clear();
    sb.runtime.clear();
    sb.startedAt = this.clock.now();
  }

  private clearRuntime(sb: SandboxScenarios, channel: DecisionChannel, scenario: string): void {
    const prefix = runtimeKey(channel, scenario, '');
    for (const key of [...sb.runtime.keys()]) if (key.startsWith(prefix)) sb.runtime.delete(key);
  }

  runtimeOf(sb: SandboxScenarios, channel: DecisionChannel, scenario: string, rule: string): RuleRuntime {
    const key = runtimeKey(channel, scenario, rule);
    let rt = sb.runtime.get(key);
    if (!rt) {
      rt = { matched: 0, rng: ruleStream(this.seed, scenario, rule) };
      sb.runtime.set(key, rt);
    }
    return rt;
  }

  // ---- evaluation ----------------------------------------------------------------------------

  /**
   * What to do with one request. `headerScenario` is the X-Segur-Scenario value (a name, a
   * comma-separated list, or a list); an unknown name throws ScenarioNotFoundError.
   */
  evaluate(sb: SandboxScenarios, key: ExchangeKey, headerScenario?: string | string[]): Decision {
    const now = this.clock.now();
    let names: NormalizedNames | undefined;
    // Channels are built lazily and in order: most requests stop at the first cheap empty check.
    for (const channel of CHANNELS) {
      let entries: ChannelEntry[];
      if (channel === 'header') {
        if (!headerScenario || headerScenario.length === 0) continue;
        entries = this.headerEntries(sb, headerScenario, now);
      } else if (channel === 'sandbox') {
        if (sb.activations.length === 0) continue;
        entries = this.active(sb).map((a) => ({ scenario: this.scenarios.get(a.name)!, activatedAt: a.activatedAt }));
      } else if (channel === 'magic') {
        const candidates = this.magicFor(key.service).candidates(key);
        if (candidates.length === 0) continue;
        entries = candidates.map((scenario) => ({ scenario, activatedAt: sb.startedAt }));
      } else {
        if (this.startup.length === 0) continue;
        entries = this.startup.flatMap((n) => (this.scenarios.has(n) ? [{ scenario: this.scenarios.get(n)!, activatedAt: sb.startedAt }] : []));
      }
      let firings: RuleFiring[] | undefined;
      for (const entry of entries) {
        for (const rule of entry.scenario.rules) {
          if (!ruleHolds(rule.match, key, (names ??= normalizedNames(key)))) continue;
          const firing = this.evaluateRule(sb, channel, entry, rule, key, now);
          if (firing) (firings ??= []).push(firing);
        }
      }
      if (firings) return this.decision(channel, firings);
    }
    return NO_RULE_MATCHED;
  }

  /** Magic rules that can concern this service, indexed by fact value (cached; rebuilt when magic changes). */
  private magicFor(service: string): MagicIndex {
    let index = this.magicIndex.get(service);
    if (!index) {
      index = new MagicIndex([...this.magic.values()].filter((scenario) => scenario.rules.some((rule) => ruleTargetsService(rule.match, service))));
      this.magicIndex.set(service, index);
    }
    return index;
  }

  private headerEntries(sb: SandboxScenarios, header: string | string[] | undefined, now: number): ChannelEntry[] {
    const names = (Array.isArray(header) ? header : (header ?? '').split(',')).map((n) => n.trim()).filter(Boolean);
    const scenarios = [...new Set(names)].map((n) => this.mustGet(n)); // all names checked before any counter moves
    return scenarios.map((scenario) => {
      let first = sb.headerFirstUse.get(scenario.name);
      if (first === undefined) {
        first = now;
        sb.headerFirstUse.set(scenario.name, now);
      }
      return { scenario, activatedAt: first };
    });
  }

  private evaluateRule(sb: SandboxScenarios, channel: DecisionChannel, entry: ChannelEntry, rule: RuleSpec, key: ExchangeKey, now: number): RuleFiring | undefined {
    const match = matchRule(rule.match, key);
    if (!match.ok) return undefined;
    if (!inWindow(rule.window, entry.activatedAt, now)) return undefined;
    const rt = this.runtimeOf(sb, channel, entry.scenario.name, rule.id);
    rt.matched += 1;
    const after = rule.after ?? 0;
    if (rt.matched <= after) return undefined;
    const nth = rt.matched - after;
    if (rule.times !== undefined && nth > rule.times) return undefined;
    const state: string[] = [];
    const reasons = [match.reason];
    if (after > 0) reasons.push(`${after} let through first`);
    if (rule.times !== undefined) {
      state.push(`${nth}/${rule.times}`);
      reasons.push(`call ${nth} of ${rule.times}`);
    }
    if (rule.window) {
      state.push(describeWindow(rule.window));
      reasons.push(`inside ${describeWindow(rule.window)}`);
    }
    if (rule.probability !== undefined && rule.probability < 1) {
      const draw = rt.rng.next();
      if (draw >= rule.probability) return undefined;
      state.push(`p=${rule.probability}`);
      reasons.push(`drew ${draw.toFixed(4)} < ${rule.probability}`);
    }
    return {
      fired: { scenario: entry.scenario.name, rule: rule.id, reason: reasons.join('; ') },
      effects: rule.effects.map((e) => resolveEffect(e, rt.rng)),
      state: state.join(', '),
    };
  }

  private decision(channel: Exclude<DecisionChannel, 'default'>, firings: RuleFiring[]): Decision {
    const effects = firings.flatMap((f) => f.effects);
    const latencyMs = effects.reduce((sum, e) => sum + (e.kind === 'latency' ? e.ms : 0), 0);
    const label = CHANNEL_LABEL[channel];
    const explain = firings
      .map((f) => `${label} "${f.fired.scenario}" rule "${f.fired.rule}" fired${f.state ? ` (${f.state})` : ''}`)
      .join('; ');
    return { channel, fired: firings.map((f) => f.fired), effects, latencyMs, explain };
  }

  // ---- service weather -------------------------------------------------------------------------

  /**
   * The "météo des services" of one sandbox: `down` when some currently applicable rule fails
   * every call of the service, `degraded` when calls are slow (median ≥ 1 s) or some calls fail.
   * Looks at the sandbox's active scenarios and the startup scenarios (not headers, not magic).
   */
  weather(sb: SandboxScenarios, service: string): { state: ServiceWeather; reasons: string[] } {
    const entries: { channel: 'sandbox' | 'startup'; entry: ChannelEntry }[] = [
      ...this.active(sb).map((a) => ({ channel: 'sandbox' as const, entry: { scenario: this.scenarios.get(a.name)!, activatedAt: a.activatedAt } })),
      ...this.startup.flatMap((n) => {
        const scenario = this.scenarios.get(n);
        return scenario ? [{ channel: 'startup' as const, entry: { scenario, activatedAt: sb.startedAt } }] : [];
      }),
    ];
    return weatherOf({
      service,
      sandbox: sb.id,
      now: this.clock.now(),
      outcomes: this.outcomes,
      rules: entries.flatMap(({ channel, entry }) =>
        entry.scenario.rules.map((rule) => ({
          label: `${CHANNEL_LABEL[channel]} "${entry.scenario.name}" rule "${rule.id}"`,
          rule,
          activatedAt: entry.activatedAt,
          matched: sb.runtime.get(runtimeKey(channel, entry.scenario.name, rule.id))?.matched ?? 0,
        })),
      ),
    });
  }
}

/** Short readable summary of what a rule matches, for listings (`service=insi, birthName=DUPONT`). */
export function describeRuleMatch(rule: RuleSpec): string {
  const parts: string[] = [];
  const list = (v: string | readonly string[]) => (typeof v === 'string' ? v : v.join('|'));
  if (rule.match.service !== undefined) parts.push(`service=${list(rule.match.service)}`);
  if (rule.match.operation !== undefined) parts.push(`operation=${list(rule.match.operation)}`);
  if (rule.match.sandbox !== undefined) parts.push(`sandbox=${list(rule.match.sandbox)}`);
  for (const [name, m] of Object.entries(rule.match.facts ?? {})) parts.push(describeMatcher(name, m));
  return parts.length ? parts.join(', ') : 'every request';
}
