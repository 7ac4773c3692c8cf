import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InsiPersona, World } from '../../fixtures/types.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { ACTION_SANS, allTags, assertionPs, envelope, post, recsansBody, tag, type EnvelopeOptions, type Tls, type Traits } from './helpers.js';

let t: TestHost;
let world: World;
let auto: Tls;

beforeAll(async () => {
  t = await startTestHost();
  world = t.host.context.sandboxes.world();
  const pki = t.host.context.pki;
  auto = { key: pki.orgClients['INSI-AUTO'].keyPem, cert: pki.orgClients['INSI-AUTO'].certPem, ca: pki.caCertsPem };
});
afterAll(() => t.close());

const persona = (id: string): InsiPersona => world.personas.find((p) => p.id === id)!;
const traitsOf = (p: InsiPersona, prenom = p.prenom): Traits => ({ nom: p.nomNaissance, prenom, sexe: p.sexe, date: p.dateNaissance });

function search(traits: Traits, opts: EnvelopeOptions & { sandbox?: string; headers?: Record<string, string>; action?: string | false } = {}) {
  const base = opts.sandbox ? `${t.https}/_sandbox/${opts.sandbox}` : t.https;
  return post(`${base}/lps`, envelope(recsansBody(traits), ACTION_SANS, opts), { tls: auto, headers: opts.headers, action: opts.action });
}

