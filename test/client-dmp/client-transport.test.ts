/** DmpClient over real sockets against small stubs: what goes on the wire, and how failures are typed. */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DmpClient,
  DmpSoapFault,
  DmpTransportError,
  DmpUnavailableError,
  NS,
  child,
  findAll,
  parseMultipart,
  parseXmlTree,
  type VihfRequest,
} from '../../client/dmp/index.js';
import { documentFactory, LPS, mainDoctor, soapAnswer, soapFault, startStub, testPki, testWorld, type StubServer } from './helpers.js';

const PATIENT = { ins: '207058575627097', oid: '1.2.250.1.213.1.4.10' };
const VIHF_XML = '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_stub" Version="2.0"/>';
const TD02_OK =
  '<PRPA_IN201308UV02 xmlns="urn:hl7-org:v3"><acknowledgement typeCode="AA"/><controlActProcess><subject><registrationEvent><subject1><patient><statusCode code="active"/></patient></subject1></registrationEvent></subject><queryAck><queryResponseCode code="OK"/></queryAck></controlActProcess></PRPA_IN201308UV02>';
const REGISTRY_OK = `<ns2:RegistryResponse xmlns:ns2="${NS.rs}" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>`;

const stubs: StubServer[] = [];
const clients: DmpClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

function client(baseUrl: string, extra: Partial<ConstructorParameters<typeof DmpClient>[0]> = {}): DmpClient {
  const c = new DmpClient({ baseUrl, vihf: VIHF_XML, lps: LPS, timeoutMs: 5_000, ...extra });
  clients.push(c);
  return c;
}

async function stub(...args: Parameters<typeof startStub>): Promise<StubServer> {
  const s = await startStub(...args);
  stubs.push(s);
  return s;
}

