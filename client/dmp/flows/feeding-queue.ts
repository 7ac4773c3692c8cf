/**
 * Background feeding of the DMP (alimentation en tâche de fond). A document scheduled with a deferral
 * can be cancelled by the user until it leaves; then it is sent (ITI-41). When the DMP is unavailable
 * (DmpUnavailableError, or any error marked retryable) the document stays in a persistent retry queue —
 * one JSON file, written atomically (temp file, fsync, rename) — retried with exponential backoff, and a
 * periodic probe (TD0.2 by default) notices when the DMP is back and sends the queue at once. A new
 * FeedingQueue on the same directory resumes whatever the previous process left. Business errors
 * (XDS Failure, SOAP Sender faults...) are reported and not retried.
 *
 * Delivery is at least once: a process killed during a send resends on restart; a resend answered
 * XDSDuplicateUniqueIdInRegistry after an earlier attempt counts as sent.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuiltDocument } from '../../../fixtures/documents/types.js';
import type { DmpClient, SubmissionSetInput, SubmitResult } from '../client.js';
import { parsePatientCx } from '../ebrim.js';
import { DmpError, DmpInputError, DmpRegistryError, DmpUnavailableError } from '../errors.js';

export interface FeedingTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: FeedingTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The part of DmpClient the queue uses (a test double can stand in). */
export type FeedingClient = Pick<DmpClient, 'submit' | 'testExistence'>;

export interface RetryPolicy {
  /** First retry delay, default 5 s. */
  initialDelayMs?: number;
  /** Longest delay, default 5 min (a Retry-After is honoured up to it). */
  maxDelayMs?: number;
  factor?: number;
  /** ± fraction of random spread, default 0.1. */
  jitter?: number;
}

export interface FeedingQueueOptions {
  client: FeedingClient;
  /** Directory of the queue file (created when missing). */
  dir: string;
  fileName?: string;
  /** Deferral when `schedule` gives none, default 0. */
  defaultDeferMs?: number;
  retry?: RetryPolicy;
  /** While the DMP is down, probe it this often (default 30 s). */
  probeIntervalMs?: number;
  /** The probe; default: TD0.2 on the patient of the oldest waiting item (any answer but "unavailable" means up). */
  probe?: (item: FeedingItemView) => Promise<void>;
  /** Which errors keep the item for a retry; default `error.retryable` of DmpError. */
  isRetryable?: (error: unknown) => boolean;
  onEvent?: (event: FeedingEvent) => void;
  timers?: FeedingTimers;
}

export interface FeedingItemInput {
  documents: BuiltDocument | BuiltDocument[];
  submissionSet?: SubmissionSetInput;
  /** Free text for the UI ("CR de consultation du 12/03"). */
  label?: string;
}

export type FeedingState = 'deferred' | 'sending' | 'retrying' | 'sent' | 'failed' | 'cancelled';

export interface FeedingItemView {
  id: string;
  label?: string;
  state: FeedingState;
  /** INS of the patient (from the documents' patientId). */
  ins: string;
  insOid: string;
  uniqueIds: string[];
  createdAt: number;
  sendAt: number;
  attempts: number;
  nextAttemptAt?: number;
  lastError?: { name: string; message: string };
}

export type FeedingOutcome =
  | { status: 'sent'; result?: SubmitResult; alreadyRegistered?: boolean; attempts: number }
  | { status: 'failed'; error: unknown; attempts: number }
  | { status: 'cancelled' };

export type FeedingEvent =
  | { type: 'scheduled'; item: FeedingItemView }
  | { type: 'cancelled'; item: FeedingItemView }
  | { type: 'sending'; item: FeedingItemView }
  | { type: 'sent'; item: FeedingItemView; result?: SubmitResult; alreadyRegistered?: boolean }
  /** First failure for a retryable reason: the item is now in the retry queue. */
  | { type: 'queued'; item: FeedingItemView; error: unknown }
  /** A further failed attempt; `item.nextAttemptAt` says when the next one is. */
  | { type: 'retrying'; item: FeedingItemView; error: unknown }
  /** Business error: not retried. */
  | { type: 'failed'; item: FeedingItemView; error: unknown }
  | { type: 'dmp-down'; error: unknown }
  | { type: 'dmp-up' }
  | { type: 'resumed'; items: FeedingItemView[] }
  | { type: 'storage-error'; error: unknown };

export interface FeedingHandle {
  id: string;
  sendAt: number;
  /** Cancels the item if it has not left yet (deferred or waiting for a retry); false otherwise. */
  cancel(): Promise<boolean>;
  state(): FeedingState;
  /** Settles once the item is sent, failed for good, or cancelled. */
  readonly done: Promise<FeedingOutcome>;
}

