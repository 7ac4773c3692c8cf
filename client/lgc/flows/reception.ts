/**
 * Reception (Ségur wave 1, MSSanté): a laboratory and an imaging centre send results to the professional's
 * mailbox; the LGC reads them over IMAP (XOAUTH2 with the PSC token), puts each document in its worklist,
 * matches it to the patient by INS (or by traits) and integrates it; then a corrected version replaces the
 * lab result and a deletion request removes the imaging report, and the handled mails are filed.
 */
import type { Patient } from '../../../fixtures/index.js';
import { MssanteReader, Worklist, type LocalPatient, type ReceivedMessage, type WorklistItem } from '../../mssante/index.js';
import type { LgcPatientRecord } from '../records.js';
import type { FlowRun } from '../run.js';
import type { LgcSession } from '../session.js';
import { localRecordOf, pscLoginStep, qualifiedRecord, searchByTraits } from './identity.js';

export interface ReceptionOutcome {
  integrated: WorklistItem[];
  worklist: Worklist;
}

const HANDLED_FOLDER = 'Integres';

interface SentView {
  subject: string;
  messageId: string;
  document?: { uniqueId: string; version: number; replaces?: string };
  delivery: { address: string; status: string; uid?: number; diagnostic?: string }[];
}

/** A patient the practice knows: the record, qualified by INSi (traits) when it is new. */
export async function knownPatient(session: LgcSession, run: FlowRun, patient: Patient): Promise<LgcPatientRecord> {
  const existing = session.records.patient(patient.id);
  if (existing?.status === 'QUAL') return existing;
  return run.step('Patient record: INSi search by traits and qualification', async (s) => {
    let record = existing ?? localRecordOf(patient);
    const insi = await session.insi();
    const { result } = await searchByTraits(insi, record);
    if (result.cr === '00') record = qualifiedRecord(record, result.individu).record ?? record;
    record = await session.records.savePatient(record);
    s.detail(`${record.status}${record.ins ? `, INS ${record.ins.matricule}` : ''} (INSi CR ${result.cr})`);
    return record;
  });
}

/** The LGC's patient file as the worklist matches against it. */
export function worklistPatients(records: readonly LgcPatientRecord[]): LocalPatient[] {
  return records.map((r) => {
    const names = Array.isArray(r.firstNames) ? r.firstNames : r.firstNames.split(' ');
    return { id: r.id, ...(r.status === 'QUAL' && r.ins ? { ins: r.ins.matricule } : {}), birthName: r.birthName, firstName: names[0] ?? '', firstNames: names, birthDate: r.birthDate, sex: r.sex };
  });
}

export async function receptionFlow(session: LgcSession, run: FlowRun, opts: { patient: Patient }): Promise<ReceptionOutcome> {
  const { env, records, professional: pro } = session;
  const mailbox = session.mailbox;
  await pscLoginStep(session, run, `mailbox ${mailbox}`);
  await knownPatient(session, run, opts.patient);

  const send = (body: Record<string, unknown>) => env.admin.request<SentView>('POST', `/_admin/sandboxes/${encodeURIComponent(session.sandbox)}/mssante/correspondents/send`, { to: mailbox, patientId: opts.patient.id, ...body });
  const reader = new MssanteReader({ imap: { host: env.listeners.imap.host, port: env.listeners.imap.port }, tls: { ca: env.caPem, servername: 'localhost' }, auth: { user: mailbox, sandbox: session.sandbox, accessToken: await session.accessToken() } });
  const worklist = new Worklist({ patients: () => worklistPatients(records.patients) });
  const integrated: WorklistItem[] = [];
  try {
    await run.step('IMAP: connect (XOAUTH2 with the PSC token)', async () => {
      await reader.connect();
    });

    /** Waits for the correspondent's message (delivery is immediate, but IMAP sees it on the next poll). */
    const receive = async (sent: SentView): Promise<ReceivedMessage> => {
      const failed = sent.delivery.find((d) => d.status !== 'delivered');
      if (failed) throw new Error(`the correspondent's message was not delivered to ${failed.address}: ${failed.diagnostic ?? failed.status}`);
      for (let attempt = 0; attempt < 50; attempt++) {
        const found = (await reader.fetchNew()).find((m) => m.messageId === sent.messageId);
        if (found) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`message ${sent.messageId} never showed in the INBOX`);
    };

    const take = async (label: string, body: Record<string, unknown>): Promise<{ sent: SentView; items: WorklistItem[] }> => {
      const sent = await run.step(`${label}: the correspondent sends it`, async (s) => {
        const v = await send(body);
        s.detail(`"${v.subject}"`);
        return v;
      });
      const message = await run.step(`${label}: read from the INBOX (IMAP)`, async (s) => {
        const m = await receive(sent);
        s.detail(`${m.kind}, ${m.attachments.length} attachment(s)${m.xdm?.problems.length ? `, XDM problems: ${m.xdm.problems.join('; ')}` : ''}`);
        return m;
      });
      const items = await run.step(`${label}: worklist, patient matching, integration`, async (s) => {
        const items = worklist.receive(message);
        if (!items.length) throw new Error('the message carried no document');
        const done: string[] = [];
        for (const item of items) {
          if (item.match.kind !== 'ins' && item.match.kind !== 'traits') throw new Error(`${item.document.title}: not matched (${item.match.kind})`);
          const after = worklist.integrate(item.id);
          integrated.push(after);
          // A deletion request removes a document: it integrates none.
          if (item.action !== 'delete') await records.log({ kind: 'mss.integrated', rpps: pro.rpps, typeCode: item.document.typeCode, patientId: after.patientId, ref: item.document.uniqueId });
          done.push(`${item.action} "${item.document.title}" → ${after.patientId} (matched by ${item.match.kind === 'ins' ? `INS from the ${item.match.source}` : 'traits'})`);
        }
        await reader.markSeen(message.uid);
        await reader.move(message.uid, HANDLED_FOLDER);
        s.detail(done.join('; '));
        s.data({ matches: items.map((i) => i.match.kind), actions: items.map((i) => i.action) });
        return items;
      });
      return { sent, items };
    };

    // Replacement and deletion name the documents sent in this run (not "the last one": a sandbox may have
    // received others before).
    const lab = await take('Lab result (CR de biologie)', { from: 'lab', kind: 'cr-bio' });
    const imaging = await take('Imaging report (CR d’imagerie)', { from: 'imaging', kind: 'cr-imagerie' });
    await take('Corrected lab result (annule et remplace)', { from: 'lab', kind: 'cr-bio', replace: lab.sent.document?.uniqueId });
    await run.step('The lab result’s first version is superseded', async (s) => {
      const replaced = integrated.find((i) => i.action === 'replace')!;
      const previous = replaced.replaces?.uniqueId ? worklist.integratedDocument(replaced.replaces.uniqueId) : undefined;
      if (previous?.status !== 'deprecated') throw new Error(`the replaced version is ${previous?.status ?? 'unknown'}`);
      s.detail(`${previous.uniqueId} deprecated, replaced by ${previous.replacedBy}`);
    });
    await take('Deletion request (imaging report)', { from: 'imaging', kind: 'cr-imagerie', delete: imaging.sent.document?.uniqueId });
    await run.step('Patient file after reception', async (s) => {
      const docs = worklist.documentsOf(opts.patient.id);
      s.detail(docs.map((d) => `${d.title} v${d.version ?? 1}`).join(', ') || 'no document');
      s.data({ current: docs.length });
    });
  } finally {
    await reader.close().catch(() => undefined);
  }
  return { integrated, worklist };
}
