/**
 * The client's transport and error handling over real sockets, against a small stub of our own
 * (the real INSi simulator is exercised in integration.test.ts).
 */
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InsiCallForbiddenError,
  InsiClient,
  InsiFault,
  InsiInputError,
  InsiProtocolError,
  InsiTransportError,
  verifyAssertionPs,
} from '../../client/insi/index.js';
import { child, findDeep, parseXmlTree } from '../../client/insi/xml.js';
import { LPS, startStub, testPki, type StubServer } from './helpers.js';
import { faultTechnical, faultUnknownIdam, RESULT_CR01, RESULT_CURRENT_ECETINSI } from './samples.js';

const stubs: StubServer[] = [];
const clients: InsiClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

function track<T extends StubServer>(s: T): T {
  stubs.push(s);
  return s;
}
function mk(c: InsiClient): InsiClient {
  clients.push(c);
  return c;
}

const messageIdOf = (xml: string) => findDeep(parseXmlTree(xml), 'MessageID')!.text;
const ADRUN = { nomNaissance: 'Adrun', prenom: 'Zoé', sexe: 'F' as const, dateNaissance: '1975-12-31' };

describe('certificate mode (mTLS)', async () => {
  const pki = await testPki();
  const auto = pki.orgClients['INSI-AUTO'];

  it('presents the INSI-AUTO certificate, posts SOAP 1.2 to /lps with the segur-sim headers, reads the RESULTAT', async () => {
    const stub = track(
      await startStub(
        (req, res) => {
          res.writeHead(200, { 'content-type': 'application/soap+xml;charset=utf-8' }).end(RESULT_CURRENT_ECETINSI);
        },
        { tls: pki },
      ),
    );
    const client = mk(
      new InsiClient({ baseUrl: stub.url, auth: { mode: 'certificate', keyPem: auto.keyPem, certPem: auto.chainPem, caPem: pki.caCertsPem }, lps: LPS, sandbox: 'sb-1', scenario: 'slow' }),
    );
    expect(client.emitter).toBe(auto.subject.OU);
    const res = await client.searchByTraits(ADRUN);
    expect(res.cr).toBe('00');
    expect(res.httpStatus).toBe(200);
    const req = stub.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/lps');
    expect(req.headers['content-type']).toBe('application/soap+xml;charset=utf-8');
    expect(req.headers['x-segur-sandbox']).toBe('sb-1');
    expect(req.headers['x-segur-scenario']).toBe('slow');
    expect(messageIdOf(req.body)).toBe(res.messageId);
    expect(req.body).toContain('<insi_recsans_ins:Prenom>ZOE</insi_recsans_ins:Prenom>');
    expect(req.body).not.toContain('Security');
    expect(res.sentTraits).toEqual({ nomNaissance: 'ADRUN', prenom: 'ZOE', sexe: 'F', dateNaissance: '1975-12-31' });
  });

  it('the server sees the organisation certificate CN', async () => {
    let seen: string | undefined;
    const { default: https } = await import('node:https');
    const { tlsServerOptions } = await import('../../simulators/core/pki/index.js');
    const server = https.createServer(tlsServerOptions(pki), (req, res) => {
      seen = (req.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined;
      res.writeHead(200).end(RESULT_CR01);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const client = mk(new InsiClient({ baseUrl: `https://localhost:${port}/lps`, auth: { mode: 'certificate', keyPem: auto.keyPem, certPem: auto.chainPem, caPem: pki.caCertsPem }, lps: LPS }));
      expect((await client.searchByTraits(ADRUN)).cr).toBe('01');
      expect(seen).toBe('INSI-AUTO');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('an untrusted server certificate is a TLS transport error', async () => {
    const stub = track(await startStub((_q, res) => res.end(RESULT_CR01), { tls: pki }));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: { mode: 'certificate', keyPem: auto.keyPem, certPem: auto.certPem, caPem: [] }, lps: LPS }));
    const err = await client.searchByTraits(ADRUN).catch((e) => e);
    expect(err).toBeInstanceOf(InsiTransportError);
    expect((err as InsiTransportError).kind).toBe('tls');
  });
});

describe('CPx mode', async () => {
  const pki = await testPki();
  const pro = pki.professionals[0]!;

  it('one-way TLS, a fresh signed assertion PS in wsse:Security, Body Id _0, Emetteur = idNat; reused while valid', async () => {
    const stub = track(await startStub((_q, res) => res.writeHead(200).end(RESULT_CR01), { tls: pki }));
    let now = new Date();
    const client = mk(
      new InsiClient({ baseUrl: stub.url, auth: { mode: 'cpx', professional: { keyPem: pro.keyPem, certPem: pro.certPem, idNat: pro.subject.CN! }, caPem: pki.caCertsPem }, lps: LPS, now: () => now }),
    );
    await client.searchByTraits(ADRUN);
    const root = parseXmlTree(stub.requests[0]!.body);
    const assertion = findDeep(root, 'Security')!.children[0]!;
    expect(assertion.name).toBe('Assertion');
    expect(child(child(assertion, 'Subject'), 'NameID')?.text).toBe(pro.subject.CN);
    expect(child(root, 'Body')?.attrs.Id).toBe('_0');
    expect(findDeep(root, 'Emetteur')?.text).toBe(pro.subject.CN);
    const xml = /<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"[\s\S]*?<\/Assertion>/.exec(stub.requests[0]!.body)![0];
    expect(verifyAssertionPs(xml)).toBe(true);
    const first = client.assertionPs()!.id;
    now = new Date(now.getTime() + 30 * 60_000);
    expect(client.assertionPs()!.id).toBe(first);
    now = new Date(now.getTime() + 26 * 60_000);
    expect(client.assertionPs()!.id).not.toBe(first);
  });

  it('RECVITALE carries COUVERTURE from the card and the Vitale assertion after the assertion PS', async () => {
    const stub = track(await startStub((_q, res) => res.writeHead(200).end(RESULT_CURRENT_ECETINSI), { tls: pki }));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: { mode: 'cpx', professional: { keyPem: pro.keyPem, certPem: pro.certPem, idNat: pro.subject.CN! }, caPem: pki.caCertsPem }, lps: LPS }));
    const card = {
      ouvrantDroit: { matricule: '275126322074974', numIdentifiant: '2751263220749', cle: '74' },
      couverture: { grandRegime: '01', organisme: '631', codeCentre: '0042' },
      beneficiaires: [
        { rang: 1, nomNaissance: 'ADRUN', nomUsuel: 'ADRUN', prenom: 'ZOE', dateNaissance: '1975-12-31', rangNaissance: 1, matriculeIndividu: '275126322074974' },
        { rang: 2, nomNaissance: 'ADRUN', prenom: 'LEO', dateNaissance: '2010-01-01', rangNaissance: 1 },
      ],
    };
    const vitaleAssertion = '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_vitale-42"></saml2:Assertion>';
    const res = await client.searchByVitale({ card, beneficiary: 2, vitaleAssertion });
    expect(res.operation).toBe('vitale');
    const root = parseXmlTree(stub.requests[0]!.body);
    expect(findDeep(root, 'Action')?.text).toBe('urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale');
    expect(findDeep(root, 'Security')!.children.map((c) => c.attrs.ID?.startsWith('_vitale') ?? false)).toEqual([false, true]);
    const rec = findDeep(root, 'RECVITALE')!;
    expect(rec.children.map((c) => c.name)).toEqual(['MatriculeOD', 'NomNaissance', 'DateNaissance', 'RangNaissance']);
    expect(findDeep(findDeep(root, 'BENEFICIAIRE')!, 'Rang')?.text).toBe('2');
    expect(findDeep(findDeep(root, 'ASSURE')!, 'Num')?.text).toBe('2751263220749');
    await expect(client.searchByVitale({ card, beneficiary: 9, vitaleAssertion })).rejects.toBeInstanceOf(InsiInputError);
    await expect(client.searchByVitale({ card, beneficiary: 1, vitaleAssertion: '' })).rejects.toBeInstanceOf(InsiInputError);
  });
});

