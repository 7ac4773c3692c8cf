import { describe, expect, it } from 'vitest';
import { ScenarioNotFoundError, type ResolvedEffect } from '../../scenarios/index.js';
import { T0, key, setup } from './helpers.js';

const statusOf = (effects: ResolvedEffect[]) => effects.map((e) => (e.kind === 'http' ? e.status : e.kind));

const HTTP = (name: string, status: number, extra = '') => `name: ${name}
rules:
  - id: r
    ${extra}
    effects:
      - http: { status: ${status} }
`;

describe('precedence', () => {
  function world() {
    const t = setup();
    t.load(HTTP('from-header', 501));
    t.load(HTTP('from-sandbox', 502));
    t.load(HTTP('from-startup', 504));
    t.engine.setMagic('insi', [{ id: 'dupont', match: { facts: { birthName: 'DUPONT' } }, effects: [{ http: { status: 503 } }] }]);
    t.engine.setStartup(['from-startup']);
    const sb = t.engine.createSandbox('sb');
    return { ...t, sb };
  }

  it('header beats sandbox beats magic beats startup beats default, and says which channel decided', () => {
    const { engine, sb } = world();
    const dupont = key('insi', 'op', { birthName: 'Dupont' });
    engine.activate(sb, 'from-sandbox');
    let d = engine.evaluate(sb, dupont, 'from-header');
    expect([d.channel, ...statusOf(d.effects)]).toEqual(['header', 501]);
    expect(d.explain).toBe('header scenario "from-header" rule "r" fired');
    d = engine.evaluate(sb, dupont);
    expect([d.channel, ...statusOf(d.effects)]).toEqual(['sandbox', 502]);
    engine.deactivate(sb, 'from-sandbox');
    d = engine.evaluate(sb, dupont);
    expect([d.channel, ...statusOf(d.effects)]).toEqual(['magic', 503]);
    expect(d.fired).toEqual([{ scenario: 'magic:insi', rule: 'dupont', reason: expect.stringContaining('birthName=DUPONT ("Dupont")') }]);
    d = engine.evaluate(sb, key('insi', 'op', { birthName: 'MARTIN' }));
    expect([d.channel, ...statusOf(d.effects)]).toEqual(['startup', 504]);
    engine.setStartup([]);
    d = engine.evaluate(sb, key('insi'));
    expect(d).toEqual({ channel: 'default', fired: [], effects: [], latencyMs: 0, explain: 'no scenario rule matched' });
  });

  it('magic rules only apply to the service that contributed them', () => {
    const { engine, sb } = world();
    expect(engine.evaluate(sb, key('dmp', 'op', { birthName: 'DUPONT' })).channel).toBe('startup');
  });

  it('a channel whose rules do not match lets the next channel decide', () => {
    const { engine, sb, load } = world();
    load(HTTP('dmp-only', 500, 'match: { service: dmp }'));
    engine.activate(sb, 'dmp-only');
    expect(engine.evaluate(sb, key('insi'), 'dmp-only').channel).toBe('startup');
  });

  it('the most recently activated sandbox scenario comes first; every fired rule of the channel contributes', () => {
    const { engine, sb, load } = world();
    load('name: slow\nrules:\n  - id: s\n    effects: [{ latency: 1s }]\n');
    engine.activate(sb, 'from-sandbox');
    engine.activate(sb, 'slow');
    expect(engine.active(sb).map((a) => a.name)).toEqual(['slow', 'from-sandbox']);
    const d = engine.evaluate(sb, key('insi'));
    expect(d.fired.map((f) => f.scenario)).toEqual(['slow', 'from-sandbox']);
    expect(statusOf(d.effects)).toEqual(['latency', 502]);
    expect(d.latencyMs).toBe(1000);
  });

  it('header values may list several scenarios; unknown names throw ScenarioNotFoundError', () => {
    const { engine, sb } = world();
    expect(engine.evaluate(sb, key('insi'), 'from-header, from-sandbox').fired.map((f) => f.scenario)).toEqual(['from-header', 'from-sandbox']);
    expect(() => engine.evaluate(sb, key('insi'), ['from-header', 'nope'])).toThrow(ScenarioNotFoundError);
    expect(() => engine.evaluate(sb, key('insi'), 'nope')).toThrow('unknown scenario "nope"');
    expect(() => engine.activate(sb, 'nope')).toThrow(ScenarioNotFoundError);
    expect(() => engine.setStartup(['nope'])).toThrow(ScenarioNotFoundError);
  });

  it('lower channels are not consulted: their counters do not move', () => {
    const { engine, sb, load } = world();
    load(HTTP('twice', 500, 'times: 2'));
    engine.setStartup(['twice']);
    engine.activate(sb, 'from-sandbox');
    for (let i = 0; i < 5; i++) engine.evaluate(sb, key('insi'));
    engine.deactivate(sb, 'from-sandbox');
    expect(engine.evaluate(sb, key('insi')).explain).toBe('startup scenario "twice" rule "r" fired (1/2)');
  });
});

