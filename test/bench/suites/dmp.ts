import type { BenchContext } from '../lib.js';

/** DMP: ITI-41 submissions/s (100 KB PDFs over MTOM) and FindDocuments p50/p99 at 100 000 documents, with RSS. */
export async function dmpBench(_ctx: BenchContext): Promise<string[]> {
  return ['dmp: not written yet'];
}
