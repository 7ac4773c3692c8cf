/**
 * Resilience: the national services fail and the LGC keeps working. INSi answers "service unavailable": the
 * identity stays provisional and the search is retried until it qualifies. The DMP is down while a document
 * is being fed: the document waits in the feeding queue and leaves alone once the DMP is back. The
 * ePrescription base is down: the prescription is still deposited in the DMP, without identifier and
 * without its 2D code.
 *
 * The outages are the library scenarios `insi-outage`, `dmp-outage` and `eprescription-outage`, activated
 * in the sandbox for the time of the step, as a trainer or a CI suite would.
 */
import type { Patient } from '../../../fixtures/index.js';
import { buildDocument } from '../../../fixtures/documents/index.js';
import { FeedingQueue, type FeedingEvent } from '../../dmp/index.js';
import { InsiError } from '../../insi/index.js';
import type { FlowRun } from '../run.js';
import type { LgcSession } from '../session.js';
import { localRecordOf, pscLoginStep, qualifiedRecord, searchByTraits } from './identity.js';
import { prescriptionEnYStep } from './prescription.js';

export interface ResilienceOptions {
  patient: Patient;
  /** INSi attempts before giving up (default 6), with `retryDelayMs` between them (default 300). */
  insiAttempts?: number;
  retryDelayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withScenario<T>(session: LgcSession, name: string, fn: () => Promise<T>): Promise<T> {
  await session.env.admin.activate(name, session.sandbox);
  try {
    return await fn();
  } finally {
    await session.env.admin.deactivate(name, session.sandbox).catch(() => undefined);
  }
}

export async function resilienceFlow(session: LgcSession, run: FlowRun, opts: ResilienceOptions): Promise<{ insiAttempts: number; feedEvents: FeedingEvent['type'][]; ePrescriptionFallback?: string }> {
  const { records, professional: pro } = session;
  const patient = opts.patient;
  await pscLoginStep(session, run);

  // A new patient record, typed at the desk: provisional until INSi answers.
  let record = await records.savePatient({ ...localRecordOf(patient), traitsSource: 'SM' });
  let insiAttempts = 0;
  await withScenario(session, 'insi-outage', async () => {
    const insi = await session.insi();
    const search = () => searchByTraits(insi, record);
    await run.step('INSi unavailable: the identity is kept provisional', async (s) => {
      insiAttempts++;
      const err = await search().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(err instanceof InsiError)) throw new Error('INSi answered although the insi-outage scenario is active');
      if (!err.retryable) throw new Error(`INSi refused for good: ${err.message}`);
      if (session.records.patient(patient.id)?.status !== 'PROV') throw new Error('the record lost its provisional status');
      s.detail(`${err.message}; record ${patient.id} stays PROV, the search will be retried`);
    });
    await run.step('INSi retried until it answers; the identity is qualified', async (s) => {
      const max = opts.insiAttempts ?? 6;
      for (;;) {
        await sleep(opts.retryDelayMs ?? 300);
        insiAttempts++;
        try {
          const { result } = await search();
          if (result.cr !== '00') throw new Error(`INSi CR ${result.cr}`);
          const q = qualifiedRecord(record, result.individu);
          if (!q.record) throw new Error(`discrepancies: ${q.outcome.discrepancies.map((d) => d.field).join(', ')}`);
          record = await records.savePatient(q.record);
          s.detail(`answered at attempt ${insiAttempts}: ${record.status}, INS ${record.ins?.matricule}`);
          return;
        } catch (err) {
          if (!(err instanceof InsiError) || !err.retryable || insiAttempts >= max) throw err;
        }
      }
    });
  });

  const feedEvents: FeedingEvent['type'][] = [];
  const dmpClient = await session.dmp();
  await withScenario(session, 'dmp-outage', async () => {
    const dmp = dmpClient;
    const queue = await FeedingQueue.open({ client: dmp, dir: session.dataDir, fileName: 'resilience-queue.json', retry: { initialDelayMs: 200, maxDelayMs: 1_000, jitter: 0 }, probeIntervalMs: 200, onEvent: (e) => feedEvents.push(e.type) });
    try {
      const doc = buildDocument({ kind: 'n1-pdf', patient, author: pro, structure: session.structure, uniqueId: session.oids.next(), effectiveTime: new Date() });
      const handle = await run.step('DMP down while feeding: the document is queued', async (s) => {
        const h = await queue.schedule({ documents: doc, label: doc.metadata.title }, { deferMs: 0 });
        for (let i = 0; i < 100 && !feedEvents.includes('queued') && h.state() !== 'sent'; i++) await sleep(50);
        if (!feedEvents.includes('queued')) throw new Error(`the document was not queued (events: ${feedEvents.join(', ')})`);
        s.detail(`${doc.metadata.title}: ${h.state()} after a DMP outage answer`);
        return h;
      });
      await run.step('DMP back: the queued document leaves alone', async (s) => {
        const outcome = await handle.done;
        if (outcome.status !== 'sent') throw new Error(`the queued document ended ${outcome.status}`);
        await records.log({ kind: 'dmp.fed', rpps: pro.rpps, typeCode: doc.metadata.typeCode.code, patientId: patient.id, ref: doc.metadata.uniqueId });
        s.detail(`sent after ${outcome.attempts} attempts (${feedEvents.join(' → ')})`);
      });
    } finally {
      await queue.close();
    }
  });
  const prescription = await withScenario(session, 'eprescription-outage', () =>
    prescriptionEnYStep(session, run, { patient, dmp: dmpClient, title: 'ePrescription KO: the prescription goes to the DMP without 2D code' }),
  );
  if (prescription.created || prescription.document.code2d) throw new Error('the ePrescription outage did not apply');
  return { insiAttempts, feedEvents, ePrescriptionFallback: prescription.fallback?.reason };
}
