import { describe, expect, it } from 'vitest';
import { Rng, drawLatency, ruleStream, type Decision } from '../../scenarios/index.js';
import { key, setup } from './helpers.js';

function coinRun(seed: number, n: number, sandbox = 'sb'): boolean[] {
  const { engine, load } = setup(seed);
  load('name: coin\nrules:\n  - id: c\n    probability: 0.25\n    effects: [{ http: { status: 500 } }]\n');
  engine.setStartup(['coin']);
  const sb = engine.createSandbox(sandbox);
  return Array.from({ length: n }, () => engine.evaluate(sb, key('x', 'op', {}, sandbox)).channel === 'startup');
}

describe('seeded probability', () => {
  it('the same seed gives the same sequence, another seed a different one', () => {
    const a = coinRun(7, 200);
    expect(coinRun(7, 200)).toEqual(a);
    expect(coinRun(8, 200)).not.toEqual(a);
  });

  it('does not depend on the sandbox id (same calls in two CI sandboxes draw the same values)', () => {
    expect(coinRun(7, 200, 'ci-1')).toEqual(coinRun(7, 200, 'ci-2'));
  });

  it('fires about p of the time over 10 000 draws', () => {
    const hits = coinRun(123, 10_000).filter(Boolean).length;
    expect(hits / 10_000).toBeGreaterThan(0.235);
    expect(hits / 10_000).toBeLessThan(0.265);
  });

  it('the reason shows the draw', () => {
    const { engine, load } = setup(1);
    load('name: coin\nrules:\n  - id: c\n    probability: 0.5\n');
    const sb = engine.createSandbox('sb');
    let d: Decision;
    do d = engine.evaluate(sb, key('x'), 'coin');
    while (d.channel === 'default');
    expect(d.fired[0]!.reason).toMatch(/^matches every request; drew 0\.\d{4} < 0\.5$/);
    expect(d.explain).toBe('header scenario "coin" rule "c" fired (p=0.5)');
  });

  it('probability 0 never fires, 1 always fires without drawing', () => {
    const { engine, load } = setup();
    load('name: never\nrules:\n  - id: n\n    probability: 0\n');
    load('name: always\nrules:\n  - id: a\n    probability: 1\n');
    const sb = engine.createSandbox('sb');
    for (let i = 0; i < 100; i++) {
      expect(engine.evaluate(sb, key('x'), 'never').channel).toBe('default');
      expect(engine.evaluate(sb, key('x'), 'always').channel).toBe('header');
    }
  });
});

describe('latency draws', () => {
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

  it('fixed is exact', () => {
    expect(drawLatency({ fixed: 200 }, new Rng(1))).toBe(200);
    expect(drawLatency({ fixed: 1.5 }, new Rng(1))).toBe(1.5);
  });

  it('uniform stays within bounds and covers them', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 5000 }, () => drawLatency({ uniform: [100, 300] }, rng));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...xs)).toBeLessThanOrEqual(300);
    expect(Math.min(...xs)).toBeLessThan(105);
    expect(Math.max(...xs)).toBeGreaterThan(295);
    expect(xs.every(Number.isInteger)).toBe(true);
  });

  it('lognormal has the given median and respects max', () => {
    const rng = new Rng(2);
    const xs = Array.from({ length: 10_000 }, () => drawLatency({ lognormal: { median: 300, sigma: 0.6 } }, rng));
    expect(median(xs)).toBeGreaterThan(285);
    expect(median(xs)).toBeLessThan(315);
    expect(Math.max(...xs)).toBeGreaterThan(1000); // a real tail
    const capped = Array.from({ length: 10_000 }, () => drawLatency({ lognormal: { median: 300, sigma: 0.6, max: 500 } }, rng));
    expect(Math.max(...capped)).toBe(500);
  });

  it('engine draws are deterministic per seed, and follow the rule stream', () => {
    const run = (seed: number) => {
      const { engine, load } = setup(seed);
      load('name: slow\nrules:\n  - id: l\n    effects: [{ latency: { lognormal: { median: 400ms, sigma: 0.7, max: 8s } } }]\n');
      const sb = engine.createSandbox('sb');
      engine.activate(sb, 'slow');
      return Array.from({ length: 50 }, () => engine.evaluate(sb, key('x')).latencyMs);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    const stream = ruleStream(5, 'slow', 'l');
    expect(run(5).slice(0, 3)).toEqual([0, 1, 2].map(() => drawLatency({ lognormal: { median: 400, sigma: 0.7, max: 8000 } }, stream)));
  });

  it('the decision carries each drawn latency and their sum', () => {
    const { engine, load } = setup();
    load('name: two\nrules:\n  - id: a\n    effects: [{ latency: 100ms }, { latency: { uniform: [10, 20] } }]\n');
    const d = engine.evaluate(engine.createSandbox('sb'), key('x'), 'two');
    const [fixed, uniform] = d.effects;
    expect(fixed).toEqual({ kind: 'latency', ms: 100, spec: { fixed: 100 } });
    expect(uniform!.kind === 'latency' && uniform!.ms >= 10 && uniform!.ms <= 20).toBe(true);
    expect(d.latencyMs).toBe(100 + (uniform as { ms: number }).ms);
  });
});

describe('Rng', () => {
  it('is uniform enough and reproducible', () => {
    const a = new Rng('x', 1);
    const b = new Rng('x', 1);
    const xs = Array.from({ length: 10_000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 10_000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('normal draws have mean 0 and standard deviation 1', () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});