describe('errors never crash the client (plain HTTP stub)', () => {
  const auth = (async () => {
    const pki = await testPki();
    return { mode: 'certificate' as const, keyPem: pki.orgClients['INSI-AUTO'].keyPem, certPem: pki.orgClients['INSI-AUTO'].certPem };
  })();

  it('a SOAP fault becomes InsiFault with the echoed MessageID', async () => {
    const stub = track(await startStub((q, res) => res.writeHead(500, { 'content-type': 'application/soap+xml' }).end(faultUnknownIdam(messageIdOf(q.body)))));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS }));
    const err = await client.searchByTraits(ADRUN, { messageId: 'uuid:abcd' }).catch((e) => e);
    expect(err).toBeInstanceOf(InsiFault);
    expect(err).toMatchObject({ code: 'desir_550', subcode: 'siram_100', messageId: 'uuid:abcd', retryable: false });
  });

  it('siram_40 faults are retryable', async () => {
    const stub = track(await startStub((q, res) => res.writeHead(500).end(faultTechnical(messageIdOf(q.body)))));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS }));
    const err = await client.searchByTraits(ADRUN).catch((e) => e);
    expect(err).toMatchObject({ name: 'InsiFault', code: 'insi_102', retryable: true });
  });

  it.each([
    ['garbage with 200', 200, 'not xml at all', InsiProtocolError],
    ['HTML 502', 502, '<html><body>Bad gateway</body></html>', InsiTransportError],
    ['500 without SOAP', 500, 'Internal error', InsiProtocolError],
    ['404 empty', 404, '', InsiTransportError],
  ])('%s', async (_l, status, body, type) => {
    const stub = track(await startStub((_q, res) => res.writeHead(status).end(body)));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS }));
    await expect(client.searchByTraits(ADRUN)).rejects.toBeInstanceOf(type);
  });

  it('a silent server times out (retryable)', async () => {
    const stub = track(await startStub(() => {}));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS, timeoutMs: 200 }));
    const err = await client.searchByTraits(ADRUN).catch((e) => e);
    expect(err).toMatchObject({ name: 'InsiTransportError', kind: 'timeout', retryable: true });
  });

  it('an oversized answer is refused', async () => {
    const stub = track(await startStub((_q, res) => res.writeHead(200).end('<a>' + 'x'.repeat(50_000) + '</a>')));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS, maxResponseBytes: 10_000 }));
    await expect(client.searchByTraits(ADRUN)).rejects.toMatchObject({ kind: 'too-large' });
  });

  it('connection refused is a network error', async () => {
    const stub = await startStub(() => {});
    const url = stub.url;
    await stub.close();
    const client = mk(new InsiClient({ baseUrl: url, auth: await auth, lps: LPS }));
    await expect(client.searchByTraits(ADRUN)).rejects.toMatchObject({ name: 'InsiTransportError', kind: 'network' });
  });

  it('DOUT/FICT and invalid traits are refused before any network call', async () => {
    const stub = track(await startStub((_q, res) => res.end(RESULT_CR01)));
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS }));
    await expect(client.searchByTraits(ADRUN, { identity: { attributes: ['DOUT'] } })).rejects.toBeInstanceOf(InsiCallForbiddenError);
    await expect(client.searchPatient({ birthName: 'X', firstNames: ['Y'], sex: 'M', birthDate: '2000-01-01', identity: { attributes: ['FICT'] } })).rejects.toBeInstanceOf(InsiCallForbiddenError);
    await expect(client.searchByTraits({ ...ADRUN, sexe: 'I' as 'M' })).rejects.toBeInstanceOf(InsiInputError);
    expect(stub.requests).toHaveLength(0);
  });

  it('searchPatient tries each given name, then all of them, and stops at CR 00', async () => {
    const stub = track(
      await startStub((q, res) => {
        const prenom = findDeep(parseXmlTree(q.body), 'Prenom')!.text;
        res.writeHead(200).end(prenom === 'MURIEL' ? RESULT_CURRENT_ECETINSI : RESULT_CR01);
      }),
    );
    const client = mk(new InsiClient({ baseUrl: stub.url, auth: await auth, lps: LPS }));
    const out = await client.searchPatient({ birthName: 'Ecetinsi', firstNames: ['Pierre-Alain', 'Muriel', 'Floriant'], sex: 'M', birthDate: '2009-07-14' });
    expect(out.attempts.map((a) => a.sentTraits?.prenom)).toEqual(['PIERRE-ALAIN', 'MURIEL']);
    expect(out.result.cr).toBe('00');
    const none = await client.searchPatient({ birthName: 'Houilles', firstNames: 'Pierre Paul Jacques', sex: 'M', birthDate: '1993-01-27' });
    expect(none.attempts.map((a) => a.sentTraits?.prenom)).toEqual(['PIERRE', 'PAUL', 'JACQUES', 'PIERRE PAUL JACQUES']);
    expect(none.result.cr).toBe('01');
  });
});
