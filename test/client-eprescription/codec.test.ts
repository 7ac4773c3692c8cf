/** The client's own codec: envelope, bodies, and reading answers and faults. */
import { beforeAll, describe, expect, it } from 'vitest';
import { bodies, buildEnvelope, parseAnswer, readEPrescription, readers, soapAction } from '../../client/eprescription/codec.js';
import {
  EPrescriptionAuthFault, EPrescriptionBusinessFault, EPrescriptionFault, EPrescriptionForbiddenFault, EPrescriptionInputError, EPrescriptionProtocolError,
  EPrescriptionRequestFault, EPrescriptionUnavailableFault,
} from '../../client/eprescription/errors.js';
import { child, parseXmlTree } from '../../client/insi/xml.js';
import { cast, prescriptionFor, type Cast } from './fixtures.js';
import { soapFault, soapResponse } from './helpers.js';

const LPS = { idam: 'SEGURSIM0001', version: '1.0', instance: '6f0c8f4e-3c2b-4c55-9b59-4a1f2d7a9e10', nom: 'urn:lps:segur-sim-lgc:1.0' };
const ID = '01S2TBPZ2JCNZZYGHZ';
let c: Cast;
beforeAll(() => {
  c = cast();
});

describe('requests', () => {
  it('SOAP 1.2 envelope with ContexteBAM, ContexteLPS (IDAM R=4), wsa:Action/MessageID, then the body', () => {
    const req = buildEnvelope('ep4_creer', bodies.creer({ ...prescriptionFor(c), identifiant: ID }), { lps: LPS, emetteur: c.doctor.idNat, messageId: 'uuid:m-1' });
    const env = parseXmlTree(req.xml);
    expect(env.ns).toBe('http://www.w3.org/2003/05/soap-envelope');
    const header = child(env, 'Header')!;
    expect(header.children.map((h) => h.name)).toEqual(['ContexteBAM', 'ContexteLPS', 'Action', 'MessageID']);
    expect(header.children[0]!.attrs.Version).toBe('01_02');
    const lps = child(header.children[1], 'LPS')!;
    expect(child(lps, 'IDAM')!.attrs.R).toBe('4');
    expect(child(lps, 'IDAM')!.text).toBe('SEGURSIM0001');
    expect(header.children[2]!.text).toBe('urn:ServiceEPrescription:1.0.0:ep4_creer');
    expect(header.children[3]!.text).toBe('uuid:m-1');
    const op = child(env, 'Body')!.children[0]!;
    expect(op).toMatchObject({ name: 'ep4_creer', ns: 'http://www.cnamts.fr/ePrescription' });
    expect(req.action).toBe(soapAction('ep4_creer'));
  });

  it('security and Body Id only when given (card mode)', () => {
    const req = buildEnvelope('ep3_consulter', bodies.consulter(ID, { executant: { profession: '21', numeroAM: '751234567' } }), { lps: LPS, emetteur: 'x', security: ['<Assertion/>'], bodyId: '_0' });
    expect(req.xml).toContain('<wsse:Security><Assertion/></wsse:Security>');
    expect(req.xml).toContain('<soap:Body Id="_0">');
    expect(buildEnvelope('ep3_consulter', '<x/>', { lps: LPS, emetteur: 'x' }).xml).not.toContain('Security');
  });

  it('ep4_creer carries the prescription exactly: reading the body back gives the same object', () => {
    const rx = { ...prescriptionFor(c, { sousTypes: ['MED-1096'], replaced: { pro: c.replacement, structure: c.doctorStructure } }), identifiant: ID };
    const body = parseXmlTree(bodies.creer(rx));
    const back = readEPrescription(child(body, 'EPrescription')!);
    expect(back).toEqual(rx);
    expect(bodies.creer(rx)).toContain('<ep:Ligne Numero="2" Type="dispositifMedical">');
    expect(bodies.creer(rx)).toMatch(/<ep:RPPS>\d{11}<\/ep:RPPS>/);
  });

  it('element order of a line follows the contract', () => {
    const xml = bodies.creer({ ...prescriptionFor(c), identifiant: ID });
    const line = /<ep:Ligne Numero="1"[^>]*>(.*?)<\/ep:Ligne>/.exec(xml)![1]!;
    const names = [...line.matchAll(/<ep:(\w+)>/g)].map((m) => m[1]);
    const order = ['Produit', 'Posologie', 'DureeJours', 'Quantite', 'Renouvellements', 'Substituable', 'Stupefiant', 'ALD', 'ATMP', 'Prevention', 'NonRemboursable', 'HorsAMM'];
    expect(names.filter((n) => order.includes(n!))).toEqual(order);
  });

  it('refuses before sending: bad identifier, no line, no AM/FINESS for an executant, bad dates', () => {
    const rx = prescriptionFor(c);
    expect(() => bodies.creer({ ...rx, identifiant: 'abc' })).toThrow(EPrescriptionInputError);
    expect(() => bodies.creer({ ...rx, lignes: [] })).toThrow(/at least one line/);
    expect(() => bodies.creer({ ...rx, dateRedaction: '22/11/2026' })).toThrow(/YYYY-MM-DD/);
    expect(() => bodies.consulter(ID, { executant: { profession: '21' } })).toThrow(/AM number or a FINESS/);
    expect(() => bodies.creer({ ...rx, prescripteur: { ...rx.prescripteur, numeroAM: '1' } })).toThrow(/9 digits/);
  });

  it('ep1, ep2 and ep7 bodies', () => {
    const ex = { rpps: c.pharmacist.idNat, profession: '21', numeroAM: '751234567' };
    const ep1 = bodies.transmettreExecution(ID, ex, { dateExecution: '2026-11-23', lignes: [{ numero: 1, mode: 'SUBSTITUTION', quantite: 1, produitDelivre: { cip13: '3400930101180', libelle: 'X' }, motif: 'rupture' }] });
    expect(ep1).toContain(`<ep:RPPS>${c.pharmacist.rpps}</ep:RPPS>`);
    expect(ep1).toMatch(/<ep:LigneExecutee Numero="1"><ep:Mode>SUBSTITUTION<\/ep:Mode><ep:Quantite>1<\/ep:Quantite><ep:ProduitDelivre><ep:CIP13>3400930101180<\/ep:CIP13><ep:Libelle>X<\/ep:Libelle><\/ep:ProduitDelivre><ep:Motif>rupture<\/ep:Motif>/);
    const ep2 = bodies.rechercher({ executant: ex }, { ins: { matricule: '284076322000786', oid: '1.2.250.1.213.1.4.8' }, statut: 'ACTIVE' });
    expect(ep2).toMatch(/<ep:Executant>.*<\/ep:Executant><ep:Critere><ep:INS><ep:Matricule>284076322000786<\/ep:Matricule>/);
    expect(bodies.annuler(ID, prescriptionFor(c).prescripteur, 'erreur')).toContain('<ep:Motif>erreur</ep:Motif>');
  });
});

