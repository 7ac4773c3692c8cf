import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutcomeRegistry, ScenarioError, loadScenarioDir, loadScenarioText, parseScenario } from '../../scenarios/index.js';
import { registry } from './helpers.js';

function errorOf(yaml: string, outcomes = registry()): ScenarioError {
  try {
    loadScenarioText(yaml, 'scenarios/x.yaml', outcomes);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as Error).message).not.toMatch(/\n\s+at /); // no stack trace in the message
    return e as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

describe('loading scenarios: the happy path', () => {
  it('converts the written format to the engine types', () => {
    const s = loadScenarioText(
      `name: insi-outage
description: demo
rules:
  - id: three-faults
    match:
      service: insi
      operation: [rechercherInsAvecTraitsIdentite, RECSANSVITALE]
      sandbox: ci-42
      facts:
        birthName: DUPONT
        ins: { regex: "^1", flags: i }
        rpps: ["10000000001", 10000000002]
        mailbox: { exists: true }
    times: 3
    after: 1
    window: { from: 10s, until: 2025-03-01T10:00:00Z }
    probability: 0.25
    effects:
      - latency: 200ms
      - latency: 1.5s
      - latency: 40
      - latency: { uniform: [100ms, 300ms] }
      - latency: { lognormal: { median: 300ms, sigma: 0.6, max: 5s } }
      - transport: connection-reset
      - transport: hang
      - transport: { slow-body: { bytesPerSecond: 64 } }
      - http: { status: 503, body: down, headers: { retry-after: "5" } }
      - soap-fault: { code: desir_1020, subcode: siram_40, reason: indisponible, status: 500 }
      - outcome: { name: insi.cr, with: { cr: "01" } }
      - outcome: { name: dmp.closed }
`,
      'scenarios/insi-outage.yaml',
      registry(),
    );
    expect(s.name).toBe('insi-outage');
    expect(s.source).toBe('scenarios/insi-outage.yaml');
    const rule = s.rules[0]!;
    expect(rule.match).toEqual({
      service: 'insi',
      operation: ['rechercherInsAvecTraitsIdentite', 'RECSANSVITALE'],
      sandbox: 'ci-42',
      facts: { birthName: 'DUPONT', ins: { regex: '^1', flags: 'i' }, rpps: ['10000000001', 10000000002], mailbox: { exists: true } },
    });
    expect(rule.times).toBe(3);
    expect(rule.after).toBe(1);
    expect(rule.window).toEqual({ fromMs: 10_000, untilAt: Date.parse('2025-03-01T10:00:00Z') });
    expect(rule.probability).toBe(0.25);
    expect(rule.effects).toEqual([
      { latency: { fixed: 200 } },
      { latency: { fixed: 1500 } },
      { latency: { fixed: 40 } },
      { latency: { uniform: [100, 300] } },
      { latency: { lognormal: { median: 300, sigma: 0.6, max: 5000 } } },
      { transport: { type: 'connection-reset' } },
      { transport: { type: 'hang' } },
      { transport: { type: 'slow-body', bytesPerSecond: 64 } },
      { http: { status: 503, body: 'down', headers: { 'retry-after': '5' } } },
      { soapFault: { code: 'desir_1020', subcode: 'siram_40', reason: 'indisponible', status: 500 } },
      { outcome: { name: 'insi.cr', with: { cr: '01' } } },
      { outcome: { name: 'dmp.closed', with: {} } },
    ]);
  });

  it('defaults match to every request and effects to none', () => {
    const s = loadScenarioText('name: pass\nrules:\n  - id: r\n', 'p.yaml', new OutcomeRegistry());
    expect(s.rules[0]).toEqual({ id: 'r', match: {}, effects: [] });
  });

  it('accepts JSON text (a YAML subset) and plain objects from the admin API', () => {
    const json = '{"name": "j", "rules": [{"id": "r", "effects": [{"latency": "1s"}]}]}';
    expect(loadScenarioText(json, 'admin-api', new OutcomeRegistry()).rules[0]!.effects).toEqual([{ latency: { fixed: 1000 } }]);
    expect(parseScenario(JSON.parse(json), 'admin-api', new OutcomeRegistry()).name).toBe('j');
  });
});

