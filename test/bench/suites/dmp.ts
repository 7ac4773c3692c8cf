/**
 * DMP XDS benchmarks:
 * 1. ITI-41 submissions/s: N1 CDA documents embedding a 100 KB PDF, over MTOM with the signature entry, 16
 *    concurrent keep-alive connections, every request a new document (uniqueIds rewritten in a pre-built
 *    template), file store, journal on; several rounds, median.
 * 2. FindDocuments p50/p99 with 100 000 documents stored, and the server's resident memory. The documents
 *    are pre-loaded without HTTP: the bench writes one `xds.submit` event per document (with its
 *    submission set and HasMember association) to a JSON-lines file and the blobs into the sandbox's blob
 *    store; the server script records every event through `DmpStore.record` (the same apply + append as a
 *    submission) before it listens. Documents are spread over the active dossiers of a 5 000-patient world
 *    (≈ 20 each, plus each dossier's 3–8 seeded documents: ≈ 25 per answer). Queries rotate over the
 *    patients, each sent by a médecin authorized on that DMP; latency from one keep-alive client (the
 *    goal), throughput also with 4.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { buildDocument, submissionSetFor } from '../../../fixtures/documents/index.js';
import type { BuiltDocument, XdsAuthor, XdsCode, XdsDocumentMetadata, XdsSubmissionSetMetadata } from '../../../fixtures/documents/types.js';
import { generateWorld, type Patient, type Professional, type World } from '../../../fixtures/index.js';
import { BlobStore } from '../../../simulators/core/store/blob-store.js';
import { DossierBook, type Dossier } from '../../../simulators/dmp/dossiers.js';
import { associationUuidFor, entryUuidFor, submissionSetUuidFor } from '../../../simulators/dmp/xds/registry.js';
import type { BenchContext, LoadResult } from '../lib.js';
import { kill, median, row, spawnServer, verdict } from '../lib.js';

const BASE = '/si-dmp-server/v2/services';
const ITI41 = 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b';
const ITI18 = 'urn:ihe:iti:2007:RegistryStoredQuery';
const APPROVED = 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// ---------------------------------------------------------------------------------------------------------
// Requests, written like the official samples

function vihf(p: Professional, structureIdNat: string, ins: string): string {
  const attr = (name: string, value: string) => `<saml2:Attribute Name="${name}"><saml2:AttributeValue>${esc(value)}</saml2:AttributeValue></saml2:Attribute>`;
  const role = `<saml2:Attribute Name="urn:oasis:names:tc:xacml:2.0:subject:role"><saml2:AttributeValue><Role xmlns="urn:hl7-org:v3" code="${p.profession.code}" codeSystem="1.2.250.1.71.1.2.7" xsi:type="CE"/></saml2:AttributeValue>${
    p.specialty ? `<saml2:AttributeValue><Role xmlns="urn:hl7-org:v3" code="${p.specialty.code}" codeSystem="1.2.250.1.71.4.2.5" xsi:type="CE"/></saml2:AttributeValue>` : ''
  }</saml2:Attribute>`;
  return (
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_bench" IssueInstant="2025-01-02T08:00:00.000Z" Version="2.0">` +
    `<saml2:Issuer>CN=${p.idNat}</saml2:Issuer><saml2:Subject><saml2:NameID>${p.idNat}</saml2:NameID></saml2:Subject>` +
    `<saml2:AuthnStatement AuthnInstant="2025-01-02T08:00:00.000Z"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement><saml2:AttributeStatement>` +
    attr('Identifiant_Structure', structureIdNat) +
    attr('Secteur_Activite', 'SA07^1.2.250.1.71.4.2.4') +
    role +
    attr('VIHF_Version', '3.0') +
    attr('Authentification_Mode', 'DIRECTE') +
    attr('urn:oasis:names:tc:xacml:2.0:resource:resource-id', `${ins}^^^&1.2.250.1.213.1.4.10&ISO^NH`) +
    attr('Ressource_URN', 'urn:dmp') +
    `<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"><saml2:AttributeValue><PurposeOfUse xmlns="urn:hl7-org:v3" code="normal" codeSystem="1.2.250.1.213.1.1.4.248" xsi:type="CE"/></saml2:AttributeValue></saml2:Attribute>` +
    attr('LPS_Nom', 'bench') +
    attr('LPS_Version', '1') +
    attr('LPS_ID_HOMOLOGATION_DMP', 'BENCH') +
    `</saml2:AttributeStatement></saml2:Assertion>`
  );
}

function envelope(action: string, assertion: string, body: string, n: number): string {
  const wsa = 'xmlns="http://www.w3.org/2005/08/addressing"';
  return (
    `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><MessageID ${wsa}>urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}</MessageID><To ${wsa}/>` +
    `<ReplyTo ${wsa}><Address>http://www.w3.org/2005/08/addressing/anonymous</Address></ReplyTo><Action ${wsa}>${action}</Action>` +
    `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${assertion}</wsse:Security></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

const slot = (name: string, values: readonly string[]) => `<Slot name="${name}"><ValueList>${values.map((v) => `<Value>${esc(v)}</Value>`).join('')}</ValueList></Slot>`;
const nameEl = (v?: string) => (v === undefined ? '' : `<Name><LocalizedString value="${esc(v)}"/></Name>`);
const code = (scheme: string, obj: string, c: XdsCode) => `<Classification classificationScheme="${scheme}" classifiedObject="${obj}" id="c-${scheme.slice(9, 17)}-${esc(c.code)}" nodeRepresentation="${esc(c.code)}">${slot('codingScheme', [c.scheme])}${nameEl(c.display)}</Classification>`;
const author = (scheme: string, obj: string, a: XdsAuthor) =>
  `<Classification classificationScheme="${scheme}" classifiedObject="${obj}" id="a-${obj}">${slot('authorPerson', [a.person])}${slot('authorSpecialty', a.specialties)}${slot('authorInstitution', a.institutions)}</Classification>`;
const ext = (scheme: string, obj: string, value: string) => `<ExternalIdentifier id="e-${scheme.slice(9, 17)}-${obj}" identificationScheme="${scheme}" registryObject="${obj}" value="${esc(value)}"/>`;

function extrinsic(id: string, m: XdsDocumentMetadata): string {
  return (
    `<ExtrinsicObject id="${id}" mimeType="${m.mimeType}" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">` +
    slot('creationTime', [m.creationTime]) +
    slot('languageCode', [m.languageCode]) +
    (m.legalAuthenticator ? slot('legalAuthenticator', [m.legalAuthenticator]) : '') +
    (m.serviceStartTime ? slot('serviceStartTime', [m.serviceStartTime]) : '') +
    (m.serviceStopTime ? slot('serviceStopTime', [m.serviceStopTime]) : '') +
    slot('sourcePatientId', [m.sourcePatientId]) +
    (m.sourcePatientInfo.length ? slot('sourcePatientInfo', m.sourcePatientInfo) : '') +
    nameEl(m.title) +
    m.authors.map((a) => author('urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d', id, a)).join('') +
    code('urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a', id, m.classCode) +
    code('urn:uuid:f0306f51-975f-434e-a61c-c59651d33983', id, m.typeCode) +
    m.confidentialityCodes.map((c) => code('urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f', id, c)).join('') +
    code('urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d', id, m.formatCode) +
    code('urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1', id, m.healthcareFacilityTypeCode) +
    code('urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead', id, m.practiceSettingCode) +
    m.eventCodes.map((c) => code('urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4', id, c)).join('') +
    ext('urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427', id, m.patientId) +
    ext('urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab', id, m.uniqueId) +
    '</ExtrinsicObject>'
  );
}

function signatureMeta(m: XdsDocumentMetadata, uniqueId: string): XdsDocumentMetadata {
  return {
    ...m,
    uniqueId,
    title: 'Source',
    classCode: { code: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1', scheme: 'URN', display: 'Digital Signature' },
    typeCode: { code: 'E1762', scheme: 'ASTM', display: 'Full Document' },
    formatCode: { code: 'http://www.w3.org/2000/09/xmldsig#', scheme: 'URN', display: 'Default Signature Style' },
    confidentialityCodes: [m.confidentialityCodes[0]!, { code: 'MASQUE_PS', scheme: '1.2.250.1.213.1.1.4.13', display: 'Masqué' }, { code: 'INVISIBLE_PATIENT', scheme: '1.2.250.1.213.1.1.4.13', display: 'Non visible' }],
    eventCodes: [{ code: '1.2.840.10065.1.12.1.14', scheme: '1.2.840.10065.1.12', display: 'Source' }],
    languageCode: 'art',
    sourcePatientInfo: [],
  };
}

/** One ITI-41 MTOM request: the document (CDA embedding `pdf`), its submission set, the signature entry. */
function iti41Request(doc: BuiltDocument, ss: XdsSubmissionSetMetadata, assertion: string): { body: Buffer; contentType: string } {
  const m = doc.metadata;
  const sigUid = `${ss.uniqueId}.99`;
  const signature = Buffer.from(
    `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue>AA==</SignatureValue><Object><Manifest Id="IHEManifest"><Reference URI="urn:oid:${ss.uniqueId}"/><Reference URI="urn:oid:${m.uniqueId}"/></Manifest></Object></Signature>`,
  );
  const ssXml =
    `<RegistryPackage id="SubmissionSet01">${slot('submissionTime', [ss.submissionTime])}${nameEl('Lot')}` +
    author('urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d', 'SubmissionSet01', ss.authors[0]!) +
    code('urn:uuid:aa543740-bdda-424e-8c96-df4873be8500', 'SubmissionSet01', ss.contentTypeCode) +
    `<Classification classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd" classifiedObject="SubmissionSet01" id="ssnode"/>` +
    ext('urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446', 'SubmissionSet01', ss.patientId) +
    ext('urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832', 'SubmissionSet01', ss.sourceId) +
    ext('urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8', 'SubmissionSet01', ss.uniqueId) +
    '</RegistryPackage>';
  const hasMember = (target: string, id: string) => `<Association associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" id="${id}" sourceObject="SubmissionSet01" targetObject="${target}">${slot('SubmissionSetStatus', ['Original'])}</Association>`;
  const body =
    `<ns4:ProvideAndRegisterDocumentSetRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:ns4="urn:ihe:iti:xds-b:2007"><ns3:SubmitObjectsRequest><RegistryObjectList>` +
    ssXml +
    extrinsic('Document01', m) +
    extrinsic('Signature01', signatureMeta(m, sigUid)) +
    hasMember('Document01', 'as1') +
    hasMember('Signature01', 'as2') +
    `<Association associationType="urn:ihe:iti:2007:AssociationType:signs" id="as3" sourceObject="Signature01" targetObject="SubmissionSet01"/>` +
    `</RegistryObjectList></ns3:SubmitObjectsRequest>` +
    `<ns4:Document id="Document01"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:doc1%40bench"/></ns4:Document>` +
    `<ns4:Document id="Signature01"><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:sig1%40bench"/></ns4:Document></ns4:ProvideAndRegisterDocumentSetRequest>`;
  const boundary = 'MIMEBoundary_bench';
  const part = (cid: string, bytes: Uint8Array) => [Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${cid}>\r\n\r\n`), Buffer.from(bytes), Buffer.from('\r\n')];
  return {
    body: Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <root@bench>\r\n\r\n${envelope(ITI41, assertion, body, 1)}\r\n`),
      ...part('doc1@bench', doc.content),
      ...part('sig1@bench', signature),
      Buffer.from(`--${boundary}--\r\n`),
    ]),
    contentType: `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<root@bench>"; start-info="application/soap+xml"`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// World helpers

