import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dueReason,
  InsiFault,
  InsiProtocolError,
  loadReverificationState,
  runReverificationJob,
  selectDue,
  verifierFor,
  type LocalPatientRecord,
  type PatientSearchInput,
  type PatientSearchOutcome,
  type VerifyFn,
  type VerifyOutcome,
} from '../../client/insi/index.js';

const NOW = new Date('2025-06-30T00:00:00Z');

function rec(id: string, over: Partial<LocalPatientRecord> = {}): LocalPatientRecord {
  return {
    id,
    birthName: 'ADRUN',
    firstNames: ['ZOE'],
    sex: 'F',
    birthDate: '1975-12-31',
    birthPlaceCog: '63220',
    status: 'QUAL',
    attributes: [],
    ins: { matricule: '275126322074974', oid: '1.2.250.1.213.1.4.8' },
    ...over,
  };
}

/** A clock that only moves when the job sleeps. */
function fakeClock(start = NOW.getTime()) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => new Date(t),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    get ms() {
      return t;
    },
  };
}

const dirs: string[] = [];
function stateFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'insi-reverif-'));
  dirs.push(d);
  return join(d, 'state', 'reverification.json');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const okOutcome = (r: LocalPatientRecord): VerifyOutcome => ({
  outcome: 'ok',
  record: { ...r, birthName: r.birthName, firstNames: [String(r.firstNames)], ins: r.ins!, insHistory: [], traitsSource: 'INSI' },
});

describe('due-date selection', () => {
  it('QUAL every 5 years, RECUP and NIA holders every year, never-verified first; no INS, PROV/VALI, DOUT/FICT excluded', () => {
    const records = [
      rec('qual-recent', { lastVerifiedAt: '2022-01-01T00:00:00Z' }),
      rec('qual-old', { lastVerifiedAt: '2020-06-29T00:00:00Z' }),
      rec('qual-exactly-5y', { lastVerifiedAt: '2020-06-30T00:00:00Z' }),
      rec('qual-never'),
      rec('recup-recent', { status: 'RECUP', lastVerifiedAt: '2024-12-01T00:00:00Z' }),
      rec('recup-old', { status: 'RECUP', lastVerifiedAt: '2024-06-01T00:00:00Z' }),
      rec('nia-qual-old', { ins: { matricule: '109076322088835', oid: '1.2.250.1.213.1.4.9' }, lastVerifiedAt: '2024-05-01T00:00:00Z' }),
      rec('nia-qual-recent', { ins: { matricule: '109076322088835', oid: '1.2.250.1.213.1.4.9' }, lastVerifiedAt: '2025-01-01T00:00:00Z' }),
      rec('no-ins', { status: 'PROV', ins: undefined }),
      rec('vali', { status: 'VALI', ins: undefined }),
      rec('doubtful', { status: 'PROV', attributes: ['DOUT'] }),
    ];
    expect(selectDue(records, NOW).map((r) => r.id)).toEqual(['qual-never', 'qual-old', 'qual-exactly-5y', 'nia-qual-old', 'recup-old']);
    expect(dueReason(records[6]!, NOW)).toMatch(/NIA holder/);
    expect(selectDue(records, NOW, { qualifiedYears: 2, recupYears: 1, niaYears: 1 }).map((r) => r.id)).toContain('qual-recent');
  });
});

