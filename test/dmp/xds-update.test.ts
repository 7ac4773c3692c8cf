/**
 * ITI-57 UpdateDocumentSet (TD3.3a–d): archive / unarchive / delete by UpdateAvailabilityStatus, and the
 * metadata updates that mask, unmask and make visible (new entryUUID, same lid, version + 1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XdsCode } from '../../fixtures/documents/types.js';
import type { Patient, Professional } from '../../fixtures/types.js';
import type { Dossier } from '../../simulators/dmp/dossiers.js';
import { pickDossier, type DmpTestHost } from './support.js';
import {
  asPs,
  entries,
  findDocuments,
  makeDocument,
  metadataUpdateXml,
  provide,
  Q,
  retrieve,
  retrievedDocuments,
  ST,
  startXdsHost,
  statusUpdateXml,
  storedQuery,
  submissionSetOf,
  SUCCESS,
  updateSet,
  type EntryView,
} from './xds-helpers.js';

let t: DmpTestHost;
let dossier: Dossier;
let patient: Patient;
let ins: string;
let a: Professional;
let b: Professional;

const N: XdsCode = { code: 'N', scheme: '2.16.840.1.113883.5.25', display: 'Normal' };
const vis = (code: string): XdsCode => ({ code, scheme: '1.2.250.1.213.1.1.4.13', display: code });
const prof = (idNat: string) => t.world.professionals.find((p) => p.idNat === idNat);

beforeAll(async () => {
  t = await startXdsHost();
  const picked = pickDossier(
    t,
    (d) => d.status === 'active' && [...d.authorizations.values()].filter((x) => x.status === 'VALIDE' && x.idNat !== d.medecinTraitant && prof(x.idNat)?.profession.code === '10').length >= 2,
    'a dossier with two authorized médecins',
  );
  dossier = picked.dossier;
  patient = picked.patient;
  ins = picked.ins;
  [a, b] = [...dossier.authorizations.values()].filter((x) => x.status === 'VALIDE' && x.idNat !== dossier.medecinTraitant).map((x) => prof(x.idNat)).filter((p): p is Professional => p?.profession.code === '10') as [Professional, Professional];
});
afterAll(() => t?.close());

async function submitted(o: { confidentiality?: ('MASQUE_PS' | 'INVISIBLE_PATIENT' | 'INVISIBLE_REPRESENTANTS_LEGAUX')[] } = {}) {
  const doc = makeDocument(t.world, patient, a, o);
  const r = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, a, ins));
  expect(r.errors).toEqual([]);
  const entry = await current(doc.metadata.uniqueId);
  return { doc, entry };
}

async function current(uniqueId: string, who = a): Promise<EntryView> {
  const r = await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${uniqueId}')` }, asPs(t.world, who, ins));
  const [e] = entries(r);
  if (!e) throw new Error(`no entry for ${uniqueId}: ${r.text.slice(0, 400)}`);
  return e;
}

function ssFor(doc: ReturnType<typeof makeDocument>) {
  return submissionSetOf(doc);
}

describe('TD3.3c/d UpdateAvailabilityStatus', () => {
  it('archives, unarchives and deletes (logically) a document', async () => {
    const { doc, entry } = await submitted();
    const archive = await updateSet(t.http, statusUpdateXml(ssFor(doc), entry.id, ST.approved, ST.archived), asPs(t.world, a, ins));
    expect(archive.status).toBe(200);
    expect(archive.errors).toEqual([]);
    expect(archive.registryStatus).toBe(SUCCESS);
    expect(archive.text).toContain('xmlns:ns6="urn:hl7-org:v3"');
    expect((await current(doc.metadata.uniqueId)).status).toBe(ST.archived);
    const approvedOnly = entries(await findDocuments(t.http, ins, asPs(t.world, a, ins)));
    expect(approvedOnly.some((e) => e.uniqueId === doc.metadata.uniqueId)).toBe(false);
    const archived = entries(await findDocuments(t.http, ins, { ...asPs(t.world, a, ins), status: [ST.archived] }));
    expect(archived.map((e) => e.uniqueId)).toContain(doc.metadata.uniqueId);

    const unarchive = await updateSet(t.http, statusUpdateXml(ssFor(doc), entry.id, ST.archived, ST.approved), asPs(t.world, a, ins));
    expect(unarchive.errors).toEqual([]);
    expect((await current(doc.metadata.uniqueId)).status).toBe(ST.approved);

    const del = await updateSet(t.http, statusUpdateXml(ssFor(doc), entry.id, ST.approved, ST.deleted), asPs(t.world, a, ins));
    expect(del.errors).toEqual([]);
    const deleted = entries(await findDocuments(t.http, ins, { ...asPs(t.world, a, ins), status: [ST.deleted] }));
    expect(deleted.map((e) => e.uniqueId)).toContain(doc.metadata.uniqueId);
    // Logical deletion: the content is still there for authorized professionals.
    expect(retrievedDocuments(await retrieve(t.http, [doc.metadata.uniqueId], asPs(t.world, a, ins))).has(doc.metadata.uniqueId)).toBe(true);
    // Nothing comes back from Deleted.
    const revive = await updateSet(t.http, statusUpdateXml(ssFor(doc), entry.id, ST.deleted, ST.approved), asPs(t.world, a, ins));
    expect(revive.errors.map((e) => e.code)).toEqual(['XDSMetadataUpdateError']);
  });

  it('refuses a wrong OriginalStatus, an unknown document, and another author’s document', async () => {
    const { doc, entry } = await submitted();
    const wrong = await updateSet(t.http, statusUpdateXml(ssFor(doc), entry.id, ST.archived, ST.deleted), asPs(t.world, a, ins));
    expect(wrong.errors.map((e) => e.code)).toEqual(['XDSMetadataUpdateError']);
    const unknown = await updateSet(t.http, statusUpdateXml(ssFor(doc), 'urn:uuid:00000000-0000-4000-8000-000000000000', ST.approved, ST.archived), asPs(t.world, a, ins));
    expect(unknown.errors.map((e) => e.code)).toEqual(['XDSMetadataUpdateError']);
    const other = await updateSet(t.http, statusUpdateXml(ssFor(doc), entry.id, ST.approved, ST.archived), asPs(t.world, b, ins));
    expect(other.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    expect((await current(doc.metadata.uniqueId)).status).toBe(ST.approved);
  });
});

describe('TD3.3a/b metadata update', () => {
  it('masks then unmasks: new entryUUID, same lid, version + 1, previous version Deprecated', async () => {
    const { doc, entry } = await submitted();
    expect(entry.version).toBe('1');
    const mask = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 1, [N, vis('MASQUE_PS')]), asPs(t.world, a, ins));
    expect(mask.errors).toEqual([]);
    const v2 = await current(doc.metadata.uniqueId);
    expect(v2.version).toBe('2');
    expect(v2.lid).toBe(entry.lid);
    expect(v2.id).not.toBe(entry.id);
    expect(v2.status).toBe(ST.approved);
    expect(v2.confidentiality.sort()).toEqual(['MASQUE_PS', 'N']);
    // The previous version is Deprecated; b no longer sees the document.
    const all = entries(await findDocuments(t.http, ins, { ...asPs(t.world, a, ins), status: [ST.approved, ST.deprecated] })).filter((e) => e.uniqueId === doc.metadata.uniqueId);
    expect(all.map((e) => `${e.version}:${e.status}`).sort()).toEqual([`1:${ST.deprecated}`, `2:${ST.approved}`]);
    expect(entries(await findDocuments(t.http, ins, asPs(t.world, b, ins))).some((e) => e.uniqueId === doc.metadata.uniqueId)).toBe(false);

    // A stale PreviousVersion is refused.
    const stale = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 1, [N]), asPs(t.world, a, ins));
    expect(stale.errors.map((e) => e.code)).toEqual(['XDSMetadataVersionError']);

    const unmask = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 2, [N]), asPs(t.world, a, ins));
    expect(unmask.errors).toEqual([]);
    const v3 = await current(doc.metadata.uniqueId);
    expect(v3.version).toBe('3');
    expect(v3.confidentiality).toEqual(['N']);
    expect(entries(await findDocuments(t.http, ins, asPs(t.world, b, ins))).some((e) => e.uniqueId === doc.metadata.uniqueId)).toBe(true);
  });

  it('makes a document visible to the patient, never invisible again; legal representatives both ways', async () => {
    const { doc, entry } = await submitted({ confidentiality: ['INVISIBLE_PATIENT'] });
    expect(entry.confidentiality.sort()).toEqual(['INVISIBLE_PATIENT', 'N']);
    const visible = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 1, [N]), asPs(t.world, a, ins));
    expect(visible.errors).toEqual([]);
    const hideAgain = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 2, [N, vis('INVISIBLE_PATIENT')]), asPs(t.world, a, ins));
    expect(hideAgain.errors.map((e) => e.code)).toEqual(['XDSMetadataUpdateError']);
    const reps = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 2, [N, vis('INVISIBLE_REPRESENTANTS_LEGAUX')]), asPs(t.world, a, ins));
    expect(reps.errors).toEqual([]);
    expect((await current(doc.metadata.uniqueId)).confidentiality.sort()).toEqual(['INVISIBLE_REPRESENTANTS_LEGAUX', 'N']);
  });

  it('refuses masking in bris de glace and another author’s update', async () => {
    const { doc, entry } = await submitted();
    const bdg = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 1, [N, vis('MASQUE_PS')]), asPs(t.world, a, ins, { purposeOfUse: 'bris_de_glace' }));
    expect(bdg.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    const other = await updateSet(t.http, metadataUpdateXml(ssFor(doc), doc.metadata, entry.lid, 1, [N, vis('MASQUE_PS')]), asPs(t.world, b, ins));
    expect(other.errors.map((e) => e.code)).toEqual(['DMPAccessDeniedByRightsService']);
    expect((await current(doc.metadata.uniqueId)).version).toBe('1');
  });

  it('refuses a change of anything but visibility', async () => {
    const { doc, entry } = await submitted();
    const m = { ...doc.metadata, typeCode: { code: '11502-2', scheme: '2.16.840.1.113883.6.1', display: "CR d'examens biologiques" } };
    const r = await updateSet(t.http, metadataUpdateXml(ssFor(doc), m, entry.lid, 1, [N, vis('MASQUE_PS')]), asPs(t.world, a, ins));
    expect(r.errors.map((e) => e.code)).toEqual(['XDSMetadataUpdateError']);
    expect(r.errors[0]!.context).toMatch(/typeCode/);
  });
});