describe('loading scenarios: errors name file, line, column and field', () => {
  it('YAML syntax error', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects: [ {latency: 1s }\n');
    expect(e.message).toMatch(/^scenarios\/x\.yaml:\d+:\d+: YAML syntax error: /);
    expect(e.issues[0]!.line).toBeGreaterThanOrEqual(4);
  });

  it('duplicate YAML keys are syntax errors', () => {
    expect(errorOf('name: x\nname: y\nrules: []\n').message).toMatch(/^scenarios\/x\.yaml:2:1: YAML syntax error: .*unique/i);
  });

  it('unknown key, at the key, with a suggestion', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    tims: 3\n    effects: []\n');
    expect(e.message).toBe(
      'scenarios/x.yaml:4:5: rules[0].tims: unknown key "tims" (did you mean "times"?); allowed: id, description, match, times, after, window, probability, effects',
    );
  });

  it('unknown keys deep in effects are errors too', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects:\n      - latency: { lognormal: { median: 1s, sigma: 1, maxi: 5s } }\n');
    expect(e.message).toMatch(/^scenarios\/x\.yaml:5:55: rules\[0\]\.effects\[0\]\.latency\.lognormal\.maxi: unknown key "maxi" \(did you mean "max"\?\)/);
  });

  it('wrong type', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    times: three\n');
    expect(e.message).toBe('scenarios/x.yaml:4:12: rules[0].times: expected number, got string "three"');
  });

  it('missing required field', () => {
    expect(errorOf('name: x\n').message).toBe('scenarios/x.yaml:1:1: rules: required field is missing');
  });

  it('unknown outcome lists the known ones', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects:\n      - outcome: { name: insi.crr }\n');
    expect(e.message).toBe('scenarios/x.yaml:5:26: rules[0].effects[0].outcome.name: unknown outcome "insi.crr" (known: dmp.closed, insi.cr)');
  });

  it('unknown outcome with an empty registry says so', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects:\n      - outcome: { name: insi.cr }\n', new OutcomeRegistry());
    expect(e.message).toMatch(/unknown outcome "insi\.cr" \(no simulator has registered outcomes\)/);
  });

  it('outcome params are checked with the outcome schema', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects:\n      - outcome:\n          name: insi.cr\n          with: { cr: "05" }\n');
    expect(e.issues).toHaveLength(1);
    expect(e.message).toMatch(/^scenarios\/x\.yaml:7:23: rules\[0\]\.effects\[0\]\.outcome\.with\.cr: .*"00"\|"01"\|"02"/);
  });

  it('bad duration', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects:\n      - latency: 20xs\n');
    expect(e.message).toBe(
      'scenarios/x.yaml:5:18: rules[0].effects[0].latency: invalid duration "20xs": expected a duration like 200ms, 1.5s, 2m, 1h or a number of milliseconds',
    );
  });

  it('bad window bounds', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    window: { from: 2m, until: 10s }\n');
    expect(e.message).toBe('scenarios/x.yaml:4:32: rules[0].window.until: "until" must be after "from"');
    const z = errorOf('name: x\nrules:\n  - id: a\n    window: { from: 2025-03-01T09:00:00 }\n');
    expect(z.message).toMatch(/rules\[0\]\.window\.from: invalid instant .*with a zone/);
  });

  it('duplicate rule id, reported along with other errors', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n  - id: b\n    times: 0\n  - id: a\n');
    expect(e.message.split('\n')).toEqual([
      'scenarios/x.yaml:5:12: rules[1].times: must be at least 1',
      'scenarios/x.yaml:6:9: rules[2].id: duplicate rule id "a" (already used by rules[0])',
    ]);
  });

  it('an effect holds exactly one kind', () => {
    const e = errorOf('name: x\nrules:\n  - id: a\n    effects:\n      - { latency: 1s, http: { status: 500 } }\n');
    expect(e.message).toMatch(/^scenarios\/x\.yaml:5:9: rules\[0\]\.effects\[0\]: an effect has several kinds \(latency, http\)/);
  });

  it('invalid regex and bad scenario name', () => {
    const e = errorOf('name: Bad_Name\nrules:\n  - id: a\n    match: { facts: { ins: { regex: "(" } } }\n');
    expect(e.issues.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual(['1:7 name', '4:37 rules[0].match.facts.ins.regex']);
  });

  it('admin API bodies get field paths without lines', () => {
    try {
      parseScenario({ name: 'x', rules: [{ id: 'a', probability: 2 }] }, 'admin-api', new OutcomeRegistry());
      throw new Error('expected an error');
    } catch (e) {
      expect((e as Error).message).toBe('admin-api: rules[0].probability: must be between 0 and 1');
    }
  });

  it('catalogued services reject unknown operations and facts', () => {
    const outcomes = new OutcomeRegistry();
    outcomes.describeService({ service: 'insi', operations: ['RECSANSVITALE'], facts: { birthName: 'nom de naissance' } });
    const e = errorOf('name: x\nrules:\n  - id: a\n    match:\n      service: insi\n      operation: RECSANSVITAL\n      facts: { birthname: X }\n', outcomes);
    expect(e.message.split('\n')).toEqual([
      'scenarios/x.yaml:6:18: rules[0].match.operation: unknown operation "RECSANSVITAL" for insi (known: RECSANSVITALE)',
      'scenarios/x.yaml:7:16: rules[0].match.facts.birthname: unknown fact "birthname" (did you mean "birthName"?); allowed: birthName',
    ]);
  });
});

describe('loading a directory', () => {
  it('loads the ready-made scenarios with an empty outcome registry', () => {
    const scenarios = loadScenarioDir('scenarios', new OutcomeRegistry());
    const names = scenarios.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['slow-network', 'insi-outage', 'dmp-down-window', 'flaky-everything']));
    for (const s of scenarios) expect(s.source).toMatch(/^scenarios\/[a-z-]+\.ya?ml$/);
  });

  it('reports every broken file and duplicate names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scen-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: same\nrules:\n  - id: r\n');
    writeFileSync(join(dir, 'b.yaml'), '# copy\nname: same\nrules:\n  - id: r\n');
    writeFileSync(join(dir, 'c.yaml'), 'name: c\nrules:\n  - id: r\n    effects: [{ latency: soon }]\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    try {
      loadScenarioDir(dir, new OutcomeRegistry());
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      const lines = (e as Error).message.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toBe(`${join(dir, 'b.yaml')}:2:1: name: scenario "same" is already defined in ${join(dir, 'a.yaml')}`);
      expect(lines[1]).toMatch(/c\.yaml:4:26: rules\[0\]\.effects\[0\]\.latency: invalid duration "soon"/);
    }
  });
});
