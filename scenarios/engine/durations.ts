/**
 * Durations as scenario authors write them ("200ms", "1.5s", "2m", "1h", or a bare number of
 * milliseconds), converted to milliseconds once at load time so the engine only sees numbers.
 */

const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

export const DURATION_HINT = 'a duration like 200ms, 1.5s, 2m, 1h or a number of milliseconds';

/** Parses a duration without throwing, so schema code can report the message at the right field. */
export function tryParseDuration(value: unknown): DurationResult {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { ok: false, message: `expected ${DURATION_HINT}, got ${value}` };
    return { ok: true, ms: value };
  }
  if (typeof value === 'string') {
    const m = DURATION.exec(value);
    if (!m) return { ok: false, message: `invalid duration "${value}": expected ${DURATION_HINT}` };
    const unit = (m[2] ?? 'ms') as keyof typeof UNIT_MS;
    // Round away float noise such as 1.1s = 1100.0000000000002 ms.
    return { ok: true, ms: Math.round(Number(m[1]) * UNIT_MS[unit] * 1000) / 1000 };
  }
  return { ok: false, message: `expected ${DURATION_HINT}, got ${describeKind(value)}` };
}

/** Parses a duration or throws an Error with a readable message. */
export function parseDuration(value: unknown): number {
  const r = tryParseDuration(value);
  if (!r.ok) throw new Error(r.message);
  return r.ms;
}

/** Shortest readable form: 120000 → "2m", 1500 → "1.5s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${Math.round(ms) / 1000}s`;
  return `${Math.round(ms * 1000) / 1000}ms`;
}

/** "string", "number", "list", "mapping", "null"... in YAML terms, for error messages. */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}
