/** FeedingQueue with a scripted client (no server): deferral and cancel, retry queue, persistence, business failures. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DmpRegistryError, DmpUnavailableError, FeedingQueue, type FeedingClient, type FeedingEvent, type SubmitResult } from '../../client/dmp/index.js';
import type { BuiltDocument } from '../../fixtures/documents/index.js';
import type { World } from '../../fixtures/index.js';
import { documentFactory, mainDoctor, testWorld } from './helpers.js';

let world: World;
let docs: ReturnType<typeof documentFactory>;
beforeAll(() => {
  world = testWorld();
  docs = documentFactory(world, mainDoctor(world), 'queue');
});
const patient = () => world.patients.find((p) => p.ins && !p.magic?.length)!;

type Mode = 'ok' | 'down' | 'reject' | 'duplicate';

/** A DMP double: `mode` says how the next calls answer; records what was sent. */
function fakeClient(initial: Mode = 'ok') {
  const state = { mode: initial as Mode, sent: [] as string[][], probes: 0 };
  const client: FeedingClient = {
    submit: (async (d: BuiltDocument | BuiltDocument[]) => {
      const list = Array.isArray(d) ? d : [d];
      if (state.mode === 'down') throw new DmpUnavailableError('DMP answered HTTP 503', 'http-status', 503);
      if (state.mode === 'reject') throw new DmpRegistryError('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure', [{ errorCode: 'XDSRegistryMetadataError', codeContext: 'bad metadata', severity: 'Error' }]);
      if (state.mode === 'duplicate') throw new DmpRegistryError('urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure', [{ errorCode: 'XDSDuplicateUniqueIdInRegistry', codeContext: 'already there', severity: 'Error' }]);
      state.sent.push(list.map((x) => x.metadata.uniqueId));
      return { status: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success', outcome: 'Success', warnings: [], submissionSetUniqueId: '1.2.3', uniqueIds: list.map((x) => x.metadata.uniqueId), replaced: {} } satisfies SubmitResult;
    }) as FeedingClient['submit'],
    testExistence: (async () => {
      state.probes++;
      if (state.mode === 'down') throw new DmpUnavailableError('connection refused', 'network');
      return { exists: true, queryResponseCode: 'OK', medecinTraitant: false, observations: {} };
    }) as FeedingClient['testExistence'],
  };
  return { client, state };
}

const queues: FeedingQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

async function openQueue(client: FeedingClient, dir: string, events: FeedingEvent[] = []): Promise<FeedingQueue> {
  const q = await FeedingQueue.open({ client, dir, retry: { initialDelayMs: 40, maxDelayMs: 200, jitter: 0 }, probeIntervalMs: 30, onEvent: (e) => events.push(e) });
  queues.push(q);
  return q;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'client-dmp-queue-'));
const fileItems = (q: FeedingQueue) => (JSON.parse(readFileSync(q.path, 'utf8')) as { items: unknown[] }).items;

describe('deferral', () => {
  it('the user cancels before it leaves: nothing is sent, the file is emptied', async () => {
    const { client, state } = fakeClient();
    const events: FeedingEvent[] = [];
    const q = await openQueue(client, tmp(), events);
    const h = await q.schedule({ documents: docs.build(patient()), label: 'CR' }, { deferMs: 300 });
    expect(h.state()).toBe('deferred');
    expect(fileItems(q)).toHaveLength(1);
    expect(await h.cancel()).toBe(true);
    expect(await h.done).toEqual({ status: 'cancelled' });
    await new Promise((r) => setTimeout(r, 400));
    expect(state.sent).toEqual([]);
    expect(fileItems(q)).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(['scheduled', 'cancelled']);
    expect(await h.cancel()).toBe(false);
  });

  it('after the deferral it is sent', async () => {
    const { client, state } = fakeClient();
    const events: FeedingEvent[] = [];
    const q = await openQueue(client, tmp(), events);
    const doc = docs.build(patient());
    const h = await q.schedule({ documents: doc }, { deferMs: 50 });
    const t0 = Date.now();
    const out = await h.done;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(out).toMatchObject({ status: 'sent', attempts: 1 });
    expect(state.sent).toEqual([[doc.metadata.uniqueId]]);
    expect(events.map((e) => e.type)).toEqual(['scheduled', 'sending', 'sent']);
    expect(await h.cancel()).toBe(false);
    expect(h.state()).toBe('sent');
  });
});

