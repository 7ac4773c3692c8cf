import { describe, expect, it } from 'vitest';
import { GS, renderInsDatamatrix } from '../../fixtures/datamatrix.js';
import { compareWithDatamatrix, datamatrixSearchTraits, identityFromDatamatrix, InsiInputError, recordFromDatamatrix } from '../../client/insi/index.js';

describe('INS datamatrix reading (insi.md §5)', () => {
  const payload = renderInsDatamatrix({
    matricule: '109076322083489',
    oid: '1.2.250.1.213.1.4.8',
    listePrenom: 'Pierre-Alain Muriel Floriant',
    nomNaissance: 'Écétinsi',
    sexe: 'M',
    dateNaissance: '2009-07-14',
    lieuNaissance: '63220',
  });

  it('reads what fixtures render (IS01 header, GS separators, DD-MM-YYYY)', () => {
    expect(payload.startsWith('IS01')).toBe(true);
    expect(payload).toContain(GS);
    expect(payload).toContain('S614-07-2009');
    const id = identityFromDatamatrix(payload);
    expect(id).toEqual({
      matricule: '109076322083489',
      numIdentifiant: '1090763220834',
      cle: '89',
      oid: '1.2.250.1.213.1.4.8',
      kind: 'NIR',
      nomNaissance: 'ECETINSI',
      listePrenom: 'PIERRE-ALAIN MURIEL FLORIANT',
      prenom: 'PIERRE-ALAIN',
      sexe: 'M',
      dateNaissance: '2009-07-14',
      lieuNaissance: '63220',
      keyValid: true,
      source: 'CB',
    });
    expect(datamatrixSearchTraits(id)).toEqual({ nomNaissance: 'ECETINSI', prenom: 'PIERRE-ALAIN', sexe: 'M', dateNaissance: '2009-07-14', lieuNaissance: '63220' });
  });

  it('reads the documented example with a literal <GS>, and an NIA without birth place', () => {
    const id = identityFromDatamatrix('IS010000000000000000000000S1185057512345673S21.2.250.1.213.1.4.8<GS>S3ADA<GS>S4LOVELACE<GS>S5FS610-12-1815S799100');
    expect(id).toMatchObject({ nomNaissance: 'LOVELACE', prenom: 'ADA', sexe: 'F', dateNaissance: '1815-12-10', lieuNaissance: '99100' });
    const nia = identityFromDatamatrix(`IS010000000000000000000000S1109076322088835S21.2.250.1.213.1.4.9${GS}S3MATRICULE${GS}S4PROVISOIRE${GS}S5MS601-07-2009`);
    expect(nia).toMatchObject({ kind: 'NIA', keyValid: true });
    expect(nia.lieuNaissance).toBeUndefined();
  });

  it('flags a wrong key and refuses an unreadable payload', () => {
    expect(identityFromDatamatrix(payload.replace('109076322083489', '109076322083488')).keyValid).toBe(false);
    expect(() => identityFromDatamatrix('hello')).toThrow(InsiInputError);
    expect(() => identityFromDatamatrix('IS010000000000000000000000S1109076322083489')).toThrow(InsiInputError);
  });

  it('compares a scan with the local record, with the qualification rules', () => {
    const id = identityFromDatamatrix(payload);
    const local = { id: 'p', birthName: 'Ecetinsi', firstNames: ['Pierre Alain'], sex: 'M' as const, birthDate: '2009-07-14', status: 'PROV' as const, attributes: [] };
    expect(compareWithDatamatrix(local, id).discrepancies[0]).toMatchObject({ field: 'firstNames', kind: 'different', blocking: true });
    const fresh = recordFromDatamatrix(id, 'new-1');
    expect(fresh).toMatchObject({ status: 'PROV', traitsSource: 'CB', birthPlaceCog: '63220' });
    expect(compareWithDatamatrix(fresh, id).discrepancies).toEqual([]);
  });
});