interface StoredDocument {
  kind: string;
  content: string;
  metadata: BuiltDocument['metadata'];
  setId: string;
  version: number;
  replaces?: string;
}

interface StoredItem {
  id: string;
  label?: string;
  state: 'deferred' | 'retrying';
  createdAt: number;
  sendAt: number;
  attempts: number;
  nextAttemptAt?: number;
  lastError?: { name: string; message: string };
  documents: StoredDocument[];
  submissionSet?: SubmissionSetInput;
}

interface QueueFile {
  format: 'segur-sim.dmp-feeding-queue';
  version: 1;
  items: StoredItem[];
}

function toStored(d: BuiltDocument): StoredDocument {
  return {
    kind: d.kind,
    content: Buffer.from(d.content.buffer, d.content.byteOffset, d.content.byteLength).toString('base64'),
    metadata: d.metadata,
    setId: d.setId,
    version: d.version,
    ...(d.replaces ? { replaces: d.replaces } : {}),
  };
}

function fromStored(d: StoredDocument): BuiltDocument {
  return { kind: d.kind, content: new Uint8Array(Buffer.from(d.content, 'base64')), metadata: d.metadata, setId: d.setId, version: d.version, ...(d.replaces ? { replaces: d.replaces } : {}) };
}

function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}

export class FeedingQueue {
  private readonly file: string;
  private readonly timers: FeedingTimers;
  private items: StoredItem[] = [];
  private readonly sending = new Set<string>();
  private readonly waiters = new Map<string, ((o: FeedingOutcome) => void)[]>();
  private readonly outcomes = new Map<string, FeedingOutcome>();
  private idleWaiters: (() => void)[] = [];
  private timer: unknown;
  private timerAt = Infinity;
  private pumping: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private down = false;
  private nextProbeAt = Infinity;
  private closed = false;

  private constructor(private readonly opts: FeedingQueueOptions) {
    this.file = join(opts.dir, opts.fileName ?? 'dmp-feeding-queue.json');
    this.timers = opts.timers ?? realTimers;
  }

  /** Opens (or creates) the queue in `dir` and resumes what a previous process left there. */
  static async open(opts: FeedingQueueOptions): Promise<FeedingQueue> {
    const q = new FeedingQueue(opts);
    await q.load();
    if (q.items.length) q.emit({ type: 'resumed', items: q.items.map((i) => q.view(i)) });
    if (q.items.some((i) => i.state === 'retrying')) {
      // The previous process found the DMP down: assume it still is, and probe at once.
      q.down = true;
      q.nextProbeAt = q.timers.now();
    }
    q.reschedule();
    return q;
  }

  /** Path of the JSON file. */
  get path(): string {
    return this.file;
  }

  /** True while the last attempt or probe found the DMP unavailable. */
  get dmpDown(): boolean {
    return this.down;
  }

  /** Items not yet sent (deferred, sending, waiting for a retry), oldest first. */
  pending(): FeedingItemView[] {
    return this.items.map((i) => this.view(i));
  }

  /**
   * Schedules documents (one submission set) to leave after `deferMs`. Persisted before it returns, so a
   * crash during the deferral loses nothing.
   */
  async schedule(input: FeedingItemInput, opts: { deferMs?: number } = {}): Promise<FeedingHandle> {
    if (this.closed) throw new DmpInputError('the feeding queue is closed', 'queue');
    const docs = Array.isArray(input.documents) ? input.documents : [input.documents];
    if (!docs.length) throw new DmpInputError('nothing to send', 'documents');
    if (!parsePatientCx(docs[0]!.metadata.patientId)) throw new DmpInputError(`patientId "${docs[0]!.metadata.patientId}" is not a CX INS`, 'metadata.patientId');
    const now = this.timers.now();
    const item: StoredItem = {
      id: randomUUID(),
      ...(input.label ? { label: input.label } : {}),
      state: 'deferred',
      createdAt: now,
      sendAt: now + Math.max(0, opts.deferMs ?? this.opts.defaultDeferMs ?? 0),
      attempts: 0,
      documents: docs.map(toStored),
      ...(input.submissionSet ? { submissionSet: input.submissionSet } : {}),
    };
    this.items.push(item);
    await this.persist();
    this.emit({ type: 'scheduled', item: this.view(item) });
    this.reschedule();
    return this.handle(item.id)!;
  }

