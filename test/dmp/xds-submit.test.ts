/**
 * ITI-41 (TD2.1) over real sockets: MTOM and inline base64, the signature entry, the round trip to ITI-18
 * and ITI-43 (bytes, SHA-1 and size), replacement chains, and what the metadata validation refuses.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Patient, Professional } from '../../fixtures/types.js';
import { dossiersWhere, pickDossier, type DmpTestHost } from './support.js';
import {
  asPs,
  entries,
  FAILURE,
  findDocuments,
  makeDocument,
  makeReplacement,
  provide,
  Q,
  retrieve,
  retrievedDocuments,
  ST,
  storedQuery,
  startXdsHost,
  SUCCESS,
} from './xds-helpers.js';

let t: DmpTestHost;
let patient: Patient;
let ins: string;
let author: Professional;

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

beforeAll(async () => {
  t = await startXdsHost();
  const picked = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
  patient = picked.patient;
  ins = picked.ins;
  // An author the dossier trusts to consult as well (an authorized médecin), so the round trip can read back.
  const auth = [...picked.dossier.authorizations.values()].find((a) => a.status === 'VALIDE');
  author = t.world.professionals.find((p) => p.idNat === auth?.idNat) ?? t.world.professionals.find((p) => p.profession.code === '10')!;
});
afterAll(() => t?.close());

describe('ITI-41 ProvideAndRegisterDocumentSet-b', () => {
  it('stores an N1 PDF CDA sent over MTOM; ITI-18 reports its SHA-1 and size, ITI-43 returns the same bytes', async () => {
    const doc = makeDocument(t.world, patient, author);
    const r = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
    expect(r.status).toBe(200);
    expect(r.errors).toEqual([]);
    expect(r.registryStatus).toBe(SUCCESS);
    expect(r.body?.name).toBe('RegistryResponse');

    const found = await findDocuments(t.http, ins, asPs(t.world, author, ins));
    expect(found.registryStatus).toBe(SUCCESS);
    const mine = entries(found).find((e) => e.uniqueId === doc.metadata.uniqueId);
    expect(mine).toBeDefined();
    expect(mine!.status).toBe(ST.approved);
    expect(mine!.id).toBe(mine!.lid);
    expect(mine!.version).toBe('1');
    expect(mine!.hash).toBe(sha1(doc.content));
    expect(mine!.size).toBe(String(doc.content.byteLength));
    // The signature entry is stored but not listed among the documents.
    expect(entries(found).some((e) => e.classCode === 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1')).toBe(false);

    const got = await retrieve(t.http, [doc.metadata.uniqueId], asPs(t.world, author, ins));
    expect(got.status).toBe(200);
    expect(got.contentType).toMatch(/^multipart\/related/);
    expect(got.registryStatus).toBe(SUCCESS);
    const bytes = retrievedDocuments(got).get(doc.metadata.uniqueId);
    expect(bytes).toBeDefined();
    expect(Buffer.compare(bytes!, Buffer.from(doc.content))).toBe(0);
    expect(sha1(bytes!)).toBe(mine!.hash);
    // The href is URL-encoded as the live DMP writes it.
    expect(got.text).toMatch(/href="cid:[0-9a-f-]+-\d+@urn%3Aihe%3Aiti%3Axds-b%3A2007"/);
  });

  it('accepts inline base64 documents (no MTOM) and returns them identically', async () => {
    const doc = makeDocument(t.world, patient, author, { kind: 'cr-bio' });
    const r = await provide(t.http, { docs: [{ doc }], inline: true }, asPs(t.world, author, ins));
    expect(r.errors).toEqual([]);
    expect(r.registryStatus).toBe(SUCCESS);
    const got = await retrieve(t.http, [doc.metadata.uniqueId], asPs(t.world, author, ins));
    expect(Buffer.compare(retrievedDocuments(got).get(doc.metadata.uniqueId)!, Buffer.from(doc.content))).toBe(0);
  });

  it('checks hash and size when given', async () => {
    const doc = makeDocument(t.world, patient, author);
    const ok = await provide(t.http, { docs: [{ doc, hash: sha1(doc.content), size: doc.content.byteLength }] }, asPs(t.world, author, ins));
    expect(ok.registryStatus).toBe(SUCCESS);
    const doc2 = makeDocument(t.world, patient, author);
    const bad = await provide(t.http, { docs: [{ doc: doc2, hash: '0'.repeat(40), size: 12 }] }, asPs(t.world, author, ins));
    expect(bad.registryStatus).toBe(FAILURE);
    expect(bad.errors.map((e) => e.code).sort()).toEqual(['XDSNonIdenticalHash', 'XDSNonIdenticalSize']);
    expect(bad.errors[0]!.severity).toBe('urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error');
  });

  it('refuses a uniqueId already in the registry or twice in one message', async () => {
    const doc = makeDocument(t.world, patient, author);
    expect((await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins))).registryStatus).toBe(SUCCESS);
    const again = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
    expect(again.errors.map((e) => e.code)).toContain('XDSDuplicateUniqueIdInRegistry');
    const twin = makeDocument(t.world, patient, author);
    const both = await provide(t.http, { docs: [{ doc: twin }, { doc: twin, id: 'Document02' }] }, asPs(t.world, author, ins));
    expect(both.errors.map((e) => e.code)).toContain('XDSRegistryDuplicateUniqueIdInMessage');
  });

  it('answers XDSMissingDocument and XDSMissingDocumentMetadata', async () => {
    const doc = makeDocument(t.world, patient, author);
    const noContent = await provide(t.http, { docs: [{ doc, noContent: true }] }, asPs(t.world, author, ins));
    expect(noContent.errors.map((e) => e.code)).toContain('XDSMissingDocument');
    const orphan = await provide(t.http, { docs: [{ doc: makeDocument(t.world, patient, author) }], inline: true, extraDocuments: '<ns4:Document id="Ghost">QUJD</ns4:Document>' }, asPs(t.world, author, ins));
    expect(orphan.errors.map((e) => e.code)).toContain('XDSMissingDocumentMetadata');
  });

  it('validates the metadata against the DMP value sets and identifiers', async () => {
    const doc = makeDocument(t.world, patient, author);
    const m = doc.metadata;
    const bad = {
      ...m,
      classCode: { ...m.classCode, code: '99' },
      formatCode: { ...m.formatCode, code: 'urn:nope' },
      authors: [{ ...m.authors[0]!, person: '123^DOE^JOHN^^^^^^&1.2.3&ISO^D^^^IDNPS' }],
      creationTime: '2025-13-45',
    };
    const r = await provide(t.http, { docs: [{ doc, metadata: bad }] }, asPs(t.world, author, ins));
    expect(r.registryStatus).toBe(FAILURE);
    const contexts = r.errors.map((e) => `${e.code} ${e.context}`).join('\n');
    expect(contexts).toMatch(/XDSRegistryMetadataError classCode "99"/);
    expect(contexts).toMatch(/formatCode "urn:nope"/);
    expect(contexts).toMatch(/authorPerson/);
    expect(contexts).toMatch(/creationTime "2025-13-45"/);
    expect(r.errors.every((e) => e.location)).toBe(true);
  });

  it('checks the CDA header against the metadata (patient, uniqueId)', async () => {
    const doc = makeDocument(t.world, patient, author);
    const other = dossiersWhere(t, (d) => d.status === 'active' && d.ins !== ins)[0]!;
    const otherPatient = t.world.patients.find((p) => p.id === other.patientId)!;
    const foreign = makeDocument(t.world, otherPatient, author);
    // This patient's metadata on another patient's CDA.
    const r = await provide(t.http, { docs: [{ doc, content: foreign.content }] }, asPs(t.world, author, ins));
    expect(r.errors.map((e) => e.code)).toContain('XDSPatientIdDoesNotMatch');
    expect(r.errors.map((e) => e.context).join(' ')).toMatch(/ClinicalDocument\/id/);
  });

  it('answers XDSUnknownPatientId for a patient without DMP and DMPClosed for a closed one', async () => {
    const noDmp = t.world.patients.find((p) => p.ins && !t.dossiers.get(p.ins.matricule))!;
    const r = await provide(t.http, { docs: [{ doc: makeDocument(t.world, noDmp, author) }] }, asPs(t.world, author, noDmp.ins!.matricule));
    expect(r.errors.map((e) => e.code)).toEqual(['XDSUnknownPatientId']);
    const closed = pickDossier(t, (d) => d.status === 'closed', 'a closed dossier');
    const c = await provide(t.http, { docs: [{ doc: makeDocument(t.world, closed.patient, author) }] }, asPs(t.world, author, closed.ins));
    expect(c.errors.map((e) => e.code)).toEqual(['DMPClosed']);
  });
});

describe('replacement (RPLC)', () => {
  it('deprecates v1, registers v2 with a new lid, and GetRelatedDocuments links them', async () => {
    const v1 = makeDocument(t.world, patient, author);
    expect((await provide(t.http, { docs: [{ doc: v1 }] }, asPs(t.world, author, ins))).registryStatus).toBe(SUCCESS);
    const e1 = entries(await findDocuments(t.http, ins, asPs(t.world, author, ins))).find((e) => e.uniqueId === v1.metadata.uniqueId)!;
    const v2 = makeReplacement(v1);
    const r = await provide(t.http, { docs: [{ doc: v2, replaces: e1.id }] }, asPs(t.world, author, ins));
    expect(r.errors).toEqual([]);
    const all = entries(await findDocuments(t.http, ins, { ...asPs(t.world, author, ins), status: [ST.approved, ST.deprecated] }));
    const old = all.find((e) => e.uniqueId === v1.metadata.uniqueId)!;
    const fresh = all.find((e) => e.uniqueId === v2.metadata.uniqueId)!;
    expect(old.status).toBe(ST.deprecated);
    expect(fresh.status).toBe(ST.approved);
    expect(fresh.lid).not.toBe(old.lid);
    const approvedOnly = entries(await findDocuments(t.http, ins, asPs(t.world, author, ins)));
    expect(approvedOnly.some((e) => e.uniqueId === v1.metadata.uniqueId)).toBe(false);

    const related = await storedQuery(t.http, Q.getRelatedDocuments, { $XDSDocumentEntryUniqueId: `'${v2.metadata.uniqueId}'`, $AssociationTypes: "('urn:ihe:iti:2007:AssociationType:RPLC')" }, asPs(t.world, author, ins));
    expect(related.registryStatus).toBe(SUCCESS);
    expect(entries(related).map((e) => e.uniqueId).sort()).toEqual([v1.metadata.uniqueId, v2.metadata.uniqueId].sort());
    const assoc = related.body!.children[0]!.children.find((c) => c.name === 'Association')!;
    expect(assoc.attrs).toMatchObject({ associationType: 'urn:ihe:iti:2007:AssociationType:RPLC', sourceObject: fresh.id, targetObject: old.id });

    // Replacing the deprecated version again is refused.
    const v3 = makeReplacement(v1);
    const again = await provide(t.http, { docs: [{ doc: v3, replaces: e1.id }] }, asPs(t.world, author, ins));
    expect(again.errors.map((e) => e.code)).toContain('XDSRegistryDeprecatedDocumentError');
  });

  it('refuses an RPLC whose CDA parent is another document', async () => {
    const a = makeDocument(t.world, patient, author);
    const b = makeDocument(t.world, patient, author);
    await provide(t.http, { docs: [{ doc: a }] }, asPs(t.world, author, ins));
    await provide(t.http, { docs: [{ doc: b }] }, asPs(t.world, author, ins));
    const list = entries(await findDocuments(t.http, ins, asPs(t.world, author, ins)));
    const eb = list.find((e) => e.uniqueId === b.metadata.uniqueId)!;
    const replacingA = makeReplacement(a);
    const r = await provide(t.http, { docs: [{ doc: replacingA, replaces: eb.id }] }, asPs(t.world, author, ins));
    expect(r.registryStatus).toBe(FAILURE);
    expect(r.errors.map((e) => e.context).join(' ')).toMatch(/parentDocument/);
  });
});

describe('lenient mode', () => {
  let lenient: DmpTestHost;
  beforeAll(async () => {
    lenient = await startXdsHost({ mode: 'lenient' });
  });
  afterAll(() => lenient?.close());

  it('stores a document with metadata problems and reports them in the journal', async () => {
    const doc = makeDocument(lenient.world, patient, author);
    const bad = { ...doc.metadata, classCode: { ...doc.metadata.classCode, code: '99' } };
    const r = await provide(lenient.http, { docs: [{ doc, metadata: bad }] }, asPs(lenient.world, author, ins));
    expect(r.registryStatus).toBe(SUCCESS);
    const found = entries(await findDocuments(lenient.http, ins, asPs(lenient.world, author, ins)));
    expect(found.find((e) => e.uniqueId === doc.metadata.uniqueId)?.classCode).toBe('99');
    const journal = await lenient.admin.journal('default', { service: 'dmp', operation: 'ITI-41' });
    const entry = journal.entries.find((e) => e.verdicts.some((v) => v.level === 'error' && v.message.includes('classCode "99"')));
    expect(entry).toBeDefined();
    expect(entry!.verdicts.find((v) => v.message.includes('classCode "99"'))!.rule).toBe('dmp.xds.XDSRegistryMetadataError');
  });
});
