/**
 * Bulk INS re-verification. INSi has no batch operation (insi.md §3.4): verification is a trait
 * search per identity, compared with the stored INS. The job selects the identities that are due,
 * spreads the calls over time (rate, jitter, concurrency), persists its state after every item
 * (temp file + rename) so a restart continues where it stopped, shows a progress bar on stderr and
 * ends with a report.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import type { PatientSearchOutcome, PatientSearchInput } from './client.js';
import { InsiError } from './errors.js';
import { applyIdentityEvent, canCallInsi, type IdentityStatus } from './identity.js';
import { compareWithInsi, qualify, type Discrepancy, type LocalPatientRecord, type QualifiedRecord } from './qualification.js';
import { INS_NIA_OID } from './response.js';

export interface ReverificationPolicy {
  /** QUAL identities with a NIR: every N years (default 5). */
  qualifiedYears: number;
  /** RECUP identities: every N years (default 1). */
  recupYears: number;
  /** Identities holding an NIA (OID .9), whatever the status: every N years (default 1). */
  niaYears: number;
}

export const DEFAULT_POLICY: ReverificationPolicy = { qualifiedYears: 5, recupYears: 1, niaYears: 1 };

function addYears(iso: string, years: number): number {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return Number.NEGATIVE_INFINITY;
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/** Whether a record is due for re-verification at `now`, and why. */
export function dueReason(record: LocalPatientRecord, now: Date, policy: ReverificationPolicy = DEFAULT_POLICY): string | undefined {
  if (!record.ins?.matricule) return undefined;
  if (!canCallInsi(record).allowed) return undefined;
  const nia = record.ins.oid === INS_NIA_OID;
  let years: number | undefined;
  if (nia && (record.status === 'QUAL' || record.status === 'RECUP')) years = policy.niaYears;
  else if (record.status === 'RECUP') years = policy.recupYears;
  else if (record.status === 'QUAL') years = policy.qualifiedYears;
  if (years === undefined) return undefined;
  const label = nia ? `NIA holder (every ${years} y)` : `${record.status} (every ${years} y)`;
  if (!record.lastVerifiedAt) return `${label}: never verified`;
  return addYears(record.lastVerifiedAt, years) <= now.getTime() ? `${label}: last verified ${record.lastVerifiedAt.slice(0, 10)}` : undefined;
}

/** The records due at `now`, oldest verification first (never verified first of all). */
export function selectDue(records: LocalPatientRecord[], now: Date, policy: ReverificationPolicy = DEFAULT_POLICY): LocalPatientRecord[] {
  return records
    .filter((r) => dueReason(r, now, policy) !== undefined)
    .sort((a, b) => (a.lastVerifiedAt ?? '').localeCompare(b.lastVerifiedAt ?? '') || a.id.localeCompare(b.id));
}

export type VerifyOutcome =
  /** INSi confirms the INS and the traits (accent-only differences aside). */
  | { outcome: 'ok'; record: QualifiedRecord }
  /** INSi answers but something changed: INS (INSHISTO), traits, or the record no longer matches. */
  | { outcome: 'changed'; discrepancies: Discrepancy[]; insChanged: boolean; record?: QualifiedRecord }
  /** CR 01 / 02: the identity is no longer confirmed (suggested status: the "insi-unconfirmed" transition). */
  | { outcome: 'not-found'; cr: '01' | '02'; suggestedStatus: IdentityStatus }
  | { outcome: 'error'; error: { name: string; message: string; code?: string } };

export type VerifyFn = (record: LocalPatientRecord) => Promise<VerifyOutcome>;

/** The verification of one record with an INSi client. Retryable INSi errors are thrown (the job retries them). */
export function verifierFor(client: { searchPatient(p: PatientSearchInput): Promise<PatientSearchOutcome> }, opts: { now?: () => Date } = {}): VerifyFn {
  const now = opts.now ?? (() => new Date());
  return async (record) => {
    let search: PatientSearchOutcome;
    try {
      search = await client.searchPatient({
        birthName: record.birthName,
        firstNames: record.firstNames,
        sex: record.sex,
        birthDate: record.birthDate,
        birthPlaceCog: record.birthPlaceCog,
        identity: record,
      });
    } catch (err) {
      if (err instanceof InsiError && err.retryable) throw err;
      const e = err as Error & { code?: string };
      return { outcome: 'error', error: { name: e.name ?? 'Error', message: e.message ?? String(err), ...(typeof e.code === 'string' ? { code: e.code } : {}) } };
    }
    const res = search.result;
    if (res.cr !== '00') {
      return { outcome: 'not-found', cr: res.cr, suggestedStatus: applyIdentityEvent(record, { type: 'insi-unconfirmed' }).status };
    }
    const q = qualify(record, res.individu, { now: now() });
    const { discrepancies, insChanged } = q.match === 'exact' ? q : compareWithInsi(record, res.individu);
    const significant = discrepancies.filter((d) => d.kind !== 'accent');
    if (q.match === 'exact' && significant.length === 0 && !insChanged) return { outcome: 'ok', record: q.record };
    return { outcome: 'changed', discrepancies, insChanged, ...(q.match === 'exact' ? { record: q.record } : {}) };
  };
}

export type ItemStatus = 'pending' | 'done' | 'retry-later';

export interface ItemState {
  status: ItemStatus;
  /** Attempts across all runs. */
  attempts: number;
  outcome?: VerifyOutcome['outcome'];
  /** Short text for the report (discrepancy list, CR, error message). */
  detail?: string;
  finishedAt?: string;
}

export interface ReverificationState {
  version: 1;
  jobId: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  order: string[];
  items: Record<string, ItemState>;
}

export interface ReverificationReport {
  jobId: string;
  resumed: boolean;
  total: number;
  /** Items completed before this run (resume). */
  alreadyDone: number;
  processedThisRun: number;
  ok: number;
  changed: number;
  notFound: number;
  errors: number;
  /** Retryable failures left for the next run. */
  retryLater: number;
  pending: number;
  finished: boolean;
  /** This run stopped early (stopAfter or abort). */
  stopped: boolean;
  changedItems: { id: string; detail: string }[];
}

export interface ReverificationJobOptions {
  /** The LGC's identities; the due ones are selected (unless resuming an unfinished job). */
  records: LocalPatientRecord[];
  verify: VerifyFn;
  /** JSON state file; an unfinished job found there is resumed. */
  statePath: string;
  policy?: ReverificationPolicy;
  /** Spreading: calls per second (default 2), random extra delay up to jitterMs (default 250), parallel calls (default 1). */
  rate?: { perSecond?: number; jitterMs?: number; concurrency?: number };
  /** Attempts per item within one run for retryable errors (default 3), with a delay of retryDelayMs × attempt. */
  maxAttempts?: number;
  retryDelayMs?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** No progress bar (CI). The bar goes to `stream` (default stderr) and only on a TTY. */
  quiet?: boolean;
  stream?: NodeJS.WritableStream;
  /** Stop pulling new items after this many completions in this run (batch windows, tests). */
  stopAfter?: number;
  signal?: AbortSignal;
  /** Called after each completed item, once its state is saved (update the record store here). */
  onResult?: (id: string, outcome: VerifyOutcome) => void | Promise<void>;
  /** Start a new job even if the state file holds an unfinished one. */
  fresh?: boolean;
}

/** Reads a state file; undefined when absent. A corrupt file is an error (never silently restarted). */
export async function loadReverificationState(path: string): Promise<ReverificationState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as ReverificationState;
  if (state?.version !== 1 || !Array.isArray(state.order) || typeof state.items !== 'object') throw new Error(`${path} is not a re-verification state file`);
  return state;
}

