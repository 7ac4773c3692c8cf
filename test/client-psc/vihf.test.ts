import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, inject, it } from 'vitest';
import {
  buildVihf,
  certificateSubjectDn,
  insCx,
  nonPsRole,
  PscInputError,
  securityHeader,
  verifyVihfSignature,
  VIHF_ATTR,
  type VihfOptions,
} from '../../client/psc/index.js';
import { DOCTOR_USERINFO, LPS, PATIENT_INS, PHARMACIST_USERINFO } from './samples.js';

const pkiDir = inject('pkiDir');
const org = {
  keyPem: readFileSync(join(pkiDir, 'org/INSI-AUTO.key.pem'), 'utf8'),
  certPem: readFileSync(join(pkiDir, 'org/INSI-AUTO.fullchain.pem'), 'utf8'),
};
const otherOrg = { certPem: readFileSync(join(pkiDir, 'org/INSI-MANU.cert.pem'), 'utf8') };
const firstPro = readdirSync(join(pkiDir, 'professionals')).find((f) => f.endsWith('.cert.pem'))!;
const cpsCertPem = readFileSync(join(pkiDir, 'professionals', firstPro), 'utf8');

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, isArray: (name) => ['saml2:Attribute', 'saml2:AttributeValue'].includes(name) });

interface Parsed {
  assertion: Record<string, any>;
  attrs: Map<string, any[]>;
}

function parse(xml: string): Parsed {
  const doc = parser.parse(xml) as Record<string, any>;
  const assertion = doc['saml2:Assertion'];
  expect(assertion, 'root is saml2:Assertion').toBeDefined();
  const attrs = new Map<string, any[]>();
  for (const a of assertion['saml2:AttributeStatement']['saml2:Attribute'] as any[]) attrs.set(a['@Name'], a['saml2:AttributeValue']);
  return { assertion, attrs };
}

function text(values: any[] | undefined): string[] {
  return (values ?? []).map((v) => (typeof v === 'object' ? v['#text'] : String(v)));
}

const base = (over: Partial<VihfOptions> = {}): VihfOptions => ({
  mode: 'psc',
  userinfo: DOCTOR_USERINFO,
  patient: PATIENT_INS,
  lps: LPS,
  issuer: 'CN=segur-sim-lgc,OU=499700427885006,O=CABINET M DOC0042788,C=FR',
  now: new Date('2025-03-01T10:00:00.000Z'),
  ...over,
});