describe('INSi RECSANSVITALE over HTTPS with the INSI-AUTO certificate', () => {
  it('answers ADRUN ZOE with CR 00 in the live byte shape', async () => {
    const res = await search({ nom: 'ADRUN', prenom: 'ZOE', sexe: 'F', date: '1975-12-31' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/soap\+xml/);
    expect(res.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><env:Body xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:env="http://www.w3.org/2003/05/soap-envelope">' +
        '<RESULTAT xmlns="http://www.cnamts.fr/INSiResultat" xmlns:ns0="http://www.cnamts.fr/INSiRecVit" xmlns:ns1="http://www.cnamts.fr/INSiRecSans">' +
        '<CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR><INDIVIDU><INSACTIF><IdIndividu><NumIdentifiant>2751263220749</NumIdentifiant><Cle>74</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID></INSACTIF>' +
        '<TIQ><NomNaissance>ADRUN</NomNaissance><ListePrenom>ZOE</ListePrenom><Sexe>F</Sexe><DateNaissance>1975-12-31</DateNaissance><LieuNaissance>63220</LieuNaissance></TIQ></INDIVIDU></RESULTAT></env:Body></soap:Envelope>',
    );
  });

  it('accepts headers in any order, with and without action= in the Content-Type, and the CPx-style Body Id', async () => {
    const traits = { nom: 'ADRTROIS', prenom: 'TOUSSAINT', sexe: 'M', date: '1960-01-01' };
    for (const order of [['MessageID', 'Action', 'Security', 'BAM', 'LPS'], ['LPS', 'MessageID', 'BAM', 'Action']] as EnvelopeOptions['order'][]) {
      for (const action of [ACTION_SANS, false] as const) {
        const res = await search(traits, { order, action, bodyId: true });
        expect(res.status).toBe(200);
        expect(tag(res.body, 'NumIdentifiant')).toBe('160012B020777');
        expect(tag(res.body, 'Cle')).toBe('13');
      }
    }
  });

  it('gives every §6 persona its documented behaviour', async () => {
    const expectations: Record<string, (traits: Traits) => Promise<void>> = {};
    for (const p of world.personas) {
      const res = await search({ ...traitsOf(p), nom: p.display?.nomNaissance ?? p.nomNaissance, prenom: p.display ? p.display.listePrenom.split(' ')[0]! : p.prenom });
      const cr = tag(res.body, 'CodeCR');
      switch (p.behaviour) {
        case 'found':
        case 'found-lieu-differs':
        case 'first-name-rule':
        case 'history':
        case 'history-self':
        case 'history-self-and-sex-change':
        case 'nia':
        case 'apostrophes':
        case 'vitale-card':
          expect(cr, p.id).toBe('00');
          expect(tag(res.body, 'NumIdentifiant'), p.id).toBe(p.ins!.numIdentifiant);
          expect(tag(res.body, 'Cle'), p.id).toBe(p.ins!.cle);
          expect(tag(res.body, 'ListePrenom'), p.id).toBe(p.ins!.traits.listePrenom);
          expect(res.body, p.id).not.toContain('<Prenom>');
          break;
        case 'homonym-without-cog':
          expect(cr, p.id).toBe('02');
          expect(tag(res.body, 'LibelleCR')).toBe('Plusieurs identites trouvees');
          break;
        case 'always-cr01':
          expect(cr, p.id).toBe('01');
          expect(tag(res.body, 'LibelleCR')).toBe('Aucune identite trouvee');
          expect(res.body).not.toContain('INDIVIDU');
          break;
        case 'technical-error':
          expect(res.status, p.id).toBe(500);
          expect(res.body).toContain('code="insi_102"');
          break;
      }
    }
    expect(Object.keys(expectations)).toHaveLength(0);
  });

  it('DE VINCI homonyms: 02 without LieuNaissance, 00 with it', async () => {
    const p = persona('insi-de-vinci-leonardo');
    expect(tag((await search(traitsOf(p))).body, 'CodeCR')).toBe('02');
    const withCog = await search({ ...traitsOf(p), lieu: '63220' });
    expect(tag(withCog.body, 'CodeCR')).toBe('00');
    expect(tag(withCog.body, 'NumIdentifiant')).toBe(p.ins!.numIdentifiant);
    const italy = persona('insi-de-vinci-leonardo-homonym');
    expect(tag((await search({ ...traitsOf(italy), lieu: '99127' })).body, 'NumIdentifiant')).toBe(italy.ins!.numIdentifiant);
  });

  it('first names: the first given name or the whole list match, a middle name or an unknown one gives 01', async () => {
    const base = { nom: 'TCHITCHI', sexe: 'F', date: '1936-06-21' };
    expect(tag((await search({ ...base, prenom: 'CATARINA' })).body, 'CodeCR')).toBe('00');
    expect(tag((await search({ ...base, prenom: 'CATARINA BELLA' })).body, 'CodeCR')).toBe('00');
    expect(tag((await search({ ...base, prenom: 'OLA' })).body, 'CodeCR')).toBe('01');
    expect(tag((await search({ ...base, prenom: 'BELLA' })).body, 'CodeCR')).toBe('01');
    for (const prenom of ['PIERRE', 'PAUL', 'JACQUES', 'PIERRE PAUL JACQUES']) {
      expect(tag((await search({ nom: 'HOUILLES', prenom, sexe: 'M', date: '1993-01-27' })).body, 'CodeCR')).toBe('01');
    }
  });

  it('CR 01 for an unknown person, a wrong sex or a wrong date', async () => {
    expect(tag((await search({ nom: 'PERSONNE', prenom: 'INCONNUE', sexe: 'F', date: '1950-01-01' })).body, 'CodeCR')).toBe('01');
    expect(tag((await search({ nom: 'ADRUN', prenom: 'ZOE', sexe: 'M', date: '1975-12-31' })).body, 'CodeCR')).toBe('01');
    expect(tag((await search({ nom: 'ADRUN', prenom: 'ZOE', sexe: 'F', date: '1975-12-30' })).body, 'CodeCR')).toBe('01');
  });

  it('NIA persona comes back with OID .9; ECETINSI with its INSHISTO in live element order', async () => {
    const nia = await search({ nom: 'PROVISOIRE', prenom: 'MATRICULE', sexe: 'M', date: '2009-07-01' });
    expect(tag(nia.body, 'OID')).toBe('1.2.250.1.213.1.4.9');
    const ec = await search({ nom: 'ECETINSI', prenom: 'PIERRE-ALAIN', sexe: 'M', date: '2009-07-14' });
    expect(ec.body).toContain(
      '<INSHISTO><IdIndividu><NumIdentifiant>2090763220834</NumIdentifiant><Cle>39</Cle></IdIndividu><OID>1.2.250.1.213.1.4.8</OID><DateDeb>2019-03-01</DateDeb><DateFin>2019-02-28</DateFin></INSHISTO>',
    );
    const hermann = await search({ nom: 'HERMANN', prenom: 'GATIEN', sexe: 'M', date: '1981-03-24' });
    expect(allTags(hermann.body, 'NumIdentifiant')).toEqual(['1810363220456', '1810363220456', '2810363220456']);
  });

  it("normalises D’ÆION / CŒUR and D'ARTAGNAN DE L'HERAULT like the RNIV (accents, ligatures, ’, case)", async () => {
    const daeion = await search({ nom: 'd’æion', prenom: 'Cœur', sexe: 'M', date: '1987-01-01' });
    expect(daeion.status).toBe(500);
    expect(daeion.body).toContain('code="insi_102"');
    const p = persona('insi-dartagnan-pierre-alain');
    const res = await search({ nom: 'D’Artagnan de l’Hérault', prenom: 'Pierre-Alain', sexe: 'M', date: '2001-06-17' });
    expect(tag(res.body, 'CodeCR')).toBe('00');
    expect(tag(res.body, 'NumIdentifiant')).toBe(p.ins!.numIdentifiant);
  });

  it('finds generated patients, lunar dates included; fictitious identities give 01; homonyms 02 then 00', async () => {
    const lunar = world.patients.find((p) => p.ins && p.ins.traits.dateNaissance.endsWith('-00') && !p.magic?.length)!;
    const r = await search({ nom: lunar.ins!.traits.nomNaissance, prenom: lunar.ins!.traits.prenom, sexe: lunar.ins!.traits.sexe, date: lunar.ins!.traits.dateNaissance });
    expect(tag(r.body, 'NumIdentifiant')).toBe(lunar.ins!.numIdentifiant);
    expect(tag(r.body, 'DateNaissance')).toBe(lunar.ins!.traits.dateNaissance);
    const fict = world.patients.find((p) => p.identity.attributes.includes('FICT'))!;
    expect(tag((await search({ nom: fict.rniv.nomNaissance, prenom: fict.rniv.prenom, sexe: fict.rniv.sexe, date: fict.rniv.dateNaissance })).body, 'CodeCR')).toBe('01');
    const homonym = world.patients.find((p) => p.traits.includes('homonym') && p.ins)!;
    const ht = homonym.ins!.traits;
    expect(tag((await search({ nom: ht.nomNaissance, prenom: ht.prenom, sexe: ht.sexe, date: ht.dateNaissance })).body, 'CodeCR')).toBe('02');
    const with00 = await search({ nom: ht.nomNaissance, prenom: ht.prenom, sexe: ht.sexe, date: ht.dateNaissance, lieu: ht.lieuNaissance });
    expect(tag(with00.body, 'NumIdentifiant')).toBe(homonym.ins!.numIdentifiant);
  });
});

describe('INSi authentication and SIRAM faults', () => {
  const zoe = { nom: 'ADRUN', prenom: 'ZOE', sexe: 'F', date: '1975-12-31' };

  it('unknown IDAM: siram_100 / desir_550 exactly as captured, messageID echoed', async () => {
    const res = await search(zoe, { idam: 'FAKE-IDAM', messageId: 'uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f' });
    expect(res.status).toBe(500);
    expect(res.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><env:Body xmlns:env="http://www.w3.org/2003/05/soap-envelope"><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_100</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">L'accès par ce progiciel au service n'est pas autorisé. Contactez l'éditeur du progiciel ou votre responsable informatique.</soap:Text></soap:Reason><soap:Detail><siram:Erreur code="desir_550" messageID="uuid:b3549edd-4ae9-472a-b26f-fd2fb4ef397f" severite="erreur" xmlns:siram="urn:siram">Numéro d'autorisation du logiciel inconnu.</siram:Erreur></soap:Detail></soap:Fault></env:Body></soap:Envelope>`,
    );
  });

  it('a certificate whose CN is not INSI-AUTO/INSI-MANU gets DESIR_560', async () => {
    const pki = t.host.context.pki;
    const wrong = { key: pki.orgClients['WRONG-CN'].keyPem, cert: pki.orgClients['WRONG-CN'].certPem, ca: pki.caCertsPem };
    const res = await post(`${t.https}/lps`, envelope(recsansBody(zoe), ACTION_SANS), { tls: wrong });
    expect(res.status).toBe(500);
    expect(res.body).toContain('code="DESIR_560"');
    expect(res.body).toContain('Vous ne disposez pas des droits suffisants pour accéder à ce service');
    const manu = { key: pki.orgClients['INSI-MANU'].keyPem, cert: pki.orgClients['INSI-MANU'].certPem, ca: pki.caCertsPem };
    expect((await post(`${t.https}/lps`, envelope(recsansBody(zoe), ACTION_SANS), { tls: manu })).status).toBe(200);
  });

  it('no credentials (HTTPS without certificate, HTTP without assertion PS) is refused; CPx works over HTTP and HTTPS', async () => {
    const noCert = await post(`${t.https}/lps`, envelope(recsansBody(zoe), ACTION_SANS), { tls: { ca: t.host.context.pki.caCertsPem } });
    expect(noCert.status).toBe(500);
    expect(noCert.body).toContain('code="desir_520"');
    const http = await post(`${t.http}/lps`, envelope(recsansBody(zoe), ACTION_SANS));
    expect(http.body).toContain('code="desir_520"');
    const cpx = await post(`${t.http}/lps`, envelope(recsansBody(zoe), ACTION_SANS, { security: assertionPs(), bodyId: true }));
    expect(cpx.status).toBe(200);
    expect(tag(cpx.body, 'CodeCR')).toBe('00');
    const cpxTls = await post(`${t.https}/lps`, envelope(recsansBody(zoe), ACTION_SANS, { security: assertionPs() }), { tls: { ca: t.host.context.pki.caCertsPem } });
    expect(cpxTls.status).toBe(200);
    const unsigned = await post(`${t.http}/lps`, envelope(recsansBody(zoe), ACTION_SANS, { security: assertionPs({ withSignature: false }) }));
    expect(unsigned.body).toContain('code="desir_521"');
    const expired = await post(`${t.http}/lps`, envelope(recsansBody(zoe), ACTION_SANS, { security: assertionPs({ notOnOrAfter: '2021-01-01T00:00:00Z' }) }));
    expect(expired.body).toContain('code="desir_522"');
  });

  it('scenario faults desir_1020 (header scenario) and insi_102 (admin API) in their captured shapes', async () => {
    const outage = await search(zoe, { headers: { 'X-Segur-Scenario': 'insi-outage' }, sandbox: 'outage-header' });
    expect(outage.status).toBe(500);
    expect(outage.body).toContain('<soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_40</soap:Value>');
    expect(outage.body).toContain('code="desir_1020" messageID="uuid:4bb69d9e-064f-4dc3-836a-db69046e439a" severite="fatale"');
    expect(outage.body).toContain('Le service appelé est temporairement indisponible');

    await t.admin.uploadScenario(`
name: insi-technical
rules:
  - id: tech
    match: { service: insi }
    effects:
      - outcome: { name: insi.fault, with: { code: insi_102 } }
`);
    await t.admin.activate('insi-technical', 'tech');
    const tech = await search(zoe, { sandbox: 'tech' });
    expect(tech.status).toBe(500);
    expect(tech.body).toContain('<S:Value>S:Receiver</S:Value><S:Subcode><S:Value>S:siram_40</S:Value>');
    expect(tech.body).toContain('<S:Text xml:lang="en">');
    expect(tech.body).toContain('code="insi_102" severite="fatal"');
    const weather = await t.admin.status('tech');
    expect(weather.services.find((s) => s.id === 'insi')?.state).toBe('down');
  });
});

describe('INSi scenario soap-fault effects', () => {
  it('a bare soap-fault effect with a known code takes the captured reason and detail', async () => {
    await t.admin.uploadScenario(`
name: insi-bare-1020
rules:
  - id: f
    match: { service: insi }
    effects:
      - soap-fault: { code: desir_1020, subcode: siram_40 }
`);
    const res = await post(`${t.https}/_sandbox/bare/lps`, envelope(recsansBody({ nom: 'ADRUN', prenom: 'ZOE', sexe: 'F', date: '1975-12-31' }), ACTION_SANS), {
      tls: auto,
      headers: { 'X-Segur-Scenario': 'insi-bare-1020' },
    });
    expect(res.status).toBe(500);
    expect(res.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><env:Body xmlns:env="http://www.w3.org/2003/05/soap-envelope"><soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value>soap:siram_40</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">Le service est temporairement inaccessible. Veuillez renouveler votre demande ultérieurement. Si le problème persiste, contactez l'éditeur du progiciel ou votre responsable informatique.</soap:Text></soap:Reason><soap:Detail><siram:Erreur code="desir_1020" messageID="uuid:4bb69d9e-064f-4dc3-836a-db69046e439a" severite="fatale" xmlns:siram="urn:siram">Le service appelé est temporairement indisponible</siram:Erreur></soap:Detail></soap:Fault></env:Body></soap:Envelope>`,
    );
  });
});
