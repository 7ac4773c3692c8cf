/**
 * VIHF builder (dmp.md §3): the SAML 2.0 assertion the LGC puts in `wsse:Security` of every DMP call,
 * built from the PSC userinfo (psc-eprescription.md A6, A10) or from what the CPS card gives.
 *
 * Modes:
 * - `card`: direct authentication with the CPx card (`Authentification_Mode` DIRECTE, `SmartcardPKI`),
 *   unsigned as in the official DIRECTE sample (the TLS client certificate is the card's).
 * - `psc`: the professional authenticated with Pro Santé Connect; claims from the userinfo (and the access
 *   token's `auth_time`), `MobileTwoFactorUnregistered` and INDIRECTE as the ANS gateway POC does; signed when
 *   a structure certificate is given. The access token itself is not embedded: it goes in the HTTP
 *   `Authorization` header (`vihf.authorization`).
 * - `certificate`: indirect authentication with the structure's organisation certificate (INDIRECTE, or
 *   INDIRECTE_RENFORCEE for AIR); the assertion is signed with that certificate: enveloped XML-DSig,
 *   exc-c14n, RSA-SHA256, placed right after the Issuer.
 *
 * Attribute names are the canonical ones (`Authentification_Mode` with a capital M, as in the IG tables;
 * servers should match it case-insensitively because the samples write `Authentification_mode`).
 */
import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { certBase64 as derBase64, firstCertificatePem as firstPem, subjectDn as dnOf } from '../certificates.js';
import { SignedXml } from 'xml-crypto';
import { PscInputError } from './errors.js';
import type { PscActivity, PscExercice, PscUserInfo } from './types.js';

export const NS = {
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xs: 'http://www.w3.org/2001/XMLSchema',
  hl7: 'urn:hl7-org:v3',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
} as const;

/** Attribute names (dmp.md §3.2), canonical spelling. */
export const VIHF_ATTR = {
  version: 'VIHF_Version',
  authenticationMode: 'Authentification_Mode',
  structureId: 'Identifiant_Structure',
  secteurActivite: 'Secteur_Activite',
  subjectId: 'urn:oasis:names:tc:xspa:1.0:subject:subject-id',
  role: 'urn:oasis:names:tc:xacml:2.0:subject:role',
  resourceId: 'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
  resourceUrn: 'Ressource_URN',
  purposeOfUse: 'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
  confidentialityCode: 'urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code',
  lpsId: 'LPS_ID',
  lpsNom: 'LPS_Nom',
  lpsVersion: 'LPS_Version',
  lpsHomologationDmp: 'LPS_ID_HOMOLOGATION_DMP',
} as const;

export const VIHF_VERSION = '3.0';
export const RESOURCE_URN_DMP = 'urn:dmp';
export const ISSUER_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName';

export const AUTHN_CONTEXT = {
  smartcard: 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI',
  password: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
  mobileTwoFactor: 'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorUnregistered',
  unspecified: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
} as const;

export const OID = {
  /** TRE_G15 profession. */
  profession: '1.2.250.1.71.1.2.7',
  /** Profession "en formation" (students). */
  professionEnFormation: '1.2.250.1.71.1.2.8',
  /** TRE_R01 savoir-faire (doctors' specialty). */
  savoirFaire: '1.2.250.1.71.4.2.5',
  /** CNOP section (pharmacists). */
  sectionPharmacien: '1.2.250.1.71.4.2.6',
  /** Non-PS roles (AUTOMATE, SECRETARIAT_MEDICAL, ...). */
  nonPsRole: '1.2.250.1.213.1.1.4.6',
  secteurActivite: '1.2.250.1.71.4.2.4',
  /** TRE_R248 ModeAcces. */
  modeAcces: '1.2.250.1.213.1.1.4.248',
  insNir: '1.2.250.1.213.1.4.8',
  insNia: '1.2.250.1.213.1.4.9',
  insNirTest: '1.2.250.1.213.1.4.10',
  insNirDemo: '1.2.250.1.213.1.4.11',
} as const;

export type VihfMode = 'card' | 'psc' | 'certificate';
export type AuthenticationMode = 'DIRECTE' | 'INDIRECTE' | 'INDIRECTE_RENFORCEE';
export type PurposeOfUse = 'normal' | 'bris_de_glace' | 'centre_15';

