import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntryView } from '../../client/admin.js';
import { startTestHost, type TestHost } from '../support/host.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost({ journal: { maxBodyBytes: 1024, maxEntries: 50 } });
});
afterAll(() => t.close());

interface FullEntry extends JournalEntryView {
  request: { method?: string; url?: string; headers: Record<string, string>; body: { size: number; text?: string; truncated: boolean; spilled?: boolean } };
  response: { status?: number; headers: Record<string, string>; body: { size: number; text?: string; truncated: boolean } };
  summary: Record<string, unknown>;
}

describe('journal', () => {
  it('records every exchange with raw bodies, parsed summary and the deciding channel', async () => {
    await fetch(`${t.http}/_sandbox/j1/_echo/records/abc`, { method: 'PUT', body: '{"hello":"monde"}', headers: { 'content-type': 'application/json' } });
    const { entries } = await t.admin.journal('j1');
    const entry = entries[0] as FullEntry;
    expect(entry).toMatchObject({ sandbox: 'j1', service: 'echo', operation: 'record.put' });
    expect(entry.request.method).toBe('PUT');
    expect(entry.request.body.text).toBe('{"hello":"monde"}');
    expect(entry.response.status).toBe(201);
    expect(entry.response.body.text).toContain('"stored":"abc"');
    expect(entry.summary).toEqual({ key: 'abc' });
    expect(entry.decision).toMatchObject({ channel: 'default' });
    expect(Date.parse(entry.time)).not.toBeNaN();
  });

  it('caps large bodies in the entry but keeps them whole', async () => {
    const big = JSON.stringify({ blob: 'é'.repeat(5000) });
    await fetch(`${t.http}/_sandbox/j2/_echo/records/big`, { method: 'PUT', body: big, headers: { 'content-type': 'application/json' } });
    const entry = (await t.admin.journal('j2')).entries[0] as FullEntry;
    expect(entry.request.body.truncated).toBe(true);
    expect(entry.request.body.size).toBe(Buffer.byteLength(big));
    expect(entry.request.body.text!.length).toBeLessThan(1100);
    const whole = await fetch(`${t.http}/_admin/sandboxes/j2/journal/entries/${entry.id}/request`);
    expect(await whole.text()).toBe(big);
  });

  it('keeps whole bodies within journal.maxBodyMemory, the oldest entries losing theirs first', async () => {
    const small = await startTestHost({ journal: { maxBodyBytes: 1024, maxEntries: 50, maxBodyMemory: 10_000 } });
    try {
      const body = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(3000) });
      for (let i = 0; i < 5; i++) await fetch(`${small.http}/_sandbox/m1/_echo/records/r${i}`, { method: 'PUT', body: body(i), headers: { 'content-type': 'application/json' } });
      const entries = (await small.admin.journal('m1')).entries as FullEntry[];
      const kept = entries.map((e) => !(e.request.body as { dropped?: boolean }).dropped);
      // Five ~3 KB requests (their small responses too) in 10 000 bytes: the newest three are kept whole.
      expect(kept).toEqual([false, false, true, true, true]);
      expect(entries[0]!.request.body.size).toBe(Buffer.byteLength(body(0)));
      expect((await fetch(`${small.http}/_admin/sandboxes/m1/journal/entries/${entries[0]!.id}/request`)).status).toBe(404);
      expect(await (await fetch(`${small.http}/_admin/sandboxes/m1/journal/entries/${entries[4]!.id}/request`)).text()).toBe(body(4));
    } finally {
      await small.close();
    }
  });

  it('filters, exports as JSON and keeps only the last maxEntries', async () => {
    for (let i = 0; i < 60; i++) await fetch(`${t.http}/_sandbox/j3/_echo/noop?i=${i}`);
    await fetch(`${t.http}/_sandbox/j3/_echo/records/missing`);
    const all = await t.admin.journal('j3');
    expect(all.count).toBe(50);
    expect(all.lastSeq).toBe(61);
    const notFound = await t.admin.journal('j3', { status: 404 });
    expect(notFound.entries.map((e) => e.operation)).toEqual(['record.get']);
    expect((await t.admin.journal('j3', { operation: 'noop', limit: 5 })).entries).toHaveLength(5);
    expect((await t.admin.journal('j3', { after: 58 })).entries.map((e) => e.seq)).toEqual([59, 60, 61]);
    const exported = await fetch(`${t.http}/_admin/sandboxes/j3/journal/export`);
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    expect(((await exported.json()) as { entries: unknown[] }).entries).toHaveLength(50);
    const bad = await fetch(`${t.http}/_admin/sandboxes/j3/journal?limit=ten`);
    expect(bad.status).toBe(400);
  });

  it('streams new entries live over SSE', async () => {
    await t.admin.createSandbox('j4');
    const controller = new AbortController();
    const seen: JournalEntryView[] = [];
    const done = new Promise<void>((resolve) => {
      void t.admin.tail('j4', (e) => {
        seen.push(e);
        if (seen.length === 2) {
          controller.abort();
          resolve();
        }
      }, { signal: controller.signal });
    });
    // Give the stream a moment to subscribe, then make two calls (and one in another sandbox).
    await new Promise((r) => setTimeout(r, 100));
    await fetch(`${t.http}/_sandbox/j4/_echo/noop?n=1`);
    await fetch(`${t.http}/_sandbox/other/_echo/noop`);
    await fetch(`${t.http}/_sandbox/j4/_echo/noop?n=2`);
    await done;
    expect(seen.map((e) => e.request.url)).toEqual([expect.stringContaining('n=1'), expect.stringContaining('n=2')]);
    expect(seen.every((e) => e.sandbox === 'j4')).toBe(true);
  });
});

describe('validator verdicts', () => {
  const putBadKey = (base: string) => fetch(`${base}/_sandbox/verdicts/_echo/records/bad%20key!`, { method: 'PUT', body: '1', headers: { 'content-type': 'application/json' } });

  it('strict mode rejects as production would, and the journal says why', async () => {
    const res = await putBadKey(t.http);
    expect(res.status).toBe(400);
    const entry = (await t.admin.journal('verdicts')).entries.at(-1)!;
    expect(entry.verdicts).toEqual([{ level: 'error', rule: 'echo.key.format', message: expect.stringContaining('bad key!') }]);
    expect((await t.admin.journal('verdicts', { verdict: 'error' })).count).toBe(1);
  });

  it('lenient mode serves the request and still reports the verdict', async () => {
    const lenient = await startTestHost({ mode: 'lenient' });
    try {
      expect((await putBadKey(lenient.http)).status).toBe(201);
      const entry = (await lenient.admin.journal('verdicts')).entries.at(-1)!;
      expect(entry.verdicts[0]!.rule).toBe('echo.key.format');
    } finally {
      await lenient.close();
    }
  });
});
