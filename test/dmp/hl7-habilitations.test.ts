/** TD0.3 setAuthorization, TD1.6 listAuthorizationByPatient, TD0.4 patientList, TD0.5 PDQ over real sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  at,
  DMP_ACTIONS,
  dmpCall,
  find,
  findAll,
  listAuthorizationBody,
  outputOf,
  patientListBody,
  pickAuthorizedPair,
  pickDossier,
  pickUnauthorizedProfessional,
  setAuthorizationBody,
  startDmpHost,
  td02Body,
  td05Body,
  vihfOf,
  type DmpTestHost,
} from './support.js';

let t: DmpTestHost;
beforeAll(async () => {
  t = await startDmpHost();
});
afterAll(() => t.close());

const authLine = async (ins: string, who: object, base = `${t.http}/_sandbox/td03-cycle`) => {
  const res = await dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(ins), { ins, ...who });
  const lines = findAll(res.body, 'attentionLine');
  return { auth: at(lines[0], 'value')?.attrs.code, mt: at(lines[1], 'value')?.attrs.value };
};

describe('TD0.3 setAuthorization', () => {
  it('answers the sample shape when the authorization is already there', async () => {
    const pair = pickAuthorizedPair(t);
    const res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins: pair.ins, ...pair.vihf });
    expect(res.status).toBe(200);
    expect(res.text).toContain(
      '<soap:Body><ns1:setAuthorizationResponse xmlns:ns1="urn:si-dmp-habilitations"><ns1:output><ns1:status>DMPOk</ns1:status><ns1:context>Autorisation déjà présente aucune action effectuée</ns1:context></ns1:output></ns1:setAuthorizationResponse></soap:Body>',
    );
    expect(res.text).toContain('<Action xmlns="http://www.w3.org/2005/08/addressing">urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorizationResponse</Action>');
  });

  it('adds, declares MT, removes MT, removes the authorization — and TD0.2 follows', async () => {
    const { dossier, ins } = pickDossier(t, (d) => d.status === 'active' && !d.oppositions.brisDeGlace, 'an active dossier');
    const who = vihfOf(t.world, pickUnauthorizedProfessional(t, dossier));
    // A sandbox of its own: the other tests read the seeded authorizations.
    const base = `${t.http}/_sandbox/td03-cycle`;
    const call = (action: string, role?: string) => dmpCall(base, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody(action, role), { ins, ...who });
    expect(await authLine(ins, who)).toEqual({ auth: 'NON_EXISTE', mt: 'false' });
    expect(outputOf(await call('AJOUT'))).toMatchObject({ status: 'DMPOk', context: 'Autorisation ajoutée' });
    expect(await authLine(ins, who)).toEqual({ auth: 'VALIDE', mt: 'false' });
    expect(outputOf(await call('AJOUT', 'MEDECIN_TRAITANT'))).toMatchObject({ status: 'DMPOk', context: 'Statut de médecin traitant DMP ajouté' });
    expect(await authLine(ins, who)).toEqual({ auth: 'VALIDE', mt: 'true' });
    expect(outputOf(await call('SUPPRESSION', 'MEDECIN_TRAITANT'))).toMatchObject({ status: 'DMPOk', context: 'Statut de médecin traitant DMP supprimé' });
    expect(await authLine(ins, who)).toEqual({ auth: 'VALIDE', mt: 'false' });
    expect(outputOf(await call('SUPPRESSION'))).toMatchObject({ status: 'DMPOk', context: 'Autorisation supprimée' });
    expect(await authLine(ins, who)).toEqual({ auth: 'NON_EXISTE', mt: 'false' });
    expect(outputOf(await call('SUPPRESSION'))).toMatchObject({ status: 'DMPOk', context: 'Aucune autorisation à supprimer aucune action effectuée' });
  });

  it('refuses in bris de glace and centre 15, for a blocked PS, a médecin du travail and a structure certificate', async () => {
    const { dossier, ins } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    const who = vihfOf(t.world, pickUnauthorizedProfessional(t, dossier));
    for (const purposeOfUse of ['bris_de_glace', 'centre_15']) {
      const res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins, ...who, purposeOfUse });
      expect(outputOf(res).status, purposeOfUse).toBe('DMPAccessDeniedByRightsService');
    }
    const blocked = vihfOf(t.world, t.world.professionals.find((p) => p.magic?.includes('dmp-blocked'))!);
    let res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins, ...blocked });
    expect(outputOf(res).status).toBe('DMPAccessDeniedByRightsService');
    res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins, ...who, specialty: { code: 'SM45', codeSystem: '1.2.250.1.71.4.2.5', displayName: 'Médecine du travail' } });
    expect(outputOf(res).status).toBe('DMPAccessDeniedByRightsService');
    res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins, ...who, authMode: 'INDIRECTE' });
    expect(outputOf(res).status).toBe('DMPAccessDeniedByRightsService');
    expect(await authLine(ins, who)).toMatchObject({ auth: 'NON_EXISTE' });
  });

  it('answers DMPInvalidRequest for an unknown action and DMPClosed on a closed DMP', async () => {
    const pair = pickAuthorizedPair(t);
    let res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUTER'), { ins: pair.ins, ...pair.vihf });
    expect(outputOf(res).status).toBe('DMPInvalidRequest');
    const closed = pickDossier(t, (d) => d.status === 'closed', 'a closed dossier');
    res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.setAuthorization, setAuthorizationBody('AJOUT'), { ins: closed.ins });
    expect(outputOf(res).status).toBe('DMPClosed');
  });
});

describe('TD1.6 listAuthorizationByPatient', () => {
  it('lists ACTIVE and INTERDITE entries with the sample fields, MT flagged', async () => {
    const pair = pickAuthorizedPair(t, { mt: true });
    const res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.listAuthorizationByPatient, listAuthorizationBody('TOUTE'), { ins: pair.ins, ...pair.vihf });
    const out = outputOf(res);
    expect(out.status).toBe('DMPOk');
    expect(res.text).toContain('<ns1:status>DMPOk</ns1:status><ns1:context/></ns1:output>');
    const entries = findAll(out.output, 'listOfAuthorizationByPatient');
    const expected = [...pair.dossier.authorizations.values()].filter((a) => a.status !== 'EXPIRE');
    expect(entries).toHaveLength(expected.length);
    const mine = entries.find((e) => at(e, 'nationalId')?.text === pair.professional.idNat)!;
    expect(mine.children.map((c) => c.name)).toEqual(['nationalId', 'nationalIdType', 'firstName', 'lastName', 'codeSpeciality', 'libSpeciality', 'startOfAuthorization', 'lastActionDate', 'mode', 'specificRight']);
    expect(at(mine, 'nationalIdType')?.text).toBe('1.2.250.1.71.4.2.1');
    expect(at(mine, 'codeSpeciality')?.text).toMatch(/^G15_10\/SM\d\d$/);
    expect(at(mine, 'mode')?.text).toBe('ACTIVE');
    expect(at(mine, 'specificRight')?.text).toBe('MEDECIN_TRAITANT');
    expect(at(mine, 'startOfAuthorization')?.text).toMatch(/^\d{14}$/);
    const interdites = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.listAuthorizationByPatient, listAuthorizationBody('INTERDITE'), { ins: pair.ins, ...pair.vihf });
    const modes = findAll(outputOf(interdites).output, 'mode').map((m) => m.text);
    expect(modes.length).toBeGreaterThan(0);
    expect(new Set(modes)).toEqual(new Set(['INTERDITE']));
  });

  it('refuses a professional who is not authorized', async () => {
    const { dossier, ins } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    const who = vihfOf(t.world, pickUnauthorizedProfessional(t, dossier));
    const res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.listAuthorizationByPatient, listAuthorizationBody('ACTIVE'), { ins, ...who });
    expect(outputOf(res).status).toBe('DMPAccessDeniedByRightsService');
  });
});

describe('TD0.4 patientList', () => {
  it('lists the DMPs the PS is authorized on, filtered by startDate', async () => {
    const pair = pickAuthorizedPair(t, { mt: true });
    const res = await dmpCall(t.http, 'patientsSpecific', DMP_ACTIONS.patientList, patientListBody('20101010202010', 'LASTAUTORIZATION'), pair.vihf);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<ns1:patientListResponse xmlns:ns1="urn:si-dmp-patients" xmlns:ns2="urn:com:santeos:dmp:patient:2010"><ns1:output>');
    const out = outputOf(res);
    expect(out.status).toBe('DMPOk');
    const data = findAll(out.output, 'patientlistData');
    const expected = t.dossiers.list().filter((d) => d.status === 'active' && d.authorizations.get(pair.professional.idNat)?.status === 'VALIDE');
    expect(data).toHaveLength(expected.length);
    const row = data.find((d) => findAll(d, 'nationalId').some((n) => n.text === pair.ins))!;
    const names = row.children.map((c) => c.name);
    expect(names.slice(0, 3)).toEqual(['patientIdentifier', 'patientIdentifier', 'lastName']);
    expect(names.filter((n) => ['firstName', 'dateOfBirth', 'MT', 'message'].includes(n))).toEqual(['firstName', 'dateOfBirth', 'MT', 'message']);
    expect(findAll(row, 'nationalIdType').map((n) => n.text)).toEqual(['1.2.250.1.213.1.4.2', pair.dossier.insOid]);
    expect(at(row, 'MT')?.text).toBe('true');
    // Nothing authorized after 2100.
    const none = await dmpCall(t.http, 'patientsSpecific', DMP_ACTIONS.patientList, patientListBody('21000101', 'LASTAUTORIZATION'), pair.vihf);
    expect(findAll(outputOf(none).output, 'patientlistData')).toHaveLength(0);
    const bad = await dmpCall(t.http, 'patientsSpecific', DMP_ACTIONS.patientList, patientListBody('2010', 'LASTAUTORIZATION'), pair.vihf);
    expect(outputOf(bad).status).toBe('DMPInvalidRequest');
    const badType = await dmpCall(t.http, 'patientsSpecific', DMP_ACTIONS.patientList, patientListBody('20100101', 'LASTSOMETHING'), pair.vihf);
    expect(outputOf(badType).status).toBe('DMPInvalidRequest');
  });
});

describe('TD0.4 patientList LASTDOC', () => {
  it('keeps the DMPs with a document since startDate (seeded documents included)', async () => {
    const pair = pickAuthorizedPair(t, { mt: true });
    const list = async (start: string) => findAll(outputOf(await dmpCall(`${t.http}/_sandbox/td04-lastdoc`, 'patientsSpecific', DMP_ACTIONS.patientList, patientListBody(start, 'LASTDOC'), pair.vihf)).output, 'patientlistData');
    const all = await list('20101010202010');
    const expected = t.dossiers.list().filter((d) => d.status === 'active' && d.authorizations.get(pair.professional.idNat)?.status === 'VALIDE');
    expect(all).toHaveLength(expected.length);
    const after = t.world.referenceDate.replace(/-/g, '') + '235959';
    expect(await list(String(Number(after.slice(0, 8)) + 1))).toHaveLength(0);
    const mid = await list('20250101');
    expect(mid.length).toBeLessThan(all.length);
    // lastAddDate is given when known (looked up, or fed in this sandbox), and then after startDate.
    for (const row of mid) {
      const last = at(row, 'lastAddDate')?.text;
      if (last !== undefined) expect(last >= '20250101').toBe(true);
    }
    expect(mid.some((row) => at(row, 'lastAddDate'))).toBe(true);
  });
});

describe('TD0.5 PDQ (centre de régulation only)', () => {
  it('finds a patient by birth name in centre_15 mode, with the sample shape', async () => {
    const { dossier } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    const family = dossier.admin.birthName ?? dossier.admin.family;
    const res = await dmpCall(t.http, 'patientsPDQ', DMP_ACTIONS.td05, td05Body(family), { purposeOfUse: 'centre_15', specialty: { code: 'SM59', codeSystem: '1.2.250.1.71.4.2.5' } });
    expect(res.status).toBe(200);
    expect(res.body?.name).toBe('PRPA_IN201306UV02');
    expect(at(find(res.body, 'acknowledgement'), 'typeCode')?.attrs.code).toBe('AA');
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('OK');
    const ids = findAll(res.body, 'patient').flatMap((p) => findAll(p, 'id').map((i) => i.attrs.extension));
    expect(ids).toContain(dossier.ins);
    expect(find(res.body, 'queryMatchObservation')).toBeDefined();
    expect(find(res.body, 'resultTotalQuantity')?.attrs.value).toMatch(/^\d+$/);
    expect(find(find(res.body, 'queryByParameter'), 'family')?.text).toBe(family);
  });

  it('refuses outside centre_15 and answers NF for an unknown name', async () => {
    let res = await dmpCall(t.http, 'patientsPDQ', DMP_ACTIONS.td05, td05Body('DECHAINE'), {});
    expect(at(find(res.body, 'acknowledgement'), 'typeCode')?.attrs.code).toBe('AE');
    expect(at(find(res.body, 'acknowledgementDetail'), 'code')?.attrs.code).toBe('DMPAccessDeniedByRightsService');
    res = await dmpCall(t.http, 'patientsPDQ', DMP_ACTIONS.td05, td05Body('ZZZNOBODYZZZ'), { purposeOfUse: 'centre_15' });
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('NF');
  });
});
