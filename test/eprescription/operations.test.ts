/**
 * The ePrescription operations over real sockets against a host on free ports (card mode: assertion PS over
 * plain HTTP, unless a test says otherwise): the full flow create → scan → dispense → prescriber reads the
 * executions, each operation's rules, and every business fault of the README catalogue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';
import {
  allTags,
  call,
  deviceLine,
  DOCTOR,
  DOCTOR2,
  ep1Body,
  ep3Executant,
  ep3Prescripteur,
  ep4Body,
  executantXml,
  faultCode,
  medicineLine,
  newId,
  NURSE,
  nursingLine,
  PARACETAMOL_EFF,
  PATIENT,
  PHARMACIST,
  prescripteurXml,
  subcode,
  tag,
} from './helpers.js';

let t: TestHost;
let base: string;

beforeAll(async () => {
  t = await startTestHost();
  base = `${t.http}/_sandbox/ep-ops`;
});
afterAll(() => t.close());

const asDoctor = { cps: DOCTOR.idNat };
const asPharmacist = { cps: PHARMACIST.idNat };
const create = (o: Parameters<typeof ep4Body>[0] = {}, env: Parameters<typeof call>[3] = asDoctor) => call(base, 'ep4_creer', ep4Body({ id: newId(), ...o }), env);
const idOf = (xml: string) => tag(xml, 'Identifiant')!;

describe('the full flow on a fresh sandbox', () => {
  it('create → consult by scan → dispense partly then fully → the prescriber reads the executions', async () => {
    const created = await call(base, 'ep4_creer', ep4Body({ id: '01S2TBPZ2JCNZZYGHZ' }), asDoctor);
    expect(created.status).toBe(200);
    expect(created.headers['content-type']).toMatch(/^application\/soap\+xml/);
    expect(created.body).toContain('<ep:CR><ep:Code>00</ep:Code><ep:Libelle>OK</ep:Libelle></ep:CR>');
    expect(tag(created.body, 'Identifiant')).toBe('01S2TBPZ2JCNZZYGHZ');
    expect(tag(created.body, 'DateEnregistrement')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const scan = await call(base, 'ep3_consulter', ep3Executant('01S2TBPZ2JCNZZYGHZ'), asPharmacist);
    expect(scan.status).toBe(200);
    expect(tag(scan.body, 'Statut')).toBe('ACTIVE');
    expect(scan.body).toContain('<ep:Prenom>Marie-Hélène</ep:Prenom>');
    expect(scan.body).toContain(`<ep:CIP13>${medicineLine().match(/<ep:CIP13>(\d+)/)![1]}</ep:CIP13>`);
    expect(scan.body).toContain('<ep:Ligne Numero="3" Type="acteInfirmier">');
    expect(scan.body).toContain('<ep:EtatLigne Numero="1"><ep:QuantiteDelivree>0</ep:QuantiteDelivree><ep:QuantiteRestante>2</ep:QuantiteRestante></ep:EtatLigne>');
    expect(allTags(scan.body, 'SousType')).toEqual(['MED-1096']);

    // The pharmacist delivers 1 box of line 1 and the devices; the nurse's act stays.
    const first = await call(base, 'ep1_transmettreExecution', ep1Body('01S2TBPZ2JCNZZYGHZ', [{ n: 1, q: 1 }, { n: 2, q: 3 }]), asPharmacist);
    expect(first.status).toBe(200);
    expect(tag(first.body, 'NumeroExecution')).toBe('1');
    expect(tag(first.body, 'Statut')).toBe('PARTIELLEMENT_EXECUTEE');

    const second = await call(base, 'ep1_transmettreExecution', ep1Body('01S2TBPZ2JCNZZYGHZ', [{ n: 1, mode: 'SUBSTITUTION', q: 1, produit: PARACETAMOL_EFF, motif: 'Générique disponible' }]), asPharmacist);
    expect(tag(second.body, 'NumeroExecution')).toBe('2');
    expect(tag(second.body, 'Statut')).toBe('PARTIELLEMENT_EXECUTEE');

    const nurse = await call(base, 'ep1_transmettreExecution', ep1Body('01S2TBPZ2JCNZZYGHZ', [{ n: 3, q: 10 }], executantXml(NURSE.rpps, '60')), { cps: NURSE.idNat });
    expect(tag(nurse.body, 'Statut')).toBe('EXECUTEE');

    // Single use once everything is delivered.
    const again = await call(base, 'ep3_consulter', ep3Executant('01S2TBPZ2JCNZZYGHZ'), asPharmacist);
    expect(faultCode(again)).toBe('ep_406');

    const view = await call(base, 'ep3_consulter', ep3Prescripteur('01S2TBPZ2JCNZZYGHZ'), asDoctor);
    expect(view.status).toBe(200);
    expect(tag(view.body, 'Statut')).toBe('EXECUTEE');
    expect(allTags(view.body, 'NumeroExecution')).toEqual(['1', '2', '3']);
    expect(view.body).toContain('<ep:EtatLigne Numero="1"><ep:QuantiteDelivree>2</ep:QuantiteDelivree><ep:QuantiteRestante>0</ep:QuantiteRestante></ep:EtatLigne>');
    expect(view.body).toMatch(/<ep:LigneExecutee Numero="1"><ep:Mode>SUBSTITUTION<\/ep:Mode><ep:Quantite>1<\/ep:Quantite><ep:ProduitDelivre><ep:CIP13>\d{13}<\/ep:CIP13>/);
    expect(view.body).toContain('<ep:Motif>Générique disponible</ep:Motif>');
    expect(view.body).toMatch(/<ep:Execution><ep:NumeroExecution>1<\/ep:NumeroExecution><ep:DateEnregistrement>[^<]+<\/ep:DateEnregistrement><ep:Executant><ep:RPPS>99800000046<\/ep:RPPS>/);

    // The journal says what happened, per exchange.
    const { entries } = await t.admin.journal('ep-ops', { service: 'eprescription', operation: 'ep1_transmettreExecution' });
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(entries.some((e) => e.summary.identifier === '01S2TBPZ2JCNZZYGHZ' && e.summary.outcome === 'OK')).toBe(true);
  });

  it('allocates an identifier when the software sends none', async () => {
    const res = await call(base, 'ep4_creer', ep4Body({ id: null }), asDoctor);
    expect(res.status).toBe(200);
    const id = idOf(res.body);
    expect(id).toMatch(/^[0-9ABCDEFGHJKMNPRSTUVWXYZ]{18}$/);
    expect((await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist)).status).toBe(200);
  });
});

describe('ep4_creer', () => {
  it('ep_402 for an identifier already registered', async () => {
    const id = newId();
    expect((await create({ id })).status).toBe(200);
    const dup = await create({ id });
    expect(dup.status).toBe(500);
    expect(faultCode(dup)).toBe('ep_402');
    expect(subcode(dup)).toBe('siram_80');
    expect(dup.body).toContain('messageID="uuid:0b5d0d53-7d4e-4e8e-9d62-5f9a3e1a1a11"');
  });

  it('ep_401 for an identifier that is not 18 × [0-9A-Z]', async () => {
    for (const id of ['01S2TBPZ2JCNZZYGH', '01s2tbpz2jcnzzyghz', '01S2TBPZ2JCNZZYGH-']) {
      const res = await create({ id });
      expect(faultCode(res), id).toBe('ep_401');
      expect(subcode(res)).toBe('siram_10');
    }
  });

  it('ep_400 listing every missing or ill-formed field', async () => {
    const bad = ep4Body({ id: newId(), lines: medicineLine(1, { cip: '3400930101012' }) + `<ep:Ligne Numero="3" Type="laser"><ep:Quantite>0</ep:Quantite></ep:Ligne>` }).replace('<ep:Sexe>F</ep:Sexe>', '<ep:Sexe>X</ep:Sexe>');
    const res = await call(base, 'ep4_creer', bad, asDoctor);
    expect(faultCode(res)).toBe('ep_400');
    expect(res.body).toContain('Sexe');
    expect(res.body).toContain('CIP13');
    expect(res.body).toContain('laser');
    expect(res.body).toMatch(/numérotées de 1 à 2/);
    const noLines = await call(base, 'ep4_creer', ep4Body({ id: newId(), lines: '' }), asDoctor);
    expect(faultCode(noLines)).toBe('ep_400');
    const longName = await call(base, 'ep4_creer', ep4Body({ id: newId() }).replace('<ep:NomNaissance>DUPONT', `<ep:NomNaissance>${'A'.repeat(101)}`), asDoctor);
    expect(longName.body).toMatch(/100 caractères/);
  });

  it('ep_403 when the card holder is not the prescriber of the body', async () => {
    const res = await create({}, { cps: DOCTOR2.idNat });
    expect(faultCode(res)).toBe('ep_403');
    expect(subcode(res)).toBe('siram_100');
  });
});

describe('ep3_consulter', () => {
  it('ep_404 for an unknown identifier', async () => {
    const res = await call(base, 'ep3_consulter', ep3Executant(newId()), asPharmacist);
    expect(faultCode(res)).toBe('ep_404');
  });

  it('ep_405 outside the validity period (expired, or not yet valid)', async () => {
    const expired = idOf((await create({ debut: '2020-01-01', fin: '2020-03-31' })).body);
    const res = await call(base, 'ep3_consulter', ep3Executant(expired), asPharmacist);
    expect(faultCode(res)).toBe('ep_405');
    // The prescriber still reads it, with its status.
    expect(tag((await call(base, 'ep3_consulter', ep3Prescripteur(expired), asDoctor)).body, 'Statut')).toBe('EXPIREE');
    // FinValidite absent: DebutValidite + 3 months.
    const old = idOf((await create({ debut: '2021-01-31', fin: null })).body);
    expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(old), asPharmacist))).toBe('ep_405');
    const future = idOf((await create({ debut: '2099-01-01', redaction: '2026-01-01' })).body);
    expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(future), asPharmacist))).toBe('ep_405');
  });

  it('ep_400 when the executant gives neither NumeroAM nor FINESS (EF_EP3_E303_03)', async () => {
    const id = idOf((await create()).body);
    const res = await call(base, 'ep3_consulter', ep3Executant(id, executantXml(PHARMACIST.rpps, '21', null)), asPharmacist);
    expect(faultCode(res)).toBe('ep_400');
    expect(res.body).toContain('EF_EP3_E303_03');
  });

  it('prescriber view: the author and the replaced prescriber only (ep_403), and ep_410 when the patient opposed', async () => {
    const id = idOf((await create({ remplace: DOCTOR2.rpps })).body);
    expect((await call(base, 'ep3_consulter', ep3Prescripteur(id, DOCTOR2.rpps), { cps: DOCTOR2.idNat })).status).toBe(200);
    const other = await call(base, 'ep3_consulter', ep3Prescripteur(id, '99800000053'), { cps: '899800000053' });
    expect(faultCode(other)).toBe('ep_403');
    const opposed = idOf((await create({ opposition: true })).body);
    const res = await call(base, 'ep3_consulter', ep3Prescripteur(opposed), asDoctor);
    expect(faultCode(res)).toBe('ep_410');
    // The executant still reads it.
    expect((await call(base, 'ep3_consulter', ep3Executant(opposed), asPharmacist)).status).toBe(200);
  });
});

describe('ep1_transmettreExecution', () => {
  it('ep_408 when the executant’s profession may not execute the line kind', async () => {
    const id = idOf((await create()).body);
    const nurseOnMedicine = await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }], executantXml(NURSE.rpps, '60')), { cps: NURSE.idNat });
    expect(faultCode(nurseOnMedicine)).toBe('ep_408');
    expect(nurseOnMedicine.body).toContain('medicament');
    const pharmacistOnAct = await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 3, q: 1 }]), asPharmacist);
    expect(faultCode(pharmacistOnAct)).toBe('ep_408');
  });

  it('ep_409 for quantities, substitution and missing reasons', async () => {
    const id = idOf((await create({ lines: medicineLine(1, { substituable: false }) + deviceLine(2) })).body);
    const cases: [Parameters<typeof ep1Body>[1], RegExp][] = [
      [[{ n: 1, q: 3 }], /supérieure à la quantité restante 2/],
      [[{ n: 1, q: 0 }], /≥ 1/],
      [[{ n: 1, mode: 'SUBSTITUTION', q: 1, produit: PARACETAMOL_EFF, motif: 'rupture' }], /pas substituable/],
      [[{ n: 2, mode: 'SUBSTITUTION', q: 1, motif: 'rupture' }], /ProduitDelivre obligatoire/],
      [[{ n: 1, mode: 'NON_DELIVREE', q: 0 }], /Motif obligatoire/],
      [[{ n: 1, mode: 'NON_DELIVREE', q: 1, motif: 'refus' }], /NON_DELIVREE doit être 0/],
      [[{ n: 1, mode: 'ADAPTATION', q: 1 }], /Motif obligatoire pour le mode ADAPTATION/],
      [[{ n: 7, q: 1 }], /ligne 7 n'existe pas/],
    ];
    for (const [lines, reason] of cases) {
      const res = await call(base, 'ep1_transmettreExecution', ep1Body(id, lines), asPharmacist);
      expect(faultCode(res), JSON.stringify(lines)).toBe('ep_409');
      expect(res.body).toMatch(reason);
    }
    // Nothing was recorded by the refused calls.
    const view = await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist);
    expect(tag(view.body, 'Statut')).toBe('ACTIVE');
    // A NON_DELIVREE with its reason and an adaptation with the prescriber's agreement are recorded.
    const ok = await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, mode: 'ADAPTATION', q: 1, motif: 'posologie adaptée', accord: '2026-11-22' }, { n: 2, mode: 'NON_DELIVREE', q: 0, motif: 'rupture de stock' }]), asPharmacist);
    expect(ok.status).toBe(200);
    expect(tag(ok.body, 'Statut')).toBe('PARTIELLEMENT_EXECUTEE');
  });

  it('ep_407 once cancelled, ep_404 for an unknown identifier, ep_403 when the card holder is not the executant', async () => {
    const id = idOf((await create()).body);
    expect(faultCode(await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }]), { cps: NURSE.idNat }))).toBe('ep_403');
    expect((await call(base, 'ep7_annuler', `<ep:Identifiant>${id}</ep:Identifiant>${prescripteurXml()}<ep:Motif>erreur de patient</ep:Motif>`, asDoctor)).status).toBe(200);
    expect(faultCode(await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }]), asPharmacist))).toBe('ep_407');
    expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist))).toBe('ep_407');
    expect(faultCode(await call(base, 'ep1_transmettreExecution', ep1Body(newId(), [{ n: 1, q: 1 }]), asPharmacist))).toBe('ep_404');
  });
});

describe('ep7_annuler (mock extension)', () => {
  const cancel = (id: string, rpps = DOCTOR.rpps, env = asDoctor) => call(base, 'ep7_annuler', `<ep:Identifiant>${id}</ep:Identifiant>${prescripteurXml(rpps)}<ep:Motif>doublon</ep:Motif>`, env);

  it('cancels; only the author; ep_411 once anything was executed; ep_404 when unknown', async () => {
    const id = idOf((await create({ remplace: DOCTOR2.rpps })).body);
    expect(faultCode(await cancel(id, DOCTOR2.rpps, { cps: DOCTOR2.idNat }))).toBe('ep_403');
    const res = await cancel(id);
    expect(res.status).toBe(200);
    expect(tag(res.body, 'Statut')).toBe('ANNULEE');
    expect(tag((await call(base, 'ep3_consulter', ep3Prescripteur(id), asDoctor)).body, 'Statut')).toBe('ANNULEE');

    const used = idOf((await create()).body);
    await call(base, 'ep1_transmettreExecution', ep1Body(used, [{ n: 1, q: 1 }]), asPharmacist);
    const refused = await cancel(used);
    expect(faultCode(refused)).toBe('ep_411');
    expect(faultCode(await cancel(newId()))).toBe('ep_404');
  });
});

describe('ep2_rechercher', () => {
  it('an executant finds a patient’s prescriptions by INS or by traits, newest first; a prescriber only their own', async () => {
    const ins = '184077512300147';
    const older = idOf((await create({ ins, redaction: '2026-01-10', debut: '2026-01-10' })).body);
    const newer = idOf((await create({ ins, redaction: '2026-02-10', debut: '2026-02-10' })).body);
    const other = idOf((await call(base, 'ep4_creer', ep4Body({ id: newId(), ins, prescriber: DOCTOR2.rpps }), { cps: DOCTOR2.idNat })).body);
    const critere = `<ep:Critere><ep:INS><ep:Matricule>${ins}</ep:Matricule><ep:OID>1.2.250.1.213.1.4.8</ep:OID></ep:INS></ep:Critere>`;
    const byIns = await call(base, 'ep2_rechercher', executantXml() + critere, asPharmacist);
    expect(byIns.status).toBe(200);
    const found = allTags(byIns.body, 'Identifiant');
    expect(found).toContain(other);
    expect(found.indexOf(newer)).toBeLessThan(found.indexOf(older));
    expect(byIns.body).toMatch(/<ep:Resultat><ep:Identifiant>[^<]+<\/ep:Identifiant><ep:DateRedaction>[^<]+<\/ep:DateRedaction><ep:Statut>ACTIVE<\/ep:Statut><ep:RPPSPrescripteur>\d{11}<\/ep:RPPSPrescripteur><ep:NombreLignes>3<\/ep:NombreLignes><\/ep:Resultat>/);

    const byTraits = await call(base, 'ep2_rechercher', executantXml() + `<ep:Critere><ep:NomNaissance>dupont</ep:NomNaissance><ep:Prenom>MARIE-HELENE</ep:Prenom><ep:DateNaissance>${PATIENT.date}</ep:DateNaissance></ep:Critere>`, asPharmacist);
    expect(allTags(byTraits.body, 'Identifiant')).toEqual(expect.arrayContaining([older, newer, other]));

    const mine = await call(base, 'ep2_rechercher', prescripteurXml(DOCTOR2.rpps) + '<ep:Critere/>', { cps: DOCTOR2.idNat });
    expect(allTags(mine.body, 'Identifiant')).toContain(other);
    // Their own: as author, or as the replaced prescriber (an earlier test's prescription by DOCTOR replacing DOCTOR2).
    expect(allTags(mine.body, 'RPPSPrescripteur').every((r) => r === DOCTOR2.rpps || r === DOCTOR.rpps)).toBe(true);
    expect(allTags(mine.body, 'Identifiant')).not.toContain(older);

    const window = await call(base, 'ep2_rechercher', executantXml() + critere.replace('</ep:Critere>', '<ep:DateDebut>2026-01-01</ep:DateDebut><ep:DateFin>2026-01-31</ep:DateFin><ep:Statut>ACTIVE</ep:Statut></ep:Critere>'), asPharmacist);
    expect(allTags(window.body, 'Identifiant')).toEqual([older]);
  });

  it('ep_400 when an executant does not name the patient', async () => {
    const res = await call(base, 'ep2_rechercher', executantXml() + '<ep:Critere><ep:NomNaissance>DUPONT</ep:NomNaissance></ep:Critere>', asPharmacist);
    expect(faultCode(res)).toBe('ep_400');
  });
});
