import { describe, expect, it } from 'vitest';
import { InsiFault, InsiProtocolError, parseInsiResponse } from '../../client/insi/index.js';
import { faultTechnical, faultUnavailable, faultUnknownIdam, RESULT_2021_ADRTROIS, RESULT_CNDA_HERMANN, RESULT_CR01, RESULT_CR02, RESULT_CURRENT_ECETINSI } from './samples.js';

function result(xml: string) {
  const p = parseInsiResponse(xml, 200);
  if (p.kind !== 'result') throw new Error('expected a result');
  return p.result;
}

function fault(xml: string) {
  const p = parseInsiResponse(xml, 500);
  if (p.kind !== 'fault') throw new Error('expected a fault');
  return p.fault;
}

describe('RESULTAT parsing (insi.md §3.3)', () => {
  it('reads the current live form: default ns, no Prenom, INSHISTO with dates', () => {
    const r = result(RESULT_CURRENT_ECETINSI);
    expect(r.cr).toBe('00');
    if (r.cr !== '00') return;
    expect(r.libelle).toBe('OK');
    expect(r.individu.insActif).toMatchObject({ matricule: '109076322083489', oid: '1.2.250.1.213.1.4.8', kind: 'NIR' });
    expect(r.individu.insHisto).toEqual([
      { numIdentifiant: '2090763220834', cle: '39', matricule: '209076322083439', oid: '1.2.250.1.213.1.4.8', kind: 'NIR', dateDeb: '2019-03-01', dateFin: '2019-02-28' },
    ]);
    expect(r.individu.tiq).toEqual({
      nomNaissance: 'ECETINSI',
      prenom: 'PIERRE-ALAIN',
      listePrenom: 'PIERRE-ALAIN MURIEL FLORIANT',
      sexe: 'M',
      dateNaissance: '2009-07-14',
      lieuNaissance: '63220',
    });
  });

  it('reads the CNDA form: ns2/ns3, Prenom, dates before the OID, repeated INSHISTO including the active INS', () => {
    const r = result(RESULT_CNDA_HERMANN);
    if (r.cr !== '00') throw new Error('expected 00');
    expect(r.individu.insActif.typeMatricule).toBe('NIR');
    expect(r.individu.insHisto.map((h) => h.matricule)).toEqual(['181036322045676', '281036322045626']);
    expect(r.individu.insHisto[0]!.dateDeb).toBe('2010-01-01');
    expect(r.individu.tiq.prenom).toBe('GATIEN');
  });

  it('reads the 2021 form: everything prefixed ns2, default ns INSiRecSans, Prenom without ListePrenom', () => {
    const r = result(RESULT_2021_ADRTROIS);
    if (r.cr !== '00') throw new Error('expected 00');
    expect(r.individu.insActif.matricule).toBe('297022A02077878');
    expect(r.individu.insHisto).toEqual([]);
    expect(r.individu.tiq).toMatchObject({ nomNaissance: 'ADRTROIS', prenom: 'DOMINIQUE', listePrenom: 'DOMINIQUE', lieuNaissance: '20020' });
  });

  it('reads CR 01 and CR 02 without INDIVIDU', () => {
    expect(result(RESULT_CR01)).toEqual({ cr: '01', libelle: 'Aucune identite trouvee' });
    expect(result(RESULT_CR02)).toEqual({ cr: '02', libelle: 'Plusieurs identites trouvees' });
  });

  it('marks an OID .9 INS as NIA', () => {
    const xml = RESULT_CURRENT_ECETINSI.replace('<OID>1.2.250.1.213.1.4.8</OID></INSACTIF>', '<OID>1.2.250.1.213.1.4.9</OID></INSACTIF>');
    const r = result(xml);
    if (r.cr !== '00') throw new Error('expected 00');
    expect(r.individu.insActif.kind).toBe('NIA');
  });
});

describe('SOAP fault parsing (insi.md §4)', () => {
  it('siram_100 / desir_550 (unknown IDAM), with entities decoded and messageID echoed', () => {
    const f = fault(faultUnknownIdam('uuid:1111'));
    expect(f).toBeInstanceOf(InsiFault);
    expect(f.fault).toMatchObject({ faultCode: 'Sender', subcode: 'siram_100', code: 'desir_550', severite: 'erreur', messageId: 'uuid:1111', httpStatus: 500 });
    expect(f.fault.detail).toBe("Numéro d'autorisation du logiciel inconnu.");
    expect(f.fault.reason).toContain("L'accès par ce progiciel");
    expect(f.retryable).toBe(false);
  });

  it('siram_40 / insi_102 in the S: style with severite "fatal" is retryable', () => {
    const f = fault(faultTechnical('uuid:2222'));
    expect(f.fault).toMatchObject({ faultCode: 'Receiver', subcode: 'siram_40', code: 'insi_102', severite: 'fatal', messageId: 'uuid:2222' });
    expect(f.retryable).toBe(true);
  });

  it('siram_40 / desir_1020 is retryable', () => {
    const f = fault(faultUnavailable('uuid:3333'));
    expect(f.code).toBe('desir_1020');
    expect(f.subcode).toBe('siram_40');
    expect(f.retryable).toBe(true);
  });
});

describe('garbage', () => {
  it.each([
    ['empty', ''],
    ['html', '<html><body>502 Bad Gateway</body>'],
    ['json', '{"error":"x"}'],
    ['not soap', '<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>00</CodeCR></CR></RESULTAT>'],
    ['empty body', '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/></soap:Envelope>'],
    ['CR 00 without INDIVIDU', '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>00</CodeCR></CR></RESULTAT></soap:Body></soap:Envelope>'],
    ['unknown CR', '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><RESULTAT xmlns="http://www.cnamts.fr/INSiResultat"><CR><CodeCR>07</CodeCR></CR></RESULTAT></soap:Body></soap:Envelope>'],
    ['doctype', '<!DOCTYPE x [<!ENTITY a "b">]><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&a;</soap:Body></soap:Envelope>'],
  ])('%s → InsiProtocolError', (_label, body) => {
    expect(() => parseInsiResponse(body, 200)).toThrow(InsiProtocolError);
  });
});
