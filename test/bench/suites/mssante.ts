import type { BenchContext } from '../lib.js';

/** MSSanté: SMTP messages/s accepted and stored (200 KB XDM attachments) vs a bare smtp-server sink; IMAP FETCH p99. */
export async function mssanteBench(_ctx: BenchContext): Promise<string[]> {
  return ['mssante: not written yet'];
}
