/**
 * The DMP client against the real simulator host, over real sockets (HTTPS with mutual TLS, the
 * professional's CPS certificate; VIHF in card mode). Each test file run uses its own sandbox.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  checkForNewVersions,
  DmpClient,
  DmpHl7Error,
  DmpRegistryError,
  DmpSoapFault,
  DmpUnavailableError,
  FeedingQueue,
  importDocuments,
  INS_OID,
  openPatientFile,
  replaceDocument,
  searchDocuments,
  deleteDocument,
  type DocumentEntry,
  type FeedingEvent,
} from '../../client/dmp/index.js';
import { dmpDossierSeedFor, seededDmpEntries } from '../../fixtures/dmp.js';
import { replacementOf, type BuiltDocument } from '../../fixtures/documents/index.js';
import { dmpCast } from '../../fixtures/professionals.js';
import { generateWorld, type Patient, type Professional, type World } from '../../fixtures/index.js';
import type { Pki } from '../../simulators/core/pki/index.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { cardVihf, documentFactory, insOf, LPS } from './helpers.js';

let t: TestHost;
let pki: Pki;
let world: World;
let doctor: Professional;
let mine: Patient; // the doctor is the MT, VALIDE
let notAuthorized: Patient; // open DMP, the doctor has no authorization
let closed: Patient;
let absent: Patient;
let docs: ReturnType<typeof documentFactory>;
const sandbox = `client-dmp-${randomUUID().slice(0, 8)}`;
const clients: DmpClient[] = [];

function client(extra: Partial<ConstructorParameters<typeof DmpClient>[0]> = {}): DmpClient {
  const cert = pki.professional(doctor.idNat)!;
  const c = new DmpClient({
    baseUrl: t.https,
    vihf: cardVihf(world, doctor, cert.certPem),
    tls: { cert: cert.chainPem, key: cert.keyPem, ca: pki.caCertsPem },
    lps: LPS,
    sandbox,
    defaultInsOid: INS_OID.nirTest,
    timeoutMs: 15_000,
    ...extra,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await startTestHost();
  pki = t.host.context.pki;
  const config = t.host.context.config;
  world = generateWorld({ seed: config.seed, ...config.world });
  doctor = dmpCast(world.professionals).mainMedecinTraitant!;
  const seeds = world.patients.map((p) => ({ p, d: dmpDossierSeedFor(world, p.id) }));
  mine = seeds.find(({ p, d }) => d?.status === 'active' && !p.magic?.length && d.authorizations.some((a) => a.psIdNat === doctor.idNat && a.status === 'VALIDE' && a.medecinTraitant) && seededDmpEntries(world, p.id).length >= 3)!.p;
  notAuthorized = seeds.find(({ p, d }) => d?.status === 'active' && !p.magic?.length && !d.authorizations.some((a) => a.psIdNat === doctor.idNat))!.p;
  closed = world.patients.find((p) => p.magic?.includes('dmp-closed'))!;
  absent = world.patients.find((p) => p.magic?.includes('dmp-absent'))!;
  docs = documentFactory(world, doctor, sandbox);
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  await t?.close();
});

describe('TD0.2 at opening, TD1.3a, habilitations', () => {
  it('TD0.2: the doctor is médecin traitant with a valid authorization on an open DMP', async () => {
    const r = await client().testExistence(insOf(mine));
    expect(r).toMatchObject({ exists: true, status: 'active', authorization: 'VALIDE', medecinTraitant: true });
    expect(typeof r.mesAttached).toBe('boolean');
  });

  it('TD0.2: no DMP, a closed DMP, no authorization yet', async () => {
    const c = client();
    expect(await c.testExistence(insOf(absent))).toMatchObject({ exists: false });
    expect(await c.testExistence(insOf(closed))).toMatchObject({ exists: true, status: 'closed' });
    const other = await c.testExistence(insOf(notAuthorized));
    expect(other.exists).toBe(true);
    expect(['NON_EXISTE', 'EXPIRE', undefined]).toContain(other.authorization);
  });

  it('openPatientFile: what the header shows, and the "barre MES" counts per class', async () => {
    const view = await openPatientFile(client(), insOf(mine), { windowDays: 0 });
    expect(view).toMatchObject({ state: 'authorized', canConsult: true, canFeed: true, medecinTraitant: true });
    expect(view.searchError).toBeUndefined();
    const seeded = seededDmpEntries(world, mine.id).filter((e) => e.availabilityStatus === 'Approved');
    expect(view.mesBar!.total).toBeGreaterThanOrEqual(seeded.length);
    const expected = new Map<string, number>();
    for (const e of seeded) expected.set(e.document.metadata.classCode.code, (expected.get(e.document.metadata.classCode.code) ?? 0) + 1);
    for (const [code, n] of expected) expect(view.mesBar!.classes.find((c) => c.classCode === code)?.count).toBeGreaterThanOrEqual(n);
    const known = view.documents!.map((d) => d.uniqueId);
    const again = await openPatientFile(client(), insOf(mine), { windowDays: 0, knownUniqueIds: known });
    expect(again.mesBar!.newTotal).toBe(0);
    const notAuth = await openPatientFile(client(), insOf(notAuthorized));
    expect(notAuth).toMatchObject({ state: 'authorization-needed', canConsult: false, canFeed: true, canRequestAuthorization: true });
    expect(notAuth.mesBar).toBeUndefined();
    expect((await openPatientFile(client(), insOf(absent))).state).toBe('no-dmp');
  });

  it('TD1.3a administrative data', async () => {
    const data = await client().getAdminData(insOf(mine));
    expect(data.exists).toBe(true);
    expect(data.oppositions).toBeDefined();
    expect(Array.isArray(data.addresses)).toBe(true);
  });

  it('TD0.3 AJOUT then TD1.6 lists the doctor; TD0.2 now says VALIDE', async () => {
    const c = client();
    const set = await c.setAuthorization(insOf(notAuthorized), 'AJOUT');
    expect(set.status.toLowerCase()).toBe('dmpok');
    expect((await c.testExistence(insOf(notAuthorized))).authorization).toBe('VALIDE');
    const list = await c.listAuthorizations(insOf(notAuthorized), 'TOUTE');
    expect(list.authorizations.some((a) => a.nationalId === doctor.idNat)).toBe(true);
  });

  it('TD1.4 on an already closed DMP is rejected with a typed HL7v3 error', async () => {
    const s = world.structures.find((x) => x.id === doctor.exercices[0]!.activities[0]!.structureId)!;
    const err = await client()
      .closeDossier(insOf(closed), { author: { idNat: doctor.idNat, family: doctor.lastNameRniv, given: doctor.firstNameRniv, structureId: s.idNat, structureName: s.name } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(DmpHl7Error);
    expect((err as DmpHl7Error).code).toMatch(/Closed|DMP/i);
  });

  it('TD0.4 lists the DMPs the doctor is authorized on', async () => {
    const r = await client().patientList({ since: new Date('2015-01-01T00:00:00Z'), dateType: 'LASTAUTORIZATION' });
    expect(r.patients.length).toBeGreaterThan(0);
    expect(r.patients.some((p) => p.ins?.ins === mine.ins!.matricule)).toBe(true);
  });
});

describe('feeding, search, import, versions (XDS)', () => {
  let sent: BuiltDocument;
  let sentEntry: DocumentEntry;

  it('ITI-41 (MTOM, signed) then FindDocuments finds it with hash and size; ITI-43 gives the same bytes', async () => {
    const c = client();
    sent = docs.build(mine, 'n1-pdf');
    const res = await c.submit(sent, { title: 'Consultation du jour' });
    expect(res.outcome).toBe('Success');
    const found = await searchDocuments(c, insOf(mine), { status: ['Approved'] });
    sentEntry = found.documents.find((d) => d.uniqueId === sent.metadata.uniqueId)!;
    expect(sentEntry).toBeDefined();
    expect(sentEntry).toMatchObject({ status: 'Approved', title: sent.metadata.title, classCode: { code: sent.metadata.classCode.code }, typeCode: { code: sent.metadata.typeCode.code } });
    expect(sentEntry.size).toBe(sent.content.byteLength);
    expect(sentEntry.entryUUID).toMatch(/^urn:uuid:/);
    expect(found.documents.some((d) => d.classCode.code === 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1')).toBe(false);
    const got = await c.retrieve(insOf(mine), [{ uniqueId: sent.metadata.uniqueId, repositoryUniqueId: sentEntry.repositoryUniqueId }]);
    expect(Buffer.from(got.documents[0]!.bytes).equals(Buffer.from(sent.content))).toBe(true);
  });

  it('ITI-41 inline (no MTOM) works too; sending the same uniqueId again is a DmpRegistryError', async () => {
    const c = client({ mtom: false });
    const doc = docs.build(mine, 'vsm');
    expect((await c.submit(doc)).outcome).toBe('Success');
    const again = await c.submit(doc).catch((e) => e);
    expect(again).toBeInstanceOf(DmpRegistryError);
    expect((again as DmpRegistryError).codes.join(' ')).toMatch(/Duplicate|UniqueId/i);
  });

  it('search on XDS metadata: class, type, dates, confidentiality', async () => {
    const c = client();
    const byClass = await searchDocuments(c, insOf(mine), { classCodes: [sent.metadata.classCode] });
    expect(byClass.documents.length).toBeGreaterThan(0);
    expect(byClass.documents.every((d) => d.classCode.code === sent.metadata.classCode.code)).toBe(true);
    const byType = await searchDocuments(c, insOf(mine), { typeCodes: [sent.metadata.typeCode] });
    expect(byType.documents.some((d) => d.uniqueId === sent.metadata.uniqueId)).toBe(true);
    const future = await searchDocuments(c, insOf(mine), { creationFrom: new Date(Date.now() + 86_400_000) });
    expect(future.documents).toEqual([]);
    const recent = await searchDocuments(c, insOf(mine), { creationFrom: new Date(Date.now() - 2 * 86_400_000) });
    expect(recent.documents.some((d) => d.uniqueId === sent.metadata.uniqueId)).toBe(true);
  });

  it('multi-select import: several documents in one ITI-43, integrity checked against hash and size', async () => {
    const c = client();
    const list = (await searchDocuments(c, insOf(mine))).documents.slice(0, 3);
    expect(list.length).toBeGreaterThanOrEqual(2);
    const imported = await importDocuments(c, insOf(mine), list);
    expect(imported.missing).toEqual([]);
    expect(imported.documents).toHaveLength(list.length);
    for (const d of imported.documents) {
      expect(d.integrity.sizeOk ?? true).toBe(true);
      expect(d.integrity.hashOk ?? true).toBe(true);
      expect(d.bytes.byteLength).toBeGreaterThan(0);
    }
  });

  it('replace (RPLC): the old version becomes Deprecated; the new-version notice finds the newer one', async () => {
    const c = client();
    const imported = await importDocuments(c, insOf(mine), [sentEntry]);
    const v2 = replacementOf(sent, { uniqueId: docs.oids.next(), title: 'Consultation du jour (corrigée)' });
    const res = await replaceDocument(c, insOf(mine), sentEntry, v2);
    expect(res.replaced[v2.metadata.uniqueId]).toBe(sentEntry.entryUUID);
    expect(res.newEntry).toMatchObject({ uniqueId: v2.metadata.uniqueId, status: 'Approved' });
    const old = await c.getDocuments(insOf(mine), { uniqueIds: [sent.metadata.uniqueId] });
    expect(old.documents.find((d) => d.entryUUID === sentEntry.entryUUID)?.status).toBe('Deprecated');
    const notices = await checkForNewVersions(c, insOf(mine), imported.documents.map((d) => d.ref));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: 'replaced', latest: { uniqueId: v2.metadata.uniqueId } });
    sent = v2;
    sentEntry = res.newEntry!;
  });

  it('replace by uniqueId (looked up with GetDocuments)', async () => {
    const c = client();
    const v3 = replacementOf(sent, { uniqueId: docs.oids.next() });
    const res = await c.replace(sent.metadata.uniqueId, v3);
    expect(res.replaced[v3.metadata.uniqueId]).toBe(sentEntry.entryUUID);
    sent = v3;
    sentEntry = (await c.getDocuments(insOf(mine), { uniqueIds: [v3.metadata.uniqueId] })).documents.find((d) => d.status === 'Approved')!;
  });

  it('FindSubmissionSets, GetSubmissionSetAndContents, GetRelatedDocuments (RPLC)', async () => {
    const c = client();
    const doc = docs.build(mine, 'n1-pdf');
    const res = await c.submit(doc, { title: 'Lot à retrouver' });
    const sets = await c.findSubmissionSets(insOf(mine), { submissionFrom: new Date(Date.now() - 3_600_000) });
    const mineSet = sets.submissionSets.find((s) => s.uniqueId === res.submissionSetUniqueId);
    expect(mineSet).toMatchObject({ sourceId: LPS.oid, title: 'Lot à retrouver' });
    const contents = await c.getSubmissionSetAndContents(insOf(mine), { uniqueId: res.submissionSetUniqueId });
    expect(contents.documents.map((d) => d.uniqueId)).toContain(doc.metadata.uniqueId);
    expect(contents.associations.some((a) => a.type === 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember')).toBe(true);
    const related = await c.getRelatedDocuments(insOf(mine), { entryUUID: sentEntry.entryUUID });
    expect(related.associations.some((a) => a.type === 'urn:ihe:iti:2007:AssociationType:RPLC' && a.sourceObject === sentEntry.entryUUID)).toBe(true);
  });

  it('mask / unmask / make visible to the patient (ITI-57 metadata update)', async () => {
    const c = client();
    const doc = docs.build(mine, 'n1-pdf', { confidentiality: ['INVISIBLE_PATIENT'] });
    await c.submit(doc);
    const current = async () => (await c.getDocuments(insOf(mine), { uniqueIds: [doc.metadata.uniqueId] })).documents.find((d) => d.status === 'Approved')!;
    const e1 = await current();
    expect(e1.confidentialityCodes.map((x) => x.code)).toContain('INVISIBLE_PATIENT');
    await c.mask(insOf(mine), e1);
    const e2 = await current();
    expect(e2.confidentialityCodes.map((x) => x.code)).toContain('MASQUE_PS');
    expect(e2.lid).toBe(e1.lid);
    await c.unmask(insOf(mine), e2);
    const e3 = await current();
    expect(e3.confidentialityCodes.map((x) => x.code)).not.toContain('MASQUE_PS');
    await c.makeVisibleToPatient(insOf(mine), e3);
    const e4 = await current();
    expect(e4.confidentialityCodes.map((x) => x.code)).toEqual(['N']);
  });

  it('archive / unarchive / delete (ITI-57 UpdateAvailabilityStatus)', async () => {
    const c = client();
    const doc = docs.build(mine, 'n1-pdf');
    await c.submit(doc);
    const find = async (status: string) => (await c.findDocuments(insOf(mine), { status: [status] })).documents.find((d) => d.uniqueId === doc.metadata.uniqueId);
    const e = (await find('Approved'))!;
    await c.archive(insOf(mine), e);
    expect(await find('Archived')).toBeDefined();
    await c.unarchive(insOf(mine), e.entryUUID);
    const back = (await find('Approved'))!;
    expect(back).toBeDefined();
    await deleteDocument(c, insOf(mine), back);
    expect(await find('Deleted')).toBeDefined();
    expect(await find('Approved')).toBeUndefined();
  });
});

describe('background feeding with the DMP down (scenario through the admin API)', () => {
  // The library scenario: HTTP 503 with Retry-After for 30 s after activation; deactivating it ends the outage early.
  const name = 'dmp-down-window';

  it('a deferred document the user cancels never leaves', async () => {
    const c = client();
    const q = await FeedingQueue.open({ client: c, dir: mkdtempSync(join(tmpdir(), 'client-dmp-it-')) });
    const doc = docs.build(mine);
    const h = await q.schedule({ documents: doc }, { deferMs: 500 });
    expect(await h.cancel()).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    const found = await c.getDocuments(insOf(mine), { uniqueIds: [doc.metadata.uniqueId] }).catch(() => ({ documents: [] }));
    expect(found.documents).toEqual([]);
    await q.close();
  });

  it('DMP down: the document waits in the persistent queue (survives a restart) and leaves by itself when the DMP is back', async () => {
    await t.admin.activate(name, sandbox);
    const c = client();
    expect(await c.testExistence(insOf(mine)).catch((e) => e)).toBeInstanceOf(DmpUnavailableError);
    const dir = mkdtempSync(join(tmpdir(), 'client-dmp-it-'));
    const events: FeedingEvent[] = [];
    const options = { client: c, dir, retry: { initialDelayMs: 100, maxDelayMs: 400 }, probeIntervalMs: 150, onEvent: (e: FeedingEvent) => events.push(e) };
    const first = await FeedingQueue.open(options);
    const doc = docs.build(mine, 'n1-pdf');
    await first.schedule({ documents: doc, label: 'CR envoyé pendant la panne' }, { deferMs: 50 });
    await vi.waitFor(() => expect(events.some((e) => e.type === 'queued')).toBe(true), { timeout: 5_000 });
    expect(events.find((e) => e.type === 'dmp-down')).toBeDefined();
    await first.close();

    // The LGC restarts while the DMP is still down: the queue is on disk.
    const second = await FeedingQueue.open(options);
    expect(second.pending().map((i) => i.label)).toEqual(['CR envoyé pendant la panne']);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.pending()).toHaveLength(1);
    await t.admin.deactivate(name, sandbox);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'sent')).toBe(true), { timeout: 10_000 });
    expect(events.some((e) => e.type === 'dmp-up')).toBe(true);
    expect(second.pending()).toEqual([]);
    const found = await c.getDocuments(insOf(mine), { uniqueIds: [doc.metadata.uniqueId] });
    expect(found.documents).toHaveLength(1);
    await second.close();
  });

  it('a SOAP fault forced by a scenario header is typed (DmpSoapFault with subcode)', async () => {
    await t.admin.uploadScenario(`name: client-dmp-fault-${sandbox}
rules:
  - id: fault
    match: { service: dmp }
    effects:
      - soap-fault: { code: DMPInternalError, subcode: DMPInternalError, reason: Erreur interne simulée, status: 500 }
`, true);
    const err = await client({ scenario: `client-dmp-fault-${sandbox}` }).testExistence(insOf(mine)).catch((e) => e);
    expect(err).toBeInstanceOf(DmpSoapFault);
    expect((err as DmpSoapFault).subcode).toBe('DMPInternalError');
    expect((err as DmpSoapFault).reason).toBe('Erreur interne simulée');
  });
});

describe('what the simulator thought of our requests', () => {
  it('no validator error in the journal for this sandbox', async () => {
    const errors = await t.admin.journal(sandbox, { service: 'dmp', verdict: 'error', limit: 500 });
    const warnings = await t.admin.journal(sandbox, { service: 'dmp', verdict: 'warning', limit: 500 });
    const show = (r: typeof errors) => [...new Set(r.entries.flatMap((e) => (e.verdicts ?? []).map((v) => `${e.operation}: ${v.level} ${v.rule} ${v.message}`)))];
    if (process.env.CLIENT_DMP_VERDICTS) console.log([...show(errors), ...show(warnings)].join('\n'));
    // Errors the tests provoke on purpose (duplicate uniqueId, the forced fault) are the only ones allowed.
    expect(show(errors).filter((l) => !/Duplicate|DMPInternalError|simulated|scenario/i.test(l))).toEqual([]);
  });
});