describe('counts', () => {
  it('times: 3 fires three times, then recovers', () => {
    const { engine, load } = setup();
    load(`name: insi-outage
rules:
  - id: three-faults
    match: { service: insi }
    times: 3
    effects:
      - soap-fault: { code: desir_1020, subcode: siram_40 }
`);
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'insi-outage');
    const explains = Array.from({ length: 5 }, () => engine.evaluate(sb, key('insi')).explain);
    expect(explains).toEqual([
      'sandbox scenario "insi-outage" rule "three-faults" fired (1/3)',
      'sandbox scenario "insi-outage" rule "three-faults" fired (2/3)',
      'sandbox scenario "insi-outage" rule "three-faults" fired (3/3)',
      'no scenario rule matched',
      'no scenario rule matched',
    ]);
    // Requests of other services do not use up the count.
    engine.activate(sb, 'insi-outage');
    engine.evaluate(sb, key('dmp'));
    expect(engine.evaluate(sb, key('insi')).effects).toEqual([{ kind: 'soapFault', code: 'desir_1020', subcode: 'siram_40' }]);
  });

  it('after: N lets N matching requests through first', () => {
    const { engine, load } = setup();
    load(HTTP('late', 500, 'after: 2\n    times: 1'));
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'late');
    const channels = Array.from({ length: 4 }, () => engine.evaluate(sb, key('insi')).channel);
    expect(channels).toEqual(['default', 'default', 'sandbox', 'default']);
  });

  it('re-activating a scenario restarts its counters', () => {
    const { engine, load } = setup();
    load(HTTP('once', 500, 'times: 1'));
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'once');
    expect(engine.evaluate(sb, key('x')).channel).toBe('sandbox');
    expect(engine.evaluate(sb, key('x')).channel).toBe('default');
    engine.activate(sb, 'once');
    expect(engine.evaluate(sb, key('x')).channel).toBe('sandbox');
  });
});

describe('windows', () => {
  it('relative windows start at activation (before, inside, after)', () => {
    const { engine, clock, load } = setup();
    load(HTTP('w', 503, 'window: { from: 10s, until: 2m }'));
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'w');
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('default');
    clock.advance(9_999);
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('default');
    clock.advance(1);
    const d = engine.evaluate(sb, key('dmp'));
    expect(d.explain).toBe('sandbox scenario "w" rule "r" fired (window 10s–2m)');
    expect(d.fired[0]!.reason).toBe('matches every request; inside window 10s–2m');
    clock.advance(110_000 - 1);
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('sandbox');
    clock.advance(1);
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('default');
  });

  it('activation may be given an explicit instant', () => {
    const { engine, load } = setup();
    load(HTTP('w', 503, 'window: { until: 30s }'));
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'w', T0 - 30_000);
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('default');
  });

  it('absolute ISO windows', () => {
    const { engine, clock, load } = setup();
    load(HTTP('abs', 503, 'window: { from: 2025-03-01T10:00:00Z, until: "2025-03-01T12:00:00+01:00" }'));
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'abs');
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('default');
    clock.set('2025-03-01T10:00:00Z');
    expect(engine.evaluate(sb, key('dmp')).explain).toBe('sandbox scenario "abs" rule "r" fired (window 2025-03-01T10:00:00.000Z–2025-03-01T11:00:00.000Z)');
    clock.set('2025-03-01T10:59:59.999Z');
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('sandbox');
    clock.set('2025-03-01T11:00:00Z');
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('default');
  });

  it('requests outside the window do not use up the count', () => {
    const { engine, clock, load } = setup();
    load(HTTP('w', 503, 'window: { from: 1m }\n    times: 1'));
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'w');
    engine.evaluate(sb, key('dmp'));
    clock.advance(60_000);
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('sandbox');
  });

  it('startup windows run from sandbox creation (and reset)', () => {
    const { engine, clock, load } = setup();
    load(HTTP('boot', 503, 'window: { until: 30s }'));
    engine.setStartup(['boot']);
    const a = engine.createSandbox('a');
    clock.advance(31_000);
    const b = engine.createSandbox('b');
    expect(engine.evaluate(a, key('dmp')).channel).toBe('default');
    expect(engine.evaluate(b, key('dmp')).channel).toBe('startup');
    engine.resetSandbox(a);
    expect(engine.evaluate(a, key('dmp')).channel).toBe('startup');
  });

  it('header scenario windows start at their first use in the sandbox', () => {
    const { engine, clock, load } = setup();
    load(HTTP('h', 503, 'window: { until: 30s }'));
    const sb = engine.createSandbox('sb');
    clock.advance(60_000);
    expect(engine.evaluate(sb, key('dmp'), 'h').channel).toBe('header');
    clock.advance(30_000);
    expect(engine.evaluate(sb, key('dmp'), 'h').channel).toBe('default');
  });
});

