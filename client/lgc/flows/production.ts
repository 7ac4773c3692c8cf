/**
 * Production (Ségur waves 1 and 2): after the consultation the professional writes the VSM (CDA R2 N3, sent
 * with its PDF rendering), a CR de consultation (N1, PDF) and a prescription; the LGC feeds the DMP in the
 * background with a cancellable deferral, sends the documents by MSSanté to a correspondent found in the
 * Annuaire Santé and to the patient's Mon espace santé mailbox, and sends the prescription "en Y" (the
 * ePrescription base, and the DMP: prescription.ts).
 */
import type { Patient, Professional } from '../../../fixtures/index.js';
import { buildDocument, submissionSetFor, type BuiltDocument, type DocumentKind } from '../../../fixtures/documents/index.js';
import { FeedingQueue, type FeedingOutcome } from '../../dmp/index.js';
import { AnnuaireClient, type MssPatient } from '../../mssante/index.js';
import type { LgcPatientRecord } from '../records.js';
import type { FlowRun } from '../run.js';
import { LGC_SOFTWARE, type LgcSession } from '../session.js';
import { prescriptionEnYStep } from './prescription.js';
import { pscLoginStep } from './identity.js';
import { knownPatient } from './reception.js';
import type { PrescribeEnYResult } from '../../eprescription/index.js';

/** The Annuaire Santé key of the simulator's demo application (simulators/annuaire/README.md). */
export const ANNUAIRE_DEMO_KEY = 'segur-sim-annuaire-demo-key';

export interface ProductionOptions {
  patient: Patient;
  /** Deferral of the DMP feed (the professional may still cancel), default 300 ms. */
  deferMs?: number;
  /** Documents to write, default the VSM and a CR de consultation. */
  kinds?: DocumentKind[];
}

export interface ProductionOutcome {
  documents: BuiltDocument[];
  fed: FeedingOutcome[];
  correspondent?: { rpps: string; address: string };
  citizenAddress?: string;
  prescription?: PrescribeEnYResult;
}

/** The MSSanté view of the patient: INS and strict traits of a qualified record. */
export function mssPatientOf(record: LgcPatientRecord, patient: Patient): MssPatient {
  return {
    ...(record.status === 'QUAL' && record.ins ? { ins: record.ins.matricule, insOid: record.ins.oid } : {}),
    qualified: record.status === 'QUAL',
    birthName: patient.rniv.nomNaissance,
    firstName: patient.rniv.prenom,
    birthDate: patient.birthDate,
    sex: patient.sex,
  };
}

/** Another médecin of the world with a personal mailbox, to address the documents to. */
export function correspondentOf(session: LgcSession): Professional {
  const { world } = session.env;
  const hasBox = (p: Professional) => world.mailboxes.some((m) => m.ownerId === p.id && m.type === 'PER');
  const pro = world.professionals.find((p) => p.id !== session.professional.id && p.profession.code === '10' && !p.magic?.length && hasBox(p)) ?? world.professionals.find((p) => p.id !== session.professional.id && hasBox(p));
  if (!pro) throw new Error('the world has no correspondent with an MSSanté mailbox');
  return pro;
}

