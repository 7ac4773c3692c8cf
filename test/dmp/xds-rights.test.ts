/**
 * Rights on the XDS transactions (dmp.md §7): feeding needs an active DMP but no authorization,
 * consultation needs a VALIDE authorization, a blocked professional gets nothing, a closed DMP refuses,
 * MASQUE_PS hides a document from other professionals but not from its author nor from the médecin
 * traitant, and a CPE may feed and find the reference of its structure's documents but not consult.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patient, Professional } from '../../fixtures/types.js';
import type { Dossier } from '../../simulators/dmp/dossiers.js';
import { pickBlockedProfessional, pickDossier, pickUnauthorizedProfessional, type DmpTestHost } from './support.js';
import { asPs, entries, FAILURE, findDocuments, makeDocument, provide, Q, retrieve, retrievedDocuments, storedQuery, startXdsHost, SUCCESS } from './xds-helpers.js';

let t: DmpTestHost;
let dossier: Dossier;
let patient: Patient;
let ins: string;
/** Two authorized médecins who are not the médecin traitant, and the médecin traitant. */
let a: Professional;
let b: Professional;
let mt: Professional;

const prof = (idNat: string) => t.world.professionals.find((p) => p.idNat === idNat);

beforeAll(async () => {
  t = await startXdsHost();
  const picked = pickDossier(
    t,
    (d) =>
      d.status === 'active' &&
      !!d.medecinTraitant &&
      [...d.authorizations.values()].filter((x) => x.status === 'VALIDE' && x.idNat !== d.medecinTraitant && prof(x.idNat)?.profession.code === '10').length >= 2,
    'a dossier with a médecin traitant and two other authorized médecins',
  );
  dossier = picked.dossier;
  patient = picked.patient;
  ins = picked.ins;
  const others = [...dossier.authorizations.values()].filter((x) => x.status === 'VALIDE' && x.idNat !== dossier.medecinTraitant).map((x) => prof(x.idNat)).filter((p): p is Professional => p?.profession.code === '10');
  [a, b] = others as [Professional, Professional];
  mt = prof(dossier.medecinTraitant!)!;
});
afterAll(() => t?.close());

describe('XDS rights', () => {
  it('feeding needs no authorization; consulting without one is refused (ITI-18 and ITI-43)', async () => {
    const stranger = pickUnauthorizedProfessional(t, dossier);
    const doc = makeDocument(t.world, patient, stranger);
    const fed = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, stranger, ins));
    expect(fed.errors).toEqual([]);
    expect(fed.registryStatus).toBe(SUCCESS);

    const q = await findDocuments(t.http, ins, asPs(t.world, stranger, ins));
    expect(q.body?.name).toBe('AdhocQueryResponse');
    expect(q.registryStatus).toBe(FAILURE);
    expect(q.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    expect(q.body?.attrs.totalResultCount).toBeUndefined();

    const r = await retrieve(t.http, [doc.metadata.uniqueId], asPs(t.world, stranger, ins));
    expect(r.registryStatus).toBe(FAILURE);
    expect(r.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    expect(retrievedDocuments(r).size).toBe(0);

    // An authorized médecin reads it.
    const ok = await findDocuments(t.http, ins, asPs(t.world, a, ins));
    expect(entries(ok).some((e) => e.uniqueId === doc.metadata.uniqueId)).toBe(true);
  });

  it('a blocked professional can neither feed nor consult', async () => {
    const blocked = pickBlockedProfessional(t, dossier);
    const fed = await provide(t.http, { docs: [{ doc: makeDocument(t.world, patient, blocked) }] }, asPs(t.world, blocked, ins));
    expect(fed.registryStatus).toBe(FAILURE);
    expect(fed.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    const q = await findDocuments(t.http, ins, asPs(t.world, blocked, ins));
    expect(q.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
  });

  it('a closed DMP refuses consultation and feeding (DMPClosed)', async () => {
    const closed = pickDossier(t, (d) => d.status === 'closed', 'a closed dossier');
    const q = await findDocuments(t.http, closed.ins, asPs(t.world, a, closed.ins));
    expect(q.errors.map((e) => e.code)).toEqual(['DMPClosed']);
    const fed = await provide(t.http, { docs: [{ doc: makeDocument(t.world, closed.patient, a) }] }, asPs(t.world, a, closed.ins));
    expect(fed.errors.map((e) => e.code)).toEqual(['DMPClosed']);
  });

  it('a MASQUE_PS document is hidden from another professional but visible to its author and to the médecin traitant', async () => {
    const doc = makeDocument(t.world, patient, a, { confidentiality: ['MASQUE_PS'] });
    expect((await provide(t.http, { docs: [{ doc }] }, asPs(t.world, a, ins))).registryStatus).toBe(SUCCESS);
    const uid = doc.metadata.uniqueId;
    const sees = async (p: Professional) => entries(await findDocuments(t.http, ins, asPs(t.world, p, ins))).some((e) => e.uniqueId === uid);
    expect(await sees(a)).toBe(true);
    expect(await sees(mt)).toBe(true);
    expect(await sees(b)).toBe(false);
    // Retrieval by the other professional: the document does not exist for them.
    const hidden = await retrieve(t.http, [uid], asPs(t.world, b, ins));
    expect(hidden.errors.map((e) => e.code)).toEqual(['XDSDocumentUniqueIdError']);
    const shown = await retrieve(t.http, [uid], asPs(t.world, mt, ins));
    expect(retrievedDocuments(shown).has(uid)).toBe(true);
    // Bris de glace: masked documents stay hidden from others.
    const bdg = await findDocuments(t.http, ins, asPs(t.world, b, ins, { purposeOfUse: 'bris_de_glace' }));
    expect(entries(bdg).some((e) => e.uniqueId === uid)).toBe(false);
  });

  it('a CPE (secrétariat) feeds and finds the reference of its structure’s documents, but cannot consult', async () => {
    const staff = t.world.staff.find((s) => t.world.professionals.some((p) => p.exercices[0]?.activities[0]?.structureId === s.structureId && dossier.authorizations.get(p.idNat)?.status !== 'INTERDIT'))!;
    const structure = t.world.structures.find((s) => s.id === staff.structureId)!;
    const colleague = t.world.professionals.find((p) => p.exercices[0]?.activities[0]?.structureId === staff.structureId && dossier.authorizations.get(p.idNat)?.status !== 'INTERDIT')!;
    const cpe = {
      ins,
      nameId: staff.idNat,
      profession: { code: 'SECRETARIAT_MEDICAL', codeSystem: '1.2.250.1.213.1.1.4.6', displayName: 'Secrétariat médical' },
      specialty: null,
      structureId: structure.idNat,
      secteur: structure.secteurActivite.code,
    };
    const doc = makeDocument(t.world, patient, colleague);
    const fed = await provide(t.http, { docs: [{ doc }] }, cpe);
    expect(fed.errors).toEqual([]);
    const leaf = await findDocuments(t.http, ins, cpe);
    expect(leaf.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    const ref = await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${doc.metadata.uniqueId}')` }, { ...cpe, returnType: 'ObjectRef' });
    expect(ref.registryStatus).toBe(SUCCESS);
    const refs = ref.body!.children[0]!.children.filter((c) => c.name === 'ObjectRef');
    expect(refs).toHaveLength(1);
    expect(refs[0]!.attrs.id).toMatch(/^urn:uuid:/);
  });
});