  /** A handle on a pending item (after a restart too), or undefined when it is no longer pending. */
  handle(id: string): FeedingHandle | undefined {
    const item = this.items.find((i) => i.id === id);
    const settled = this.outcomes.get(id);
    if (!item && !settled) return undefined;
    const done = settled
      ? Promise.resolve(settled)
      : new Promise<FeedingOutcome>((resolve) => {
          this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]);
        });
    return {
      id,
      sendAt: item?.sendAt ?? 0,
      cancel: () => this.cancel(id),
      state: () => this.stateOf(id),
      done,
    };
  }

  /** Cancels an item that has not left (deferred or waiting for a retry). */
  async cancel(id: string): Promise<boolean> {
    const item = this.items.find((i) => i.id === id);
    if (!item || this.sending.has(id)) return false;
    this.items = this.items.filter((i) => i.id !== id);
    await this.persist();
    const view = { ...this.view(item), state: 'cancelled' as const };
    this.settle(id, { status: 'cancelled' });
    this.emit({ type: 'cancelled', item: view });
    this.reschedule();
    return true;
  }

  /** Sends now what is due or waiting (the user's "envoyer maintenant" / "réessayer"). */
  async flush(): Promise<void> {
    const now = this.timers.now();
    for (const i of this.items) {
      if (i.state === 'retrying') i.nextAttemptAt = now;
    }
    await this.pump();
  }

  /** Resolves when no item is pending (sent, failed or cancelled). */
  idle(): Promise<void> {
    if (!this.items.length) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the timers (the file stays: a new FeedingQueue on the directory resumes). Waits for a send in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.pumping;
    await this.writing;
  }

  // ------------------------------------------------------------ internals

  private stateOf(id: string): FeedingState {
    if (this.sending.has(id)) return 'sending';
    const item = this.items.find((i) => i.id === id);
    if (item) return item.state;
    const o = this.outcomes.get(id);
    return o ? (o.status as FeedingState) : 'cancelled';
  }

  private view(i: StoredItem): FeedingItemView {
    const cx = parsePatientCx(i.documents[0]!.metadata.patientId)!;
    return {
      id: i.id,
      ...(i.label ? { label: i.label } : {}),
      state: this.sending.has(i.id) ? 'sending' : i.state,
      ins: cx.ins,
      insOid: cx.oid,
      uniqueIds: i.documents.map((d) => d.metadata.uniqueId),
      createdAt: i.createdAt,
      sendAt: i.sendAt,
      attempts: i.attempts,
      ...(i.nextAttemptAt !== undefined ? { nextAttemptAt: i.nextAttemptAt } : {}),
      ...(i.lastError ? { lastError: i.lastError } : {}),
    };
  }

  private emit(e: FeedingEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // A listener's failure must not stop the queue.
    }
  }

  private settle(id: string, outcome: FeedingOutcome): void {
    this.outcomes.set(id, outcome);
    if (this.outcomes.size > 1000) this.outcomes.delete(this.outcomes.keys().next().value!);
    for (const w of this.waiters.get(id) ?? []) w(outcome);
    this.waiters.delete(id);
    if (!this.items.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  private dueAt(i: StoredItem): number {
    return i.state === 'deferred' ? i.sendAt : (i.nextAttemptAt ?? i.sendAt);
  }

  private reschedule(): void {
    if (this.closed) return;
    let at = Infinity;
    for (const i of this.items) if (!this.sending.has(i.id)) at = Math.min(at, this.dueAt(i));
    if (this.down && this.items.length) at = Math.min(at, this.nextProbeAt);
    if (at === Infinity) {
      if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer !== undefined && at >= this.timerAt) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.pump();
    }, at - this.timers.now());
  }

  private pump(): Promise<void> {
    if (this.pumping) return this.pumping;
    this.pumping = (async () => {
      // Never finish synchronously: `finally` must run after `this.pumping` is assigned, or it would stick.
      await Promise.resolve();
      try {
        while (!this.closed) {
          const now = this.timers.now();
          if (this.down && now >= this.nextProbeAt && this.items.length) await this.runProbe();
          const next = this.items.find((i) => !this.sending.has(i.id) && this.dueAt(i) <= this.timers.now());
          if (!next) break;
          try {
            await this.send(next);
          } catch (err) {
            // Only the queue file can fail here (reported as storage-error): leave the item for the next turn.
            this.sending.delete(next.id);
            next.state = 'retrying';
            next.nextAttemptAt = this.timers.now() + this.backoff(next.attempts, err);
            break;
          }
        }
      } finally {
        this.pumping = undefined;
        this.reschedule();
      }
    })();
    return this.pumping;
  }

  private async runProbe(): Promise<void> {
    const oldest = this.items[0];
    if (!oldest) return;
    const probe = this.opts.probe ?? (async (v: FeedingItemView) => void (await this.opts.client.testExistence({ ins: v.ins, oid: v.insOid })));
    try {
      await probe(this.view(oldest));
      this.markUp();
    } catch (err) {
      if (this.isUnavailable(err)) this.nextProbeAt = this.timers.now() + (this.opts.probeIntervalMs ?? 30_000);
      else this.markUp(); // the DMP answered, even if with an error: it is back
    }
  }

  private markUp(): void {
    if (!this.down) return;
    this.down = false;
    this.nextProbeAt = Infinity;
    const now = this.timers.now();
    for (const i of this.items) if (i.state === 'retrying') i.nextAttemptAt = now;
    this.emit({ type: 'dmp-up' });
  }

  private markDown(err: unknown): void {
    this.nextProbeAt = this.timers.now() + (this.opts.probeIntervalMs ?? 30_000);
    if (this.down) return;
    this.down = true;
    this.emit({ type: 'dmp-down', error: err });
  }

  private isRetryable(err: unknown): boolean {
    if (this.opts.isRetryable) return this.opts.isRetryable(err);
    return err instanceof DmpError ? err.retryable : false;
  }

  private isUnavailable(err: unknown): boolean {
    return err instanceof DmpUnavailableError || this.isRetryable(err);
  }

  private backoff(attempts: number, err: unknown): number {
    const r = this.opts.retry ?? {};
    const initial = r.initialDelayMs ?? 5_000;
    const max = r.maxDelayMs ?? 300_000;
    const factor = r.factor ?? 2;
    const jitter = r.jitter ?? 0.1;
    let delay = Math.min(max, initial * factor ** Math.max(0, attempts - 1));
    delay *= 1 + (Math.random() * 2 - 1) * jitter;
    const retryAfter = err instanceof DmpUnavailableError && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 0;
    return Math.round(Math.min(max, Math.max(delay, retryAfter)));
  }

  private async send(item: StoredItem): Promise<void> {
    this.sending.add(item.id);
    item.attempts += 1;
    // Counted before the call: after a crash mid-send, the next attempt knows the DMP may have it already.
    await this.persist();
    this.emit({ type: 'sending', item: this.view(item) });
    let result: SubmitResult | undefined;
    let error: unknown;
    try {
      result = await this.opts.client.submit(item.documents.map(fromStored), item.submissionSet ?? {});
    } catch (err) {
      error = err;
    }
    this.sending.delete(item.id);
    const alreadyRegistered = error instanceof DmpRegistryError && error.has('XDSDuplicateUniqueIdInRegistry') && item.attempts > 1;
    if (error === undefined || alreadyRegistered) {
      this.items = this.items.filter((i) => i.id !== item.id);
      await this.persist();
      this.markUp();
      const view = { ...this.view(item), state: 'sent' as const };
      this.settle(item.id, { status: 'sent', ...(result ? { result } : {}), ...(alreadyRegistered ? { alreadyRegistered } : {}), attempts: item.attempts });
      this.emit({ type: 'sent', item: view, ...(result ? { result } : {}), ...(alreadyRegistered ? { alreadyRegistered } : {}) });
      return;
    }
    if (this.isRetryable(error)) {
      const first = item.state !== 'retrying';
      item.state = 'retrying';
      item.nextAttemptAt = this.timers.now() + this.backoff(item.attempts, error);
      item.lastError = errorSummary(error);
      await this.persist();
      if (this.isUnavailable(error)) this.markDown(error);
      this.emit({ type: first ? 'queued' : 'retrying', item: this.view(item), error });
      return;
    }
    this.items = this.items.filter((i) => i.id !== item.id);
    await this.persist();
    const view = { ...this.view(item), state: 'failed' as const, lastError: errorSummary(error) };
    this.settle(item.id, { status: 'failed', error, attempts: item.attempts });
    this.emit({ type: 'failed', item: view, error });
  }

  // ------------------------------------------------------------ storage

  private async load(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const data = JSON.parse(text) as QueueFile;
      if (data?.format !== 'segur-sim.dmp-feeding-queue' || !Array.isArray(data.items)) throw new Error('not a feeding queue file');
      this.items = data.items.filter((i) => i && typeof i.id === 'string' && Array.isArray(i.documents) && i.documents.length > 0);
    } catch (err) {
      // Never crash on a damaged file, never lose it either: keep it aside and start empty.
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside).catch(() => undefined);
      this.emit({ type: 'storage-error', error: new Error(`the queue file was unreadable (${(err as Error).message}); kept as ${aside}`) });
    }
  }

  /** Writes the whole queue: temp file in the same directory, fsync, rename (atomic on POSIX). Serialised. */
  private persist(): Promise<void> {
    const data: QueueFile = { format: 'segur-sim.dmp-feeding-queue', version: 1, items: this.items.map((i) => ({ ...i })) };
    const text = JSON.stringify(data);
    const write = async () => {
      const tmp = `${this.file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
      try {
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(text, 'utf8');
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.file);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        this.emit({ type: 'storage-error', error: err });
        throw err;
      }
    };
    const done = this.writing.then(write, write);
    this.writing = done.catch(() => undefined);
    return done;
  }
}
