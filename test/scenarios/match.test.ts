import { describe, expect, it } from 'vitest';
import { formatDuration, matchFact, matchRule, normalizeText, parseDuration, tryParseDuration } from '../../scenarios/index.js';
import { key } from './helpers.js';

describe('fact matchers', () => {
  it('strings compare without case or accents', () => {
    expect(normalizeText(' Dupônt-Lefèvre ')).toBe('DUPONT-LEFEVRE');
    expect(matchFact('DUPONT', 'dupônt')).toBe(true);
    expect(matchFact('Héloïse', 'HELOISE')).toBe(true);
    expect(matchFact('DUPONT', 'DUPONTEL')).toBe(false);
  });

  it('numbers, booleans and numeric strings compare by value text', () => {
    expect(matchFact(10000000001, '10000000001')).toBe(true);
    expect(matchFact('10000000001', 10000000001)).toBe(true);
    expect(matchFact(true, true)).toBe(true);
    expect(matchFact(true, 'true')).toBe(true);
    expect(matchFact(false, true)).toBe(false);
  });

  it('lists mean any of; list-valued facts match when any element does', () => {
    expect(matchFact(['10000000001', '10000000002'], '10000000002')).toBe(true);
    expect(matchFact(['10000000001'], '10000000003')).toBe(false);
    expect(matchFact('MARIE', ['Jeanne', 'Marie'])).toBe(true);
    expect(matchFact({ regex: '^1' }, ['2', '1x'])).toBe(true);
  });

  it('regex on the raw value, with optional flags', () => {
    expect(matchFact({ regex: '^1' }, '1850')).toBe(true);
    expect(matchFact({ regex: '^1' }, '2850')).toBe(false);
    expect(matchFact({ regex: '^dup' }, 'DUPONT')).toBe(false);
    expect(matchFact({ regex: '^dup', flags: 'i' }, 'DUPONT')).toBe(true);
    expect(matchFact({ regex: '.' }, undefined)).toBe(false);
  });

  it('exists', () => {
    expect(matchFact({ exists: true }, 'x')).toBe(true);
    expect(matchFact({ exists: true }, undefined)).toBe(false);
    expect(matchFact({ exists: true }, '')).toBe(false);
    expect(matchFact({ exists: true }, [])).toBe(false);
    expect(matchFact({ exists: false }, null)).toBe(true);
    expect(matchFact('x', undefined)).toBe(false);
  });
});

describe('rule match', () => {
  it('service, operation and sandbox accept a name or a list; reasons say what held or failed', () => {
    const m = { service: ['insi', 'dmp'], operation: 'RECSANSVITALE', facts: { birthName: 'DUPONT' } };
    expect(matchRule(m, key('insi', 'recsansvitale', { birthName: 'Dupont' }))).toEqual({
      ok: true,
      reason: 'service=insi, operation=recsansvitale, birthName=DUPONT ("Dupont")',
    });
    expect(matchRule(m, key('mssante', 'RECSANSVITALE'))).toEqual({ ok: false, reason: 'service is mssante, rule wants insi or dmp' });
    expect(matchRule(m, key('insi', 'RECSANSVITALE'))).toEqual({ ok: false, reason: 'fact birthName is absent, rule wants birthName=DUPONT' });
    expect(matchRule({ sandbox: 'ci-42' }, key('insi', 'x', {}, 'ci-43')).ok).toBe(false);
    expect(matchRule({}, key('insi')).reason).toBe('matches every request');
  });
});

describe('durations', () => {
  it('parses the written forms', () => {
    expect(parseDuration('200ms')).toBe(200);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1.1s')).toBe(1100);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration(40)).toBe(40);
    expect(tryParseDuration('-1s').ok).toBe(false);
    expect(tryParseDuration(-5).ok).toBe(false);
    expect(tryParseDuration('1 day').ok).toBe(false);
    expect(() => parseDuration(true)).toThrow('got boolean true');
  });

  it('formats back to the shortest form', () => {
    expect([formatDuration(120_000), formatDuration(1500), formatDuration(250), formatDuration(10_000), formatDuration(0)]).toEqual(['2m', '1.5s', '250ms', '10s', '0ms']);
  });
});