interface Subject {
  patient: Patient;
  dossier: Dossier;
  /** A médecin holding a VALIDE authorization (the MT when there is one): may consult. */
  reader: Professional;
  structureIdNat: string;
}

function structureOf(world: World, p: Professional) {
  const id = p.exercices[0]?.activities[0]?.structureId;
  return world.structures.find((s) => s.id === id) ?? world.structures[0]!;
}

export function subjects(world: World, max: number): Subject[] {
  const book = new DossierBook(world);
  const byId = new Map(world.professionals.map((p) => [p.idNat, p]));
  const patients = new Map(world.patients.map((p) => [p.id, p]));
  const out: Subject[] = [];
  for (const dossier of book.list()) {
    if (out.length >= max) break;
    if (dossier.status !== 'active') continue;
    const candidates = [dossier.medecinTraitant, ...[...dossier.authorizations.values()].filter((a) => a.status === 'VALIDE').map((a) => a.idNat)];
    const reader = candidates.map((id) => (id ? byId.get(id) : undefined)).find((p) => p?.profession.code === '10' && dossier.authorizations.get(p.idNat)?.status === 'VALIDE');
    const patient = patients.get(dossier.patientId);
    if (!reader || !patient?.ins) continue;
    out.push({ patient, dossier, reader, structureIdNat: structureOf(world, reader).idNat });
  }
  return out;
}