describe('requests on the wire', () => {
  it('TD0.2: POST on …/patients, SOAP 1.2 content type with action, sandbox header, VIHF per call with the patient', async () => {
    const s = await stub((_req, res) => res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' }).end(soapAnswer(TD02_OK)));
    const asked: VihfRequest[] = [];
    const c = client(`${s.url}/_sandbox/t1`, { sandbox: 'ci-1', vihf: (r) => (asked.push(r), { xml: VIHF_XML, authorization: 'Bearer abc' }) });
    const r = await c.testExistence(PATIENT);
    expect(r).toMatchObject({ exists: true, status: 'active' });
    const req = s.requests[0]!;
    expect(req.url).toBe('/_sandbox/t1/si-dmp-server/v2/services/patients');
    expect(req.headers['content-type']).toBe('application/soap+xml; charset=UTF-8; action="urn:hl7-org:v3:PRPA_IN201307UV02"');
    expect(req.headers['x-segur-sandbox']).toBe('ci-1');
    expect(req.headers.authorization).toBe('Bearer abc');
    expect(asked).toEqual([{ transaction: 'TD0.2', service: 'patients', patient: PATIENT }]);
    const env = parseXmlTree(req.body.toString('utf8'));
    expect(findAll(env, 'Assertion', NS.saml2)).toHaveLength(1);
    expect(findAll(env, 'To', NS.wsa)[0]!.text).toBe(`${s.url}/_sandbox/t1/si-dmp-server/v2/services/patients`);
  });

  it('a base URL already ending in /si-dmp-server/v2/services is used as is; TD0.4 has no patient in the VIHF request', async () => {
    const s = await stub((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(soapAnswer('<ns1:patientListResponse xmlns:ns1="urn:si-dmp-patients"><ns1:output><ns1:status>DMPOk</ns1:status></ns1:output></ns1:patientListResponse>')),
    );
    const asked: VihfRequest[] = [];
    const c = client(`${s.url}/si-dmp-server/v2/services/`, { vihf: (r) => (asked.push(r), VIHF_XML) });
    expect((await c.patientList({ since: new Date('2024-01-01T00:00:00Z'), dateType: 'LASTAUTORIZATION' })).patients).toEqual([]);
    expect(s.requests[0]!.url).toBe('/si-dmp-server/v2/services/patientsSpecific');
    expect(asked[0]!.patient).toBeUndefined();
  });

  it('ITI-41 as MTOM: multipart/related with the envelope as root, documents as binary parts; an MTOM answer is read', async () => {
    const world = testWorld();
    const doctor = mainDoctor(world);
    const patient = world.patients.find((p) => p.ins && p.ins.type === 'NIR')!;
    const doc = documentFactory(world, doctor, 'transport').build(patient);
    const s = await stub((_req, res) => {
      const boundary = 'uuid:b1';
      const body = `--${boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"\r\nContent-ID: <root.message@cxf.apache.org>\r\n\r\n${soapAnswer(REGISTRY_OK)}\r\n--${boundary}--`;
      res.writeHead(200, { 'content-type': `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<root.message@cxf.apache.org>"; start-info="application/soap+xml"` }).end(body);
    });
    const pki = await testPki();
    const pro = pki.professionals[0]!;
    const c = client(s.url, { signer: { keyPem: pro.keyPem, certPem: pro.certPem } });
    const res = await c.submit(doc, { title: 'Lot de test' });
    expect(res).toMatchObject({ outcome: 'Success', uniqueIds: [doc.metadata.uniqueId] });
    expect(res.submissionSetUniqueId.startsWith(`${LPS.oid}.1.`)).toBe(true);
    const req = s.requests[0]!;
    expect(req.url).toBe('/si-dmp-server/v2/services/repository');
    const ct = String(req.headers['content-type']);
    expect(ct).toMatch(/^multipart\/related; type="application\/xop\+xml"/);
    const mp = parseMultipart(req.body, ct);
    expect(mp.rootContentType).toContain('application/xop+xml');
    const env = parseXmlTree(mp.root);
    const documents = findAll(env, 'Document', NS.xdsb);
    expect(documents.map((d) => d.attrs.id)).toEqual(['Document01', 'Signature01']);
    const first = mp.parts.get(decodeURIComponent(child(documents[0], 'Include', NS.xop)!.attrs.href!.slice(4)))!;
    expect(Buffer.from(first.bytes).equals(Buffer.from(doc.content))).toBe(true);
    const signature = mp.parts.get(decodeURIComponent(child(documents[1], 'Include', NS.xop)!.attrs.href!.slice(4)))!;
    expect(Buffer.from(signature.bytes).toString()).toContain('<SignatureValue>');
  });

  it('ITI-41 inline (mtom: false) is plain SOAP with base64 documents', async () => {
    const world = testWorld();
    const doc = documentFactory(world, mainDoctor(world), 'inline').build(world.patients.find((p) => p.ins)!);
    const s = await stub((_req, res) => res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(soapAnswer(REGISTRY_OK)));
    await client(s.url, { mtom: false, signer: false }).submit(doc);
    expect(String(s.requests[0]!.headers['content-type'])).toMatch(/^application\/soap\+xml/);
    const env = parseXmlTree(s.requests[0]!.body.toString());
    expect(Buffer.from(findAll(env, 'Document', NS.xdsb)[0]!.text, 'base64').equals(Buffer.from(doc.content))).toBe(true);
  });
});

describe('failures are typed', () => {
  it('HTTP 503 with text (DMP down) → DmpUnavailableError with Retry-After', async () => {
    const s = await stub((_req, res) => res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '30' }).end('Service temporairement indisponible'));
    const err = await client(s.url).testExistence(PATIENT).catch((e) => e);
    expect(err).toBeInstanceOf(DmpUnavailableError);
    expect(err).toMatchObject({ kind: 'http-status', httpStatus: 503, retryAfterSeconds: 30, retryable: true });
  });

  it('connection refused → DmpUnavailableError (network)', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const err = await client(`http://127.0.0.1:${port}`).testExistence(PATIENT).catch((e) => e);
    expect(err).toBeInstanceOf(DmpUnavailableError);
    expect(err).toMatchObject({ kind: 'network', retryable: true });
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('no answer in time → DmpUnavailableError (timeout); reset → network', async () => {
    const s = await stub(() => undefined);
    const err = await client(s.url, { timeoutMs: 200 }).testExistence(PATIENT).catch((e) => e);
    expect(err).toMatchObject({ name: 'DmpUnavailableError', kind: 'timeout' });
    const r = await stub((req, res) => res.socket?.destroy());
    expect(await client(r.url).testExistence(PATIENT).catch((e) => e)).toMatchObject({ name: 'DmpUnavailableError', kind: 'network' });
  });

  it('SOAP faults: Sender (400) is final, Receiver (500) and 503 faults are retryable; 404 is a transport error', async () => {
    let answer: [number, string] = [400, soapFault('Sender', 'wsa:MessageAddressingHeaderRequired', 'A required header representing a Message Addressing Property is not present')];
    const s = await stub((_req, res) => res.writeHead(answer[0], { 'content-type': 'application/soap+xml' }).end(answer[1]));
    const c = client(s.url);
    const sender = await c.testExistence(PATIENT).catch((e) => e);
    expect(sender).toBeInstanceOf(DmpSoapFault);
    expect(sender).toMatchObject({ subcode: 'wsa:MessageAddressingHeaderRequired', httpStatus: 400, retryable: false });
    answer = [500, soapFault('Receiver', 'InternalError', 'erreur interne')];
    expect(await c.testExistence(PATIENT).catch((e) => e)).toMatchObject({ name: 'DmpSoapFault', retryable: true });
    answer = [503, soapFault('Sender', 'siram_40', 'Le service est temporairement inaccessible')];
    expect(await c.testExistence(PATIENT).catch((e) => e)).toMatchObject({ name: 'DmpSoapFault', retryable: true, httpStatus: 503 });
    answer = [404, 'Not Found'];
    const notFound = await c.testExistence(PATIENT).catch((e) => e);
    expect(notFound).toBeInstanceOf(DmpTransportError);
    expect(notFound.retryable).toBe(false);
  });
});

describe('mutual TLS', () => {
  it('presents the client certificate and trusts the test CA', async () => {
    const pki = await testPki();
    const pro = pki.professionals[0]!;
    const s = await stub((_req, res) => res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(soapAnswer(TD02_OK)), { tls: pki, requestCert: true });
    const c = client(s.url, { tls: { cert: pro.chainPem, key: pro.keyPem, ca: pki.caCertsPem } });
    await c.testExistence(PATIENT);
    expect(s.requests[0]!.peerSubject).toContain(pro.subject.CN!);
    const untrusted = client(s.url, { tls: { cert: pro.chainPem, key: pro.keyPem } });
    const err = await untrusted.testExistence(PATIENT).catch((e) => e);
    expect(err).toBeInstanceOf(DmpTransportError);
    expect(err).toMatchObject({ kind: 'tls', retryable: false });
  });
});
