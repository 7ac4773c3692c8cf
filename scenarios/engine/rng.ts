/**
 * Small seeded PRNG (sfc32) and string hash. Every rule gets its own stream, seeded from
 * (global seed, scenario name, rule id) and deliberately not from the sandbox id: two CI runs in
 * different sandboxes making the same calls draw the same values.
 */

/** 32-bit finaliser (murmur3-style avalanche) so nearby inputs give unrelated outputs. */
function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, then avalanche; `salt` gives independent hashes of one string. */
export function hashString(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ avalanche(salt + 0x9e3779b9)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return avalanche(h);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seeds the generator from any parts (numbers, strings); equal parts give equal streams. */
  constructor(...parts: (string | number)[]) {
    const key = parts.map(String).join('\u0000');
    this.a = hashString(key, 1);
    this.b = hashString(key, 2);
    this.c = hashString(key, 3);
    this.d = hashString(key, 4);
    // Discard the first outputs: sfc32 needs a few rounds to mix a fresh state.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [min, max]. */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Standard normal draw (Box–Muller; the second value is dropped to keep one draw = two uniforms). */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Log-normal draw whose median is `median` (the median of exp(N(μ, σ)) is exp(μ)). */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}

/** The stream a rule draws its probability and latency values from. */
export function ruleStream(seed: number, scenario: string, rule: string): Rng {
  return new Rng('segur-sim/rule', seed, scenario, rule);
}