export async function productionFlow(session: LgcSession, run: FlowRun, opts: ProductionOptions): Promise<ProductionOutcome> {
  const { env, records, professional: pro } = session;
  const patient = opts.patient;
  await pscLoginStep(session, run);
  const record = await knownPatient(session, run, patient);
  if (record.status !== 'QUAL') throw new Error(`the identity of ${patient.id} is ${record.status}: documents can only carry a qualified INS`);

  const documents = await run.step('Write the documents', async (s) => {
    const now = Date.now();
    const docs = (opts.kinds ?? ['vsm', 'n1-pdf']).map((kind, i) =>
      buildDocument({ kind, patient, author: pro, structure: session.structure, uniqueId: session.oids.next(), effectiveTime: new Date(now - (i + 1) * 60_000) }),
    );
    s.detail(docs.map((d) => `${d.metadata.title} (${d.metadata.typeCode.display ?? d.metadata.typeCode.code}, ${d.metadata.mimeType === 'text/xml' && d.content.length && !d.metadata.formatCode.code.includes('xds-sd') ? 'N3' : 'N1'})`).join(', '));
    return docs;
  });

  const dmp = await session.dmp();
  const queue = await FeedingQueue.open({ client: dmp, dir: session.dataDir, defaultDeferMs: opts.deferMs ?? 300, retry: { initialDelayMs: 200, maxDelayMs: 2_000 } });
  let fed: FeedingOutcome[] = [];
  try {
    fed = await run.step('DMP: background feed with a cancellable deferral', async (s) => {
      const handles = [];
      for (const d of documents) handles.push(await queue.schedule({ documents: d, label: d.metadata.title }));
      // A draft scheduled by mistake, cancelled before it leaves.
      const draft = buildDocument({ kind: 'n1-pdf', patient, author: pro, structure: session.structure, uniqueId: session.oids.next(), effectiveTime: new Date(), title: 'Brouillon' });
      const cancelled = await (await queue.schedule({ documents: draft, label: 'brouillon' }, { deferMs: 60_000 })).cancel();
      if (!cancelled) throw new Error('the draft could not be cancelled during its deferral');
      const outcomes = await Promise.all(handles.map((h) => h.done));
      const failed = outcomes.find((o) => o.status !== 'sent');
      if (failed) throw new Error(`a document was not fed: ${failed.status === 'failed' ? String((failed.error as Error).message ?? failed.error) : failed.status}`);
      for (const d of documents) await records.log({ kind: 'dmp.fed', rpps: pro.rpps, typeCode: d.metadata.typeCode.code, patientId: patient.id, ref: d.metadata.uniqueId });
      s.detail(`${outcomes.length} sent after the deferral; the draft was cancelled before leaving`);
      return outcomes;
    });
  } finally {
    await queue.close();
  }

  const annuaire = new AnnuaireClient({ baseUrl: `${env.listeners.http.url}/fhir/v2`, apiKey: ANNUAIRE_DEMO_KEY, sandbox: session.sandbox });
  const target = correspondentOf(session);
  const correspondent = await run.step('Annuaire Santé: the correspondent’s MSSanté mailbox', async (s) => {
    const boxes = await annuaire.findMailboxes({ identifier: target.rpps });
    const box = boxes.find((b) => b.type === 'PER') ?? boxes[0];
    if (!box) throw new Error(`no MSSanté mailbox for RPPS ${target.rpps} in the Annuaire Santé`);
    s.detail(`${box.owner.name ?? target.lastName} (RPPS ${target.rpps}): ${box.address}`);
    return { rpps: target.rpps, address: box.address };
  });

  const sender = await session.mssSender();
  const mssPatient = mssPatientOf(record, patient);
  const submissionSet = () => submissionSetFor(documents, { sourceId: LGC_SOFTWARE.sourceId, submissionTime: new Date(), uniqueId: session.oids.next() });
  await run.step('MSSanté: to the correspondent', async (s) => {
    const sent = await sender.sendDocuments({ from: session.mailbox, to: [correspondent.address], patient: mssPatient, documents, submissionSet: submissionSet(), body: `Cher confrère, veuillez trouver ci-joint les documents de ${patient.firstName} ${patient.birthName}.`, requestReadReceipt: true });
    if (!sent.accepted.includes(correspondent.address)) throw new Error(`refused: ${sent.response}`);
    for (const d of documents) await records.log({ kind: 'mss.sent.pro', rpps: pro.rpps, typeCode: d.metadata.typeCode.code, patientId: patient.id, ref: d.metadata.uniqueId });
    s.detail(`"${sent.subject}" ${sent.response}`);
  });

  const citizen = patient.mssPatientAddress;
  await run.step('MSSanté: to the patient’s Mon espace santé mailbox', async (s) => {
    if (!citizen) throw new Error(`${patient.id} has no Mon espace santé address`);
    const sent = await sender.sendDocuments({ from: session.mailbox, to: [citizen], patient: mssPatient, documents, submissionSet: submissionSet(), body: 'Bonjour, voici vos documents de consultation.', closeConversation: true });
    if (!sent.accepted.includes(citizen)) throw new Error(`refused: ${sent.response}`);
    for (const d of documents) await records.log({ kind: 'mss.sent.citizen', rpps: pro.rpps, typeCode: d.metadata.typeCode.code, patientId: patient.id, ref: d.metadata.uniqueId });
    s.detail(`${citizen}: ${sent.response}`);
  });

  const prescription = await prescriptionEnYStep(session, run, { patient, dmp });
  return { documents, fed, correspondent, citizenAddress: citizen, prescription };
}
