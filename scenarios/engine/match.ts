/**
 * Rule matching. Strings compare after accent stripping (NFD) and upper-casing, because
 * identity traits arrive as "Dupont", "DUPONT" or "Dupônt" depending on the client; a fact
 * holding a list (several given names, several recipients) matches when any element does.
 */
import type { ExchangeKey, FactMatcher, FactValue, RuleMatch } from './types.js';

export type MatchResult = { ok: true; reason: string } | { ok: false; reason: string };

const ASCII = /^[\x00-\x7f]*$/;

/** "Dupônt " → "DUPONT": the form in which strings are compared (ASCII skips the costly NFD pass). */
export function normalizeText(value: string): string {
  if (ASCII.test(value)) return value.toUpperCase().trim();
  return value.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase().trim();
}

const regexCache = new Map<string, RegExp>();

/** Compiles (and caches) a matcher regex; load-time validation guarantees it compiles. */
export function compileRegex(source: string, flags = ''): RegExp {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(source, flags.replace(/g|y/g, ''));
    regexCache.set(key, re);
  }
  return re;
}

function scalarText(value: string | number | boolean): string {
  return normalizeText(String(value));
}

function isPresent(value: FactValue): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function elements(value: FactValue): (string | number | boolean)[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return [...(value as readonly string[])];
  return [value as string | number | boolean];
}

/** Whether one fact satisfies one matcher. */
export function matchFact(matcher: FactMatcher, value: FactValue): boolean {
  if (typeof matcher === 'object' && matcher !== null && !Array.isArray(matcher)) {
    if ('exists' in matcher) return isPresent(value) === matcher.exists;
    const m = matcher as { regex: string; flags?: string };
    const re = compileRegex(m.regex, m.flags);
    return elements(value).some((v) => re.test(String(v)));
  }
  const wanted = (Array.isArray(matcher) ? matcher : [matcher]) as (string | number | boolean)[];
  const wantedText = wanted.map(scalarText);
  return elements(value).some((v) => wantedText.includes(scalarText(v)));
}

/** Readable form of a matcher for explanations: `birthName=DUPONT`, `ins~/^1/`, `mailbox exists`. */
export function describeMatcher(name: string, matcher: FactMatcher): string {
  if (typeof matcher === 'object' && matcher !== null && !Array.isArray(matcher)) {
    if ('exists' in matcher) return matcher.exists ? `${name} present` : `${name} absent`;
    const m = matcher as { regex: string; flags?: string };
    return `${name}~/${m.regex}/${m.flags ?? ''}`;
  }
  if (Array.isArray(matcher)) return `${name} in [${matcher.join(', ')}]`;
  return `${name}=${String(matcher)}`;
}

function describeFact(value: FactValue): string {
  if (value === undefined) return 'absent';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return JSON.stringify(value);
}

function listOf(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

function matchName(wanted: string | readonly string[] | undefined, actual: string): boolean {
  const list = listOf(wanted);
  return !list || list.some((w) => normalizeText(w) === normalizeText(actual));
}

/** A match block compiled once: names and expected values already normalised. */
interface CompiledMatch {
  names: [keyof Pick<ExchangeKey, 'service' | 'operation' | 'sandbox'>, Set<string>][];
  facts: [string, (value: FactValue) => boolean][];
}

const compiled = new WeakMap<RuleMatch, CompiledMatch>();

function compile(match: RuleMatch): CompiledMatch {
  let c = compiled.get(match);
  if (c) return c;
  const names: CompiledMatch['names'] = [];
  for (const field of ['service', 'operation', 'sandbox'] as const) {
    const list = listOf(match[field]);
    if (list) names.push([field, new Set(list.map(normalizeText))]);
  }
  const facts: CompiledMatch['facts'] = Object.entries(match.facts ?? {}).map(([name, matcher]) => {
    if (typeof matcher === 'object' && matcher !== null && !Array.isArray(matcher)) return [name, (v: FactValue) => matchFact(matcher, v)];
    const wanted = new Set((Array.isArray(matcher) ? matcher : [matcher]).map((w) => scalarText(w as string | number | boolean)));
    return [name, (v: FactValue) => (v === undefined || v === null ? false : elements(v).some((e) => wanted.has(scalarText(e))))];
  });
  c = { names, facts };
  compiled.set(match, c);
  return c;
}

/**
 * Whether a rule's match block holds, without explaining why: the hot path, run for every rule on
 * every request. `matchRule` gives the explanation once a rule is known to hold.
 */
export function ruleHolds(match: RuleMatch, key: ExchangeKey, names: NormalizedNames = normalizedNames(key)): boolean {
  const c = compile(match);
  for (const [field, wanted] of c.names) if (!wanted.has(names[field])) return false;
  for (const [name, test] of c.facts) if (!test(key.facts[name])) return false;
  return true;
}

export type NormalizedNames = Record<'service' | 'operation' | 'sandbox', string>;

/** The request's service, operation and sandbox in compared form: computed once per evaluation. */
export function normalizedNames(key: ExchangeKey): NormalizedNames {
  return { service: normalizeText(key.service), operation: normalizeText(key.operation), sandbox: normalizeText(key.sandbox) };
}

/** Whether a rule's match block holds for a request; the reason lists what held (or what did not). */
export function matchRule(match: RuleMatch, key: ExchangeKey): MatchResult {
  const held: string[] = [];
  const fields = [
    ['service', match.service, key.service],
    ['operation', match.operation, key.operation],
    ['sandbox', match.sandbox, key.sandbox],
  ] as const;
  for (const [field, wanted, actual] of fields) {
    if (wanted === undefined) continue;
    if (!matchName(wanted, actual)) return { ok: false, reason: `${field} is ${actual}, rule wants ${listOf(wanted)!.join(' or ')}` };
    held.push(`${field}=${actual}`);
  }
  for (const [name, matcher] of Object.entries(match.facts ?? {})) {
    const value = key.facts[name];
    if (!matchFact(matcher, value)) return { ok: false, reason: `fact ${name} is ${describeFact(value)}, rule wants ${describeMatcher(name, matcher)}` };
    held.push(`${describeMatcher(name, matcher)} (${describeFact(value)})`);
  }
  return { ok: true, reason: held.length ? held.join(', ') : 'matches every request' };
}

/** Whether a rule can match this service at all (used by the service weather). */
export function ruleTargetsService(match: RuleMatch, service: string): boolean {
  return matchName(match.service, service);
}
