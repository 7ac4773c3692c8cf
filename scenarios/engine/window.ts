/** Rule time windows: offsets from the scenario's activation, or absolute instants. */
import { formatDuration } from './durations.js';
import type { WindowSpec } from './types.js';

export function windowBounds(w: WindowSpec, activatedAt: number): { from: number; until: number } {
  const from = w.fromAt ?? (w.fromMs !== undefined ? activatedAt + w.fromMs : -Infinity);
  const until = w.untilAt ?? (w.untilMs !== undefined ? activatedAt + w.untilMs : Infinity);
  return { from, until };
}

/** Half-open [from, until): a 30 s window starting at activation has closed exactly 30 s later. */
export function inWindow(w: WindowSpec | undefined, activatedAt: number, now: number): boolean {
  if (!w) return true;
  const { from, until } = windowBounds(w, activatedAt);
  return now >= from && now < until;
}

function bound(offset: number | undefined, at: number | undefined): string | undefined {
  if (at !== undefined) return new Date(at).toISOString();
  if (offset !== undefined) return formatDuration(offset);
  return undefined;
}

/** "window 10s–2m", "window from 2025-03-01T09:00:00.000Z", "window until 30s". */
export function describeWindow(w: WindowSpec): string {
  const from = bound(w.fromMs, w.fromAt);
  const until = bound(w.untilMs, w.untilAt);
  if (from && until) return `window ${from}–${until}`;
  if (from) return `window from ${from}`;
  return `window until ${until}`;
}
