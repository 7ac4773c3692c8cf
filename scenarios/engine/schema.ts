/**
 * Zod schema of a scenario file. It validates the YAML-as-JS value and converts it to the engine's
 * types (durations in ms, `soap-fault` → soapFault...). Every issue carries a path into the
 * document so load.ts can point at file:line:col; issues about a key itself (unknown key) carry
 * `params.atKey` so the location is the key, not its value.
 */
import { z } from 'zod';
import { describeKind, tryParseDuration, DURATION_HINT } from './durations.js';
import type { OutcomeRegistry } from './outcomes.js';
import type { EffectSpec, FactMatcher, LatencySpec, RuleMatch, RuleSpec, Scenario, TransportFault, WindowSpec } from './types.js';

export const SCENARIO_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

type Ctx = z.core.$RefinementCtx<unknown>;
type Issue = z.core.$ZodIssue;

/** Re-reports issues of a nested parse under the current value, keeping their codes and params. */
function forward(ctx: Ctx, issues: readonly Issue[], prefix: PropertyKey[] = []): void {
  for (const issue of issues) ctx.addIssue({ ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodSuperRefineIssue);
}

/** Closest known key by edit distance, to turn `tims:` into "did you mean times?". */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}; allowed: ${known.join(', ')}`;
}

/** An object schema that reports each unknown key at the key itself (typos must not be ignored). */
function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.looseObject(shape).superRefine(
    (value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!known.includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: unknownKeyMessage(key, known), params: { atKey: true } });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value) },
  );
}

/** A value that may be written in several shapes: picks the schema from the JS kind of the input. */
function byKind<T>(expected: string, pick: (value: unknown) => z.ZodType<T> | undefined): z.ZodType<T> {
  return z.unknown().transform((value, ctx): T => {
    const schema = pick(value);
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: `expected ${expected}, got ${describeKind(value)}` });
      return z.NEVER;
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      forward(ctx, r.error.issues);
      return z.NEVER;
    }
    return r.data;
  }) as unknown as z.ZodType<T>;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Exactly one of the listed keys must be present (effects, latency shapes). */
function exactlyOne(keys: readonly string[], what: string) {
  return (value: Record<string, unknown>, ctx: Ctx) => {
    const present = keys.filter((k) => value[k] !== undefined);
    if (present.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message: present.length === 0 ? `${what} needs one of: ${keys.join(', ')}` : `${what} has several kinds (${present.join(', ')}); write one per list item`,
    });
  };
}

const duration = z.unknown().transform((value, ctx): number => {
  const r = tryParseDuration(value);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  }
  return r.ms;
});

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** A window bound: an offset from activation ("10s") or an ISO instant with a zone. */
const windowBound = z.unknown().transform((value, ctx): { offset: number } | { at: number } => {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = Date.parse(value);
    if (!ISO_INSTANT.test(value) || Number.isNaN(at)) {
      ctx.addIssue({ code: 'custom', message: `invalid instant "${value}": write an ISO 8601 date-time with a zone, e.g. 2025-03-01T09:00:00Z` });
      return z.NEVER;
    }
    return { at };
  }
  const r = tryParseDuration(value);
  if (!r.ok) {
    ctx.addIssue({ code: 'custom', message: `expected an offset from activation (${DURATION_HINT}) or an ISO instant, got ${describeKind(value)}` });
    return z.NEVER;
  }
  return { offset: r.ms };
});

const windowSchema = strict({ from: windowBound.optional(), until: windowBound.optional() })
  .superRefine((w, ctx) => {
    if (!w.from && !w.until) ctx.addIssue({ code: 'custom', message: 'a window needs "from", "until" or both' });
    if (w.from && w.until) {
      const sameKind = ('offset' in w.from) === ('offset' in w.until);
      const start = 'offset' in w.from ? w.from.offset : w.from.at;
      const end = 'offset' in w.until ? w.until.offset : w.until.at;
      if (sameKind && end <= start) ctx.addIssue({ code: 'custom', path: ['until'], message: '"until" must be after "from"' });
    }
  })
  .transform((w): WindowSpec => {
    const out: WindowSpec = {};
    if (w.from) 'offset' in w.from ? (out.fromMs = w.from.offset) : (out.fromAt = w.from.at);
    if (w.until) 'offset' in w.until ? (out.untilMs = w.until.offset) : (out.untilAt = w.until.at);
    return out;
  });

const nameList = byKind<string | string[]>('a name or a list of names', (v) => {
  if (typeof v === 'string') return z.string().min(1, 'must not be empty');
  if (Array.isArray(v)) return z.array(z.string().min(1, 'must not be empty'), { error: 'expected a name' }).min(1, 'the list must not be empty');
  return undefined;
});

const regexMatcher = strict({
  regex: z.string().superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid regex: ${(e as Error).message}` });
    }
  }),
  flags: z.string().regex(/^[imsu]*$/, 'regex flags may only be i, m, s, u').optional(),
});