const PURPOSE_DISPLAY: Record<PurposeOfUse, string> = {
  normal: 'Accès normal',
  bris_de_glace: 'Accès en mode bris de glace',
  centre_15: 'Accès en mode centre de régulation',
};

/** Display names of the TRE_G15 professions of JDV_J65-SubjectRole-DMP. */
const PROFESSION_DISPLAY: Record<string, string> = {
  '10': 'Médecin',
  '21': 'Pharmacien',
  '26': 'Audioprothésiste',
  '28': 'Opticien-Lunetier',
  '40': 'Chirurgien-Dentiste',
  '50': 'Sage-Femme',
  '60': 'Infirmier',
  '69': 'Infirmier psychiatrique',
  '70': 'Masseur-Kinésithérapeute',
  '80': 'Pédicure-Podologue',
  '91': 'Orthophoniste',
  '92': 'Orthoptiste',
  '94': 'Ergothérapeute',
  '95': 'Diététicien',
  '96': 'Psychomotricien',
  '98': 'Manipulateur ERM',
};

const NON_PS_DISPLAY: Record<string, string> = {
  AUTOMATE: 'Automate',
  SECRETARIAT_MEDICAL: 'Secrétariat médical',
  DISPOSITIF: 'Dispositif médical',
  EXP_PATIENT: 'Expression personnelle du patient',
  ALIM_AM: "Alimentation automatique à partir du Système d'Information de l'Assurance Maladie",
};

export interface VihfRole {
  code: string;
  codeSystem: string;
  displayName?: string;
}

export interface VihfLps {
  /** LPS_Nom. */
  nom: string;
  /** LPS_Version. */
  version: string;
  /** LPS_ID_HOMOLOGATION_DMP (the DMP homologation / authorisation number). */
  homologationDmp: string;
  /** LPS_ID: installation id (optional). */
  id?: string;
}

/** Key and certificate (PEM) that sign the VIHF: the structure's organisation certificate. */
export interface VihfSigner {
  keyPem: string;
  certPem: string;
}

/** Subject fields; each overrides what would be read from the userinfo. */
export interface VihfSubject {
  /** NameID: idNat_PS (`8`+RPPS...). */
  nameId?: string;
  /** subject-id value; default "Prénom Nom". */
  subjectId?: string;
  givenName?: string;
  familyName?: string;
  /** Role values; the first is the profession (or non-PS role). */
  roles?: VihfRole[];
  /** Identifiant_Structure (Struct_IdNat). */
  structureId?: string;
  /** Secteur_Activite as `<code>^1.2.250.1.71.4.2.4` (a bare code gets the OID appended). */
  secteurActivite?: string;
}

export interface VihfPatient {
  /** INS (matricule of 13 characters + key of 2), spaces allowed. */
  ins: string;
  /** INS OID; default 1.2.250.1.213.1.4.8 (INS-NIR). */
  oid?: string;
}

export interface VihfOptions {
  mode: VihfMode;
  /** PSC userinfo (required in psc mode; optional otherwise). */
  userinfo?: PscUserInfo;
  /** Explicit subject fields (card mode without userinfo, certificate mode for an automate...). */
  subject?: VihfSubject;
  /** Work situation key `codeProfession + codeCategorieProfessionnelle` (e.g. `10C`), needed when the userinfo has several exercices. */
  workSituation?: string;
  /** Selects the activity of the exercice whose Struct_IdNat, FINESS, SIRET or technical id matches (default: the first activity). */
  activity?: string;
  /** The patient (resource-id); omit only for calls not scoped to a patient (TD0.4). */
  patient?: VihfPatient | string;
  purposeOfUse?: PurposeOfUse;
  lps: VihfLps;
  /** Issuer DN. Default: the signer's certificate subject, else `issuerCertPem`'s. */
  issuer?: string;
  /** Certificate whose subject DN is the Issuer (card mode: the CPS certificate). */
  issuerCertPem?: string;
  /** Structure certificate that signs (required in certificate mode, optional in psc mode, refused in card mode). */
  signer?: VihfSigner;
  /** psc mode: the access token (auth_time, acr read from it; returned as `authorization`). */
  accessToken?: string;
  authenticationMode?: AuthenticationMode;
  authnContextClassRef?: string;
  /** Adds the confidentiality-code "connexion secrète" of minors (INVISIBLE_REPRESENTANTS_LEGAUX). */
  secretConnection?: boolean;
  now?: Date;
  /** Adds Conditions NotBefore/NotOnOrAfter (the official samples have none). */
  validitySeconds?: number;
  /** Assertion ID (default `_<uuid>`). */
  id?: string;
  /** Default true: refuse VIHFs the DMP would refuse (missing required attribute, bris de glace outside DIRECTE...). */
  strict?: boolean;
}

