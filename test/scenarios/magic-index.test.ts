import { describe, expect, it } from 'vitest';
import type { RuleSpec } from '../../scenarios/index.js';
import { key, setup } from './helpers.js';

const cr = (id: string, facts: RuleSpec['match']['facts'], value: '01' | '02'): RuleSpec => ({
  id,
  match: { facts },
  effects: [{ outcome: { name: 'insi.cr', with: { cr: value } } }],
});

describe('magic fixtures index', () => {
  it('finds a persona rule by its exact fact, accent- and case-insensitively, and ignores requests without it', () => {
    const { engine } = setup();
    engine.setMagic('insi', [cr('houilles', { birthName: 'HOUILLES' }, '01'), cr('de-vinci', { birthName: 'DE VINCI', firstName: 'LEONARDO' }, '02')]);
    const sb = engine.createSandbox('sb');
    expect(engine.evaluate(sb, key('insi', 'op', { birthName: 'Houillés' })).effects).toEqual([{ kind: 'outcome', name: 'insi.cr', params: { cr: '01' } }]);
    expect(engine.evaluate(sb, key('insi', 'op', { birthName: 'de vinci', firstName: 'Leonardo' })).fired.map((f) => f.rule)).toEqual(['de-vinci']);
    // The indexed fact holds but another fact of the rule does not: still checked in full.
    expect(engine.evaluate(sb, key('insi', 'op', { birthName: 'DE VINCI', firstName: 'MONA' })).channel).toBe('default');
    expect(engine.evaluate(sb, key('insi', 'op', {})).channel).toBe('default');
    // Magic rules only concern the service that contributed them.
    expect(engine.evaluate(sb, key('dmp', 'op', { birthName: 'HOUILLES' })).channel).toBe('default');
  });

  it('keeps rules without an exact fact (regex, exists) and fires matches in their declared order', () => {
    const { engine } = setup();
    engine.setMagic('insi', [
      cr('any-name', { birthName: { regex: '^HOU' } }, '02'),
      cr('list', { birthName: ['HOUILLES', 'DUPONT'] }, '01'),
    ]);
    const sb = engine.createSandbox('sb');
    const decision = engine.evaluate(sb, key('insi', 'op', { birthName: 'HOUILLES' }));
    expect(decision.channel).toBe('magic');
    expect(decision.fired.map((f) => f.rule)).toEqual(['any-name', 'list']);
    expect(engine.evaluate(sb, key('insi', 'op', { birthName: 'DUPONT' })).fired.map((f) => f.rule)).toEqual(['list']);
  });

  it('is rebuilt when a simulator replaces its magic rules', () => {
    const { engine } = setup();
    const sb = engine.createSandbox('sb');
    engine.setMagic('insi', [cr('a', { ins: '123' }, '01')]);
    expect(engine.evaluate(sb, key('insi', 'op', { ins: '123' })).channel).toBe('magic');
    engine.setMagic('insi', [cr('b', { ins: '456' }, '01')]);
    expect(engine.evaluate(sb, key('insi', 'op', { ins: '123' })).channel).toBe('default');
    expect(engine.evaluate(sb, key('insi', 'op', { ins: '456' })).fired[0]!.rule).toBe('b');
  });
});
