import { describe, expect, it } from 'vitest';
import { compareWithInsi, qualify, type InsiIndividu, type LocalPatientRecord } from '../../client/insi/index.js';

const tchitchi: InsiIndividu = {
  insActif: { numIdentifiant: '2360663220836', cle: '56', matricule: '236066322083656', oid: '1.2.250.1.213.1.4.8', kind: 'NIR' },
  insHisto: [],
  tiq: { nomNaissance: 'TCHITCHI', prenom: 'CATARINA', listePrenom: 'CATARINA BELLA', sexe: 'F', dateNaissance: '1936-06-21', lieuNaissance: '63220' },
};

const ecetinsi: InsiIndividu = {
  insActif: { numIdentifiant: '1090763220834', cle: '89', matricule: '109076322083489', oid: '1.2.250.1.213.1.4.8', kind: 'NIR' },
  insHisto: [{ numIdentifiant: '2090763220834', cle: '39', matricule: '209076322083439', oid: '1.2.250.1.213.1.4.8', kind: 'NIR' }],
  tiq: { nomNaissance: 'ECETINSI', prenom: 'PIERRE-ALAIN', listePrenom: 'PIERRE-ALAIN MURIEL FLORIANT', sexe: 'M', dateNaissance: '2009-07-14', lieuNaissance: '63220' },
};

function rec(over: Partial<LocalPatientRecord> = {}): LocalPatientRecord {
  return { id: 'p1', birthName: 'Tchitchi', firstNames: ['Catarina'], sex: 'F', birthDate: '1936-06-21', status: 'PROV', attributes: [], ...over };
}

describe('1-click qualification on an exact match', () => {
  it('accented/lower-case record, first name within ListePrenom, no birth place → RECUP with INS, OID and ListePrenom', () => {
    const now = new Date('2025-06-30T10:00:00Z');
    const out = qualify(rec({ birthName: 'Tchitchî' }), tchitchi, { now });
    expect(out.match).toBe('exact');
    if (out.match !== 'exact') return;
    expect(out.record).toMatchObject({
      birthName: 'TCHITCHI',
      firstNames: ['CATARINA', 'BELLA'],
      sex: 'F',
      birthDate: '1936-06-21',
      birthPlaceCog: '63220',
      status: 'RECUP',
      ins: { matricule: '236066322083656', oid: '1.2.250.1.213.1.4.8' },
      lastVerifiedAt: '2025-06-30T10:00:00.000Z',
      traitsSource: 'INSI',
    });
    expect(out.discrepancies.map((d) => [d.field, d.kind, d.blocking])).toEqual([
      ['birthName', 'accent', false],
      ['firstNames', 'missing', false],
      ['birthPlace', 'missing', false],
    ]);
  });

  it('VALI record → QUAL', () => {
    const out = qualify(rec({ status: 'VALI', firstNames: 'catarina bella', birthPlaceCog: '63220' }), tchitchi);
    expect(out.match === 'exact' && out.record.status).toBe('QUAL');
    expect(out.discrepancies).toEqual([]);
  });

  it('same names in another order are shown, not blocking', () => {
    const out = qualify(rec({ firstNames: ['Catarina', 'Bella'].reverse() }), tchitchi);
    // BELLA first: BELLA is in ListePrenom, CATARINA too, order differs
    expect(out.match).toBe('exact');
    expect(out.discrepancies.find((d) => d.field === 'firstNames')?.kind).toBe('order');
  });
});

describe('field-by-field discrepancy report', () => {
  it('spelling, sex, swapped date, different place are all blocking', () => {
    const out = qualify(rec({ birthName: 'TCHITCHY', sex: 'M', birthDate: '1936-21-06', birthPlaceCog: '75056' }), tchitchi);
    expect(out.match).toBe('discrepancies');
    expect(out.discrepancies.map((d) => [d.field, d.kind, d.blocking])).toEqual([
      ['birthName', 'spelling', true],
      ['firstNames', 'missing', false],
      ['sex', 'different', true],
      ['birthDate', 'order', true],
      ['birthPlace', 'different', true],
    ]);
    expect(out.discrepancies[0]).toMatchObject({ local: 'TCHITCHY', insi: 'TCHITCHI' });
  });

  it('separator differences are spelling; unrelated names are different', () => {
    expect(compareWithInsi(rec({ birthName: 'TCHI TCHI' }), tchitchi).discrepancies[0]).toMatchObject({ field: 'birthName', kind: 'spelling' });
    expect(compareWithInsi(rec({ birthName: 'DUPONT' }), tchitchi).discrepancies[0]).toMatchObject({ field: 'birthName', kind: 'different' });
  });

  it('a first name not in ListePrenom blocks (OLA → different, CATHARINA → spelling)', () => {
    expect(compareWithInsi(rec({ firstNames: ['Ola'] }), tchitchi).discrepancies[0]).toMatchObject({ field: 'firstNames', kind: 'different', blocking: true });
    expect(compareWithInsi(rec({ firstNames: ['Catharina'] }), tchitchi).discrepancies[0]).toMatchObject({ field: 'firstNames', kind: 'spelling', blocking: true });
    expect(compareWithInsi(rec({ firstNames: ['Catarina', 'Maria'] }), tchitchi).discrepancies[0]).toMatchObject({ field: 'firstNames', kind: 'different', blocking: true });
  });

  it('a local INS found in INSHISTO is reported as "INS changed" and the active INS replaces it', () => {
    const local = rec({ birthName: 'Écétinsi', firstNames: ['Pierre-Alain'], sex: 'M', birthDate: '2009-07-14', status: 'QUAL', ins: { matricule: '209076322083439', oid: '1.2.250.1.213.1.4.8' } });
    const out = qualify(local, ecetinsi);
    expect(out.insChanged).toBe(true);
    const d = out.discrepancies.find((x) => x.field === 'ins')!;
    expect(d).toMatchObject({ kind: 'ins-changed', local: '209076322083439', insi: '109076322083489', blocking: false });
    expect(out.match === 'exact' && out.record.ins.matricule).toBe('109076322083489');
    expect(out.match === 'exact' && out.record.insHistory).toEqual([{ matricule: '209076322083439', oid: '1.2.250.1.213.1.4.8' }]);
  });

  it('a local INS unknown to INSi blocks', () => {
    const local = rec({ ins: { matricule: '299999999999999', oid: '1.2.250.1.213.1.4.8' } });
    const out = qualify(local, tchitchi);
    expect(out.match).toBe('discrepancies');
    expect(out.discrepancies.find((x) => x.field === 'ins')).toMatchObject({ kind: 'different', blocking: true });
  });

  it('never qualifies a DOUT/FICT record', () => {
    expect(qualify(rec({ attributes: ['DOUT'] }), tchitchi).match).toBe('discrepancies');
  });
});
