import { Agent } from 'node:https';
import * as soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';
import { get, PADOA_IDAM, vitaleAssertion } from './helpers.js';

let t: TestHost;
let tls: { key: string; cert: string; ca: string[] };

beforeAll(async () => {
  t = await startTestHost();
  const pki = t.host.context.pki;
  tls = { key: pki.orgClients['INSI-AUTO'].keyPem, cert: pki.orgClients['INSI-AUTO'].certPem, ca: pki.caCertsPem };
});
afterAll(() => t.close());

const lps = `<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>0b5d0d53-7d4e-4e8e-9d62-5f9a3e1a1a11</ctxlps:Id><ctxlps:Temps>2026-03-02T08:00:00.000Z</ctxlps:Temps><ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${PADOA_IDAM}</ctxlps:IDAM><ctxlps:Version>1.0</ctxlps:Version><ctxlps:Instance>8a1f3c2e-0000-4000-8000-000000000001</ctxlps:Instance><ctxlps:Nom>urn:lps:segur-sim-test:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`;
const bam = `<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02"><ctxbam:Id>7c1d2e3f-0000-4000-8000-000000000002</ctxbam:Id><ctxbam:Temps>2026-03-02T08:00:00.000Z</ctxbam:Temps><ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>`;

describe('the served WSDL', () => {
  it('points soap12:address at the scheme, host and port (and sandbox prefix) the request came in on, imports only our schemas', async () => {
    const wsdl = await get(`${t.https}/_sandbox/wsdl-sb/lps?wsdl`, tls);
    expect(wsdl.status).toBe(200);
    expect(wsdl.body).toContain(`<soap12:address location="${t.https}/_sandbox/wsdl-sb/lps"/>`);
    const plain = await get(`${t.http}/lps?wsdl`);
    expect(plain.body).toContain(`<soap12:address location="${t.http}/lps"/>`);
    const locations = [...plain.body.matchAll(/schemaLocation="([^"]+)"/g)].map((m) => m[1]!);
    expect(locations.length).toBeGreaterThan(5);
    for (const loc of locations) {
      expect(loc.startsWith(`${t.http}/lps?xsd=`)).toBe(true);
      const xsd = await get(loc.replace(/&amp;/g, '&'));
      expect(xsd.status, loc).toBe(200);
      expect(xsd.body).toContain('<xs:schema');
      expect(xsd.body).not.toMatch(/schemaLocation="https?:\/\/www\.w3\.org/);
    }
    expect((await get(`${t.http}/lps?xsd=NOPE`)).status).toBe(404);
  });
});

describe('the soap npm client built from our WSDL, over mTLS with INSI-AUTO', () => {
  async function client(): Promise<soap.Client> {
    const agent = new Agent({ ...tls, servername: 'localhost', keepAlive: true });
    const c = await soap.createClientAsync(`${t.https}/lps?wsdl`, { forceSoap12Headers: true, wsdl_options: { httpsAgent: agent } });
    c.setSecurity(new soap.ClientSSLSecurity(Buffer.from(tls.key), Buffer.from(tls.cert), Buffer.from(tls.ca.join('\n')), { servername: 'localhost' }));
    c.addSoapHeader(bam);
    c.addSoapHeader(lps);
    c.addSoapHeader({ Action: 'urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite' }, 'Action', 'wsa', 'http://www.w3.org/2005/08/addressing');
    c.addSoapHeader({ MessageID: 'uuid:11111111-2222-4333-8444-555555555555' }, 'MessageID', 'wsa', 'http://www.w3.org/2005/08/addressing');
    return c;
  }

  it('rechercherInsAvecTraitsIdentite: ECETINSI comes back with INSACTIF, INSHISTO and TIQ', async () => {
    const c = await client();
    const [result, raw] = (await c.rechercherInsAvecTraitsIdentiteAsync({ NomNaissance: 'ECETINSI', Prenom: 'PIERRE-ALAIN', Sexe: 'M', DateNaissance: '2009-07-14' })) as [Record<string, any>, string];
    expect(raw).toContain('<CodeCR>00</CodeCR>');
    expect(result.CR.CodeCR).toBe('00');
    expect(result.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant).toBe('1090763220834');
    expect(result.INDIVIDU.TIQ.ListePrenom).toBe('PIERRE-ALAIN MURIEL FLORIANT');
    const histo = [result.INDIVIDU.INSHISTO].flat();
    expect(histo[0].IdIndividu.NumIdentifiant).toBe('2090763220834');
    expect(c.lastRequest).toContain('RECSANSVITALE');
  });

  it('rechercherInsAvecCarteVitale: insi_301 without a Vitale assertion, CR 00 with one', async () => {
    const world = t.host.context.sandboxes.world();
    const card = world.vitaleCards.find((v) => v.beneficiaires.length > 1)!;
    const child = card.beneficiaires.find((b) => b.rang > 1)!;
    const patient = world.patients.find((p) => p.id === child.patientId)!;
    const args = { MatriculeOD: { NumIdentifiant: card.ouvrantDroit.matricule.slice(0, 13) }, NomNaissance: patient.rniv.nomNaissance, DateNaissance: patient.rniv.dateNaissance, RangNaissance: child.rangNaissance };
    const c = await client();
    await expect(c.rechercherInsAvecCarteVitaleAsync(args)).rejects.toMatchObject({ response: { status: 500 } });
    expect(String(c.lastResponse)).toContain('code="insi_301"');

    const c2 = await client();
    c2.addSoapHeader(`<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${vitaleAssertion({ nirOD: card.ouvrantDroit.matricule, rang: child.rang })}</wsse:Security>`);
    const [result] = (await c2.rechercherInsAvecCarteVitaleAsync(args)) as [Record<string, any>];
    expect(result.CR.CodeCR).toBe('00');
    expect(result.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant).toBe(patient.ins!.numIdentifiant);
  });
});
