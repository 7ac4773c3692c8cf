import { describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import {
  buildAssertionPs,
  buildRecSansVitaleRequest,
  buildRecVitaleRequest,
  InsiInputError,
  normaliseTraits,
  NS,
  soapAction,
  subjectDn,
  verifyAssertionPs,
} from '../../client/insi/index.js';
import { parseXmlTree, child, findDeep } from '../../client/insi/xml.js';
import { LPS, testPki } from './helpers.js';

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: false, removeNSPrefix: false, parseTagValue: false });

describe('RECSANSVITALE envelope (insi.md §3.1)', () => {
  const built = buildRecSansVitaleRequest(
    { nomNaissance: "d’Artagnan de l'Hérault", prenom: 'Pierre-Alain', sexe: 'M', dateNaissance: '2001-06-17', lieuNaissance: '63220' },
    { lps: LPS, emetteur: '10B0000001', messageId: 'uuid:0f8e9a1c-0000-4000-8000-000000000001', now: new Date('2025-06-30T08:00:00Z') },
  );

  it('has the SOAP 1.2 namespace, the headers in padoa order and the traits in strict RNIV form', () => {
    const doc = parser.parse(built.xml);
    const env = doc['soap:Envelope'];
    expect(env['@xmlns:soap']).toBe(NS.soap);
    const header = env['soap:Header'];
    expect(Object.keys(header)).toEqual(['ctxbam:ContexteBAM', 'ctxlps:ContexteLPS', 'wsa:Action', 'wsa:MessageID']);
    expect(header['ctxbam:ContexteBAM']['@Version']).toBe('01_02');
    expect(header['ctxbam:ContexteBAM']['ctxbam:Emetteur']).toBe('10B0000001');
    expect(header['ctxbam:ContexteBAM']['ctxbam:COUVERTURE']).toBe('');
    const lps = header['ctxlps:ContexteLPS'];
    expect(lps['@Nature']).toBe('CTXLPS');
    expect(lps['@Version']).toBe('01_00');
    expect(lps['ctxlps:Temps']).toBe('2025-06-30T08:00:00.000Z');
    expect(lps['ctxlps:LPS']['ctxlps:IDAM']).toEqual({ '#text': 'SEGURSIM0001', '@R': '4' });
    expect(lps['ctxlps:LPS']['ctxlps:Instance']).toBe(LPS.instance);
    expect(lps['ctxlps:LPS']['ctxlps:Nom']).toBe(LPS.nom);
    expect(header['wsa:Action']['#text']).toBe('urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite');
    expect(header['wsa:Action']['@xmlns:wsa']).toBe(NS.wsa);
    expect(header['wsa:MessageID']['#text']).toBe('uuid:0f8e9a1c-0000-4000-8000-000000000001');
    expect(env['soap:Body']['@Id']).toBeUndefined();
    const body = env['soap:Body']['insi_recsans_ins:RECSANSVITALE'];
    expect(body['@xmlns:insi_recsans_ins']).toBe(NS.recSans);
    expect(body['insi_recsans_ins:NomNaissance']).toBe('D&apos;ARTAGNAN DE L&apos;HERAULT');
    expect(body['insi_recsans_ins:Prenom']).toBe('PIERRE-ALAIN');
    expect(body['insi_recsans_ins:Sexe']).toBe('M');
    expect(body['insi_recsans_ins:DateNaissance']).toBe('2001-06-17');
    expect(body['insi_recsans_ins:LieuNaissance']).toBe('63220');
    expect(built.xml).not.toContain('wsse:Security>');
  });

  it('resolves to the right namespaces for a namespace-aware reader', () => {
    const root = parseXmlTree(built.xml);
    expect(root.ns).toBe(NS.soap);
    const rec = findDeep(root, 'RECSANSVITALE', NS.recSans)!;
    expect(child(rec, 'NomNaissance', NS.recSans)?.text).toBe("D'ARTAGNAN DE L'HERAULT");
    expect(findDeep(root, 'ContexteLPS', NS.ctxlps)).toBeDefined();
    expect(findDeep(root, 'MessageID', NS.wsa)?.text).toBe(built.messageId);
  });

  it('generates a uuid: MessageID when none is given', () => {
    const b = buildRecSansVitaleRequest({ nomNaissance: 'ADRUN', prenom: 'ZOE', sexe: 'F', dateNaissance: '1975-12-31' }, { lps: LPS, emetteur: 'x' });
    expect(b.messageId).toMatch(/^uuid:[0-9a-f-]{36}$/);
    expect(b.action).toBe(soapAction('traits'));
    expect(b.xml).not.toContain('LieuNaissance');
  });
});

describe('trait normalisation before sending (RNIV §6.3)', () => {
  it('strips accents, expands ligatures, maps typographic apostrophes', () => {
    expect(normaliseTraits({ nomNaissance: 'D’Æion', prenom: 'Cœur', sexe: 'M', dateNaissance: '1987-01-01', lieuNaissance: '2b020' })).toEqual({
      nomNaissance: "D'AEION",
      prenom: 'COEUR',
      sexe: 'M',
      dateNaissance: '1987-01-01',
      lieuNaissance: '2B020',
    });
    expect(normaliseTraits({ nomNaissance: 'García-Hämmadi', prenom: 'josé', sexe: 'M', dateNaissance: '1990-00-00' }).nomNaissance).toBe('GARCIA-HAMMADI');
  });

  it.each([
    [{ nomNaissance: '', prenom: 'A', sexe: 'M', dateNaissance: '2000-01-01' }, 'nomNaissance'],
    [{ nomNaissance: 'X', prenom: '123', sexe: 'M', dateNaissance: '2000-01-01' }, 'prenom'],
    [{ nomNaissance: 'X', prenom: 'A', sexe: 'I', dateNaissance: '2000-01-01' }, 'sexe'],
    [{ nomNaissance: 'X', prenom: 'A', sexe: 'M', dateNaissance: '01/01/2000' }, 'dateNaissance'],
    [{ nomNaissance: 'X', prenom: 'A', sexe: 'M', dateNaissance: '2000-01-01', lieuNaissance: 'Paris' }, 'lieuNaissance'],
  ])('refuses %o (%s)', (traits, field) => {
    try {
      normaliseTraits(traits as never);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InsiInputError);
      expect((err as InsiInputError).field).toBe(field);
    }
  });
});