describe('sandboxes', () => {
  it('keep separate counters and activations', () => {
    const { engine, load } = setup();
    load(HTTP('twice', 500, 'times: 2'));
    const a = engine.createSandbox('a');
    const b = engine.createSandbox('b');
    engine.activate(a, 'twice');
    expect(engine.active(b)).toEqual([]);
    expect(engine.evaluate(b, key('x', 'op', {}, 'b')).channel).toBe('default');
    engine.activate(b, 'twice');
    engine.evaluate(a, key('x', 'op', {}, 'a'));
    engine.evaluate(a, key('x', 'op', {}, 'a'));
    expect(engine.evaluate(a, key('x', 'op', {}, 'a')).channel).toBe('default');
    expect(engine.evaluate(b, key('x', 'op', {}, 'b')).explain).toMatch(/\(1\/2\)$/);
  });

  it('match.sandbox limits a rule to some sandboxes', () => {
    const { engine, load } = setup();
    load(HTTP('ci', 500, 'match: { sandbox: [ci-42, ci-43] }'));
    engine.setStartup(['ci']);
    expect(engine.evaluate(engine.createSandbox('ci-42'), key('x', 'op', {}, 'ci-42')).channel).toBe('startup');
    expect(engine.evaluate(engine.createSandbox('ci-44'), key('x', 'op', {}, 'ci-44')).channel).toBe('default');
  });

  it('reset brings counters, streams and activations back to the start', () => {
    const { engine, load } = setup();
    load(HTTP('once', 500, 'times: 1'));
    load('name: coin\nrules:\n  - id: c\n    probability: 0.5\n    effects: [{ latency: { uniform: [0, 1000] } }]\n');
    engine.setStartup(['coin']);
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'once');
    engine.evaluate(sb, key('x'));
    const draws = () => Array.from({ length: 20 }, () => engine.evaluate(sb, key('x')).latencyMs);
    const first = draws();
    engine.resetSandbox(sb);
    expect(engine.active(sb)).toEqual([]);
    engine.activate(sb, 'once');
    expect(engine.evaluate(sb, key('x')).channel).toBe('sandbox');
    expect(draws()).toEqual(first);
  });

  it('removing a scenario drops it from sandboxes and the startup list', () => {
    const { engine, load } = setup();
    load(HTTP('gone', 500));
    engine.setStartup(['gone']);
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'gone');
    expect(engine.removeScenario('gone')).toBe(true);
    expect(engine.removeScenario('gone')).toBe(false);
    expect(engine.active(sb)).toEqual([]);
    expect(engine.getStartup()).toEqual([]);
    expect(engine.evaluate(sb, key('x')).channel).toBe('default');
  });
});

describe('magic rules', () => {
  it('are validated: duplicate ids, unknown outcomes and bad params are rejected; params are parsed', () => {
    const { engine } = setup();
    expect(() =>
      engine.setMagic('insi', [
        { id: 'a', match: {}, effects: [] },
        { id: 'a', match: {}, effects: [{ outcome: { name: 'insi.nope', with: {} } }] },
      ]),
    ).toThrow(/magic:insi: \[1\]\.id: duplicate rule id "a"\nmagic:insi: \[1\]\.effects\[0\]\.outcome\.name: unknown outcome "insi\.nope"/);
    expect(() => engine.setMagic('insi', [{ id: 'a', match: {}, effects: [{ outcome: { name: 'insi.cr', with: { cr: '9' } } }] }])).toThrow(
      /\[0\]\.effects\[0\]\.outcome\.with\.cr/,
    );
    engine.setMagic('insi', [{ id: 'cr01', match: { facts: { birthName: 'TEST-CR' } }, effects: [{ outcome: { name: 'insi.cr', with: { cr: '01' } } }] }]);
    const d = engine.evaluate(engine.createSandbox('sb'), key('insi', 'RECSANSVITALE', { birthName: 'test-cr' }));
    expect(d.effects).toEqual([{ kind: 'outcome', name: 'insi.cr', params: { cr: '01' } }]);
    expect(d.explain).toBe('magic fixture "magic:insi" rule "cr01" fired');
  });
});

describe('masking', () => {
  it('a fired rule without effects hides the channels below', () => {
    const { engine, load } = setup();
    load(HTTP('outage', 503));
    load('name: healthy\nrules:\n  - id: pass\n');
    engine.setStartup(['outage']);
    const sb = engine.createSandbox('sb');
    const d = engine.evaluate(sb, key('dmp'), 'healthy');
    expect([d.channel, d.effects, d.explain]).toEqual(['header', [], 'header scenario "healthy" rule "pass" fired']);
    expect(engine.evaluate(sb, key('dmp')).channel).toBe('startup');
  });
});