describe('VIHF from the PSC userinfo', () => {
  it('carries every required dmp.md §3.2 attribute with the userinfo values', () => {
    const vihf = buildVihf(base());
    const { assertion, attrs } = parse(vihf.xml);
    expect(assertion['@xmlns:saml2']).toBe('urn:oasis:names:tc:SAML:2.0:assertion');
    expect(assertion['@Version']).toBe('2.0');
    expect(assertion['@ID']).toMatch(/^_[0-9a-f-]{36}$/);
    expect(assertion['@IssueInstant']).toBe('2025-03-01T10:00:00.000Z');
    expect(assertion['saml2:Issuer']['@Format']).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName');
    expect(assertion['saml2:Issuer']['#text']).toBe('CN=segur-sim-lgc,OU=499700427885006,O=CABINET M DOC0042788,C=FR');
    expect(String(assertion['saml2:Subject']['saml2:NameID'])).toBe('899700427885');
    expect(assertion['saml2:AuthnStatement']['saml2:AuthnContext']['saml2:AuthnContextClassRef']).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered');

    expect(text(attrs.get('VIHF_Version'))).toEqual(['3.0']);
    expect(text(attrs.get('Authentification_Mode'))).toEqual(['INDIRECTE']);
    // Struct_IdNat of the first activity (its former identifier), not the PSC technical id.
    expect(text(attrs.get('Identifiant_Structure'))).toEqual(['499700427885006']);
    expect(text(attrs.get('Secteur_Activite'))).toEqual(['SA07^1.2.250.1.71.4.2.4']);
    expect(text(attrs.get('urn:oasis:names:tc:xspa:1.0:subject:subject-id'))).toEqual(['KIT DOC0042788']);
    expect(text(attrs.get('urn:oasis:names:tc:xacml:2.0:resource:resource-id'))).toEqual(['288091720220371^^^&1.2.250.1.213.1.4.8&ISO^NH']);
    expect(text(attrs.get('Ressource_URN'))).toEqual(['urn:dmp']);
    expect(text(attrs.get('LPS_ID'))).toEqual([LPS.id]);
    expect(text(attrs.get('LPS_Nom'))).toEqual([LPS.nom]);
    expect(text(attrs.get('LPS_Version'))).toEqual([LPS.version]);
    expect(text(attrs.get('LPS_ID_HOMOLOGATION_DMP'))).toEqual([LPS.homologationDmp]);
    for (const v of attrs.get('Identifiant_Structure')!) expect(v['@xsi:type']).toBe('xs:string');

    const roles = attrs.get('urn:oasis:names:tc:xacml:2.0:subject:role')!.map((v) => v.Role);
    expect(roles).toHaveLength(2);
    expect(roles[0]).toMatchObject({ '@xmlns': 'urn:hl7-org:v3', '@xsi:type': 'CE', '@code': '10', '@codeSystem': '1.2.250.1.71.1.2.7', '@displayName': 'Médecin' });
    expect(roles[1]).toMatchObject({ '@code': 'SM26', '@codeSystem': '1.2.250.1.71.4.2.5' });

    const pou = attrs.get('urn:oasis:names:tc:xspa:1.0:subject:purposeofuse')![0].PurposeOfUse;
    expect(pou).toMatchObject({ '@xmlns': 'urn:hl7-org:v3', '@xsi:type': 'CE', '@code': 'normal', '@codeSystem': '1.2.250.1.213.1.1.4.248', '@codeSystemName': 'mode acces VIHF 2.0' });

    expect(vihf.signed).toBe(false);
    expect(vihf.xml).not.toContain('Signature');
    expect(vihf.attributes[VIHF_ATTR.resourceUrn]).toEqual(['urn:dmp']);
  });

  it('takes AuthnInstant from the access token and hands the token back for the Authorization header only', () => {
    const payload = Buffer.from(JSON.stringify({ auth_time: 1740820000, exp: 1740820120, acr: 'eidas3', authMode: 'CARD' })).toString('base64url');
    const token = `eyJhbGciOiJSUzI1NiJ9.${payload}.sig`;
    const vihf = buildVihf(base({ accessToken: token }));
    const { assertion } = parse(vihf.xml);
    expect(assertion['saml2:AuthnStatement']['@AuthnInstant']).toBe(new Date(1740820000 * 1000).toISOString());
    expect(vihf.authorization).toBe(`Bearer ${token}`);
    expect(vihf.xml).not.toContain(payload);
  });

  it('selects the activity and the work situation', () => {
    const hospital = parse(buildVihf(base({ activity: '10B0193488' })).xml).attrs;
    expect(text(hospital.get('Identifiant_Structure'))).toEqual(['10B0193488']);
    expect(text(hospital.get('Secteur_Activite'))).toEqual(['SA01^1.2.250.1.71.4.2.4']);

    expect(() => buildVihf(base({ userinfo: PHARMACIST_USERINFO }))).toThrow(/several exercices/);
    const pharma = parse(buildVihf(base({ userinfo: PHARMACIST_USERINFO, workSituation: '21C' })).xml).attrs;
    const roles = pharma.get(VIHF_ATTR.role)!.map((v) => v.Role);
    expect(roles.map((r) => [r['@code'], r['@codeSystem']])).toEqual([
      ['21', '1.2.250.1.71.1.2.7'],
      ['A', '1.2.250.1.71.4.2.6'],
    ]);
    expect(text(pharma.get('Identifiant_Structure'))).toEqual(['333917228810005']);
    const student = parse(buildVihf(base({ userinfo: PHARMACIST_USERINFO, workSituation: '10E', subject: { structureId: '10B0193488', secteurActivite: 'SA01' }, strict: false })).xml).attrs;
    expect(student.get(VIHF_ATTR.role)![0].Role['@codeSystem']).toBe('1.2.250.1.71.1.2.8');
    expect(text(student.get('Secteur_Activite'))).toEqual(['SA01^1.2.250.1.71.4.2.4']);
    expect(() => buildVihf(base({ workSituation: '60C' }))).toThrow(PscInputError);
  });

  it('refuses a VIHF the DMP would refuse', () => {
    const noSpecialty = structuredClone(DOCTOR_USERINFO);
    noSpecialty.SubjectRefPro!.exercices![0]!.codeSavoirFaire = '';
    expect(() => buildVihf(base({ userinfo: noSpecialty }))).toThrow(/specialty/);
    expect(() => buildVihf(base({ lps: { ...LPS, homologationDmp: '' } }))).toThrow(/LPS_ID_HOMOLOGATION_DMP/);
    expect(() => buildVihf(base({ issuer: undefined }))).toThrow(/Issuer/);
    expect(() => buildVihf({ ...base(), userinfo: undefined })).toThrow(/userinfo/);
    expect(() => buildVihf(base({ mode: 'certificate' }))).toThrow(/sign/);
  });
});

