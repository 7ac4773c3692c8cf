import { describe, expect, it } from 'vitest';
import { decodeIdentifier, fromBase32, generateIdentifiantUnique, ID_ALPHABET, IdentifierGenerator, instanceNumber, isValidIdentifier, toBase32 } from '../../client/eprescription/identifier.js';

describe('generateIdentifiantUnique', () => {
  it('the alphabet is the 32 characters the simulator README assumes, without I L O Q', () => {
    expect(ID_ALPHABET).toBe('0123456789ABCDEFGHJKMNPRSTUVWXYZ');
    expect(new Set(ID_ALPHABET).size).toBe(32);
    for (const c of 'ILOQ') expect(ID_ALPHABET).not.toContain(c);
  });

  it('18 characters of the alphabet; the public examples are valid, other strings are not', () => {
    const id = generateIdentifiantUnique();
    expect(id).toMatch(/^[0-9ABCDEFGHJKMNPRSTUVWXYZ]{18}$/);
    expect(isValidIdentifier(id)).toBe(true);
    expect(isValidIdentifier('01S2TBPZ2JCNZZYGHZ')).toBe(true);
    expect(isValidIdentifier('03UE8SP00UGBYH4JF7')).toBe(true);
    expect(isValidIdentifier('01S2TBPZ2JCNZZYGH')).toBe(false);
    expect(isValidIdentifier('01S2TBPZ2JCNZZYGHI')).toBe(false);
    expect(isValidIdentifier('01s2tbpz2jcnzzyghz')).toBe(false);
    expect(isValidIdentifier(42)).toBe(false);
  });

  it('unique across 50 000 calls in one process, even with a frozen clock', () => {
    const frozen = new Date('2026-11-22T08:00:00Z');
    const g = new IdentifierGenerator({ now: () => frozen });
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(g.next());
    expect(seen.size).toBe(50_000);
    const def = new Set(Array.from({ length: 5_000 }, () => generateIdentifiantUnique()));
    expect(def.size).toBe(5_000);
  });

  it('two installations at the same instant differ by their instance part', () => {
    const now = () => new Date('2026-11-22T08:00:00Z');
    const a = new IdentifierGenerator({ instance: 'lps-instance-a', now });
    const b = new IdentifierGenerator({ instance: 'lps-instance-b', now });
    expect(a.instance).not.toBe(b.instance);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      ids.add(a.next());
      ids.add(b.next());
    }
    expect(ids.size).toBe(2000);
    expect(new IdentifierGenerator({ instance: 'lps-instance-a' }).instance).toBe(instanceNumber('lps-instance-a'));
  });

  it('the four numbers decode back: kind, time (ms), instance, counter', () => {
    const at = new Date('2026-11-22T08:15:30.123Z');
    const g = new IdentifierGenerator({ instance: 12345, kind: 1, now: () => at });
    const id = g.next();
    const d = decodeIdentifier(id);
    expect(d.kind).toBe(1);
    expect(d.time.toISOString()).toBe(at.toISOString());
    expect(d.instance).toBe(12345);
    expect(id.slice(0, 2)).toBe('01');
    expect(decodeIdentifier(g.next()).counter).toBe((d.counter + 1) % 32 ** 4);
  });

  it('base 32 writes fixed widths and refuses what does not fit', () => {
    expect(toBase32(0, 4)).toBe('0000');
    expect(toBase32(31, 2)).toBe('0Z');
    expect(fromBase32(toBase32(987654321, 8))).toBe(987654321);
    expect(() => toBase32(32 ** 2, 2)).toThrow(RangeError);
    expect(() => fromBase32('0I')).toThrow(RangeError);
    expect(() => new IdentifierGenerator({ instance: 32 ** 4 })).toThrow(RangeError);
  });
});
