import { describe, expect, it } from 'vitest';
import { loadScenarioDir } from '../../scenarios/index.js';
import { key, setup } from './helpers.js';

describe('service weather', () => {
  it('is up with nothing active, and for services a rule does not target', () => {
    const { engine, load } = setup();
    load('name: dmp-503\nrules:\n  - id: r\n    match: { service: dmp }\n    effects: [{ http: { status: 503 } }]\n');
    const sb = engine.createSandbox('sb');
    expect(engine.weather(sb, 'insi')).toEqual({ state: 'up', reasons: [] });
    engine.activate(sb, 'dmp-503');
    expect(engine.weather(sb, 'insi')).toEqual({ state: 'up', reasons: [] });
  });

  it('is down while an unconditional failure applies, and recovers when its count is used up', () => {
    const { engine } = setup();
    for (const s of loadScenarioDir('scenarios', engine.outcomes)) engine.addScenario(s);
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'insi-outage');
    expect(engine.weather(sb, 'insi')).toEqual({
      state: 'down',
      reasons: ['sandbox scenario "insi-outage" rule "three-faults": SOAP fault desir_1020/siram_40 (3 of 3 call(s) left)'],
    });
    engine.evaluate(sb, key('insi'));
    engine.evaluate(sb, key('insi'));
    expect(engine.weather(sb, 'insi').reasons[0]).toMatch(/\(1 of 3 call\(s\) left\)$/);
    engine.evaluate(sb, key('insi'));
    expect(engine.weather(sb, 'insi').state).toBe('up');
  });

  it('follows time windows', () => {
    const { engine, clock } = setup();
    for (const s of loadScenarioDir('scenarios', engine.outcomes)) engine.addScenario(s);
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'dmp-down-window');
    expect(engine.weather(sb, 'dmp')).toEqual({ state: 'down', reasons: ['sandbox scenario "dmp-down-window" rule "dmp-503": HTTP 503 (for 30s more)'] });
    clock.advance(30_000);
    expect(engine.weather(sb, 'dmp').state).toBe('up');
  });

  it('is degraded for slow calls (median ≥ 1 s) and for failures limited by facts, operation or probability', () => {
    const { engine, load } = setup();
    load('name: slow\nrules:\n  - id: s\n    effects: [{ latency: { lognormal: { median: 1s, sigma: 1 } } }]\n');
    load('name: fast\nrules:\n  - id: f\n    effects: [{ latency: { uniform: [100ms, 900ms] } }]\n');
    load('name: dupont\nrules:\n  - id: d\n    match: { service: insi, facts: { birthName: DUPONT } }\n    effects: [{ transport: connection-reset }]\n');
    load('name: op\nrules:\n  - id: o\n    match: { service: dmp, operation: ITI-41 }\n    effects: [{ http: { status: 500 } }]\n');
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'fast');
    expect(engine.weather(sb, 'insi').state).toBe('up');
    engine.activate(sb, 'slow');
    expect(engine.weather(sb, 'insi')).toEqual({ state: 'degraded', reasons: ['sandbox scenario "slow" rule "s": latency median 1s'] });
    engine.deactivate(sb, 'slow');
    engine.activate(sb, 'dupont');
    expect(engine.weather(sb, 'insi')).toEqual({
      state: 'degraded',
      reasons: ['sandbox scenario "dupont" rule "d": connections reset; only requests with birthName matching'],
    });
    engine.activate(sb, 'op');
    expect(engine.weather(sb, 'dmp').reasons).toEqual(['sandbox scenario "op" rule "o": HTTP 500; only ITI-41']);
  });

  it('counts the startup scenarios and registered outages; magic and header rules are left out', () => {
    const { engine, load } = setup();
    for (const s of loadScenarioDir('scenarios', engine.outcomes)) engine.addScenario(s);
    load('name: closed\nrules:\n  - id: c\n    match: { service: dmp }\n    effects: [{ outcome: { name: dmp.closed } }]\n');
    load('name: cr01\nrules:\n  - id: c\n    match: { service: insi }\n    effects: [{ outcome: { name: insi.cr, with: { cr: "01" } } }]\n');
    engine.setMagic('dmp', [{ id: 'm', match: {}, effects: [{ http: { status: 500 } }] }]);
    engine.setStartup(['flaky-everything', 'cr01']);
    const sb = engine.createSandbox('sb');
    expect(engine.weather(sb, 'insi')).toEqual({
      state: 'degraded',
      reasons: ['startup scenario "flaky-everything" rule "resets": connections reset; 10 % of calls'],
    });
    engine.activate(sb, 'closed');
    expect(engine.weather(sb, 'dmp')).toEqual({
      state: 'down',
      reasons: [
        'sandbox scenario "closed" rule "c": outcome dmp.closed (the patient DMP is closed)',
        'startup scenario "flaky-everything" rule "resets": connections reset; 10 % of calls',
      ],
    });
  });

  it('a failure that starts after N calls is shown as degraded until then', () => {
    const { engine, load } = setup();
    load('name: later\nrules:\n  - id: l\n    after: 2\n    times: 1\n    effects: [{ transport: hang }]\n');
    const sb = engine.createSandbox('sb');
    engine.activate(sb, 'later');
    expect(engine.weather(sb, 'psc').reasons).toEqual(['sandbox scenario "later" rule "l": calls hang until the client times out (1 of 1 call(s) left); starts after 2 more call(s)']);
    engine.evaluate(sb, key('psc'));
    engine.evaluate(sb, key('psc'));
    expect(engine.weather(sb, 'psc').state).toBe('down');
    engine.evaluate(sb, key('psc'));
    expect(engine.weather(sb, 'psc').state).toBe('up');
  });
});
