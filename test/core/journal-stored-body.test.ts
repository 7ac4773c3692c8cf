import { describe, expect, it } from 'vitest';
import { Journal, StoredBody, type JournalRecord } from '../../simulators/core/journal/journal.js';

const record = (n: number, body: JournalRecord['request']['body']): JournalRecord => ({
  sandbox: 'sb',
  service: 'mssante',
  operation: 'smtp.data',
  transport: 'smtp',
  startedAt: n,
  endedAt: n,
  request: { method: 'DATA', headers: {}, body },
  response: { status: 250, headers: {} },
});

describe('journal bodies kept in a service store (StoredBody)', () => {
  it('holds only the head against the memory budget and reads the whole back from the store', async () => {
    const store = new Map<number, Buffer>();
    const journal = new Journal({ maxEntries: 100, maxBodyBytes: 1024, maxBodyMemory: 8 * 1024 });
    for (let n = 0; n < 5; n++) {
      const bytes = Buffer.alloc(300 * 1024, 65 + n);
      store.set(n, bytes);
      journal.add(record(n, new StoredBody(bytes, async () => store.get(n))));
    }
    // 5 heads of 1 KiB fit in 8 KiB, where 5 whole bodies of 300 KiB would not.
    const entries = journal.query();
    expect(entries.map((e) => e.request.body)).toEqual(entries.map(() => expect.objectContaining({ size: 300 * 1024, truncated: true, spilled: true })));
    expect(entries[0]!.request.body.text).toBe('A'.repeat(1024));
    expect((await journal.body(entries[4]!.id, 'request'))?.equals(store.get(4)!)).toBe(true);
    // Gone from the store: no body, not a crash.
    store.delete(0);
    expect(await journal.body(entries[0]!.id, 'request')).toBeUndefined();
    // Heads count against the budget like any body: the oldest lose theirs first.
    for (let n = 5; n < 12; n++) journal.add(record(n, new StoredBody(Buffer.alloc(300 * 1024, 70), async () => undefined)));
    expect(journal.query()[0]!.request.body).toMatchObject({ dropped: true, size: 300 * 1024 });
  });
});