const factMatcher = byKind<FactMatcher>('a value, a list of values, { regex: ... } or { exists: true|false }', (v) => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return z.union([z.string(), z.number(), z.boolean()]);
  if (Array.isArray(v)) return z.array(z.union([z.string(), z.number()]), { error: 'expected a string or number' }).min(1, 'the list must not be empty');
  if (isMapping(v) && 'regex' in v) return regexMatcher as unknown as z.ZodType<FactMatcher>;
  if (isMapping(v) && 'exists' in v) return strict({ exists: z.boolean() }) as unknown as z.ZodType<FactMatcher>;
  return undefined;
});

const matchSchema = strict({
  service: nameList.optional(),
  operation: nameList.optional(),
  sandbox: nameList.optional(),
  facts: z.record(z.string(), factMatcher).optional(),
}).transform((m): RuleMatch => {
  const out: RuleMatch = {};
  if (m.service !== undefined) out.service = m.service;
  if (m.operation !== undefined) out.operation = m.operation;
  if (m.sandbox !== undefined) out.sandbox = m.sandbox;
  if (m.facts !== undefined) out.facts = m.facts;
  return out;
});

const LATENCY_KINDS = ['fixed', 'uniform', 'lognormal'] as const;
const latencyObject = strict({
  fixed: duration.optional(),
  uniform: z.tuple([duration, duration], { error: 'expected [min, max]' }).optional(),
  lognormal: strict({
    median: duration,
    sigma: z.number({ error: 'expected a number (spread of the log, e.g. 0.5)' }).min(0, 'must be ≥ 0').max(10, 'must be ≤ 10'),
    max: duration.optional(),
  })
    .superRefine((l, ctx) => {
      if (l.max !== undefined && l.max < l.median) ctx.addIssue({ code: 'custom', path: ['max'], message: '"max" must be at least the median' });
    })
    .optional(),
})
  .superRefine(exactlyOne(LATENCY_KINDS, 'a latency'))
  .superRefine((l, ctx) => {
    if (l.uniform && l.uniform[1] < l.uniform[0]) ctx.addIssue({ code: 'custom', path: ['uniform'], message: 'uniform bounds must be [min, max] with min ≤ max' });
  })
  .transform((l): LatencySpec => {
    if (l.fixed !== undefined) return { fixed: l.fixed };
    if (l.uniform) return { uniform: [l.uniform[0], l.uniform[1]] };
    const ln = l.lognormal!;
    return { lognormal: { median: ln.median, sigma: ln.sigma, ...(ln.max !== undefined ? { max: ln.max } : {}) } };
  });

const latency = byKind<LatencySpec>(`${DURATION_HINT}, or { uniform | lognormal | fixed: ... }`, (v) => {
  if (typeof v === 'string' || typeof v === 'number') return duration.transform((ms): LatencySpec => ({ fixed: ms }));
  if (isMapping(v)) return latencyObject;
  return undefined;
});

const transport = byKind<TransportFault>('connection-reset, hang or { slow-body: { bytesPerSecond: N } }', (v) => {
  if (typeof v === 'string') {
    return z
      .enum(['connection-reset', 'hang'], { error: `unknown transport fault "${v}": expected connection-reset, hang or { slow-body: { bytesPerSecond: N } }` })
      .transform((type): TransportFault => ({ type }));
  }
  if (isMapping(v)) {
    return strict({
      'slow-body': strict({ bytesPerSecond: z.number().int('must be a whole number').min(1, 'must be at least 1') }),
    }).transform((t): TransportFault => ({ type: 'slow-body', bytesPerSecond: t['slow-body'].bytesPerSecond }));
  }
  return undefined;
});

const status = z.number().int('must be a whole number').min(100, 'must be an HTTP status (100–599)').max(599, 'must be an HTTP status (100–599)');

const httpEffect = strict({
  status,
  body: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const soapFault = strict({
  code: z.string().min(1, 'must not be empty'),
  subcode: z.string().min(1).optional(),
  reason: z.string().optional(),
  detail: z.string().optional(),
  status: status.optional(),
});

function outcomeEffect(outcomes: OutcomeRegistry) {
  return strict({ name: z.string(), with: z.record(z.string(), z.unknown()).optional() }).transform((o, ctx) => {
    const def = outcomes.get(o.name);
    if (!def) {
      const known = outcomes.names();
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `unknown outcome "${o.name}" ${known.length ? `(known: ${known.join(', ')})` : '(no simulator has registered outcomes)'}`,
      });
      return z.NEVER;
    }
    const r = def.params.safeParse(o.with ?? {});
    if (!r.success) {
      forward(ctx as Ctx, r.error.issues, ['with']);
      return z.NEVER;
    }
    return { name: o.name, with: (r.data ?? {}) as Record<string, unknown> };
  });
}

const EFFECT_KINDS = ['latency', 'transport', 'http', 'soap-fault', 'outcome'] as const;

