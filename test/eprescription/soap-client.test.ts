/**
 * The served WSDL is self-contained and usable: the `soap` npm package builds a client from it and calls
 * ep4_creer and ep3_consulter (card mode: an assertion PS added as a wsse:Security header).
 */
import * as soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';
import { assertionPs, DOCTOR, get, IDAM, newId, PARACETAMOL, PHARMACIST } from './helpers.js';

let t: TestHost;

beforeAll(async () => {
  t = await startTestHost();
});
afterAll(() => t.close());

const lps = `<ctxlps:ContexteLPS xmlns:ctxlps="urn:siram:lps:ctxlps" Nature="CTXLPS" Version="01_00"><ctxlps:Id>0b5d0d53-7d4e-4e8e-9d62-5f9a3e1a1a11</ctxlps:Id><ctxlps:Temps>2026-11-22T08:00:00Z</ctxlps:Temps><ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${IDAM}</ctxlps:IDAM><ctxlps:Version>1.0</ctxlps:Version><ctxlps:Instance>8a1f3c2e-0000-4000-8000-000000000001</ctxlps:Instance><ctxlps:Nom>urn:lps:segur-sim-test:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`;
const bam = `<ctxbam:ContexteBAM xmlns:ctxbam="urn:siram:bam:ctxbam" Version="01_02"><ctxbam:Id>7c1d2e3f-0000-4000-8000-000000000002</ctxbam:Id><ctxbam:Temps>2026-11-22T08:00:00Z</ctxbam:Temps><ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>`;
const security = (idNat: string) => `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${assertionPs({ nameId: idNat })}</wsse:Security>`;

describe('the served WSDL', () => {
  it('points soap12:address at the scheme, host and sandbox prefix the request came in on; every schema is served', async () => {
    const tls = { ca: t.host.context.pki.caCertsPem };
    const secure = await get(`${t.https}/_sandbox/wsdl-sb/eprescription?wsdl`, tls);
    expect(secure.status).toBe(200);
    expect(secure.body).toContain(`<soap12:address location="${t.https}/_sandbox/wsdl-sb/eprescription"/>`);
    const plain = await get(`${t.http}/eprescription?wsdl`);
    expect(plain.body).toContain(`<soap12:address location="${t.http}/eprescription"/>`);
    for (const op of ['ep4_creer', 'ep3_consulter', 'ep2_rechercher', 'ep1_transmettreExecution', 'ep7_annuler']) {
      expect(plain.body).toContain(`soapAction="urn:ServiceEPrescription:1.0.0:${op}"`);
    }
    const locations = [...plain.body.matchAll(/schemaLocation="([^"]+)"/g)].map((m) => m[1]!);
    expect(locations.length).toBe(6);
    for (const loc of locations) {
      expect(loc.startsWith(`${t.http}/eprescription?xsd=`)).toBe(true);
      const xsd = await get(loc.replace(/&amp;/g, '&'));
      expect(xsd.status, loc).toBe(200);
      expect(xsd.body).toContain('<xs:schema');
      expect(xsd.body).not.toMatch(/schemaLocation="https?:\/\/www\.w3\.org/);
    }
  });
});

describe('the soap npm client built from our WSDL', () => {
  async function client(idNat: string): Promise<soap.Client> {
    const c = await soap.createClientAsync(`${t.http}/_sandbox/soap-sb/eprescription?wsdl`, { forceSoap12Headers: true });
    c.addSoapHeader(bam);
    c.addSoapHeader(lps);
    c.addSoapHeader(security(idNat));
    return c;
  }
  const prescripteur = { RPPS: DOCTOR.rpps, Nom: 'MARTIN', Prenom: 'Claire', Profession: '10', NumeroAM: '751234567' };

  it('ep4_creer then ep3_consulter', async () => {
    const id = newId();
    const today = new Date().toISOString().slice(0, 10);
    const doctor = await client(DOCTOR.idNat);
    const [created, raw] = (await doctor.ep4_creerAsync({
      EPrescription: {
        Identifiant: id,
        DateRedaction: today,
        DebutValidite: today,
        Patient: { INS: { Matricule: '284076322000786', OID: '1.2.250.1.213.1.4.8' }, NomNaissance: 'DUPONT', Prenom: 'Marie', DateNaissance: '1984-07-14', Sexe: 'F' },
        Prescripteur: prescripteur,
        OppositionConsultationExecution: false,
        Ligne: [{ attributes: { Numero: 1, Type: 'medicament' }, Produit: { CIP13: PARACETAMOL, Libelle: 'Paracétamol 1 g, comprimé' }, Posologie: '1 comprimé 3 fois par jour', Quantite: 2, Substituable: true }],
      },
    })) as [Record<string, any>, string];
    expect(raw).toContain('<ep:Code>00</ep:Code>');
    expect(created.Identifiant).toBe(id);
    expect(doctor.lastRequest).toContain('ep4_creer');

    const pharmacist = await client(PHARMACIST.idNat);
    const [view] = (await pharmacist.ep3_consulterAsync({ Identifiant: id, Executant: { RPPS: PHARMACIST.rpps, Profession: '21', NumeroAM: '751000011' } })) as [Record<string, any>];
    expect(view.CR.Code).toBe('00');
    expect(view.Statut).toBe('ACTIVE');
    expect(view.EPrescription.Identifiant).toBe(id);
    expect(view.EPrescription.Patient.NomNaissance).toBe('DUPONT');
    const line = [view.EPrescription.Ligne].flat()[0];
    expect(line.attributes.Type).toBe('medicament');
    expect(line.Produit.CIP13).toBe(PARACETAMOL);
    expect(Number([view.EtatLigne].flat()[0].QuantiteRestante)).toBe(2);
  });

  it('a fault comes back as a SOAP fault the client reports', async () => {
    const pharmacist = await client(PHARMACIST.idNat);
    await expect(pharmacist.ep3_consulterAsync({ Identifiant: newId(), Executant: { RPPS: PHARMACIST.rpps, Profession: '21', NumeroAM: '751000011' } })).rejects.toMatchObject({ response: { status: 500 } });
    expect(String(pharmacist.lastResponse)).toContain('code="ep_404"');
  });
});
