/** EPrescriptionClient over a real socket against a stub: auth modes on the wire, timeout vs fault, the en-Y branches. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { EPrescriptionClient, type EPrescriptionAuth } from '../../client/eprescription/client.js';
import { EPrescriptionBusinessFault, EPrescriptionFault, EPrescriptionTimeoutError, EPrescriptionTransportError, EPrescriptionUnavailableFault } from '../../client/eprescription/errors.js';
import { prescribeEnY } from '../../client/eprescription/flows.js';
import { isValidIdentifier } from '../../client/eprescription/identifier.js';
import { verifyAssertionPs } from '../../client/insi/assertion-ps.js';
import type { DmpClient } from '../../client/dmp/client.js';
import type { BuiltDocument } from '../../fixtures/documents/types.js';
import { generateWorld } from '../../fixtures/index.js';
import { pkiProfessionals } from '../../simulators/core/host.js';
import { ensurePki, type Pki } from '../../simulators/core/pki/index.js';
import { cast, prescriptionFor, type Cast } from './fixtures.js';
import { startStub, soapFault, soapResponse, type Captured, type Stub } from './helpers.js';

const LPS = { idam: 'SEGURSIM0001', version: '1.0', instance: '6f0c8f4e-3c2b-4c55-9b59-4a1f2d7a9e10', nom: 'urn:lps:segur-sim-lgc:1.0' };
let c: Cast;
let pki: Pki;
let stub: Stub;
let answer: (req: Captured, res: import('node:http').ServerResponse) => void;
const clients: EPrescriptionClient[] = [];

function client(auth: EPrescriptionAuth, extra: Partial<ConstructorParameters<typeof EPrescriptionClient>[0]> = {}) {
  const cl = new EPrescriptionClient({ baseUrl: stub.url, auth, lps: LPS, timeoutMs: 5_000, ...extra });
  clients.push(cl);
  return cl;
}
const created = (req: Captured, res: import('node:http').ServerResponse) => {
  const id = /<ep:Identifiant>([^<]+)</.exec(req.body)?.[1] ?? '';
  res.writeHead(200, { 'content-type': 'application/soap+xml' }).end(soapResponse('ep4_creer', `<ns2:Identifiant>${id}</ns2:Identifiant><ns2:DateEnregistrement>2026-11-22T08:00:00Z</ns2:DateEnregistrement>`));
};
const token = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

beforeAll(async () => {
  c = cast();
  pki = await ensurePki({ dir: inject('pkiDir'), professionals: pkiProfessionals(generateWorld({ seed: 1 })) });
  stub = await startStub((req, res) => answer(req, res));
});
afterEach(() => {
  stub.requests.length = 0;
});
afterAll(async () => {
  clients.forEach((x) => x.close());
  await stub?.close();
});

describe('auth modes on the wire', () => {
  it('PSC: Authorization Bearer, Emetteur from the token, no wsse:Security; POST /eprescription with the action', async () => {
    answer = created;
    const r = await client({ mode: 'psc', accessToken: () => token({ SubjectNameID: c.doctor.idNat }) }).create({ ...prescriptionFor(c), identifiant: '01S2TBPZ2JCNZZYGHZ' });
    expect(r.identifiant).toBe('01S2TBPZ2JCNZZYGHZ');
    const req = stub.requests[0]!;
    expect(req.url).toBe('/eprescription');
    expect(req.headers.authorization).toBe(`Bearer ${token({ SubjectNameID: c.doctor.idNat })}`);
    expect(req.headers['content-type']).toBe('application/soap+xml;charset=utf-8;action="urn:ServiceEPrescription:1.0.0:ep4_creer"');
    expect(req.body).toContain(`<ctxlps:Emetteur>${c.doctor.idNat}</ctxlps:Emetteur>`);
    expect(req.body).not.toContain('wsse:Security>');
  });

  it('card: a signed assertion PS in wsse:Security, Body Id _0, no bearer', async () => {
    answer = created;
    const pro = pki.professional(c.doctor.idNat)!;
    await client({ mode: 'card', professional: { keyPem: pro.keyPem, certPem: pro.chainPem, idNat: c.doctor.idNat } }).create({ ...prescriptionFor(c), identifiant: '01S2TBPZ2JCNZZYGHZ' });
    const req = stub.requests[0]!;
    expect(req.headers.authorization).toBeUndefined();
    const assertion = /<Assertion[\s\S]*<\/Assertion>/.exec(req.body)![0];
    expect(verifyAssertionPs(assertion)).toBe(true);
    expect(assertion).toContain(`>${c.doctor.idNat}</NameID>`);
    expect(req.body).toContain('<soap:Body Id="_0">');
  });

  it('sandbox and scenario headers', async () => {
    answer = created;
    await client({ mode: 'psc', accessToken: 't' }, { sandbox: 'sb-1', baseUrl: `${stub.url}/_sandbox/sb-1` }).create({ ...prescriptionFor(c), identifiant: '01S2TBPZ2JCNZZYGHZ' }, { scenario: 'ep-ko' });
    expect(stub.requests[0]!.url).toBe('/_sandbox/sb-1/eprescription');
    expect(stub.requests[0]!.headers['x-segur-sandbox']).toBe('sb-1');
    expect(stub.requests[0]!.headers['x-segur-scenario']).toBe('ep-ko');
  });
});

describe('KO and no answer are different errors', () => {
  it('a SOAP fault (HTTP 500) is a typed fault with its code', async () => {
    answer = (_req, res) => res.writeHead(500, { 'content-type': 'application/soap+xml' }).end(soapFault('siram_80', 'ep_404', 'Identifiant inconnu'));
    const err = await client({ mode: 'psc', accessToken: 't' }).consult('01S2TBPZ2JCNZZYGHZ', { executant: { profession: '21', numeroAM: '751234567' } }).catch((e) => e);
    expect(err).toBeInstanceOf(EPrescriptionBusinessFault);
    expect(err).toMatchObject({ code: 'ep_404', subcode: 'siram_80' });
    expect(err).not.toBeInstanceOf(EPrescriptionTransportError);
  });

  it('no answer within the per-call timeout: EPrescriptionTimeoutError (transport, retryable), not a fault', async () => {
    answer = () => {}; // never answers
    const cl = client({ mode: 'psc', accessToken: 't' });
    const started = Date.now();
    const err = await cl.create({ ...prescriptionFor(c), identifiant: '01S2TBPZ2JCNZZYGHZ' }, { timeoutMs: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(EPrescriptionTimeoutError);
    expect(err).toBeInstanceOf(EPrescriptionTransportError);
    expect(err).not.toBeInstanceOf(EPrescriptionFault);
    expect((err as EPrescriptionTimeoutError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('HTTP 503 without a SOAP body is a transport error with its status', async () => {
    answer = (_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
    const err = await client({ mode: 'psc', accessToken: 't' }).create({ ...prescriptionFor(c), identifiant: '01S2TBPZ2JCNZZYGHZ' }).catch((e) => e);
    expect(err).toBeInstanceOf(EPrescriptionTransportError);
    expect(err).toMatchObject({ kind: 'http-status', httpStatus: 503, retryable: true });
  });
});

describe('prescribeEnY branches (DMP replaced by a recorder)', () => {
  const recorder = () => {
    const sent: BuiltDocument[] = [];
    const dmp = { submit: async (d: BuiltDocument) => (sent.push(d), { status: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success', errors: [], submissionSetUniqueId: '1.2', uniqueIds: [d.metadata.uniqueId], replaced: {} }) };
    return { sent, dmp: dmp as unknown as DmpClient };
  };
  const input = (ep: EPrescriptionClient, dmp: DmpClient, uniqueId: string) => ({
    ep, dmp: { client: dmp }, prescription: prescriptionFor(c), patient: c.patient, author: c.doctor, structure: c.doctorStructure, uniqueId,
  });

  it('created: the identifier computed here is sent, and the CDA carries it', async () => {
    answer = created;
    const { sent, dmp } = recorder();
    const r = await prescribeEnY(input(client({ mode: 'psc', accessToken: 't' }), dmp, '1.2.250.1.999.1.1'));
    expect(r.created).toBe(true);
    expect(isValidIdentifier(r.identifiant)).toBe(true);
    expect(stub.requests[0]!.body).toContain(`<ep:Identifiant>${r.identifiant}</ep:Identifiant>`);
    expect(r.dmp.submitted).toBe(true);
    expect(new TextDecoder().decode(sent[0]!.content)).toContain(`extension="${r.identifiant}"`);
    expect(r.document.code2d).toBeDefined();
  });

  it('KO (siram_40 fault): fallback "fault" with the code; the CDA still goes, without identifier nor 2D code', async () => {
    answer = (_req, res) => res.writeHead(500, { 'content-type': 'application/soap+xml' }).end(soapFault('siram_40', 'desir_1020', 'Service indisponible', false));
    const { sent, dmp } = recorder();
    const r = await prescribeEnY(input(client({ mode: 'psc', accessToken: 't' }), dmp, '1.2.250.1.999.1.2'));
    expect(r).toMatchObject({ created: false, fallback: { reason: 'fault', code: 'desir_1020', subcode: 'siram_40' } });
    expect(r.fallback!.error).toBeInstanceOf(EPrescriptionUnavailableFault);
    expect(r.identifiant).toBeUndefined();
    const xml = new TextDecoder().decode(sent[0]!.content);
    expect(xml).not.toContain(r.computedIdentifiant);
    expect(xml).not.toContain('1.2.250.1.213.1.1.2.223');
  });

  it('no answer: fallback "timeout", same document without identifier', async () => {
    answer = () => {};
    const { sent, dmp } = recorder();
    const r = await prescribeEnY({ ...input(client({ mode: 'psc', accessToken: 't' }), dmp, '1.2.250.1.999.1.3'), call: { timeoutMs: 250 } });
    expect(r).toMatchObject({ created: false, fallback: { reason: 'timeout' } });
    expect(sent).toHaveLength(1);
    expect(new TextDecoder().decode(sent[0]!.content)).not.toContain('1.2.250.1.215.500.1.1');
  });
});
