/** Turns written effects into resolved ones: latency drawn from the rule's stream, rounded to whole ms. */
import type { Rng } from './rng.js';
import type { EffectSpec, LatencySpec, ResolvedEffect } from './types.js';

export function drawLatency(spec: LatencySpec, rng: Rng): number {
  if ('fixed' in spec) return spec.fixed;
  if ('uniform' in spec) {
    const [min, max] = spec.uniform;
    return clamp(Math.round(rng.uniform(min, max)), min, max);
  }
  const { median, sigma, max } = spec.lognormal;
  const ms = Math.round(rng.lognormal(median, sigma));
  return max !== undefined ? Math.min(ms, max) : ms;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

export function resolveEffect(effect: EffectSpec, rng: Rng): ResolvedEffect {
  if ('latency' in effect) return { kind: 'latency', ms: drawLatency(effect.latency, rng), spec: effect.latency };
  if ('transport' in effect) return { kind: 'transport', fault: effect.transport };
  if ('http' in effect) return { kind: 'http', ...effect.http };
  if ('soapFault' in effect) return { kind: 'soapFault', ...effect.soapFault };
  return { kind: 'outcome', name: effect.outcome.name, params: effect.outcome.with };
}

/** Median of a latency distribution (what the service weather compares with its 1 s threshold). */
export function latencyMedian(spec: LatencySpec): number {
  if ('fixed' in spec) return spec.fixed;
  if ('uniform' in spec) return (spec.uniform[0] + spec.uniform[1]) / 2;
  const { median, max } = spec.lognormal;
  return max !== undefined ? Math.min(median, max) : median;
}
