/**
 * The ePrescription client against the real simulator host, over real sockets: the prescriber (PSC bearer
 * token) creates, the pharmacist scans the printed QR code and dispenses (card, then mTLS), the prescriber reads
 * the dispensations; the "en Y" deposit in the DMP simulator, nominal, with a KO and with no answer.
 * Skipped while simulators/eprescription/service.ts is still the planned-service stub.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EPrescriptionAuthFault,
  EPrescriptionBusinessFault,
  EPrescriptionClient,
  EPrescriptionForbiddenFault,
  dispense,
  epExecutantOf,
  epPrescripteurOf,
  generateIdentifiantUnique,
  prescribeEnY,
  readDispensations,
  scanAndConsult,
  type EPrescriptionAuth,
  type EpExecutant,
  type EpPrescripteur,
} from '../../client/eprescription/index.js';
import { DmpClient, FeedingQueue, INS_OID } from '../../client/dmp/index.js';
import { headlessLogin, PscClient, setPscSandbox } from '../../client/psc/index.js';
import { dmpDossierSeedFor } from '../../fixtures/dmp.js';
import { OidGenerator } from '../../fixtures/documents/index.js';
import { dmpCast } from '../../fixtures/professionals.js';
import { generateWorld, MEDICINES, type Patient, type Professional, type Structure, type World } from '../../fixtures/index.js';
import type { Pki } from '../../simulators/core/pki/index.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { cardVihf, LPS as DMP_LPS } from '../client-dmp/helpers.js';
import { LINES, structureOf } from './fixtures.js';
import { decodeQrGrey, decodeQrPng, pdfImages } from './helpers.js';

const serviceSource = readFileSync(fileURLToPath(new URL('../../simulators/eprescription/service.ts', import.meta.url)), 'utf8');
const SERVER_PLANNED = /plannedService\(/.test(serviceSource);

const LPS = { idam: 'SEGURSIM0001', version: '1.0', instance: '6f0c8f4e-3c2b-4c55-9b59-4a1f2d7a9e10', nom: 'urn:lps:segur-sim-lgc:1.0' };
const REALM = '/auth/realms/esante-wallet';
const PSC_LGC = { clientId: 'segur-sim-lgc', clientSecret: 'segur-sim-lgc-secret', redirectUri: 'http://localhost:7080/callback' };
const sandbox = `client-ep-${randomUUID().slice(0, 8)}`;
const today = () => new Date().toISOString().slice(0, 10);

describe.skipIf(SERVER_PLANNED)('ePrescription client ↔ simulators (real host)', () => {
  let t: TestHost;
  let pki: Pki;
  let world: World;
  let doctor: Professional;
  let doctorStructure: Structure;
  let pharmacist: Professional;
  let pharmacy: Structure;
  let patient: Patient;
  let pscAccessToken: string;
  let prescriber: EpPrescripteur;
  let executant: EpExecutant;
  const clients: { close(): void }[] = [];
  const oids = new OidGenerator(['client-eprescription', sandbox]);

  const ep = (auth: EPrescriptionAuth, extra: Partial<ConstructorParameters<typeof EPrescriptionClient>[0]> = {}) => {
    const c = new EPrescriptionClient({ baseUrl: t.https, auth, lps: LPS, sandbox, timeoutMs: 10_000, ...extra });
    clients.push(c);
    return c;
  };
  const prescriberClient = () => ep({ mode: 'psc', accessToken: pscAccessToken, caPem: pki.caCertsPem });
  const pharmacistCard = () => {
    const cert = pki.professional(pharmacist.idNat)!;
    return ep({ mode: 'card', professional: { keyPem: cert.keyPem, certPem: cert.chainPem, idNat: pharmacist.idNat }, caPem: pki.caCertsPem });
  };
  const pharmacistCertificate = () => {
    const cert = pki.professional(pharmacist.idNat)!;
    return ep({ mode: 'certificate', keyPem: cert.keyPem, certPem: cert.chainPem, caPem: pki.caCertsPem });
  };
  const dmp = () => {
    const cert = pki.professional(doctor.idNat)!;
    const c = new DmpClient({ baseUrl: t.https, vihf: cardVihf(world, doctor, cert.certPem), tls: { cert: cert.chainPem, key: cert.keyPem, ca: pki.caCertsPem }, lps: DMP_LPS, sandbox, defaultInsOid: INS_OID.nirTest, timeoutMs: 15_000 });
    clients.push(c);
    return c;
  };
  const insOf = (p: Patient) => ({ ins: p.ins!.matricule, oid: p.ins!.type === 'NIA' ? INS_OID.nia : INS_OID.nirTest });
  const rxInput = (opposition = false) => ({
    dateRedaction: today(),
    debutValidite: today(),
    finValidite: new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10),
    patient: { ins: { matricule: patient.ins!.matricule, oid: '1.2.250.1.213.1.4.10' }, nomNaissance: patient.ins!.traits.nomNaissance, prenom: patient.ins!.traits.prenom, dateNaissance: patient.ins!.traits.dateNaissance, sexe: patient.ins!.traits.sexe },
    prescripteur: prescriber,
    oppositionConsultationExecution: opposition,
    lignes: LINES,
  });
  const enY = (client: EPrescriptionClient, call = {}) =>
    prescribeEnY({ ep: client, dmp: { client: dmp() }, prescription: rxInput(), patient, author: doctor, structure: doctorStructure, uniqueId: oids.next(), call });
  const cdaInDmp = async (uniqueId: string) => {
    const got = await dmp().retrieve(insOf(patient), [{ uniqueId }]);
    return new TextDecoder().decode(got.documents[0]!.bytes);
  };

  beforeAll(async () => {
    t = await startTestHost();
    pki = t.host.context.pki;
    const config = t.host.context.config;
    world = generateWorld({ seed: config.seed, ...config.world });
    doctor = dmpCast(world.professionals).mainMedecinTraitant!;
    doctorStructure = structureOf(world, doctor);
    pharmacist = world.professionals.find((p) => p.profession.code === '21' && pki.professional(p.idNat))!;
    pharmacy = structureOf(world, pharmacist);
    patient = world.patients.find((p) => p.ins && !p.magic?.length && dmpDossierSeedFor(world, p.id)?.status === 'active')!;
    prescriber = epPrescripteurOf(doctor, doctorStructure);
    executant = epExecutantOf(pharmacist, pharmacy);
    await setPscSandbox(t.admin, sandbox, { autoApprove: true, authMode: 'CARD' });
    const psc = await PscClient.create({ issuer: `${t.http}${REALM}`, ...PSC_LGC, sandbox });
    try {
      pscAccessToken = (await headlessLogin(psc, { loginHint: doctor.idNat })).accessToken;
    } finally {
      psc.close();
    }
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await t?.close();
  });

  it('create (PSC) → scan the printed QR code → consult (card) → partial dispensation → substitution with reason (mTLS) → prescriber reads', async () => {
    const result = await enY(prescriberClient());
    expect(result).toMatchObject({ created: true });
    const id = result.identifiant!;

    // What the pharmacist scans: the QR code printed on the patient's copy (the PDF inside the CDA).
    const [img] = pdfImages(result.document.pdf);
    const scanned = decodeQrGrey(img!.pixels, img!.width, img!.height)!;
    expect(JSON.parse(scanned).D.ID).toBe(id);

    const seen = await scanAndConsult(pharmacistCard(), scanned, executant);
    expect(seen.patientMatches).toBe(true);
    expect(seen.prescription.identifiant).toBe(id);
    expect(seen.prescription.lignes.map((l) => l.produit?.libelle)).toEqual(LINES.map((l) => l.produit?.libelle));
    expect(seen.statut).toBe('ACTIVE');

    const partial = await dispense(pharmacistCard(), id, executant, [{ numero: 1, mode: 'CONFORME', quantite: 1 }]);
    expect(partial).toMatchObject({ numeroExecution: 1, statut: 'PARTIELLEMENT_EXECUTEE' });

    const generic = MEDICINES[1]!;
    const substitution = await dispense(pharmacistCertificate(), id, executant, [
      { numero: 1, mode: 'SUBSTITUTION', quantite: 2, produitDelivre: { cip13: generic.cip13, libelle: generic.label }, motif: 'Rupture de stock, forme effervescente du même groupe' },
      { numero: 2, mode: 'CONFORME', quantite: 2 },
    ]);
    expect(substitution).toMatchObject({ numeroExecution: 2, statut: 'EXECUTEE' });

    // Fully executed: the QR code is single-use now.
    const again = await scanAndConsult(pharmacistCard(), scanned, executant).catch((e) => e);
    expect(again).toBeInstanceOf(EPrescriptionBusinessFault);
    expect(again).toMatchObject({ code: 'ep_406', subcode: 'siram_80' });

    const read = await readDispensations(prescriberClient(), id, prescriber);
    expect(read.statut).toBe('EXECUTEE');
    expect(read.etatsLignes.find((l) => l.numero === 1)).toMatchObject({ quantiteDelivree: 3, quantiteRestante: 0 });
    expect(read.executions.map((x) => x.numeroExecution)).toEqual([1, 2]);
    expect(read.executions[0]!.executant?.rpps).toBe(pharmacist.rpps);
    const sub = read.executions[1]!.lignes.find((l) => l.numero === 1)!;
    expect(sub).toMatchObject({ mode: 'SUBSTITUTION', motif: 'Rupture de stock, forme effervescente du même groupe', produitDelivre: { cip13: generic.cip13 } });

    const found = await prescriberClient().search({ prescripteur: prescriber }, { identifiant: id });
    expect(found.resultats.map((r) => r.identifiant)).toEqual([id]);
  });

  it('the prescriber cannot read the dispensations when the patient opposed (ep_410)', async () => {
    const client = prescriberClient();
    const rx = { ...rxInput(true), identifiant: generateIdentifiantUnique() };
    const { identifiant } = await client.create(rx);
    await dispense(pharmacistCard(), identifiant, executant, [{ numero: 1, mode: 'CONFORME', quantite: 1 }]);
    const err = await readDispensations(client, identifiant, prescriber).catch((e) => e);
    expect(err).toBeInstanceOf(EPrescriptionBusinessFault);
    expect(err).toMatchObject({ code: 'ep_410', subcode: 'siram_80' });
  });

  it('executant search by INS; cancellation (ep7) then a refused scan (ep_407); no cancellation once dispensed (ep_411)', async () => {
    const client = prescriberClient();
    const a = await client.create({ ...rxInput(), identifiant: generateIdentifiantUnique() });
    const b = await client.create({ ...rxInput(), identifiant: generateIdentifiantUnique() });
    const found = await pharmacistCard().search({ executant }, { ins: { matricule: patient.ins!.matricule, oid: '1.2.250.1.213.1.4.10' }, statut: 'ACTIVE' });
    expect(found.resultats.map((r) => r.identifiant)).toEqual(expect.arrayContaining([a.identifiant, b.identifiant]));
    expect(found.resultats.find((r) => r.identifiant === a.identifiant)).toMatchObject({ statut: 'ACTIVE', rppsPrescripteur: doctor.rpps, nombreLignes: 2 });

    expect((await client.cancel(a.identifiant, prescriber, 'Erreur de posologie')).statut).toBe('ANNULEE');
    const refused = await pharmacistCard().consult(a.identifiant, { executant }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'ep_407', subcode: 'siram_80' });

    await dispense(pharmacistCard(), b.identifiant, executant, [{ numero: 2, mode: 'CONFORME', quantite: 1 }]);
    const late = await client.cancel(b.identifiant, prescriber, 'trop tard').catch((e) => e);
    expect(late).toBeInstanceOf(EPrescriptionBusinessFault);
    expect(late).toMatchObject({ code: 'ep_411' });
  });

  it('typed refusals: a bad PSC token (siram_20), a card that is not the acting professional (siram_100 ep_403)', async () => {
    const bad = await ep({ mode: 'psc', accessToken: 'not-a-token', caPem: pki.caCertsPem }).search({ prescripteur: prescriber }).catch((e) => e);
    expect(bad).toBeInstanceOf(EPrescriptionAuthFault);
    expect(bad.subcode).toBe('siram_20');
    const notMe = await pharmacistCard().search({ prescripteur: prescriber }).catch((e) => e);
    expect(notMe).toBeInstanceOf(EPrescriptionForbiddenFault);
    expect(notMe).toMatchObject({ code: 'ep_403', subcode: 'siram_100' });
  });

  it('en Y nominal: the eP-MED-DM CDA is in the DMP with the EPU id and the 2D code section', async () => {
    const r = await enY(prescriberClient());
    expect(r.created).toBe(true);
    expect(r.dmp.submitted).toBe(true);
    const xml = await cdaInDmp(r.document.metadata.uniqueId);
    expect(xml).toContain(`<id root="1.2.250.1.215.500.1.1" extension="${r.identifiant}"/>`);
    expect(xml).toContain('1.2.250.1.213.1.1.2.223');
    const png = /<value mediaType="image\/png" representation="B64">([^<]+)</.exec(xml)![1]!;
    expect(JSON.parse(decodeQrPng(Buffer.from(png, 'base64'))!).D.ID).toBe(r.identifiant);
    const entries = await dmp().getDocuments(insOf(patient), { uniqueIds: [r.document.metadata.uniqueId] });
    expect(entries.documents[0]).toMatchObject({ typeCode: { code: '57833-6' }, formatCode: { code: 'urn:ihe:pharm:pre:2010' } });
  });

  it('en Y through the feeding queue (background DMP deposit)', async () => {
    const queue = await FeedingQueue.open({ client: dmp(), dir: mkdtempSync(join(tmpdir(), 'client-ep-queue-')) });
    try {
      const r = await prescribeEnY({ ep: prescriberClient(), dmp: { queue }, prescription: rxInput(), patient, author: doctor, structure: doctorStructure, uniqueId: oids.next() });
      expect(r.created).toBe(true);
      if (r.dmp.submitted || !('queued' in r.dmp)) throw new Error('expected a queued deposit');
      expect((await r.dmp.queued.done).status).toBe('sent');
      expect(await cdaInDmp(r.document.metadata.uniqueId)).toContain(`extension="${r.identifiant}"`);
    } finally {
      await queue.close();
    }
  });

  it('en Y with a KO (eprescription.fault outcome): the CDA still lands in the DMP, without identifier nor 2D code', async () => {
    const name = `client-ep-ko-${sandbox}`;
    await t.admin.uploadScenario(`name: ${name}\nrules:\n  - id: ko\n    match: { service: eprescription, operation: ep4_creer }\n    effects:\n      - outcome: { name: eprescription.fault, with: { code: desir_1020 } }\n`, true);
    const r = await enY(prescriberClient(), { scenario: name });
    expect(r).toMatchObject({ created: false, fallback: { reason: 'fault', code: 'desir_1020', subcode: 'siram_40' } });
    expect(r.dmp.submitted).toBe(true);
    const xml = await cdaInDmp(r.document.metadata.uniqueId);
    expect(xml).not.toContain('1.2.250.1.215.500.1.1');
    expect(xml).not.toContain('1.2.250.1.213.1.1.2.223');
    expect(xml).toContain('1.2.250.1.213.1.1.2.243');
  });

  it('en Y with a SOAP fault effect (ep_102): same fallback', async () => {
    const name = `client-ep-fault-${sandbox}`;
    await t.admin.uploadScenario(`name: ${name}\nrules:\n  - id: fault\n    match: { service: eprescription }\n    effects:\n      - soap-fault: { code: ep_102, subcode: siram_40 }\n`, true);
    const r = await enY(prescriberClient(), { scenario: name });
    expect(r).toMatchObject({ created: false, fallback: { reason: 'fault', code: 'ep_102' } });
    expect(new TextDecoder().decode(r.document.content)).not.toContain('1.2.250.1.215.500.1.1');
    expect(r.dmp.submitted).toBe(true);
  });

  it('en Y with no answer (transport: hang, short client timeout): timeout fallback, the CDA lands without identifier', async () => {
    const name = `client-ep-hang-${sandbox}`;
    await t.admin.uploadScenario(`name: ${name}\nrules:\n  - id: hang\n    match: { service: eprescription, operation: ep4_creer }\n    effects:\n      - transport: hang\n`, true);
    const started = Date.now();
    const r = await enY(prescriberClient(), { scenario: name, timeoutMs: 800 });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(r).toMatchObject({ created: false, fallback: { reason: 'timeout' } });
    expect(r.dmp.submitted).toBe(true);
    const xml = await cdaInDmp(r.document.metadata.uniqueId);
    expect(xml).not.toContain('1.2.250.1.215.500.1.1');
    expect(xml).not.toContain('1.2.250.1.213.1.1.2.223');
  });

  it('what the ePrescription simulator thought of our requests: no error or warning verdicts beyond the refusals provoked', async () => {
    const show = async (verdict: string) => {
      const r = await t.admin.journal(sandbox, { service: 'eprescription', verdict, limit: 500 });
      return [...new Set(r.entries.flatMap((e) => (e.verdicts ?? []).filter((v) => v.level === verdict).map((v) => `${e.operation}: ${v.rule} ${v.message}`)))];
    };
    const errors = await show('error');
    const warnings = await show('warning');
    if (process.env.CLIENT_EP_VERDICTS) console.log([...errors, ...warnings].join('\n'));
    const provoked = /ep_403|ep_406|ep_407|ep_410|ep_411|desir_52\d|scenario|desir_1020|ep_102|hang/i;
    expect(errors.filter((l) => !provoked.test(l))).toEqual([]);
    expect(warnings.filter((l) => !provoked.test(l))).toEqual([]);
  });

  it('no DMP validator error for our eP-MED-DM submissions', async () => {
    const errors = await t.admin.journal(sandbox, { service: 'dmp', verdict: 'error', limit: 200 });
    const lines = errors.entries.flatMap((e) => (e.verdicts ?? []).filter((v) => v.level === 'error').map((v) => `${e.operation}: ${v.rule} ${v.message}`));
    if (process.env.CLIENT_EP_VERDICTS) {
      const warnings = await t.admin.journal(sandbox, { service: 'dmp', verdict: 'warning', limit: 200 });
      console.log(warnings.entries.flatMap((e) => (e.verdicts ?? []).map((v) => `${e.operation}: ${v.level} ${v.rule} ${v.message}`)).join('\n'));
    }
    expect(lines).toEqual([]);
  });
});