describe('CPx mode: assertion PS and Body Id (insi.md §2.3 B, §2.4)', async () => {
  const pki = await testPki();
  const pro = pki.professionals[0]!;
  const idNat = pro.subject.CN!;

  it('signs an assertion whose Issuer is the subject DN and NameID the idNat, valid 1 h', () => {
    const now = new Date('2025-06-30T08:00:00Z');
    const a = buildAssertionPs({ keyPem: pro.keyPem, certPem: pro.certPem, idNat }, { now, attributes: { secteurActivite: 'SA07' } });
    const root = parseXmlTree(a.xml);
    expect(root.name).toBe('Assertion');
    expect(root.ns).toBe(NS.saml);
    expect(root.attrs.ID).toBe(a.id);
    expect(child(root, 'Issuer')?.text).toBe(subjectDn(pro.certPem));
    expect(a.issuer).toMatch(/CN=/);
    expect(a.issuer.endsWith('C=FR')).toBe(true);
    expect(child(child(root, 'Subject'), 'NameID')?.text).toBe(idNat);
    expect(child(root, 'Conditions')?.attrs.NotOnOrAfter).toBe('2025-06-30T09:00:00.000Z');
    const sig = child(root, 'Signature', NS.ds)!;
    expect(root.children.map((c) => c.name).slice(0, 3)).toEqual(['Issuer', 'Signature', 'Subject']);
    expect(findDeep(sig, 'SignatureMethod')?.attrs.Algorithm).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(findDeep(sig, 'CanonicalizationMethod')?.attrs.Algorithm).toBe('http://www.w3.org/2001/10/xml-exc-c14n#');
    expect(findDeep(sig, 'Reference')?.attrs.URI).toBe(`#${a.id}`);
    expect(findDeep(sig, 'Transforms')?.children.map((t) => t.attrs.Algorithm)).toEqual([
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ]);
    expect(verifyAssertionPs(a.xml)).toBe(true);
    expect(verifyAssertionPs(a.xml.replace(idNat, '899999999999'))).toBe(false);
  });

  it('puts wsse:Security with the assertion (then the Vitale assertion) in the header and Id="_0" on the Body', () => {
    const a = buildAssertionPs({ keyPem: pro.keyPem, certPem: pro.certPem, idNat });
    const vitale = '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_vitale-1"/>';
    const built = buildRecVitaleRequest(
      { matriculeIndividu: '275126322074974', matriculeOD: '2751263220749', nomNaissance: 'Adrun', dateNaissance: '1975-12-31', rangNaissance: 1 },
      {
        lps: LPS,
        emetteur: idNat,
        security: [a.xml, vitale],
        bodyId: '_0',
        couverture: { grandRegime: '01', organisme: '631', codeCentre: '0001', assure: { num: '2751263220749', cle: '74' }, beneficiaire: { dateNai: '1975-12-31', rang: 1 } },
      },
    );
    expect(built.action).toBe('urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale');
    const root = parseXmlTree(built.xml);
    const header = child(root, 'Header', NS.soap)!;
    expect(header.children.map((c) => `${c.ns} ${c.name}`)).toEqual([
      `${NS.ctxbam} ContexteBAM`,
      `${NS.ctxlps} ContexteLPS`,
      `${NS.wsa} Action`,
      `${NS.wsa} MessageID`,
      `${NS.wsse} Security`,
    ]);
    const security = child(header, 'Security', NS.wsse)!;
    expect(security.children.map((c) => c.attrs.ID)).toEqual([a.id, '_vitale-1']);
    expect(child(root, 'Body', NS.soap)?.attrs.Id).toBe('_0');
    const couv = findDeep(header, 'COUVERTURE', NS.ctxbam)!;
    expect(couv.children.map((c) => c.name)).toEqual(['GrandRegime', 'Organisme', 'CodeCentre', 'ASSURE', 'BENEFICIAIRE']);
    const rec = findDeep(root, 'RECVITALE', NS.recVit)!;
    expect(rec.children.map((c) => c.name)).toEqual(['MatriculeIndividu', 'MatriculeOD', 'NomNaissance', 'DateNaissance', 'RangNaissance']);
    expect(child(child(rec, 'MatriculeIndividu'), 'Cle')?.text).toBe('74');
    expect(child(child(rec, 'MatriculeOD'), 'Cle')).toBeUndefined();
    expect(child(rec, 'NomNaissance')?.text).toBe('ADRUN');
    // The signed assertion survives being embedded: its signature still verifies from the envelope text.
    const embedded = /<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"[\s\S]*?<\/Assertion>/.exec(built.xml)![0];
    expect(verifyAssertionPs(embedded)).toBe(true);
  });
});
