import type { BenchContext } from '../lib.js';

/** INSi RECSANSVITALE over HTTPS keep-alive (written with the INSi issue). */
export async function insiBench(_ctx: BenchContext): Promise<string[]> {
  return ['INSi — not benchmarked yet'];
}
