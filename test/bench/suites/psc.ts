import type { BenchContext } from '../lib.js';

/** Pro Santé Connect code flows and introspections vs a bare oidc-provider (written with the PSC issue). */
export async function pscBench(_ctx: BenchContext): Promise<string[]> {
  return ['Pro Santé Connect — not benchmarked yet'];
}
