/** Sequence sets (`1:4,7,9:*`) resolved against the session's view of the selected mailbox. */

export class SequenceError extends Error {}

type Range = [number, number];

function parseRanges(set: string, star: number): Range[] {
  if (!/^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(set)) throw new SequenceError(`Invalid sequence set ${JSON.stringify(set)}`);
  return set.split(',').map((part) => {
    const [a, b = a] = part.split(':') as [string, string?];
    const x = a === '*' ? star : Number(a);
    const y = b === '*' ? star : Number(b);
    if (x === 0 || y === 0) throw new SequenceError('Sequence numbers and UIDs start at 1');
    return x <= y ? [x, y] : [y, x];
  });
}

export interface Target {
  /** 1-based position in the session's view. */
  seq: number;
  uid: number;
}

/**
 * Messages a sequence set designates. `view` is the UIDs in sequence order. Message sequence numbers
 * beyond the mailbox are an error (RFC 3501 §9 `seq-number`); UIDs that do not exist are simply absent,
 * and `n:*` always includes the last message (RFC 9051 §6.4.8).
 */
export function resolveSet(set: string, view: readonly number[], uidMode: boolean): Target[] {
  if (!uidMode) {
    const ranges = parseRanges(set, view.length);
    const out = new Map<number, Target>();
    for (const [a, b] of ranges) {
      if (b > view.length) throw new SequenceError(`Invalid message sequence number ${b}: the mailbox has ${view.length} message(s)`);
      for (let s = a; s <= b; s++) out.set(s, { seq: s, uid: view[s - 1]! });
    }
    return [...out.values()].sort((x, y) => x.seq - y.seq);
  }
  const max = view.length ? view[view.length - 1]! : 0;
  if (!max) {
    parseRanges(set, 1); // still validate the syntax
    return [];
  }
  // `n:*` with n above the last UID still designates the last message: the range is [max, n].
  const ranges = parseRanges(set, max);
  const out: Target[] = [];
  view.forEach((uid, i) => {
    if (ranges.some(([a, b]) => uid >= a && uid <= b)) out.push({ seq: i + 1, uid });
  });
  return out;
}

/** `1,2,3,5,7,8` → `1:3,5,7:8` (COPYUID / APPENDUID data). */
export function compactSet(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
