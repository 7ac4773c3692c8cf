/**
 * Child health and vaccination (Ségur wave 2): at a child's visit the professional records the growth
 * measures (CI-SIS CSE-MDE, "Mesures de l'enfant") and the vaccinations given (VAC-NOTE, "Note de
 * vaccination"), both structured CDA R2 N3, and feeds them to the child's DMP; the LGC then finds them there.
 */
import type { Patient, World } from '../../../fixtures/index.js';
import { dmpDossierSeedFor } from '../../../fixtures/dmp.js';
import { buildDocument, type BuiltDocument } from '../../../fixtures/documents/index.js';
import { searchDocuments } from '../../dmp/index.js';
import { LgcError } from '../environment.js';
import type { FlowRun } from '../run.js';
import type { LgcSession } from '../session.js';
import { pscLoginStep } from './identity.js';
import { knownPatient } from './reception.js';

/** A child of the world with an NIR INS and an open DMP. */
export function defaultChild(world: World): Patient {
  const child = world.patients.find((p) => p.traits.includes('child') && p.ins?.type === 'NIR' && !p.magic?.length && !p.identity.insiForbidden && dmpDossierSeedFor(world, p.id)?.status === 'active');
  if (!child) throw new LgcError('the world has no child with an INS and an open DMP');
  return child;
}

export async function childHealthFlow(session: LgcSession, run: FlowRun, opts: { patient: Patient }): Promise<{ documents: BuiltDocument[] }> {
  const { records, professional: pro } = session;
  const patient = opts.patient;
  await pscLoginStep(session, run);
  await knownPatient(session, run, patient);

  const documents = await run.step('Write the growth measures and the vaccination note', async (s) => {
    const now = Date.now();
    const docs = (['mesures-enfant', 'note-vaccination'] as const).map((kind, i) => buildDocument({ kind, patient, author: pro, structure: session.structure, uniqueId: session.oids.next(), effectiveTime: new Date(now - i * 60_000) }));
    const measures = /<tbody>(.*?)<\/tbody>/.exec(new TextDecoder().decode(docs[0]!.content))?.[1]?.match(/<tr>/g)?.length ?? 0;
    s.detail(`${docs[0]!.metadata.title} (${measures} visits), ${docs[1]!.metadata.title}`);
    return docs;
  });

  const dmp = await session.dmp();
  const ins = session.insOf(patient);
  await run.step('DMP: feed both documents (TD2.1)', async (s) => {
    for (const d of documents) {
      await dmp.submit(d);
      await records.log({ kind: 'dmp.fed', rpps: pro.rpps, typeCode: d.metadata.typeCode.code, patientId: patient.id, ref: d.metadata.uniqueId });
    }
    s.detail(documents.map((d) => `${d.metadata.typeCode.code} ${d.metadata.formatCode.code}`).join(', '));
  });

  await run.step('DMP: both found in the child’s record (TD3.1 by type)', async (s) => {
    const found = await searchDocuments(dmp, ins, { typeCodes: documents.map((d) => d.metadata.typeCode) });
    const missing = documents.filter((d) => !found.documents.some((e) => e.uniqueId === d.metadata.uniqueId));
    if (missing.length) throw new Error(`not in the DMP: ${missing.map((d) => d.metadata.title).join(', ')}`);
    s.detail(`${found.documents.length} document(s) of these types`);
  });
  return { documents };
}