describe('retry queue', () => {
  it('DMP down: queued, retried with backoff, probed, then sent by itself once it is back', async () => {
    const { client, state } = fakeClient('down');
    const events: FeedingEvent[] = [];
    const q = await openQueue(client, tmp(), events);
    const h = await q.schedule({ documents: docs.build(patient()) });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'queued')).toBe(true));
    expect(q.dmpDown).toBe(true);
    const queued = events.find((e) => e.type === 'queued');
    expect(queued && 'item' in queued && queued.item).toMatchObject({ state: 'retrying', attempts: 1, lastError: { name: 'DmpUnavailableError' } });
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'retrying').length).toBeGreaterThanOrEqual(1));
    await vi.waitFor(() => expect(state.probes).toBeGreaterThanOrEqual(1));
    state.mode = 'ok';
    const out = await h.done;
    expect(out.status).toBe('sent');
    expect(q.dmpDown).toBe(false);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['scheduled', 'sending', 'dmp-down', 'queued']);
    expect(types).toContain('dmp-up');
    expect(types[types.length - 1]).toBe('sent');
    expect(fileItems(q)).toHaveLength(0);
    const retry = events.find((e) => e.type === 'retrying');
    expect(retry && 'item' in retry && retry.item.nextAttemptAt).toBeGreaterThan(0);
  });

  it('a business error is reported and not retried', async () => {
    const { client } = fakeClient('reject');
    const events: FeedingEvent[] = [];
    const q = await openQueue(client, tmp(), events);
    const out = await (await q.schedule({ documents: docs.build(patient()) })).done;
    expect(out.status).toBe('failed');
    expect(out.status === 'failed' && out.error).toBeInstanceOf(DmpRegistryError);
    expect(events.map((e) => e.type)).toEqual(['scheduled', 'sending', 'failed']);
    expect(q.pending()).toEqual([]);
  });

  it('a resend answered XDSDuplicateUniqueIdInRegistry (the first attempt got through) counts as sent', async () => {
    const { client, state } = fakeClient('down');
    const q = await openQueue(client, tmp());
    const h = await q.schedule({ documents: docs.build(patient()) });
    await vi.waitFor(() => expect(q.pending()[0]?.state).toBe('retrying'));
    state.mode = 'duplicate';
    expect(await h.done).toMatchObject({ status: 'sent', alreadyRegistered: true });
  });
});

describe('persistence', () => {
  it('survives a restart: a new queue on the same directory resumes and sends what was left (deferred and retrying)', async () => {
    const dir = tmp();
    const down = fakeClient('down');
    const first = await openQueue(down.client, dir);
    const a = docs.build(patient());
    const b = docs.build(patient());
    await first.schedule({ documents: a, label: 'retrying' });
    await vi.waitFor(() => expect(first.pending()[0]?.state).toBe('retrying'));
    await first.schedule({ documents: b, label: 'deferred' }, { deferMs: 60_000 });
    await first.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const saved = JSON.parse(readFileSync(join(dir, 'dmp-feeding-queue.json'), 'utf8'));
    expect(saved).toMatchObject({ format: 'segur-sim.dmp-feeding-queue', version: 1 });
    expect(saved.items.map((i: { label: string; state: string }) => [i.label, i.state])).toEqual([
      ['retrying', 'retrying'],
      ['deferred', 'deferred'],
    ]);

    const up = fakeClient('ok');
    const events: FeedingEvent[] = [];
    const second = await openQueue(up.client, dir, events);
    expect(events[0]).toMatchObject({ type: 'resumed' });
    const resumed = second.pending();
    expect(resumed.map((i) => i.label)).toEqual(['retrying', 'deferred']);
    const h = second.handle(resumed[0]!.id)!;
    expect(await h.done).toMatchObject({ status: 'sent' });
    expect(up.state.sent).toEqual([[a.metadata.uniqueId]]);
    // The deferred one keeps its deferral across the restart; the user can still cancel it.
    expect(second.pending().map((i) => i.label)).toEqual(['deferred']);
    expect(await second.handle(second.pending()[0]!.id)!.cancel()).toBe(true);
    await second.idle();
    expect(fileItems(second)).toEqual([]);
  });

  it('a damaged file is kept aside, reported, and the queue starts empty', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'dmp-feeding-queue.json'), '{ not json');
    const events: FeedingEvent[] = [];
    const q = await openQueue(fakeClient().client, dir, events);
    expect(q.pending()).toEqual([]);
    expect(events[0]?.type).toBe('storage-error');
    expect(readdirSync(dir).some((f) => f.startsWith('dmp-feeding-queue.json.corrupt-'))).toBe(true);
  });
});