describe('VIHF modes', () => {
  it('card mode is direct, SmartcardPKI and unsigned, its Issuer the CPS certificate DN', () => {
    const vihf = buildVihf(base({ mode: 'card', issuer: undefined, issuerCertPem: cpsCertPem }));
    const { assertion, attrs } = parse(vihf.xml);
    expect(text(attrs.get('Authentification_Mode'))).toEqual(['DIRECTE']);
    expect(assertion['saml2:AuthnStatement']['saml2:AuthnContext']['saml2:AuthnContextClassRef']).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI');
    expect(assertion['saml2:Issuer']['#text']).toBe(certificateSubjectDn(cpsCertPem));
    expect(assertion['saml2:Issuer']['#text']).toMatch(/CN=\d{12}.*,C=FR$/);
    expect(vihf.signed).toBe(false);
    expect(vihf.xml).not.toContain('Signature');
    expect(() => buildVihf(base({ mode: 'card', signer: org }))).toThrow(/not signed/);
  });

  it('bris de glace: PurposeOfUse bris_de_glace in direct mode only', () => {
    const vihf = buildVihf(base({ mode: 'card', purposeOfUse: 'bris_de_glace' }));
    const pou = parse(vihf.xml).attrs.get(VIHF_ATTR.purposeOfUse)![0].PurposeOfUse;
    expect(pou['@code']).toBe('bris_de_glace');
    expect(pou['@codeSystem']).toBe('1.2.250.1.213.1.1.4.248');
    expect(pou['@displayName']).toMatch(/bris de glace/);
    expect(vihf.attributes[VIHF_ATTR.purposeOfUse]).toEqual(['bris_de_glace^1.2.250.1.213.1.1.4.248']);
    expect(() => buildVihf(base({ purposeOfUse: 'bris_de_glace' }))).toThrow(/direct/);
    expect(() => buildVihf(base({ mode: 'certificate', signer: org, purposeOfUse: 'bris_de_glace' }))).toThrow(/direct/);
    const centre15 = parse(buildVihf(base({ purposeOfUse: 'centre_15' })).xml).attrs.get(VIHF_ATTR.purposeOfUse)![0].PurposeOfUse;
    expect(centre15['@code']).toBe('centre_15');
  });

  it('certificate mode is signed with the structure certificate: enveloped, exc-c14n, RSA-SHA256, verifies', () => {
    const vihf = buildVihf(base({ mode: 'certificate', issuer: undefined, signer: org, subject: { subjectId: 'SEGUR-SIM LGC / poste 1' } }));
    expect(vihf.signed).toBe(true);
    expect(vihf.authenticationMode).toBe('INDIRECTE');
    expect(vihf.issuer).toBe(certificateSubjectDn(org.certPem));
    expect(vihf.issuer).toBe('CN=INSI-AUTO,OU=10B0000001,O=CENTRE DE SANTE SEGUR-SIM,C=FR');
    const doc = parser.parse(vihf.xml) as Record<string, any>;
    const a = doc['saml2:Assertion'];
    const sig = a['ds:Signature'];
    expect(sig['@xmlns:ds']).toBe('http://www.w3.org/2000/09/xmldsig#');
    expect(sig['ds:SignedInfo']['ds:CanonicalizationMethod']['@Algorithm']).toBe('http://www.w3.org/2001/10/xml-exc-c14n#');
    expect(sig['ds:SignedInfo']['ds:SignatureMethod']['@Algorithm']).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const ref = sig['ds:SignedInfo']['ds:Reference'];
    expect(ref['@URI']).toBe(`#${vihf.id}`);
    const transforms = [ref['ds:Transforms']['ds:Transform']].flat().map((t: any) => t['@Algorithm']);
    expect(transforms).toEqual(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#']);
    // Signature placed right after the Issuer (SAML schema order).
    expect(vihf.xml.indexOf('<ds:Signature')).toBeGreaterThan(vihf.xml.indexOf('</saml2:Issuer>'));
    expect(vihf.xml.indexOf('<ds:Signature')).toBeLessThan(vihf.xml.indexOf('<saml2:Subject>'));
    expect(text(parse(vihf.xml).attrs.get('urn:oasis:names:tc:xspa:1.0:subject:subject-id'))).toEqual(['SEGUR-SIM LGC / poste 1']);

    expect(verifyVihfSignature(vihf.xml)).toBe(true);
    expect(verifyVihfSignature(vihf.xml, org.certPem)).toBe(true);
    expect(verifyVihfSignature(vihf.xml, otherOrg.certPem)).toBe(false);
    expect(verifyVihfSignature(vihf.xml.replace('urn:dmp', 'urn:dmq'))).toBe(false);
    expect(verifyVihfSignature(vihf.xml.replace('899700427885', '899700427886'))).toBe(false);
    // Still verifies inside the wsse:Security header.
    expect(verifyVihfSignature(securityHeader(vihf))).toBe(true);
  });

  it('INDIRECTE_RENFORCEE (AIR) and psc mode signed by the structure', () => {
    const air = buildVihf(base({ mode: 'certificate', signer: org, issuer: undefined, authenticationMode: 'INDIRECTE_RENFORCEE', authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI' }));
    expect(text(parse(air.xml).attrs.get('Authentification_Mode'))).toEqual(['INDIRECTE_RENFORCEE']);
    expect(verifyVihfSignature(air.xml)).toBe(true);
    const psc = buildVihf(base({ signer: org, issuer: undefined }));
    expect(psc.signed).toBe(true);
    expect(verifyVihfSignature(psc.xml)).toBe(true);
  });

  it('automate without userinfo, TD0.4-style call without patient, secret connection', () => {
    const vihf = buildVihf({
      mode: 'certificate',
      signer: org,
      lps: LPS,
      subject: { nameId: '899700427885', subjectId: 'SEGUR-SIM LGC automate', roles: [nonPsRole('AUTOMATE')], structureId: '10B0000001', secteurActivite: 'SA01' },
      secretConnection: true,
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
    });
    const { attrs } = parse(vihf.xml);
    expect(attrs.has(VIHF_ATTR.resourceId)).toBe(false);
    expect(attrs.get(VIHF_ATTR.role)![0].Role).toMatchObject({ '@code': 'AUTOMATE', '@codeSystem': '1.2.250.1.213.1.1.4.6' });
    expect(text(attrs.get(VIHF_ATTR.confidentialityCode))).toEqual(['INVISIBLE_REPRESENTANTS_LEGAUX^1.2.250.1.213.1.1.4.13']);
    expect(verifyVihfSignature(vihf.xml)).toBe(true);
  });

  it('formats the INS as CX with its OID', () => {
    expect(insCx('2 88 09 17 202 203 71')).toBe('288091720220371^^^&1.2.250.1.213.1.4.8&ISO^NH');
    expect(insCx({ ins: '288091720220371', oid: '1.2.250.1.213.1.4.10' })).toBe('288091720220371^^^&1.2.250.1.213.1.4.10&ISO^NH');
    // XML-escaped on the wire, plain once parsed.
    expect(buildVihf(base()).xml).toContain('288091720220371^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH');
  });
});
