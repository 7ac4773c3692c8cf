import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirWithPki, spawnHost, stop } from '../support/process.js';

describe('store durability', () => {
  it('keeps every acknowledged write when the process is killed (SIGKILL) during a burst', async () => {
    const dataDir = dataDirWithPki();
    const first = await spawnHost(['--data-dir', dataDir]);
    const acked = new Map<string, number>();
    let killed = false;
    let next = 0;
    const total = 2000;

    const worker = async () => {
      while (next < total) {
        const i = next++;
        const key = `rec-${i}`;
        try {
          const res = await fetch(`${first.http}/_sandbox/durable/_echo/records/${key}`, {
            method: 'PUT',
            body: JSON.stringify({ i, payload: 'données-'.repeat(20) }),
            headers: { 'content-type': 'application/json' },
          });
          if (res.status === 201) acked.set(key, i);
        } catch {
          // The process is gone: unacknowledged writes may or may not be there.
        }
        if (!killed && acked.size >= 300) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await stop(first.child, 'SIGKILL');
    expect(killed).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(300);

    // The file on disk is whole JSON (never half written)...
    const state = JSON.parse(readFileSync(join(dataDir, 'sandboxes', 'durable', 'state.json'), 'utf8'));
    expect(state.version).toBe(1);

    // ...and the restarted simulator serves every write it had acknowledged.
    const second = await spawnHost(['--data-dir', dataDir]);
    try {
      const { keys } = (await (await fetch(`${second.http}/_sandbox/durable/_echo/records`)).json()) as { keys: string[] };
      const present = new Set(keys);
      const missing = [...acked.keys()].filter((k) => !present.has(k));
      expect(missing).toEqual([]);
      const sample = [...acked.entries()][acked.size - 1]!;
      const value = (await (await fetch(`${second.http}/_sandbox/durable/_echo/records/${sample[0]}`)).json()) as { value: { i: number } };
      expect(value.value.i).toBe(sample[1]);
    } finally {
      await stop(second.child);
    }
  });
});