describe('the job', () => {
  const records = Array.from({ length: 8 }, (_, i) => rec(`p${i + 1}`));

  it('spreads calls at the configured rate (fake clock), reports and persists a finished state', async () => {
    const clock = fakeClock();
    const callTimes: number[] = [];
    const verify: VerifyFn = async (r) => {
      callTimes.push(clock.ms);
      return okOutcome(r);
    };
    const statePath = stateFile();
    const results: string[] = [];
    const report = await runReverificationJob({
      records,
      verify,
      statePath,
      rate: { perSecond: 4, jitterMs: 100, concurrency: 1 },
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      quiet: true,
      onResult: (id) => void results.push(id),
    });
    expect(report).toMatchObject({ total: 8, processedThisRun: 8, ok: 8, changed: 0, notFound: 0, errors: 0, retryLater: 0, finished: true, stopped: false, resumed: false });
    expect(results).toEqual(records.map((r) => r.id));
    for (let i = 1; i < callTimes.length; i++) expect(callTimes[i]! - callTimes[i - 1]!).toBeGreaterThanOrEqual(250);
    const state = await loadReverificationState(statePath);
    expect(state?.finishedAt).toBeDefined();
    expect(Object.values(state!.items).every((it) => it.status === 'done' && it.attempts === 1)).toBe(true);
    expect(readdirSync(join(statePath, '..')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('with concurrency, slots are still spaced by 1/rate', async () => {
    const clock = fakeClock();
    const callTimes: number[] = [];
    await runReverificationJob({
      records,
      verify: async (r) => {
        callTimes.push(clock.ms);
        await clock.sleep(1000); // a slow INSi
        return okOutcome(r);
      },
      statePath: stateFile(),
      rate: { perSecond: 2, jitterMs: 0, concurrency: 3 },
      now: clock.now,
      sleep: clock.sleep,
      quiet: true,
    });
    const sorted = [...callTimes].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(500);
  });

  it('stopped after K items then restarted: continues where it stopped, no item verified twice', async () => {
    const clock = fakeClock();
    const calls = new Map<string, number>();
    const verify: VerifyFn = async (r) => {
      calls.set(r.id, (calls.get(r.id) ?? 0) + 1);
      return r.id === 'p3' ? { outcome: 'not-found', cr: '01', suggestedStatus: 'VALI' } : okOutcome(r);
    };
    const statePath = stateFile();
    const opts = { records, verify, statePath, rate: { perSecond: 10, jitterMs: 0 }, now: clock.now, sleep: clock.sleep, quiet: true };
    const first = await runReverificationJob({ ...opts, stopAfter: 3 });
    expect(first).toMatchObject({ processedThisRun: 3, stopped: true, finished: false, pending: 5 });
    const mid = await loadReverificationState(statePath);
    expect(mid!.order.filter((id) => mid!.items[id]!.status === 'done')).toEqual(['p1', 'p2', 'p3']);

    // The restart sees the unfinished job, even if the record list now says other things are due.
    const second = await runReverificationJob({ ...opts, records: [...records, rec('late-comer')] });
    expect(second).toMatchObject({ resumed: true, jobId: first.jobId, alreadyDone: 3, processedThisRun: 5, finished: true, ok: 7, notFound: 1 });
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBe(8);
    expect(calls.has('late-comer')).toBe(false);
  });

  it('an abort signal stops the run between items', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    let n = 0;
    const report = await runReverificationJob({
      records,
      verify: async (r) => {
        if (++n === 2) ac.abort();
        return okOutcome(r);
      },
      statePath: stateFile(),
      rate: { perSecond: 10, jitterMs: 0 },
      now: clock.now,
      sleep: clock.sleep,
      quiet: true,
      signal: ac.signal,
    });
    expect(report).toMatchObject({ processedThisRun: 2, stopped: true, pending: 6 });
  });

  it('retries retryable faults, leaves exhausted ones for later, records errors and changes', async () => {
    const clock = fakeClock();
    const attempts = new Map<string, number>();
    const transient = (id: string) => new InsiFault({ subcode: 'siram_40', code: 'desir_1020', messageId: id });
    const verify: VerifyFn = async (r) => {
      const a = (attempts.get(r.id) ?? 0) + 1;
      attempts.set(r.id, a);
      if (r.id === 'p1' && a === 1) throw transient(r.id); // recovers on the 2nd attempt
      if (r.id === 'p2') throw transient(r.id); // always down
      if (r.id === 'p3') throw new InsiProtocolError('garbage');
      if (r.id === 'p4') return { outcome: 'changed', discrepancies: [{ field: 'ins', local: 'a', insi: 'b', kind: 'ins-changed', blocking: false, message: '' }], insChanged: true };
      return okOutcome(r);
    };
    const statePath = stateFile();
    const report = await runReverificationJob({ records: records.slice(0, 5), verify, statePath, maxAttempts: 3, retryDelayMs: 10, rate: { perSecond: 100, jitterMs: 0 }, now: clock.now, sleep: clock.sleep, quiet: true });
    expect(report).toMatchObject({ total: 5, ok: 2, changed: 1, errors: 1, retryLater: 1, finished: false });
    expect(report.changedItems).toEqual([{ id: 'p4', detail: 'ins:ins-changed' }]);
    expect(attempts.get('p2')).toBe(3);

    // Next run: only the item left for later is tried again.
    attempts.clear();
    const next = await runReverificationJob({ records: records.slice(0, 5), verify: async (r) => (attempts.set(r.id, 1), okOutcome(r)), statePath, rate: { perSecond: 100, jitterMs: 0 }, now: clock.now, sleep: clock.sleep, quiet: true });
    expect([...attempts.keys()]).toEqual(['p2']);
    expect(next).toMatchObject({ finished: true, ok: 3, retryLater: 0 });
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(state.items.p2.attempts).toBe(4);
  });
});

describe('progress bar', () => {
  it('draws on a TTY stream and stays silent when quiet', async () => {
    const { Writable } = await import('node:stream');
    let out = '';
    const tty = Object.assign(
      new Writable({
        write(chunk, _enc, cb) {
          out += String(chunk);
          cb();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: (_x: number, _y?: unknown, cb?: () => void) => (cb?.(), true), clearLine: (_d: number, cb?: () => void) => (cb?.(), true), moveCursor: (_x: number, _y: number, cb?: () => void) => (cb?.(), true) },
    );
    const clock = fakeClock();
    const base = { records: [rec('a'), rec('b')], verify: async (r: LocalPatientRecord) => okOutcome(r), rate: { perSecond: 10, jitterMs: 0 }, now: clock.now, sleep: clock.sleep, stream: tty as unknown as NodeJS.WritableStream };
    await runReverificationJob({ ...base, statePath: stateFile() });
    expect(out).toContain('INSi re-verification');
    expect(out).toContain('2/2');
    out = '';
    await runReverificationJob({ ...base, statePath: stateFile(), quiet: true });
    expect(out).toBe('');
  });
});

describe('verifierFor (record ↔ INSi comparison)', () => {
  function fakeClient(answer: (p: PatientSearchInput) => PatientSearchOutcome['result']) {
    return { searchPatient: async (p: PatientSearchInput): Promise<PatientSearchOutcome> => ({ result: answer(p), attempts: [] }) };
  }
  const base = { messageId: 'uuid:x', operation: 'traits' as const, requestXml: '', responseXml: '', httpStatus: 200 };
  const individu = {
    insActif: { numIdentifiant: '2751263220749', cle: '74', matricule: '275126322074974', oid: '1.2.250.1.213.1.4.8', kind: 'NIR' as const },
    insHisto: [],
    tiq: { nomNaissance: 'ADRUN', prenom: 'ZOE', listePrenom: 'ZOE', sexe: 'F', dateNaissance: '1975-12-31', lieuNaissance: '63220' },
  };

  it('ok when the INS and traits are confirmed; changed when the INS moved; not-found steps the status back', async () => {
    const now = () => NOW;
    expect((await verifierFor(fakeClient(() => ({ ...base, cr: '00', libelle: 'OK', individu })), { now })(rec('a'))).outcome).toBe('ok');
    const moved = { ...individu, insActif: { ...individu.insActif, numIdentifiant: '2751263220750', matricule: '275126322075043' }, insHisto: [{ ...individu.insActif }] };
    const changed = await verifierFor(fakeClient(() => ({ ...base, cr: '00', libelle: 'OK', individu: moved })), { now })(rec('a'));
    expect(changed).toMatchObject({ outcome: 'changed', insChanged: true });
    const nf = await verifierFor(fakeClient(() => ({ ...base, cr: '01', libelle: 'Aucune identite trouvee' })), { now })(rec('a'));
    expect(nf).toEqual({ outcome: 'not-found', cr: '01', suggestedStatus: 'VALI' });
  });
});
