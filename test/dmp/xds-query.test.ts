/**
 * ITI-18 RegistryStoredQuery (TD3.1) and ITI-43 RetrieveDocumentSet (TD3.2): the official response shape,
 * seeded documents, the IHE parameter syntax and filters, every stored query the DMP clients use, the
 * query errors, several DocumentRequests, and the scenario outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patient, Professional } from '../../fixtures/types.js';
import { seededDmpEntries } from '../../fixtures/dmp.js';
import { pickDossier, type DmpTestHost } from './support.js';
import {
  asPs,
  entries,
  FAILURE,
  findDocuments,
  makeDocument,
  PARTIAL,
  provide,
  Q,
  retrieve,
  retrievedDocuments,
  ST,
  startXdsHost,
  storedQuery,
  SUCCESS,
} from './xds-helpers.js';

let t: DmpTestHost;
let patient: Patient;
let ins: string;
let author: Professional;
let mine: ReturnType<typeof makeDocument>[] = [];

const prof = (idNat: string) => t.world.professionals.find((p) => p.idNat === idNat);

beforeAll(async () => {
  t = await startXdsHost();
  const picked = pickDossier(t, (d) => d.status === 'active' && !!d.medecinTraitant && seededDmpEntries(t.world, d.patientId).length >= 3, 'an active dossier with seeded documents');
  patient = picked.patient;
  ins = picked.ins;
  author = prof(picked.dossier.medecinTraitant!)!;
  mine = [makeDocument(t.world, patient, author, { kind: 'cr-bio' }), makeDocument(t.world, patient, author, { kind: 'n1-pdf' })];
  for (const doc of mine) {
    const r = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
    if (r.errors.length) throw new Error(JSON.stringify(r.errors));
  }
});
afterAll(() => t?.close());

describe('ITI-18 response shape', () => {
  it('answers as the official TD3.1 sample: ns3:AdhocQueryResponse, ns4:ExtrinsicObject with every slot, classification and identifier', async () => {
    const r = await findDocuments(t.http, ins, asPs(t.world, author, ins));
    expect(r.status).toBe(200);
    expect(r.text).toContain('<Action xmlns="http://www.w3.org/2005/08/addressing">urn:ihe:iti:2007:RegistryStoredQueryResponse</Action>');
    expect(r.text).toMatch(/<ns3:AdhocQueryResponse startIndex="0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success" totalResultCount="\d+" xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:ns4="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"/);
    expect(r.text).toContain('<ns4:RegistryObjectList><ns4:ExtrinsicObject id="urn:uuid:');
    const list = entries(r);
    expect(Number(r.body!.attrs.totalResultCount)).toBe(list.length);
    const e = list.find((x) => x.uniqueId === mine[0]!.metadata.uniqueId)!;
    const el = e.el;
    expect(el.attrs).toMatchObject({ isOpaque: 'false', mimeType: 'text/xml', objectType: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1', status: ST.approved });
    const slots = el.children.filter((c) => c.name === 'Slot').map((c) => c.attrs.name);
    expect(slots).toEqual([...slots].sort());
    for (const s of ['creationTime', 'hash', 'languageCode', 'repositoryUniqueId', 'size', 'sourcePatientId', 'sourcePatientInfo']) expect(slots).toContain(s);
    const order = el.children.map((c) => c.name).filter((n, i, a) => a.indexOf(n) === i);
    expect(order).toEqual(['Slot', 'Name', 'Description', 'VersionInfo', 'Classification', 'ExternalIdentifier'].filter((n) => order.includes(n)));
    const schemes = el.children.filter((c) => c.name === 'Classification').map((c) => c.attrs.classificationScheme);
    expect(schemes[0]).toBe('urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d');
    expect(schemes).toContain('urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a');
    expect(schemes[schemes.length - 1]).toBe('urn:uuid:f0306f51-975f-434e-a61c-c59651d33983');
    for (const c of el.children.filter((x) => x.name === 'Classification')) {
      expect(c.attrs.classifiedObject).toBe(e.id);
      expect(c.attrs.id).toMatch(/^urn:uuid:/);
    }
    const author0 = el.children.find((c) => c.attrs.classificationScheme === 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d')!;
    expect(author0.attrs.nodeRepresentation).toBe('');
    expect(author0.children.map((s) => s.attrs.name)).toEqual(['authorInstitution', 'authorPerson', 'authorSpecialty']);
    const ext = el.children.filter((c) => c.name === 'ExternalIdentifier').map((c) => c.attrs.identificationScheme);
    expect(ext).toEqual(['urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427', 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab']);
    expect(el.children.find((c) => c.name === 'Slot' && c.attrs.name === 'repositoryUniqueId')!.children[0]!.children[0]!.text).toBe('1.2.250.1.213.4.1.1.1.2');
  });

  it('lists the seeded documents of the patient with stable entryUUIDs', async () => {
    const seeded = seededDmpEntries(t.world, patient.id);
    const r = entries(await findDocuments(t.http, ins, { ...asPs(t.world, author, ins), status: [ST.approved, ST.deprecated] }));
    const approvedSeeds = seeded.filter((s) => s.availabilityStatus === 'Approved').map((s) => s.document.metadata.uniqueId);
    // Masked seeded documents of other authors are visible to the MT (the caller here).
    for (const uid of approvedSeeds) expect(r.find((e) => e.uniqueId === uid)?.status).toBe(ST.approved);
    const other = await startXdsHost();
    try {
      const again = entries(await findDocuments(other.http, ins, { ...asPs(other.world, author, ins), status: [ST.approved, ST.deprecated] }));
      for (const uid of approvedSeeds) expect(again.find((e) => e.uniqueId === uid)?.id).toBe(r.find((e) => e.uniqueId === uid)?.id);
    } finally {
      await other.close();
    }
    // A seeded document can be retrieved (content regenerated from the fixtures).
    const first = seeded.find((s) => s.availabilityStatus === 'Approved')!.document;
    const got = await retrieve(t.http, [first.metadata.uniqueId], asPs(t.world, author, ins));
    expect(Buffer.compare(retrievedDocuments(got).get(first.metadata.uniqueId)!, Buffer.from(first.content))).toBe(0);
  });
});

describe('ITI-18 parameters and filters', () => {
  const pid = () => `'${ins}^^^&1.2.250.1.213.1.4.10&ISO^NH'`;
  const run = (extra: Record<string, string | string[]>) => findDocuments(t.http, ins, { ...asPs(t.world, author, ins), extra });
  const uids = async (extra: Record<string, string | string[]>) => entries(await run(extra)).map((e) => e.uniqueId);

  it('filters by class, type, format, practice setting, HCFT (OR within a parameter)', async () => {
    const bio = mine[0]!.metadata;
    const n1 = mine[1]!.metadata;
    expect(await uids({ $XDSDocumentEntryTypeCode: `('${bio.typeCode.code}^^${bio.typeCode.scheme}')` })).toContain(bio.uniqueId);
    expect(await uids({ $XDSDocumentEntryTypeCode: `('${bio.typeCode.code}^^${bio.typeCode.scheme}')` })).not.toContain(n1.uniqueId);
    const both = await uids({ $XDSDocumentEntryFormatCode: `('${bio.formatCode.code}^^${bio.formatCode.scheme}','${n1.formatCode.code}^^${n1.formatCode.scheme}')` });
    expect(both).toEqual(expect.arrayContaining([bio.uniqueId, n1.uniqueId]));
    expect(await uids({ $XDSDocumentEntryClassCode: "('42^^1.2.250.1.213.1.1.4.1')", $XDSDocumentEntryFormatCode: `('${bio.formatCode.code}^^${bio.formatCode.scheme}')` })).toEqual([]);
    expect(await uids({ $XDSDocumentEntryPracticeSettingCode: `('${bio.practiceSettingCode.code}^^${bio.practiceSettingCode.scheme}')`, $XDSDocumentEntryHealthcareFacilityTypeCode: `('${bio.healthcareFacilityTypeCode.code}^^${bio.healthcareFacilityTypeCode.scheme}')` })).toContain(bio.uniqueId);
  });

  it('filters by creation time (From inclusive, To exclusive) and author person (LIKE)', async () => {
    const bio = mine[0]!.metadata;
    expect(await uids({ $XDSDocumentEntryCreationTimeFrom: bio.creationTime, $XDSDocumentEntryCreationTimeTo: '29991231' })).toContain(bio.uniqueId);
    expect(await uids({ $XDSDocumentEntryCreationTimeTo: bio.creationTime })).not.toContain(bio.uniqueId);
    expect(await uids({ $XDSDocumentEntryCreationTimeFrom: '20250102' })).toContain(bio.uniqueId);
    expect(await uids({ $XDSDocumentEntryAuthorPerson: `('${author.idNat}%')` })).toEqual(expect.arrayContaining([bio.uniqueId]));
    expect(await uids({ $XDSDocumentEntryAuthorPerson: "('000000000000%')" })).toEqual([]);
  });

  it('applies AND between Value elements and OR inside one for confidentiality codes', async () => {
    const masked = makeDocument(t.world, patient, author, { confidentiality: ['MASQUE_PS'] });
    await provide(t.http, { docs: [{ doc: masked }] }, asPs(t.world, author, ins));
    const n = "('N^^2.16.840.1.113883.5.25')";
    const m = "('MASQUE_PS^^1.2.250.1.213.1.1.4.13')";
    expect(await uids({ $XDSDocumentEntryConfidentialityCode: [n, m] })).toEqual([masked.metadata.uniqueId]);
    const either = await uids({ $XDSDocumentEntryConfidentialityCode: "('MASQUE_PS^^1.2.250.1.213.1.1.4.13','N^^2.16.840.1.113883.5.25')" });
    expect(either.length).toBeGreaterThan(1);
  });

  it('answers XDSUnknownStoredQuery, XDSStoredQueryMissingParam and XDSStoredQueryParamNumber', async () => {
    const unknown = await storedQuery(t.http, 'urn:uuid:00000000-0000-0000-0000-000000000000', { $XDSDocumentEntryPatientId: pid() }, asPs(t.world, author, ins));
    expect(unknown.registryStatus).toBe(FAILURE);
    expect(unknown.errors.map((e) => e.code)).toEqual(['XDSUnknownStoredQuery']);
    const missing = await storedQuery(t.http, Q.findDocuments, { $XDSDocumentEntryPatientId: pid() }, asPs(t.world, author, ins));
    expect(missing.errors).toMatchObject([{ code: 'XDSStoredQueryMissingParam', location: '$XDSDocumentEntryStatus' }]);
    const twice = await storedQuery(t.http, Q.findDocuments, { $XDSDocumentEntryPatientId: [pid(), pid()], $XDSDocumentEntryStatus: `('${ST.approved}')` }, asPs(t.world, author, ins));
    expect(twice.errors.map((e) => e.code)).toEqual(['XDSStoredQueryParamNumber']);
  });
});

describe('other stored queries', () => {
  it('GetDocuments by uniqueId (LeafClass, ObjectRef) and by entryUUID', async () => {
    const uid = mine[0]!.metadata.uniqueId;
    const leaf = await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${uid}')` }, asPs(t.world, author, ins));
    const [e] = entries(leaf);
    expect(e?.uniqueId).toBe(uid);
    const ref = await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${uid}')` }, { ...asPs(t.world, author, ins), returnType: 'ObjectRef' });
    expect(ref.text).toContain(`<ns4:ObjectRef id="${e!.id}"/>`);
    const byUuid = await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryEntryUUID: `('${e!.id}')` }, asPs(t.world, author, ins));
    expect(entries(byUuid).map((x) => x.uniqueId)).toEqual([uid]);
    const both = await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryEntryUUID: `('${e!.id}')`, $XDSDocumentEntryUniqueId: `('${uid}')` }, asPs(t.world, author, ins));
    expect(both.errors.map((x) => x.code)).toEqual(['XDSStoredQueryParamNumber']);
  });

  it('FindSubmissionSets, GetAssociations, GetDocumentsAndAssociations and GetSubmissionSetAndContents', async () => {
    const uid = mine[1]!.metadata.uniqueId;
    const sets = await storedQuery(t.http, Q.findSubmissionSets, { $XDSSubmissionSetPatientId: `'${ins}^^^&1.2.250.1.213.1.4.10&ISO^NH'`, $XDSSubmissionSetStatus: `('${ST.approved}')` }, asPs(t.world, author, ins));
    expect(sets.registryStatus).toBe(SUCCESS);
    const packages = sets.body!.children[0]!.children.filter((c) => c.name === 'RegistryPackage');
    expect(packages.length).toBeGreaterThanOrEqual(2);
    const [e] = entries(await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${uid}')` }, asPs(t.world, author, ins)));
    const assocs = await storedQuery(t.http, Q.getAssociations, { $uuid: `('${e!.id}')` }, asPs(t.world, author, ins));
    const hasMember = assocs.body!.children[0]!.children.filter((c) => c.name === 'Association');
    expect(hasMember.map((a) => a.attrs.associationType)).toContain('urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember');
    const ssId = hasMember.find((a) => a.attrs.targetObject === e!.id)!.attrs.sourceObject!;
    const dna = await storedQuery(t.http, Q.getDocumentsAndAssociations, { $XDSDocumentEntryEntryUUID: `('${e!.id}')` }, asPs(t.world, author, ins));
    expect(entries(dna)).toHaveLength(1);
    expect(dna.body!.children[0]!.children.some((c) => c.name === 'Association')).toBe(true);
    const contents = await storedQuery(t.http, Q.getSubmissionSetAndContents, { $XDSSubmissionSetEntryUUID: `'${ssId}'` }, asPs(t.world, author, ins));
    const list = contents.body!.children[0]!.children;
    expect(list.filter((c) => c.name === 'RegistryPackage')).toHaveLength(1);
    // The document and the signature entry of the submission.
    expect(entries(contents).map((x) => x.uniqueId)).toContain(uid);
    expect(entries(contents).some((x) => x.classCode === 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1')).toBe(true);
  });
});

describe('ITI-43 several documents and errors', () => {
  it('returns the found documents with PartialSuccess and lists the others', async () => {
    const [d1, d2] = mine as [ReturnType<typeof makeDocument>, ReturnType<typeof makeDocument>];
    const [e1] = entries(await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${d1.metadata.uniqueId}')` }, asPs(t.world, author, ins)));
    const r = await retrieve(t.http, [d1.metadata.uniqueId, d2.metadata.uniqueId, '1.2.3.4.5.404', e1!.id], asPs(t.world, author, ins));
    expect(r.status).toBe(200);
    expect(r.text).toContain('urn:ihe:iti:2007:RetrieveDocumentSetResponse');
    expect(r.registryStatus).toBe(PARTIAL);
    const docs = retrievedDocuments(r);
    expect(docs.size).toBe(2);
    expect(Buffer.compare(docs.get(d2.metadata.uniqueId)!, Buffer.from(d2.content))).toBe(0);
    expect(r.errors).toEqual([
      expect.objectContaining({ code: 'XDSDocumentUniqueIdError', context: 'uniqueId=1.2.3.4.5.404' }),
      expect.objectContaining({ code: 'XDSDocumentUniqueIdError', context: `uniqueId=${e1!.id}` }),
    ]);
    const wrongRepo = await retrieve(t.http, [d1.metadata.uniqueId], { ...asPs(t.world, author, ins), repository: '1.2.250.1.213.4.1.1.1.4' });
    expect(wrongRepo.registryStatus).toBe(FAILURE);
    expect(wrongRepo.errors.map((x) => x.code)).toEqual(['XDSUnknownRepositoryId']);
  });
});

describe('scenario outcomes', () => {
  it('dmp.registry-error answers the given code on the next submission only', async () => {
    await t.admin.uploadScenario(
      ['name: xds-registry-error', 'rules:', '  - id: once', '    match: { service: dmp, operation: ITI-41 }', '    times: 1', '    effects:', '      - outcome: { name: dmp.registry-error, with: { code: XDSRegistryBusy, context: Registre occupé } }'].join('\n'),
      true,
    );
    await t.admin.activate('xds-registry-error');
    try {
      const doc = makeDocument(t.world, patient, author);
      const first = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
      expect(first.registryStatus).toBe(FAILURE);
      expect(first.errors).toMatchObject([{ code: 'XDSRegistryBusy', context: 'Registre occupé' }]);
      const second = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
      expect(second.registryStatus).toBe(SUCCESS);
    } finally {
      await t.admin.deactivate('xds-registry-error');
    }
  });

  it('dmp.stale-version: another author replaces the retrieved document before the answer', async () => {
    const doc = makeDocument(t.world, patient, author);
    await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
    await t.admin.uploadScenario(['name: xds-stale', 'rules:', '  - id: once', '    match: { service: dmp, operation: ITI-43 }', '    times: 1', '    effects:', '      - outcome: { name: dmp.stale-version }'].join('\n'), true);
    await t.admin.activate('xds-stale');
    try {
      const got = await retrieve(t.http, [doc.metadata.uniqueId], asPs(t.world, author, ins));
      expect(retrievedDocuments(got).has(doc.metadata.uniqueId)).toBe(true);
    } finally {
      await t.admin.deactivate('xds-stale');
    }
    const all = entries(await findDocuments(t.http, ins, { ...asPs(t.world, author, ins), status: [ST.approved, ST.deprecated] }));
    expect(all.find((e) => e.uniqueId === doc.metadata.uniqueId)?.status).toBe(ST.deprecated);
    const [old] = entries(await storedQuery(t.http, Q.getDocuments, { $XDSDocumentEntryUniqueId: `('${doc.metadata.uniqueId}')` }, asPs(t.world, author, ins)));
    const related = await storedQuery(t.http, Q.getRelatedDocuments, { $XDSDocumentEntryEntryUUID: `'${old!.id}'`, $AssociationTypes: "('urn:ihe:iti:2007:AssociationType:RPLC')" }, asPs(t.world, author, ins));
    const fresh = entries(related).find((e) => e.uniqueId !== doc.metadata.uniqueId)!;
    expect(fresh.status).toBe(ST.approved);
    expect(fresh.authors[0]).not.toContain(author.idNat);
  });
});