export interface Vihf {
  xml: string;
  id: string;
  mode: VihfMode;
  signed: boolean;
  issuer: string;
  nameId: string;
  authenticationMode: AuthenticationMode;
  /** Attribute name → text values (roles and purpose of use as `code^codeSystem`). */
  attributes: Record<string, string[]>;
  /** psc mode with an access token: the value of the HTTP `Authorization` header. */
  authorization?: string;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function nonEmpty(s: unknown): string | undefined {
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

const missingCert = () => new PscInputError('no PEM certificate found', 'certPem');

/** First PEM certificate of a bundle. */
export const firstCertificatePem = (pem: string): string => firstPem(pem, missingCert);

/** Subject DN of a certificate, most specific RDN first (RFC 2253 order), multi-valued RDNs joined by "+". */
export const certificateSubjectDn = (certPem: string): string => dnOf(certPem, missingCert);

const certBase64 = (certPem: string): string => derBase64(certPem, missingCert);

/** The exercice matching a work situation key (`10C`), or the only one. */
export function selectExercice(userinfo: PscUserInfo, workSituation?: string): PscExercice | undefined {
  const exercices = userinfo.SubjectRefPro?.exercices ?? [];
  if (workSituation) {
    const found = exercices.find((e) => `${e.codeProfession ?? ''}${e.codeCategorieProfessionnelle ?? ''}` === workSituation);
    if (!found) throw new PscInputError(`work situation ${workSituation} is not among the userinfo exercices (${exercices.map((e) => `${e.codeProfession}${e.codeCategorieProfessionnelle}`).join(', ') || 'none'})`, 'workSituation');
    return found;
  }
  if (exercices.length > 1) {
    const keys = new Set(exercices.map((e) => `${e.codeProfession}${e.codeCategorieProfessionnelle}`));
    if (keys.size > 1) throw new PscInputError(`the userinfo has several exercices (${[...keys].join(', ')}): give workSituation`, 'workSituation');
  }
  return exercices[0];
}

/** Struct_IdNat of an activity: the former identifier when given, else 1+FINESS, else 3+SIRET, else the technical id. */
export function activityStructureId(a: PscActivity): string | undefined {
  return (
    nonEmpty(a.ancienIdentifiantDeLaStructure) ??
    (nonEmpty(a.numeroFinessSite) ? `1${a.numeroFinessSite!.trim()}` : undefined) ??
    (nonEmpty(a.numeroSiretSite) ? `3${a.numeroSiretSite!.trim()}` : undefined) ??
    nonEmpty(a.identifiantTechniqueDeLaStructure)
  );
}

function selectActivity(exercice: PscExercice | undefined, key: string | undefined): PscActivity | undefined {
  const activities = exercice?.activities ?? [];
  if (!key) return activities[0];
  const found = activities.find((a) =>
    [activityStructureId(a), a.ancienIdentifiantDeLaStructure, a.identifiantTechniqueDeLaStructure, a.numeroFinessSite, a.numeroSiretSite].some((v) => nonEmpty(v) === key),
  );
  if (!found) throw new PscInputError(`no activity of the exercice matches structure ${key}`, 'activity');
  return found;
}

/** Role values of an exercice: the profession, plus the specialty (doctors) or the CNOP section (pharmacists). */
export function rolesFromExercice(e: PscExercice): VihfRole[] {
  const code = nonEmpty(e.codeProfession);
  if (!code) return [];
  const student = e.codeCategorieProfessionnelle === 'E';
  const roles: VihfRole[] = [
    { code, codeSystem: student ? OID.professionEnFormation : OID.profession, displayName: PROFESSION_DISPLAY[code] && (student ? `${PROFESSION_DISPLAY[code]} en formation` : PROFESSION_DISPLAY[code]) },
  ];
  if (code === '10' && nonEmpty(e.codeSavoirFaire)) roles.push({ code: e.codeSavoirFaire!.trim(), codeSystem: OID.savoirFaire });
  if (code === '21') {
    const section = (e.activities ?? []).map((a) => nonEmpty(a.codeSectionPharmacien)).find(Boolean);
    if (section) roles.push({ code: section, codeSystem: OID.sectionPharmacien });
  }
  return roles;
}

/** A non-PS role value (AUTOMATE, SECRETARIAT_MEDICAL, ...). */
export function nonPsRole(code: keyof typeof NON_PS_DISPLAY | string): VihfRole {
  return { code, codeSystem: OID.nonPsRole, displayName: NON_PS_DISPLAY[code] };
}

function secteur(value: string): string {
  return value.includes('^') ? value : `${value}^${OID.secteurActivite}`;
}

/** `<INS>^^^&<OID>&ISO^NH` (CX), the resource-id of a patient. */
export function insCx(patient: VihfPatient | string): string {
  const p = typeof patient === 'string' ? { ins: patient } : patient;
  const ins = p.ins.replace(/\s+/g, '');
  return `${ins}^^^&${p.oid ?? OID.insNir}&ISO^NH`;
}

function jwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';



/** Builds (and, in certificate mode or with a signer in psc mode, signs) a VIHF. */
export function buildVihf(opts: VihfOptions): Vihf {
  const strict = opts.strict ?? true;
  const mode = opts.mode;
  if (mode !== 'card' && mode !== 'psc' && mode !== 'certificate') throw new PscInputError(`unknown VIHF mode ${String(mode)}`, 'mode');
  const ui = opts.userinfo;
  if (mode === 'psc' && !ui) throw new PscInputError('psc mode needs the PSC userinfo', 'userinfo');
  if (mode === 'certificate' && !opts.signer) throw new PscInputError('certificate (indirect) mode needs the structure certificate to sign with', 'signer');
  if (mode === 'card' && opts.signer && strict) throw new PscInputError('card (direct) mode VIHFs are not signed (dmp.md §3.2): drop signer or use certificate mode', 'signer');
  if (!opts.lps?.nom || !opts.lps.version || !opts.lps.homologationDmp) throw new PscInputError('lps needs nom, version and homologationDmp (LPS_Nom, LPS_Version, LPS_ID_HOMOLOGATION_DMP)', 'lps');

  const s = opts.subject ?? {};
  const exercice = ui ? selectExercice(ui, opts.workSituation) : undefined;
  const activity = selectActivity(exercice, opts.activity);

  const nameId = nonEmpty(s.nameId) ?? nonEmpty(ui?.SubjectNameID) ?? nonEmpty(ui?.preferred_username) ?? (ui?.sub ? ui.sub.split(':').pop() : undefined);
  if (!nameId) throw new PscInputError('no NameID: the userinfo has no SubjectNameID (give subject.nameId)', 'subject.nameId');
  const given = nonEmpty(s.givenName) ?? nonEmpty(exercice?.prenomDexercice) ?? nonEmpty(ui?.given_name);
  const family = nonEmpty(s.familyName) ?? nonEmpty(exercice?.nomDexercice) ?? nonEmpty(ui?.family_name);
  const subjectId = nonEmpty(s.subjectId) ?? ([given, family].filter(Boolean).join(' ') || undefined);
  const structureId =
    nonEmpty(s.structureId) ?? (activity ? activityStructureId(activity) : undefined) ?? nonEmpty(ui?.SubjectOrganizationID);
  const secteurActivite =
    (nonEmpty(s.secteurActivite) ? secteur(s.secteurActivite!.trim()) : undefined) ??
    (nonEmpty(activity?.codeSecteurDactivite) ? secteur(activity!.codeSecteurDactivite!.trim()) : undefined) ??
    nonEmpty(ui?.Secteur_Activite);
  let roles = s.roles ?? (exercice ? rolesFromExercice(exercice) : []);
  if (!roles.length && ui?.SubjectRole?.length) {
    // Fallback on the top-level SubjectRole `<code>^1.2.250.1.213.1.1.5.5`: the code is a TRE_G15 profession.
    roles = ui.SubjectRole.map((r) => r.split('^')[0]!).filter(Boolean).map((code) => ({ code, codeSystem: OID.profession, displayName: PROFESSION_DISPLAY[code] }));
  }

  const authenticationMode: AuthenticationMode = opts.authenticationMode ?? (mode === 'card' ? 'DIRECTE' : 'INDIRECTE');
  const purpose = opts.purposeOfUse ?? 'normal';
  if (!(purpose in PURPOSE_DISPLAY)) throw new PscInputError(`unknown purpose of use ${purpose}`, 'purposeOfUse');

  if (strict) {
    const missing: string[] = [];
    if (!structureId) missing.push('Identifiant_Structure (subject.structureId)');
    if (!secteurActivite) missing.push('Secteur_Activite (subject.secteurActivite)');
    if (!roles.length) missing.push('role (subject.roles)');
    if (!subjectId) missing.push('subject-id (subject.subjectId or names)');
    if (missing.length) throw new PscInputError(`VIHF is missing required attributes: ${missing.join(', ')}`, 'subject');
    const first = roles[0]!;
    if (first.codeSystem === OID.profession && (first.code === '10' || first.code === '21') && roles.length < 2) {
      throw new PscInputError(`a ${first.code === '10' ? 'médecin needs the specialty (savoir-faire)' : 'pharmacien needs the CNOP section'} as second role value`, 'subject.roles');
    }
    if (purpose === 'bris_de_glace' && authenticationMode !== 'DIRECTE') {
      throw new PscInputError('bris de glace exists only in direct authentication (dmp.md §3.2)', 'purposeOfUse');
    }
  }

  let issuer = nonEmpty(opts.issuer);
  if (!issuer && opts.signer) issuer = certificateSubjectDn(opts.signer.certPem);
  if (!issuer && opts.issuerCertPem) issuer = certificateSubjectDn(opts.issuerCertPem);
  if (!issuer) {
    if (strict) throw new PscInputError('no Issuer: give issuer, issuerCertPem (card: the CPS certificate) or signer', 'issuer');
    issuer = `CN=${nameId}`;
  }

  const now = opts.now ?? new Date();
  let authnInstant = now;
  let authorization: string | undefined;
  if (opts.accessToken) {
    authorization = `Bearer ${opts.accessToken}`;
    const claims = jwtPayload(opts.accessToken);
    if (typeof claims?.auth_time === 'number') authnInstant = new Date(claims.auth_time * 1000);
  }
  const authnContext =
    opts.authnContextClassRef ?? (mode === 'card' ? AUTHN_CONTEXT.smartcard : mode === 'psc' ? AUTHN_CONTEXT.mobileTwoFactor : AUTHN_CONTEXT.password);

  const attributes: Record<string, string[]> = {};
  const parts: string[] = [];
  const str = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    attributes[name] = [value];
    parts.push(`<saml2:Attribute Name="${escapeXml(name)}"><saml2:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml2:AttributeValue></saml2:Attribute>`);
  };
  const ce = (element: string, c: VihfRole & { codeSystemName?: string }) =>
    `<${element} xmlns="${NS.hl7}" xsi:type="CE" code="${escapeXml(c.code)}" codeSystem="${escapeXml(c.codeSystem)}"` +
    (c.codeSystemName ? ` codeSystemName="${escapeXml(c.codeSystemName)}"` : '') +
    (c.displayName ? ` displayName="${escapeXml(c.displayName)}"` : '') +
    '/>';

  str(VIHF_ATTR.structureId, structureId);
  str(VIHF_ATTR.secteurActivite, secteurActivite);
  str(VIHF_ATTR.subjectId, subjectId);
  if (roles.length) {
    attributes[VIHF_ATTR.role] = roles.map((r) => `${r.code}^${r.codeSystem}`);
    parts.push(`<saml2:Attribute Name="${VIHF_ATTR.role}">${roles.map((r) => `<saml2:AttributeValue>${ce('Role', r)}</saml2:AttributeValue>`).join('')}</saml2:Attribute>`);
  }
  str(VIHF_ATTR.version, VIHF_VERSION);
  str(VIHF_ATTR.authenticationMode, authenticationMode);
  if (opts.patient) str(VIHF_ATTR.resourceId, insCx(opts.patient));
  str(VIHF_ATTR.resourceUrn, RESOURCE_URN_DMP);
  attributes[VIHF_ATTR.purposeOfUse] = [`${purpose}^${OID.modeAcces}`];
  parts.push(
    `<saml2:Attribute Name="${VIHF_ATTR.purposeOfUse}"><saml2:AttributeValue>${ce('PurposeOfUse', { code: purpose, codeSystem: OID.modeAcces, codeSystemName: 'mode acces VIHF 2.0', displayName: PURPOSE_DISPLAY[purpose] })}</saml2:AttributeValue></saml2:Attribute>`,
  );
  if (opts.secretConnection) str(VIHF_ATTR.confidentialityCode, 'INVISIBLE_REPRESENTANTS_LEGAUX^1.2.250.1.213.1.1.4.13');
  str(VIHF_ATTR.lpsId, nonEmpty(opts.lps.id));
  str(VIHF_ATTR.lpsNom, opts.lps.nom);
  str(VIHF_ATTR.lpsVersion, opts.lps.version);
  str(VIHF_ATTR.lpsHomologationDmp, opts.lps.homologationDmp);

  const id = opts.id ?? `_${randomUUID()}`;
  const conditions = opts.validitySeconds
    ? `<saml2:Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${new Date(now.getTime() + opts.validitySeconds * 1000).toISOString()}"/>`
    : '';
  const unsigned =
    `<saml2:Assertion xmlns:saml2="${NS.saml2}" xmlns:xsi="${NS.xsi}" xmlns:xs="${NS.xs}" ID="${escapeXml(id)}" IssueInstant="${now.toISOString()}" Version="2.0">` +
    `<saml2:Issuer Format="${ISSUER_FORMAT}">${escapeXml(issuer)}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID>${escapeXml(nameId)}</saml2:NameID></saml2:Subject>` +
    conditions +
    `<saml2:AuthnStatement AuthnInstant="${authnInstant.toISOString()}"><saml2:AuthnContext><saml2:AuthnContextClassRef>${escapeXml(authnContext)}</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement>${parts.join('')}</saml2:AttributeStatement>` +
    `</saml2:Assertion>`;

  const xml = opts.signer ? signAssertion(unsigned, opts.signer) : unsigned;
  return { xml, id, mode, signed: !!opts.signer, issuer, nameId, authenticationMode, attributes, ...(authorization ? { authorization } : {}) };
}

/** Enveloped XML-DSig over the assertion (exc-c14n, RSA-SHA256, SHA-256), placed after the Issuer. */
export function signAssertion(assertionXml: string, signer: VihfSigner): string {
  let key: string;
  try {
    key = createPrivateKey(signer.keyPem).export({ format: 'pem', type: 'pkcs8' }) as string;
  } catch (err) {
    throw new PscInputError(`cannot read the signing key: ${(err as Error).message}`, 'signer.keyPem');
  }
  const sig = new SignedXml({
    privateKey: key,
    publicCert: firstCertificatePem(signer.certPem),
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
    getKeyInfoContent: ({ prefix } = {}) => {
      const p = prefix ? `${prefix}:` : '';
      return `<${p}X509Data><${p}X509Certificate>${certBase64(signer.certPem)}</${p}X509Certificate></${p}X509Data>`;
    },
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
    inclusiveNamespacesPrefixList: ['xs', 'xsi'],
  });
  sig.computeSignature(assertionXml, {
    prefix: 'ds',
    location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

/**
 * Verifies a signed VIHF: the signature must be valid, made by `certPem` (default: the certificate in
 * KeyInfo) and must cover the whole assertion (reference to its ID).
 */
export function verifyVihfSignature(xml: string, certPem?: string): boolean {
  const embedded = /<(?:ds:)?X509Certificate>([^<]+)<\/(?:ds:)?X509Certificate>/.exec(xml)?.[1];
  const pem = certPem ?? (embedded ? `-----BEGIN CERTIFICATE-----\n${embedded.replace(/\s+/g, '').match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n` : undefined);
  if (!pem) return false;
  const signature = /<ds:Signature[\s>][\s\S]*<\/ds:Signature>/.exec(xml)?.[0];
  const id = /<saml2:Assertion[^>]*\sID="([^"]+)"/.exec(xml)?.[1];
  if (!signature || !id) return false;
  const sig = new SignedXml({ publicCert: firstCertificatePem(pem) });
  try {
    sig.loadSignature(signature);
    if (!sig.checkSignature(xml)) return false;
  } catch {
    return false;
  }
  return sig.getReferences().some((r) => r.uri === `#${id}` || r.uri === id);
}

/** The VIHF in its `wsse:Security` header block. */
export function securityHeader(vihf: Vihf | string): string {
  const xml = typeof vihf === 'string' ? vihf : vihf.xml;
  return `<wsse:Security xmlns:wsse="${NS.wsse}">${xml}</wsse:Security>`;
}
