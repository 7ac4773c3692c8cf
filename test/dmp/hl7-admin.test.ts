/** TD1.3a, TD1.3b, TD1.4, TD1.2, TD1.1 over real sockets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { at, DMP_ACTIONS, dmpCall, find, findAll, pickAuthorizedPair, pickDossier, pickPatientWithoutDmp, startDmpHost, td02Body, td11Body, td14Body, vihfOf, type DmpTestHost } from './support.js';

let t: DmpTestHost;
beforeAll(async () => {
  t = await startDmpHost();
});
afterAll(() => t.close());

const ackOf = (res: { body?: Parameters<typeof find>[0] }) => find(res.body, 'acknowledgement');
const detailOf = (res: { body?: Parameters<typeof find>[0] }) => at(find(res.body, 'acknowledgementDetail'), 'code')?.attrs.code;

describe('TD1.3a consultation des données administratives', () => {
  it('returns address, deceasedInd, birthPlace and both oppositions, without attentionLines', async () => {
    const pair = pickAuthorizedPair(t);
    const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(pair.ins, 'CNSLT_DATA'), { ins: pair.ins, ...pair.vihf });
    expect(res.status).toBe(200);
    expect(findAll(res.body, 'attentionLine')).toHaveLength(0);
    expect(find(res.body, 'reasonCode')?.attrs.code).toBe('CNSLT_DATA');
    const person = find(res.body, 'patientPerson');
    expect(person?.children.map((c) => c.name)).toEqual(expect.arrayContaining(['name', 'administrativeGenderCode', 'birthTime', 'deceasedInd', 'addr', 'birthPlace']));
    const codes = findAll(res.body, 'administrativeObservation').map((o) => at(o, 'code')?.attrs.code);
    expect(codes).toEqual(['OPPOSITION_BRIS_DE_GLACE', 'OPPOSITION_ACCES_URGENCE']);
  });

  it('shows the oppositions of a dmp-opposition patient and the legal representative of a minor', async () => {
    const opp = pickDossier(t, (d) => d.oppositions.brisDeGlace && d.status === 'active', 'a dossier with oppositions');
    let res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(opp.ins, 'CNSLT_DATA'), { ins: opp.ins });
    const values = findAll(res.body, 'administrativeObservation').map((o) => at(o, 'value')?.attrs.value);
    expect(values).toEqual(['true', 'true']);
    const minor = pickDossier(t, (d) => d.legalRepresentatives.length > 0 && d.status === 'active', 'a minor with a legal representative');
    res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(minor.ins, 'CNSLT_DATA'), { ins: minor.ins });
    const rel = find(res.body, 'personalRelationship');
    expect(at(rel, 'code')?.attrs).toMatchObject({ code: minor.dossier.legalRepresentatives[0]!.relation, codeSystem: '2.16.840.1.113883.1.11.19579' });
    expect(find(rel, 'family')?.text).toBe(minor.dossier.legalRepresentatives[0]!.family);
  });

  it('refuses the blocked professional with an AE acknowledgement', async () => {
    const { ins } = pickDossier(t, (d) => d.status === 'active' && [...d.authorizations.values()].some((a) => a.status === 'INTERDIT'), 'a dossier with a blocked PS');
    const blocked = t.world.professionals.find((p) => p.magic?.includes('dmp-blocked'))!;
    const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, td02Body(ins, 'CNSLT_DATA'), { ins, ...vihfOf(t.world, blocked) });
    expect(ackOf(res)?.attrs.typeCode).toBe('AE');
    expect(detailOf(res)).toBe('DMPAccessDeniedByRightsService');
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('AE');
    expect(find(res.body, 'patient')).toBeUndefined();
  });
});

describe('TD1.3b / TD1.4 / TD1.2 on a DMP not attached to Mon espace santé', () => {
  it('modifies the administrative data, closes, refuses a second closing with DMPClosed, then reactivates', async () => {
    const pair = pickAuthorizedPair(t, {});
    const target = pickDossier(t, (d) => d.status === 'active' && !d.mesAttached && d.authorizations.get(pair.professional.idNat)?.status === 'VALIDE', 'an active dossier not attached to MES');
    const opts = { ins: target.ins, ...pair.vihf };
    const base = `${t.http}/_sandbox/admin-cycle`;
    // TD1.3b
    let res = await dmpCall(
      base,
      'patients',
      DMP_ACTIONS.td14,
      td14Body('MODIF_DATA', { ins: target.ins, prefix: 'M', family: 'NOUVEAUNOM', given: 'JEAN', address: { line: '20 rue des edelweiss', postalCode: '75005', city: 'Paris' }, telecoms: [{ value: 'tel:0123456789', use: 'HP' }], observations: { OPPOSITION_BRIS_DE_GLACE: true, OPPOSITION_ACCES_URGENCE: false } }, { nameId: pair.vihf.nameId }),
      opts,
    );
    expect(res.status).toBe(200);
    expect(res.body?.name).toBe('PRPA_IN201314UV02_Response');
    expect(res.body?.ns).toBe('asip:ci-sis:gdp:2010');
    expect(res.text).toContain('<ns2:PRPA_IN201314UV02_Response xmlns="urn:hl7-org:v3" xmlns:ns2="asip:ci-sis:gdp:2010"><PRPA_IN201315UV02 ITSVersion="XML_1.0">');
    expect(ackOf(res)?.attrs.typeCode).toBe('AA');
    expect(find(res.body, 'family')?.text).toBe('NOUVEAUNOM');
    expect(find(res.body, 'interactionId')?.attrs.extension).toBe('PRPA_IN201315UV02');
    // TD1.3a sees the change
    res = await dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(target.ins, 'CNSLT_DATA'), opts);
    expect(find(res.body, 'family')?.text).toBe('NOUVEAUNOM');
    expect(find(res.body, 'streetAddressLine')?.text).toBe('20 rue des edelweiss');
    expect(at(findAll(res.body, 'administrativeObservation')[0], 'value')?.attrs.value).toBe('true');
    // TD1.4
    res = await dmpCall(base, 'patients', DMP_ACTIONS.td14, td14Body('FERM', { ins: target.ins, prefix: 'M', family: 'NOUVEAUNOM', given: 'JEAN' }), opts);
    expect(ackOf(res)?.attrs.typeCode).toBe('AA');
    expect(at(find(res.body, 'patient'), 'statusCode')?.attrs.code).toBe('terminated');
    res = await dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(target.ins), opts);
    expect(at(find(res.body, 'patient'), 'statusCode')?.attrs.code).toBe('terminated');
    // A second closing
    res = await dmpCall(base, 'patients', DMP_ACTIONS.td14, td14Body('FERM', { ins: target.ins }), opts);
    expect(find(res.body, 'interactionId')?.attrs.extension).toBe('PRPA_IN201316UV02');
    expect(ackOf(res)?.attrs.typeCode).toBe('AE');
    expect(detailOf(res)).toBe('DMPClosed');
    // TD1.2
    res = await dmpCall(base, 'patients', DMP_ACTIONS.td14, td14Body('REAC', { ins: target.ins, observations: { CONSENTEMENT_REACTIVATION_DMP: true } }), opts);
    expect(ackOf(res)?.attrs.typeCode).toBe('AA');
    expect(at(find(res.body, 'patient'), 'statusCode')?.attrs.code).toBe('active');
    res = await dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(target.ins), opts);
    expect(at(find(res.body, 'patient'), 'statusCode')?.attrs.code).toBe('active');
    // The journal names each transaction.
    const journal = await fetch(`${t.http}/_admin/sandboxes/admin-cycle/journal?service=dmp&limit=50`).then((r) => r.json() as Promise<{ entries: { operation: string }[] }>);
    const ops = journal.entries.map((e) => e.operation);
    for (const op of ['TD1.3b', 'TD1.3a', 'TD1.4', 'TD0.2', 'TD1.2']) expect(ops).toContain(op);
  });

  it('refuses TD1.3b and TD1.4 on a DMP attached to Mon espace santé', async () => {
    const target = pickDossier(t, (d) => d.status === 'active' && d.mesAttached, 'an MES-attached dossier');
    for (const reason of ['MODIF_DATA', 'FERM']) {
      const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td14, td14Body(reason, { ins: target.ins, family: 'X', given: 'Y' }), { ins: target.ins });
      expect(ackOf(res)?.attrs.typeCode, reason).toBe('AE');
      expect(detailOf(res), reason).toBe('DMPAttachedToMES');
    }
  });

  it('refuses REAC on an active DMP and answers DMPNotFound for a patient without DMP', async () => {
    const active = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    let res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td14, td14Body('REAC', { ins: active.ins }), { ins: active.ins });
    expect(detailOf(res)).toBe('DMPNotClosed');
    const none = pickPatientWithoutDmp(t).ins!.matricule;
    res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td14, td14Body('FERM', { ins: none }), { ins: none });
    expect(detailOf(res)).toBe('DMPNotFound');
  });
});

describe('TD1.1 création (allowed only when no DMP exists)', () => {
  it('creates a DMP for a patient without one, then answers DMPFound', async () => {
    const p = pickPatientWithoutDmp(t);
    const ins = p.ins!.matricule;
    const patient = { ins, prefix: p.sex === 'F' ? 'Mme' : 'M', family: p.rniv.nomNaissance, given: p.rniv.prenom, sex: p.sex, birthTime: p.birthDate.replace(/-/g, '') };
    let res = await dmpCall(`${t.http}/_sandbox/td11`, 'patients', DMP_ACTIONS.td11, td11Body(patient, { consent: false }), { ins });
    expect(find(res.body, 'interactionId')?.attrs.extension).toBe('PRPA_IN201313UV02');
    res = await dmpCall(`${t.http}/_sandbox/td11`, 'patients', DMP_ACTIONS.td11, td11Body(patient), { ins });
    expect(res.body?.name).toBe('PRPA_IN201311UV02_Response');
    expect(find(res.body, 'interactionId')?.attrs.extension).toBe('PRPA_IN201312UV02');
    expect(ackOf(res)?.attrs.typeCode).toBe('AA');
    res = await dmpCall(`${t.http}/_sandbox/td11`, 'patients', DMP_ACTIONS.td02, td02Body(ins), { ins });
    expect(find(res.body, 'queryResponseCode')?.attrs.code).toBe('OK');
    // The creator is authorized.
    expect(findAll(res.body, 'attentionLine').map((l) => at(l, 'value')?.attrs.code)[0]).toBe('VALIDE');
    res = await dmpCall(`${t.http}/_sandbox/td11`, 'patients', DMP_ACTIONS.td11, td11Body(patient), { ins });
    expect(find(res.body, 'interactionId')?.attrs.extension).toBe('PRPA_IN201313UV02');
    expect(detailOf(res)).toBe('DMPFound');
  });
});