let tmpCounter = 0;
/** Atomic write: temp file in the same directory, fsync, rename. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(value, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

function describe(outcome: VerifyOutcome): string {
  switch (outcome.outcome) {
    case 'ok':
      return `INS ${outcome.record.ins.matricule} confirmed`;
    case 'changed':
      return outcome.discrepancies.map((d) => `${d.field}:${d.kind}`).join(', ') || 'changed';
    case 'not-found':
      return `CR ${outcome.cr}`;
    case 'error':
      return `${outcome.error.name}: ${outcome.error.message}`;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs (or resumes) the job and returns its report. Never throws for an item's failure. */
export async function runReverificationJob(opts: ReverificationJobOptions): Promise<ReverificationReport> {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const perSecond = Math.max(opts.rate?.perSecond ?? 2, 0.0001);
  const jitterMs = Math.max(opts.rate?.jitterMs ?? 250, 0);
  const concurrency = Math.max(1, Math.floor(opts.rate?.concurrency ?? 1));
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 2_000;
  const byId = new Map(opts.records.map((r) => [r.id, r]));

  let state = opts.fresh ? undefined : await loadReverificationState(opts.statePath);
  const resumed = !!state && !state.finishedAt;
  if (!state || state.finishedAt) {
    const due = selectDue(opts.records, now(), opts.policy);
    const t = now().toISOString();
    state = { version: 1, jobId: randomUUID(), createdAt: t, updatedAt: t, order: due.map((r) => r.id), items: Object.fromEntries(due.map((r) => [r.id, { status: 'pending', attempts: 0 } as ItemState])) };
    await writeJsonAtomic(opts.statePath, state);
  }
  const st = state;
  const todo = st.order.filter((id) => st.items[id]?.status !== 'done');
  const alreadyDone = st.order.length - todo.length;

  // Saves are chained so concurrent completions never interleave writes.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    st.updatedAt = now().toISOString();
    const snapshot = JSON.parse(JSON.stringify(st)) as ReverificationState;
    saving = saving.then(() => writeJsonAtomic(opts.statePath, snapshot));
    return saving;
  };

  const counts = { ok: 0, changed: 0, notFound: 0, errors: 0 };
  for (const id of st.order) {
    const it = st.items[id];
    if (it?.status !== 'done') continue;
    if (it.outcome === 'ok') counts.ok++;
    else if (it.outcome === 'changed') counts.changed++;
    else if (it.outcome === 'not-found') counts.notFound++;
    else if (it.outcome === 'error') counts.errors++;
  }

  const bar =
    !opts.quiet && (opts.stream ?? process.stderr) && ((opts.stream ?? process.stderr) as NodeJS.WriteStream).isTTY
      ? new cliProgress.SingleBar(
          {
            stream: opts.stream ?? process.stderr,
            format: 'INSi re-verification |{bar}| {value}/{total} ok {ok} changed {changed} not found {notFound} errors {errors}',
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(st.order.length, alreadyDone, counts);

  // Spreading: each call reserves a slot 1/perSecond after the previous one, plus jitter.
  const interval = 1000 / perSecond;
  let nextSlot = now().getTime();
  const waitForSlot = async () => {
    const t = Math.max(now().getTime(), nextSlot);
    nextSlot = t + interval;
    const wait = t - now().getTime() + random() * jitterMs;
    if (wait > 0) await sleep(wait);
  };

  let cursor = 0;
  let completed = 0;
  let stopped = false;
  const shouldStop = () => {
    if (opts.signal?.aborted) return true;
    return opts.stopAfter !== undefined && completed >= opts.stopAfter;
  };

  const processItem = async (id: string) => {
    const item = st.items[id]!;
    const record = byId.get(id);
    let outcome: VerifyOutcome | undefined;
    if (!record) {
      outcome = { outcome: 'error', error: { name: 'MissingRecord', message: `record ${id} is no longer in the LGC` } };
    } else {
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        await waitForSlot();
        item.attempts++;
        try {
          outcome = await opts.verify(record);
          break;
        } catch (err) {
          const retryable = err instanceof InsiError && err.retryable;
          if (!retryable) {
            const e = err as Error;
            outcome = { outcome: 'error', error: { name: e?.name ?? 'Error', message: e?.message ?? String(err) } };
            break;
          }
          item.detail = `${(err as Error).name}: ${(err as Error).message}`;
          if (attempt < maxAttempts && !opts.signal?.aborted) await sleep(retryDelayMs * attempt);
          else break;
        }
      }
    }
    if (outcome) {
      item.status = 'done';
      item.outcome = outcome.outcome;
      item.detail = describe(outcome);
      item.finishedAt = now().toISOString();
      if (outcome.outcome === 'ok') counts.ok++;
      else if (outcome.outcome === 'changed') counts.changed++;
      else if (outcome.outcome === 'not-found') counts.notFound++;
      else counts.errors++;
    } else {
      item.status = 'retry-later';
    }
    completed++;
    await save();
    if (outcome) await opts.onResult?.(id, outcome);
    bar?.update(st.order.filter((x) => st.items[x]?.status === 'done').length, counts);
  };

  const worker = async () => {
    while (true) {
      if (shouldStop()) {
        stopped = cursor < todo.length;
        return;
      }
      const id = todo[cursor++];
      if (id === undefined) return;
      await processItem(id);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(todo.length, 1)) }, worker));
  } finally {
    bar?.stop();
  }

  const done = st.order.filter((id) => st.items[id]?.status === 'done').length;
  const retryLater = st.order.filter((id) => st.items[id]?.status === 'retry-later').length;
  const pending = st.order.length - done - retryLater;
  const finished = done === st.order.length;
  if (finished && !st.finishedAt) st.finishedAt = now().toISOString();
  await save();
  return {
    jobId: st.jobId,
    resumed,
    total: st.order.length,
    alreadyDone,
    processedThisRun: completed,
    ...counts,
    retryLater,
    pending,
    finished,
    stopped,
    changedItems: st.order.filter((id) => st.items[id]?.outcome === 'changed').map((id) => ({ id, detail: st.items[id]!.detail ?? '' })),
  };
}