describe('answers', () => {
  it('ep4_creerReponse: identifier and registration time (any prefix)', () => {
    const a = parseAnswer(soapResponse('ep4_creer', `<ns2:Identifiant>${ID}</ns2:Identifiant><ns2:DateEnregistrement>2026-11-22T08:00:00Z</ns2:DateEnregistrement>`), 'ep4_creer', 200);
    expect(a.kind).toBe('response');
    if (a.kind === 'response') expect(readers.creer(a.element)).toEqual({ identifiant: ID, dateEnregistrement: '2026-11-22T08:00:00Z' });
  });

  it('ep3_consulterReponse: prescription, status, line states, executions', () => {
    const rx = { ...prescriptionFor(c), identifiant: ID };
    const eprescription = bodies.creer(rx).replace(/^<ep:ep4_creer[^>]*>/, '').replace(/<\/ep:ep4_creer>$/, '').replace(/<ep:EPrescription>/, `<ep:EPrescription xmlns:ep="http://www.cnamts.fr/ePrescription">`);
    const inner =
      eprescription + '<ns2:Statut>PARTIELLEMENT_EXECUTEE</ns2:Statut>' +
      '<ns2:EtatLigne Numero="1"><ns2:QuantiteDelivree>1</ns2:QuantiteDelivree><ns2:QuantiteRestante>2</ns2:QuantiteRestante></ns2:EtatLigne>' +
      '<ns2:Execution><ns2:NumeroExecution>1</ns2:NumeroExecution><ns2:DateEnregistrement>2026-11-23T10:00:00Z</ns2:DateEnregistrement><ns2:DateExecution>2026-11-23</ns2:DateExecution>' +
      '<ns2:LigneExecutee Numero="1"><ns2:Mode>CONFORME</ns2:Mode><ns2:Quantite>1</ns2:Quantite></ns2:LigneExecutee></ns2:Execution>';
    const a = parseAnswer(soapResponse('ep3_consulter', inner), 'ep3_consulter', 200);
    if (a.kind !== 'response') throw new Error('expected a response');
    const r = readers.consulter(a.element);
    expect(r.prescription).toEqual(rx);
    expect(r.statut).toBe('PARTIELLEMENT_EXECUTEE');
    expect(r.etatsLignes).toEqual([{ numero: 1, quantiteDelivree: 1, quantiteRestante: 2 }]);
    expect(r.executions).toEqual([{ numeroExecution: 1, dateEnregistrement: '2026-11-23T10:00:00Z', dateExecution: '2026-11-23', lignes: [{ numero: 1, mode: 'CONFORME', quantite: 1 }] }]);
  });

  it('faults become typed errors carrying the siram subcode and the code', () => {
    const cases = [
      ['siram_10', 'ep_400', EPrescriptionRequestFault],
      ['siram_20', 'desir_521', EPrescriptionAuthFault],
      ['siram_40', 'desir_1020', EPrescriptionUnavailableFault],
      ['siram_80', 'ep_404', EPrescriptionBusinessFault],
      ['siram_100', 'desir_550', EPrescriptionForbiddenFault],
      ['siram_999', 'x', EPrescriptionFault],
    ] as const;
    for (const [subcode, code, type] of cases) {
      const a = parseAnswer(soapFault(subcode, code, 'texte'), 'ep4_creer', 500);
      if (a.kind !== 'fault') throw new Error('expected a fault');
      expect(a.fault).toBeInstanceOf(type);
      expect(a.fault).toMatchObject({ code, subcode });
      expect(a.fault.fault).toMatchObject({ faultCode: 'Sender', reason: 'texte', detail: 'texte', httpStatus: 500, messageId: 'uuid:x' });
      expect(a.fault.retryable).toBe(subcode === 'siram_40');
    }
  });

  it('anything else is a protocol error: not XML, not SOAP 1.2, wrong response, CR not 00', () => {
    expect(() => parseAnswer('<html>', 'ep4_creer', 200)).toThrow(EPrescriptionProtocolError);
    expect(() => parseAnswer('<a/>', 'ep4_creer', 200)).toThrow(/not a SOAP 1.2/);
    expect(() => parseAnswer(soapResponse('ep3_consulter', ''), 'ep4_creer', 200)).toThrow(/neither ep4_creerReponse/);
    expect(() => parseAnswer(soapResponse('ep4_creer', '').replace('<ns2:Code>00', '<ns2:Code>01'), 'ep4_creer', 200)).toThrow(/CR "01"/);
  });
});
