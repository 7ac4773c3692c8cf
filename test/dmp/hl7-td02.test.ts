import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, DMP_ACTIONS, dmpCall, find, td02Body, findAll, pickAuthorizedPair, pickBlockedProfessional, pickDossier, pickPatientWithoutDmp, pickUnauthorizedProfessional, startDmpHost, vihfOf, type DmpTestHost } from './support.js';

let t: DmpTestHost;
beforeAll(async () => {
  t = await startDmpHost();
});
afterAll(() => t.close());

function attention(body: ReturnType<typeof find>, code: string) {
  const line = findAll(body, 'attentionLine').find((l) => at(l, 'keyWordText')?.attrs.code === code);
  return at(line, 'value')?.attrs;
}

describe('TD0.2 test d’existence', () => {
  it('answers OK with AUTORISATION VALIDE and STATUT_MT for the médecin traitant', async () => {
    const pair = pickAuthorizedPair(t, { mt: true });
    const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(pair.ins), { ins: pair.ins, ...pair.vihf });
    expect(res.status).toBe(200);
    expect(res.body?.name).toBe('PRPA_IN201308UV02');
    expect(attention(res.body, 'AUTORISATION')).toMatchObject({ code: 'VALIDE', codeSystem: '1.2.250.1.213.4.1.2.6.2' });
    expect(attention(res.body, 'STATUT_MT')).toMatchObject({ value: 'true' });
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('OK');
    expect(find(res.body, 'acknowledgement')?.attrs.typeCode).toBe('AA');
    expect(at(find(res.body, 'targetMessage'), 'id')?.attrs).toEqual({ extension: '1633a409-3d61-4869-aed8-74d92ae20272', root: '1.3.6.1.4.1.48364.1.1' });
    const patient = find(res.body, 'patient');
    expect(findAll(patient, 'id').map((i) => i.attrs.root)).toEqual(['1.2.250.1.213.1.4.2', '1.2.250.1.213.1.4.10']);
    expect(findAll(patient, 'id')[1]?.attrs.extension).toBe(pair.ins);
    expect(at(patient, 'statusCode')?.attrs.code).toBe('active');
    const codes = findAll(patient, 'administrativeObservation').map((o) => at(o, 'code')?.attrs.code);
    expect(codes).toEqual(['COMPTE_INTERNET_OUVERT', 'RATTACHEMENT_ENS']);
    expect(res.text).toContain('xmlns:ns2="asip:ci-sis:gdp:2010"');
  });

  it('answers NF for a patient without DMP', async () => {
    const p = pickPatientWithoutDmp(t);
    const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(p.ins!.matricule), { ins: p.ins!.matricule });
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('NF');
    expect(find(res.body, 'patient')).toBeUndefined();
    expect(attention(res.body, 'AUTORISATION')?.code).toBe('NON_EXISTE');
  });

  it('reports INTERDIT for the blocked professional and NON_EXISTE for an unknown one', async () => {
    const { dossier, ins } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    const blocked = vihfOf(t.world, pickBlockedProfessional(t, dossier));
    let res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(ins), { ins, ...blocked });
    expect(attention(res.body, 'AUTORISATION')?.code).toBe('INTERDIT');
    const stranger = vihfOf(t.world, pickUnauthorizedProfessional(t, dossier));
    res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(ins), { ins, ...stranger });
    expect(attention(res.body, 'AUTORISATION')?.code).toBe('NON_EXISTE');
    expect(attention(res.body, 'STATUT_MT')?.value).toBe('false');
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('OK');
  });

  it('shows a closed DMP as terminated with its closing reason', async () => {
    const { ins, dossier } = pickDossier(t, (d) => d.status === 'closed', 'a closed dossier');
    const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(ins), { ins });
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('OK');
    expect(at(find(res.body, 'patient'), 'statusCode')?.attrs.code).toBe('terminated');
    const closing = findAll(res.body, 'administrativeObservation').find((o) => at(o, 'code')?.attrs.codeSystem === '1.2.250.1.213.4.1.2.4');
    expect(at(closing, 'code')?.attrs.code).toBe('FERMETURE_DEMANDE_PATIENT');
    expect(at(closing, 'effectiveTime')?.attrs.value).toMatch(/^\d{14}$/);
    expect(dossier.closedAt).toBeDefined();
  });

  it('finds the dossier whatever the INS OID (.8 .9 .10 .11)', async () => {
    const { ins } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    for (const oid of ['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.10', '1.2.250.1.213.1.4.11']) {
      const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(ins, 'TEST_EXST', oid), { ins, insOid: oid });
      expect(find(res.body, 'queryResponseCode')?.attrs.code, oid).toBe('OK');
      expect(findAll(find(res.body, 'patient'), 'id')[1]?.attrs.root, oid).toBe(oid);
    }
  });
});
