import { normalizeText } from './match.js';
import type { ExchangeKey, FactMatcher, RuleSpec, Scenario } from './types.js';

/**
 * Magic fixtures are many rules that each name one persona by an exact fact (an INS, a birth name, a
 * mailbox). Walking them all on every request would cost more as the world grows, so rules are indexed
 * by their first exact-valued fact; a request only meets the rules its facts can satisfy, plus the few
 * that have no such fact. Candidates are still checked in full by the engine, in their original order.
 */
const NONE: Scenario[] = [];

export class MagicIndex {
  private readonly byFact = new Map<string, Map<string, Set<RuleSpec>>>();
  private readonly unindexed = new Set<RuleSpec>();
  private readonly order: { scenario: Scenario; rule: RuleSpec }[] = [];

  constructor(scenarios: Scenario[]) {
    for (const scenario of scenarios) {
      for (const rule of scenario.rules) {
        this.order.push({ scenario, rule });
        const exact = exactFact(rule);
        if (!exact) {
          this.unindexed.add(rule);
          continue;
        }
        let values = this.byFact.get(exact.name);
        if (!values) this.byFact.set(exact.name, (values = new Map()));
        for (const value of exact.values) {
          let rules = values.get(value);
          if (!rules) values.set(value, (rules = new Set()));
          rules.add(rule);
        }
      }
    }
  }

  /** Scenarios reduced to the rules this request could match, in the original order. */
  candidates(key: ExchangeKey): Scenario[] {
    // Allocation-free until something can hit: this runs for every request of every simulator.
    let hits: Set<RuleSpec> | undefined = this.unindexed.size ? new Set(this.unindexed) : undefined;
    for (const [name, values] of this.byFact) {
      const fact = key.facts[name];
      if (fact === undefined || fact === null) continue;
      for (const value of Array.isArray(fact) ? fact : [fact]) {
        const rules = values.get(normalizeText(String(value)));
        if (rules) for (const rule of rules) (hits ??= new Set()).add(rule);
      }
    }
    if (!hits) return NONE;
    const out = new Map<Scenario, RuleSpec[]>();
    for (const { scenario, rule } of this.order) {
      if (!hits.has(rule)) continue;
      let rules = out.get(scenario);
      if (!rules) out.set(scenario, (rules = []));
      rules.push(rule);
    }
    return [...out].map(([scenario, rules]) => ({ ...scenario, rules }));
  }
}

/** The first fact a rule matches by exact value(s), normalised as the matcher compares them. */
function exactFact(rule: RuleSpec): { name: string; values: string[] } | undefined {
  for (const [name, matcher] of Object.entries(rule.match.facts ?? {}) as [string, FactMatcher][]) {
    if (typeof matcher === 'string' || typeof matcher === 'number' || typeof matcher === 'boolean') return { name, values: [normalizeText(String(matcher))] };
    if (Array.isArray(matcher)) return { name, values: matcher.map((m) => normalizeText(String(m))) };
  }
  return undefined;
}
