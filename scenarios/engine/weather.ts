/**
 * The "météo des services": from the rules that currently apply to a sandbox, is a service up,
 * degraded or down? A trainer shows it; a developer reads it to see why calls fail.
 */
import { formatDuration } from './durations.js';
import { latencyMedian } from './effects.js';
import { normalizeText, ruleTargetsService } from './match.js';
import type { OutcomeRegistry } from './outcomes.js';
import type { EffectSpec, RuleSpec, ServiceWeather } from './types.js';
import { inWindow, windowBounds } from './window.js';

export interface WeatherRule {
  /** `sandbox scenario "insi-outage" rule "three-faults"` */
  label: string;
  rule: RuleSpec;
  activatedAt: number;
  /** Matching requests counted so far in this sandbox. */
  matched: number;
}

export interface WeatherInput {
  service: string;
  sandbox: string;
  now: number;
  outcomes: OutcomeRegistry;
  rules: WeatherRule[];
}

type Impact = { kind: 'failure' | 'slow'; what: string };

/** What one effect does to the calls it applies to, if anything worth reporting. */
function impactOf(effect: EffectSpec, outcomes: OutcomeRegistry): Impact | undefined {
  if ('transport' in effect) {
    const t = effect.transport;
    if (t.type === 'connection-reset') return { kind: 'failure', what: 'connections reset' };
    if (t.type === 'hang') return { kind: 'failure', what: 'calls hang until the client times out' };
    // A slow body still delivers the answer: slow, not down.
    return { kind: 'slow', what: `response bodies trickle at ${t.bytesPerSecond} B/s` };
  }
  if ('http' in effect) return effect.http.status >= 500 ? { kind: 'failure', what: `HTTP ${effect.http.status}` } : undefined;
  if ('soapFault' in effect) {
    const f = effect.soapFault;
    return { kind: 'failure', what: `SOAP fault ${f.code}${f.subcode ? `/${f.subcode}` : ''}` };
  }
  if ('outcome' in effect) {
    const def = outcomes.get(effect.outcome.name);
    return def?.outage ? { kind: 'failure', what: `outcome ${effect.outcome.name} (${def.description})` } : undefined;
  }
  const median = latencyMedian(effect.latency);
  return median >= 1000 ? { kind: 'slow', what: `latency median ${formatDuration(median)}` } : undefined;
}

/** Why a failing rule does not hit every call: facts, operation, probability, calls let through first. */
function limitsOf(rule: RuleSpec, matched: number): string[] {
  const limits: string[] = [];
  const facts = Object.keys(rule.match.facts ?? {});
  if (facts.length) limits.push(`only requests with ${facts.join(', ')} matching`);
  if (rule.match.operation !== undefined) {
    const ops = typeof rule.match.operation === 'string' ? [rule.match.operation] : rule.match.operation;
    limits.push(`only ${ops.join(', ')}`);
  }
  if (rule.probability !== undefined && rule.probability < 1) limits.push(`${Math.round(rule.probability * 1000) / 10} % of calls`);
  const after = rule.after ?? 0;
  if (matched < after) limits.push(`starts after ${after - matched} more call(s)`);
  return limits;
}

function horizon(w: WeatherRule, now: number): string {
  const parts: string[] = [];
  if (w.rule.times !== undefined) {
    const used = Math.max(0, w.matched - (w.rule.after ?? 0));
    parts.push(`${w.rule.times - used} of ${w.rule.times} call(s) left`);
  }
  if (w.rule.window) {
    const { until } = windowBounds(w.rule.window, w.activatedAt);
    if (Number.isFinite(until)) parts.push(`for ${formatDuration(Math.max(0, until - now))} more`);
  }
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function weatherOf(input: WeatherInput): { state: ServiceWeather; reasons: string[] } {
  const down: string[] = [];
  const degraded: string[] = [];
  for (const w of input.rules) {
    const { rule } = w;
    if (!ruleTargetsService(rule.match, input.service)) continue;
    if (rule.match.sandbox !== undefined) {
      const sandboxes = typeof rule.match.sandbox === 'string' ? [rule.match.sandbox] : rule.match.sandbox;
      if (!sandboxes.some((s) => normalizeText(s) === normalizeText(input.sandbox))) continue;
    }
    if (!inWindow(rule.window, w.activatedAt, input.now)) continue;
    if (rule.probability === 0) continue;
    if (rule.times !== undefined && w.matched >= (rule.after ?? 0) + rule.times) continue;
    const limits = limitsOf(rule, w.matched);
    for (const effect of rule.effects) {
      const impact = impactOf(effect, input.outcomes);
      if (!impact) continue;
      const line = `${w.label}: ${impact.what}${horizon(w, input.now)}`;
      if (impact.kind === 'failure' && limits.length === 0) down.push(line);
      else degraded.push(limits.length && impact.kind === 'failure' ? `${line}; ${limits.join('; ')}` : line);
    }
  }
  const state: ServiceWeather = down.length ? 'down' : degraded.length ? 'degraded' : 'up';
  return { state, reasons: [...down, ...degraded] };
}