function effectSchema(outcomes: OutcomeRegistry) {
  return strict({
    latency: latency.optional(),
    transport: transport.optional(),
    http: httpEffect.optional(),
    'soap-fault': soapFault.optional(),
    outcome: outcomeEffect(outcomes).optional(),
  })
    .superRefine(exactlyOne(EFFECT_KINDS, 'an effect'))
    .transform((e): EffectSpec => {
      if (e.latency) return { latency: e.latency };
      if (e.transport) return { transport: e.transport };
      if (e.http) return { http: dropUndefined(e.http) };
      if (e['soap-fault']) return { soapFault: dropUndefined(e['soap-fault']) };
      return { outcome: e.outcome! };
    });
}

function dropUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function ruleSchema(outcomes: OutcomeRegistry) {
  return strict({
    id: z.string().regex(RULE_ID, 'rule ids use letters, digits, ".", "_" or "-"'),
    description: z.string().optional(),
    match: matchSchema.optional(),
    times: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
    after: z.number().int('must be a whole number').min(0, 'must be at least 0').optional(),
    window: windowSchema.optional(),
    probability: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
    effects: z.array(effectSchema(outcomes)).optional(),
  }).transform((r): RuleSpec => {
    const rule: RuleSpec = { id: r.id, match: r.match ?? {}, effects: r.effects ?? [] };
    if (r.description !== undefined) rule.description = r.description;
    if (r.times !== undefined) rule.times = r.times;
    if (r.after !== undefined) rule.after = r.after;
    if (r.window !== undefined) rule.window = r.window;
    if (r.probability !== undefined) rule.probability = r.probability;
    return rule;
  });
}

/** Checks names against what simulators declared (opt-in: only services with a catalogue are checked). */
function checkCatalogue(rules: readonly RuleSpec[], outcomes: OutcomeRegistry, ctx: Ctx): void {
  const described = outcomes.listServices();
  if (described.length === 0) return;
  const known = described.map((s) => s.service);
  rules.forEach((rule, i) => {
    const services = rule.match.service === undefined ? [] : typeof rule.match.service === 'string' ? [rule.match.service] : [...rule.match.service];
    services.forEach((service, j) => {
      if (!known.includes(service)) {
        const path = typeof rule.match.service === 'string' ? ['rules', i, 'match', 'service'] : ['rules', i, 'match', 'service', j];
        ctx.addIssue({ code: 'custom', path, message: `unknown service "${service}" (known: ${known.join(', ')})` });
      }
    });
    const catalogues = services.map((s) => outcomes.service(s));
    if (services.length === 0 || catalogues.some((c) => !c)) return;
    const operations = catalogues.every((c) => c!.operations) ? catalogues.flatMap((c) => c!.operations ?? []) : undefined;
    const ops = rule.match.operation === undefined ? [] : typeof rule.match.operation === 'string' ? [rule.match.operation] : [...rule.match.operation];
    if (operations) {
      ops.forEach((op, j) => {
        if (!operations.includes(op)) {
          const path = typeof rule.match.operation === 'string' ? ['rules', i, 'match', 'operation'] : ['rules', i, 'match', 'operation', j];
          ctx.addIssue({ code: 'custom', path, message: `unknown operation "${op}" for ${services.join('/')} (known: ${operations.join(', ')})` });
        }
      });
    }
    const facts = catalogues.every((c) => c!.facts) ? catalogues.flatMap((c) => Object.keys(c!.facts ?? {})) : undefined;
    if (facts) {
      for (const name of Object.keys(rule.match.facts ?? {})) {
        if (!facts.includes(name)) {
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'match', 'facts', name], params: { atKey: true }, message: unknownKeyMessage(name, facts).replace('unknown key', 'unknown fact') });
        }
      }
    }
  });
}

/** The schema of one scenario document, bound to the outcomes simulators have registered. */
export function scenarioSchema(outcomes: OutcomeRegistry) {
  return strict({
    name: z.string().regex(SCENARIO_NAME, 'scenario names use lower-case letters, digits and "-" (e.g. insi-outage)'),
    description: z.string().optional(),
    rules: z.array(ruleSchema(outcomes)).min(1, 'a scenario needs at least one rule'),
  })
    // Runs even when rules have other errors (`when`), so a duplicate id is reported with them.
    .superRefine(
      (s, ctx) => {
        const seen = new Map<string, number>();
        const rules: unknown[] = Array.isArray(s.rules) ? s.rules : [];
        rules.forEach((rule, i) => {
          const id = isMapping(rule) ? rule.id : undefined;
          if (typeof id !== 'string') return;
          const first = seen.get(id);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${id}" (already used by rules[${first}])` });
          else seen.set(id, i);
        });
      },
      { when: (payload) => isMapping(payload.value) },
    )
    .superRefine((s, ctx) => checkCatalogue(s.rules, outcomes, ctx as Ctx))
    .transform((s): Omit<Scenario, 'source'> => ({
      name: s.name,
      ...(s.description !== undefined ? { description: s.description } : {}),
      rules: s.rules,
    }));
}