/** An N1 CDA whose embedded PDF is `bytes` long (incompressible content after a PDF header). */
function n1WithPdf(world: World, s: Subject, uniqueId: string, bytes: number): BuiltDocument {
  const doc = buildDocument({ kind: 'n1-pdf', patient: s.patient, author: s.reader, structure: structureOf(world, s.reader), uniqueId, effectiveTime: '2025-01-02T09:00:00Z' });
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes - 9)]);
  const text = Buffer.from(doc.content).toString('utf8').replace(/(representation="B64"[^>]*>)[^<]*(<)/, (_m, a: string, b: string) => `${a}${pdf.toString('base64')}${b}`);
  return { ...doc, content: new Uint8Array(Buffer.from(text, 'utf8')) };
}

function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

function post(agent: Agent, url: string, body: Buffer | string, contentType: string, timeout = 120_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, timeout, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

// ---------------------------------------------------------------------------------------------------------
// 1. ITI-41 throughput

interface Template {
  bytes: Buffer;
  contentType: string;
  /** Offsets of the 10-digit counter inside every uniqueId (document, CDA id/setId, submission set, signature). */
  offsets: number[];
}

const COUNTER_WIDTH = 10;

export function template(world: World, s: Subject, k: number): Template {
  const prefix = `1.2.250.1.999.7301.10.77.${k}.`;
  const uid = `${prefix}1000000000`;
  const doc = n1WithPdf(world, s, uid, 100 * 1024);
  const ss = submissionSetFor(doc, { sourceId: '1.2.250.1.999.7301.3', submissionTime: '2025-01-02T10:00:00Z', uniqueId: `${uid}.1` });
  const req = iti41Request(doc, ss, vihf(s.reader, s.structureIdNat, s.patient.ins!.matricule));
  const marker = Buffer.from(prefix);
  const offsets: number[] = [];
  for (let at = req.body.indexOf(marker); at !== -1; at = req.body.indexOf(marker, at + 1)) offsets.push(at + marker.length);
  return { bytes: req.body, contentType: req.contentType, offsets };
}

export function instance(t: Template, n: number): Buffer {
  const out = Buffer.from(t.bytes);
  const digits = `1${String(n).padStart(COUNTER_WIDTH - 1, '0')}`;
  for (const o of t.offsets) out.write(digits, o, 'latin1');
  return out;
}

async function submitLoad(url: string, templates: Template[], seconds: number, concurrency: number, counter: { n: number }): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    const t = templates[w % templates.length]!;
    while (performance.now() < end) {
      const body = instance(t, ++counter.n);
      const t0 = performance.now();
      try {
        const r = await post(agent, url, body, t.contentType);
        if (r.status !== 200 || !r.text.includes('ResponseStatusType:Success')) non2xx++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, non2xx };
}

async function submitBench(ctx: BenchContext): Promise<string[]> {
  const lines = ['  ITI-41 ProvideAndRegisterDocumentSet-b — N1 CDA with a 100 KB PDF + signature entry over MTOM, 16 connections, file store, journal on'];
  const world = generateWorld({ seed: 1 });
  const subs = subjects(world, 16);
  const templates = subs.map((s, k) => template(world, s, k + 1));
  lines.push(`    request size ${Math.round(templates[0]!.bytes.length / 1024)} KB (${subs.length} patients, one template each; uniqueIds rewritten per request)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-dmp-41-'));
  const server = await spawnServer(join(import.meta.dirname, '../servers/dmp-host.mjs'), [ctx.pkiDir, dataDir, '200']);
  const url = `${server.url}${BASE}/repository`;
  const counter = { n: 0 };
  try {
    const probe = await post(new Agent(), url, instance(templates[0]!, ++counter.n), templates[0]!.contentType);
    if (!probe.text.includes('ResponseStatusType:Success')) lines.push(`    WARNING: the probe submission failed: ${probe.text.slice(0, 600)}`);
    await submitLoad(url, templates, 1, 16, counter);
    const runs: LoadResult[] = [];
    for (let round = 0; round < ctx.rounds; round++) runs.push(await submitLoad(url, templates, ctx.seconds, 16, counter));
    const m = median(runs);
    lines.push(row(`ITI-41 (median of ${ctx.rounds})`, m));
    lines.push(`    server RSS after ${counter.n} submissions: ${mb(rssOf(server.child.pid!).rss)}`);
    lines.push(verdict(m.rps >= 300 && m.errors + m.non2xx === 0, `${Math.round(m.rps)} submissions/s (goal ≥ 300/s)`));
  } finally {
    await kill(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// 2. FindDocuments at 100 000 documents

const TYPES: [XdsCode, XdsCode][] = [
  [{ code: '11488-4', scheme: '2.16.840.1.113883.6.1', display: 'CR ou fiche de consultation ou de visite' }, { code: '10', scheme: '1.2.250.1.213.1.1.4.1', display: 'Compte rendu' }],
  [{ code: '11502-2', scheme: '2.16.840.1.113883.6.1', display: "CR d'examens biologiques" }, { code: '10', scheme: '1.2.250.1.213.1.1.4.1', display: 'Compte rendu' }],
  [{ code: '29551-9', scheme: '2.16.840.1.113883.6.1', display: 'Prescription de médicaments' }, { code: '42', scheme: '1.2.250.1.213.1.1.4.1', display: 'Prescription' }],
  [{ code: '18748-4', scheme: '2.16.840.1.113883.6.1', display: "CR d'imagerie médicale" }, { code: '10', scheme: '1.2.250.1.213.1.1.4.1', display: 'Compte rendu' }],
];

function dtm(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Writes `total` documents as `xds.submit` events into `<dataDir>/preload.jsonl` (the server records them
 * through its DMP store before listening) and one blob per patient into the default sandbox's blob store.
 */
export function preload(dataDir: string, world: World, subs: Subject[], total: number): { file: string; bytes: number; ms: number } {
  const t0 = performance.now();
  const dir = join(dataDir, 'sandboxes', 'default', 'dmp');
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  const file = join(dataDir, 'preload.jsonl');
  const fd = openSync(file, 'w');
  let bytes = 0;
  let pending: string[] = [];
  const flush = () => {
    const chunk = pending.join('');
    bytes += Buffer.byteLength(chunk);
    writeSync(fd, chunk);
    pending = [];
  };
  const base = Date.parse('2020-01-01T00:00:00Z');
  subs.forEach((s, pi) => {
    const n = Math.floor(total / subs.length) + (pi < total % subs.length ? 1 : 0);
    const doc = buildDocument({ kind: 'n1-pdf', patient: s.patient, author: s.reader, structure: structureOf(world, s.reader), uniqueId: `1.2.250.1.999.7301.10.88.${pi + 1}`, effectiveTime: '2024-06-01T09:00:00Z' });
    const hash = BlobStore.sha1(doc.content);
    mkdirSync(join(dir, 'blobs', hash.slice(0, 2)), { recursive: true });
    writeFileSync(join(dir, 'blobs', hash.slice(0, 2), hash), doc.content);
    const m = doc.metadata;
    for (let j = 0; j < n; j++) {
      const uniqueId = `1.2.250.1.999.7301.10.88.${pi + 1}.${j + 1}`;
      const ssUniqueId = `${uniqueId}.0`;
      const id = entryUuidFor(uniqueId);
      const ssId = submissionSetUuidFor(ssUniqueId);
      const [typeCode, classCode] = TYPES[j % TYPES.length]!;
      const at = base + ((pi * 7919 + j * 104_729) % (4 * 365 * 86_400)) * 1000;
      const created = dtm(at);
      const event = {
        t: 'xds.submit',
        at,
        ins: s.patient.ins!.matricule,
        ss: { id: ssId, uniqueId: ssUniqueId, patientId: m.patientId, meta: { title: 'Lot', authors: m.authors, submissionTime: created, sourceId: '1.2.250.1.999.7301.3', contentTypeCode: { code: '07', scheme: '1.2.250.1.213.2.2', display: 'Consultations soins externes' } } },
        docs: [
          {
            id,
            lid: id,
            version: 1,
            status: APPROVED,
            uniqueId,
            patientId: m.patientId,
            mimeType: 'text/xml',
            hash,
            size: doc.content.byteLength,
            repositoryUniqueId: '1.2.250.1.213.4.1.1.1.2',
            meta: { ...m, uniqueId: undefined, patientId: undefined, mimeType: undefined, typeCode, classCode, creationTime: created, serviceStartTime: created, serviceStopTime: created, referenceIds: [] },
            setId: uniqueId,
            cdaVersion: 1,
          },
        ],
        assocs: [{ id: associationUuidFor('urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', ssId, id), type: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember', source: ssId, target: id, status: APPROVED, slots: { SubmissionSetStatus: ['Original'] } }],
      };
      pending.push(`${JSON.stringify(event)}\n`);
      if (pending.length >= 2000) flush();
    }
  });
  flush();
  closeSync(fd);
  return { file, bytes, ms: performance.now() - t0 };
}

export function findBody(s: Subject, n: number): string {
  const ins = s.patient.ins!.matricule;
  const query =
    `<ns3:AdhocQueryRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"><ns3:ResponseOption returnComposedObjects="true" returnType="LeafClass"/>` +
    `<AdhocQuery id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d">${slot('$XDSDocumentEntryPatientId', [`'${ins}^^^&1.2.250.1.213.1.4.10&ISO^NH'`])}${slot('$XDSDocumentEntryStatus', [`('${APPROVED}')`])}</AdhocQuery></ns3:AdhocQueryRequest>`;
  return envelope(ITI18, vihf(s.reader, s.structureIdNat, ins), query, n);
}

async function queryLoad(url: string, bodies: string[], seconds: number, connections: number): Promise<LoadResult & { bytes: number }> {
  let i = 0;
  const result = await autocannon({
    url,
    duration: seconds,
    connections,
    pipelining: 1,
    timeout: 60,
    requests: [{ method: 'POST', headers: { 'content-type': `application/soap+xml; charset=UTF-8; action="${ITI18}"` }, setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  } as autocannon.Options);
  return { requests: result.requests.total, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx, bytes: result.throughput.average };
}

async function queryBench(ctx: BenchContext): Promise<string[]> {
  const TOTAL = 100_000;
  const PATIENTS = 5000;
  const lines = [`  ITI-18 FindDocuments (LeafClass, Approved) with ${TOTAL.toLocaleString('en')} documents pre-loaded, ${PATIENTS}-patient world, journal on`];
  const world = generateWorld({ seed: 1, patients: PATIENTS, professionals: 30, structures: 5 });
  const subs = subjects(world, PATIENTS);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-dmp-18-'));
  const pre = preload(dataDir, world, subs, TOTAL);
  lines.push(`    pre-load: ${TOTAL.toLocaleString('en')} documents over ${subs.length} active dossiers (≈ ${Math.round(TOTAL / subs.length)} each, + the seeded ones), ${mb(pre.bytes)} of events generated in ${(pre.ms / 1000).toFixed(1)} s`);
  const t0 = performance.now();
  const server = await spawnServer(join(import.meta.dirname, '../servers/dmp-host.mjs'), [ctx.pkiDir, dataDir, String(PATIENTS), pre.file]);
  const loadTime = performance.now() - t0;
  const url = `${server.url}${BASE}/registry`;
  try {
    const loaded = rssOf(server.child.pid!);
    lines.push(`    server start + recording the ${TOTAL.toLocaleString('en')} events (applied, appended to the sandbox's event log, each patient's seeded documents registered): ${(loadTime / 1000).toFixed(1)} s`);
    lines.push(`    server RSS with ${TOTAL.toLocaleString('en')} documents loaded: ${mb(loaded.rss)} (peak ${mb(loaded.hwm)})`);
    const first = await post(new Agent(), url, findBody(subs[0]!, 0), 'application/soap+xml; charset=UTF-8', 600_000);
    const count = /totalResultCount="(\d+)"/.exec(first.text)?.[1];
    if (!count) lines.push(`    WARNING: the first query failed: ${first.text.slice(0, 600)}`);
    else lines.push(`    first patient: ${count} results`);
    const bodies = subs.map((s, n) => findBody(s, n + 1));
    await queryLoad(url, bodies, 1, 1);
    const runs: (LoadResult & { bytes: number })[] = [];
    const busy: (LoadResult & { bytes: number })[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      runs.push(await queryLoad(url, bodies, ctx.seconds, 1));
      busy.push(await queryLoad(url, bodies, ctx.seconds, 4));
    }
    const m = median(runs) as LoadResult & { bytes: number };
    const b = median(busy) as LoadResult & { bytes: number };
    lines.push(row(`FindDocuments, 1 client (median of ${ctx.rounds})`, m));
    lines.push(row(`FindDocuments, 4 clients (median of ${ctx.rounds})`, b));
    lines.push(`    ≈ ${Math.round(m.bytes / Math.max(1, m.rps) / 1024)} KB per response`);
    const after = rssOf(server.child.pid!);
    lines.push(`    server RSS after the queries: ${mb(after.rss)} (journal of the last ${Math.min(5000, (m.requests + b.requests) * ctx.rounds)} exchanges included)`);
    lines.push(verdict(m.p99 < 20 && m.errors + m.non2xx + b.errors + b.non2xx === 0, `FindDocuments p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, one client (goal p99 < 20 ms)`));
    lines.push(verdict(loaded.rss < 1024 * 1024 * 1024, `resident memory at ${TOTAL.toLocaleString('en')} documents ${mb(loaded.rss)} (goal < 1 GB; ${mb(after.rss)} after the query rounds)`));
  } finally {
    await kill(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}

/** DMP: ITI-41 submissions/s (100 KB PDFs over MTOM) and FindDocuments p50/p99 at 100 000 documents, with RSS. */
export async function dmpBench(ctx: BenchContext): Promise<string[]> {
  return ['DMP — XDS registry/repository (HTTP keep-alive, server on core 0)', ...(await submitBench(ctx)), ...(await queryBench(ctx))];
}
