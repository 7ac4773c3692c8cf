/** Injectable time source: every simulator reads time through a Clock so a run can be replayed byte for byte. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock frozen at `start` that only moves when told to (tests, deterministic replays). */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: number | string | Date) {
    this.current = typeof start === 'number' ? start : new Date(start).getTime();
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(at: number | string | Date): void {
    this.current = typeof at === 'number' ? at : new Date(at).getTime();
  }
}

/** A clock that starts at a fixed instant and then runs at real speed (deterministic dates, live timeouts). */
export function offsetClock(start: number | string | Date): Clock {
  const origin = typeof start === 'number' ? start : new Date(start).getTime();
  const boot = Date.now();
  return { now: () => origin + (Date.now() - boot) };
}
