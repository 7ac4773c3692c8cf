/**
 * What the DMP checks in a submission (issue point 4, dmp.md §4.8, §5, §8): the XDS metadata (required
 * fields, value sets, identifiers and their syntax, patient ids, authors) and the CDA header of each
 * document (realm, typeId, CI-SIS templates, recordTarget INS, id = uniqueId, RPLC parent).
 *
 * Every problem is either *structural* (the registry cannot hold the object: no uniqueId, unknown patient,
 * missing content, duplicate uniqueId, a DOCTYPE) and always refused, or a *metadata* problem: an error in
 * strict mode, a journal verdict in lenient mode (the document is then stored as sent).
 */
import { isKnownCode, type ValueSetName } from '../../../fixtures/documents/codes.js';
import { rppsKeyValid } from '../../../fixtures/rpps.js';
import { parseXml, XmlSyntaxError, type XmlEl } from '../../core/xml/tree.js';
import { CONFIDENTIALITY, IDNAT_PS_OID, INS_OIDS, OBJECT_TYPE, SIGNATURE_CLASS } from './constants.js';
import type { DocumentDraft, SubmissionSetDraft } from './ebrim.js';
import type { XdsErrorCode } from './errors.js';
import type { XdsAuthor, XdsCode } from './model.js';
import { DTM_RE, isOid, kid, kids } from './xml.js';

export interface Problem {
  code: XdsErrorCode;
  context: string;
  location?: string;
  severity: 'error' | 'warning';
  /** Always refused, even in lenient mode. */
  structural: boolean;
}

export class Checker {
  readonly problems: Problem[] = [];

  /** A metadata error: refused in strict mode, a verdict in lenient mode. */
  error(code: XdsErrorCode, context: string, location?: string): void {
    this.problems.push({ code, context, location, severity: 'error', structural: false });
  }

  /** An error the registry cannot store past, whatever the mode. */
  fatal(code: XdsErrorCode, context: string, location?: string): void {
    this.problems.push({ code, context, location, severity: 'error', structural: true });
  }

  warn(context: string, location?: string): void {
    this.problems.push({ code: 'XDSRegistryMetadataError', context, location, severity: 'warning', structural: false });
  }

  get hasFatal(): boolean {
    return this.problems.some((p) => p.structural);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Identifiers

export interface PatientCx {
  ins: string;
  oid: string | undefined;
}

/** CX `<id>^^^&<OID>&ISO[^NH[^...]]` (dmp.md §5.2); undefined when there is no CX.1. */
export function parsePatientCx(cx: string | undefined): PatientCx | undefined {
  if (!cx) return undefined;
  const fields = cx.trim().replace(/^'|'$/g, '').split('^');
  const ins = fields[0]?.trim();
  if (!ins) return undefined;
  const authority = fields[3] ?? '';
  return { ins, oid: authority.split('&')[1] || undefined };
}

function checkPatientCx(c: Checker, cx: string, location: string): void {
  const p = parsePatientCx(cx);
  if (!p) return;
  const authority = cx.split('^')[3] ?? '';
  if (!/^&[0-9.]+&ISO$/.test(authority)) c.error('XDSRegistryMetadataError', `patientId "${cx}" : l'autorité d'affectation (CX.4) doit être de la forme &<OID>&ISO`, location);
  else if (!p.oid || !INS_OIDS.has(p.oid)) c.error('XDSRegistryMetadataError', `patientId "${cx}" : l'OID ${p.oid ?? '(absent)'} n'est pas un OID d'INS (1.2.250.1.213.1.4.8, .9, .10 ou .11)`, location);
  if (!/^\d{13}\d{2}$|^[0-9AB]{15}$/i.test(p.ins)) c.error('XDSRegistryMetadataError', `patientId "${cx}" : l'INS doit compter 15 caractères (NIR ou NIA et sa clé)`, location);
}

/** XCN `<idNat>^NOM^Prénom^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS` (or a patient author with an INS OID). */
export function checkXcn(c: Checker, xcn: string, location: string, what: string, opts: { patientAllowed?: boolean } = {}): void {
  const f = xcn.split('^');
  const id = f[0] ?? '';
  const authorityOid = (f[8] ?? '').split('&')[1] ?? '';
  if (!id) {
    c.error('XDSRegistryMetadataError', `${what} "${xcn}" : identifiant (XCN.1) absent`, location);
    return;
  }
  if (authorityOid === IDNAT_PS_OID) {
    if (id.startsWith('8')) {
      if (!/^8\d{11}$/.test(id)) c.error('XDSRegistryMetadataError', `${what} "${xcn}" : un idNat RPPS s'écrit 8 suivi des 11 chiffres du RPPS`, location);
      else if (!rppsKeyValid(id.slice(1))) c.warn(`${what} "${xcn}" : la clé de Luhn du RPPS ${id.slice(1)} est fausse`, location);
    } else if (!/^[0-6]/.test(id)) c.error('XDSRegistryMetadataError', `${what} "${xcn}" : idNat_PS inconnu (préfixes 0 ADELI, 1, 3, 4, 5, 6 ou 8 RPPS)`, location);
    return;
  }
  if (opts.patientAllowed && INS_OIDS.has(authorityOid)) return;
  c.error('XDSRegistryMetadataError', `${what} "${xcn}" : l'autorité d'affectation (XCN.9) doit être &${IDNAT_PS_OID}&ISO (idNat_PS)`, location);
}

function checkAuthors(c: Checker, authors: XdsAuthor[], location: string, patientAllowed: boolean): void {
  if (!authors.length) {
    c.error('XDSRegistryMetadataError', 'aucun auteur (classification author)', location);
    return;
  }
  for (const a of authors) {
    if (!a.person && !a.institutions.length) c.error('XDSRegistryMetadataError', 'un auteur doit avoir au moins authorPerson ou authorInstitution', location);
    if (a.person) checkXcn(c, a.person, location, 'authorPerson', { patientAllowed });
    for (const i of a.institutions) {
      const f = i.split('^');
      if (!f[0]) c.warn(`authorInstitution "${i}" : nom de la structure (XON.1) absent`, location);
      if (!f[9]) c.warn(`authorInstitution "${i}" : identifiant de la structure (XON.10) absent`, location);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Codes

function checkCode(c: Checker, set: ValueSetName, code: XdsCode | undefined, location: string, label: string, required = true): void {
  if (!code) {
    if (required) c.error('XDSRegistryMetadataError', `${label} absent`, location);
    return;
  }
  if (!code.code || !code.scheme) c.error('XDSRegistryMetadataError', `${label} : nodeRepresentation ou codingScheme absent`, location);
  else if (!isKnownCode(set, code)) c.error('XDSRegistryMetadataError', `${label} "${code.code}" (codingScheme ${code.scheme}) n'appartient pas au jeu de valeurs du DMP`, location);
  if (!code.display) c.warn(`${label} "${code.code}" sans libellé (Name)`, location);
}

function checkDtm(c: Checker, value: string | undefined, location: string, label: string, required: boolean): void {
  if (value === undefined) {
    if (required) c.error('XDSRegistryMetadataError', `${label} absent`, location);
    return;
  }
  if (!DTM_RE.test(value)) c.error('XDSRegistryMetadataError', `${label} "${value}" n'est pas une date XDS (AAAAMMJJ[hhmmss], UTC)`, location);
}

// ---------------------------------------------------------------------------------------------------------
// Submission set and document entries

export function checkSubmissionSet(c: Checker, ss: SubmissionSetDraft): void {
  const loc = ss.symbolicId || 'SubmissionSet';
  if (!ss.uniqueId) c.fatal('XDSRegistryMetadataError', 'le lot de soumission (SubmissionSet) n\'a pas d\'uniqueId', loc);
  else if (!isOid(ss.uniqueId)) c.error('XDSRegistryMetadataError', `uniqueId du lot "${ss.uniqueId}" : ce n'est pas un OID`, loc);
  if (!ss.patientId) c.fatal('XDSRegistryMetadataError', 'le lot de soumission n\'a pas de patientId', loc);
  else checkPatientCx(c, ss.patientId, loc);
  if (!ss.meta.sourceId) c.error('XDSRegistryMetadataError', 'sourceId du lot absent', loc);
  else if (!isOid(ss.meta.sourceId)) c.error('XDSRegistryMetadataError', `sourceId "${ss.meta.sourceId}" : ce n'est pas un OID`, loc);
  checkDtm(c, ss.meta.submissionTime, loc, 'submissionTime', true);
  checkCode(c, 'contentTypeCode', ss.meta.contentTypeCode, loc, 'contentTypeCode');
  checkAuthors(c, ss.meta.authors, loc, false);
}

export function isSignature(d: Pick<DocumentDraft, 'meta'>): boolean {
  return d.meta.classCode?.code === SIGNATURE_CLASS;
}

export function checkDocumentEntry(c: Checker, d: DocumentDraft, ssPatient: PatientCx | undefined): void {
  const loc = d.symbolicId || 'ExtrinsicObject';
  for (const n of d.notes) c.error('XDSRegistryMetadataError', n, loc);
  if (d.objectType && d.objectType !== OBJECT_TYPE.documentEntry) c.error('XDSRegistryMetadataError', `objectType "${d.objectType}" : une fiche de document (DocumentEntry stable) a l'objectType ${OBJECT_TYPE.documentEntry}`, loc);
  if (!d.uniqueId) c.fatal('XDSRegistryMetadataError', 'la fiche de document n\'a pas d\'uniqueId (ExternalIdentifier XDSDocumentEntry.uniqueId)', loc);
  else if (!isOid(d.uniqueId)) c.error('XDSRegistryMetadataError', `uniqueId "${d.uniqueId}" : ce n'est pas un OID (64 caractères au plus)`, loc);
  if (!d.patientId) c.fatal('XDSRegistryMetadataError', 'la fiche de document n\'a pas de patientId', loc);
  else {
    checkPatientCx(c, d.patientId, loc);
    const p = parsePatientCx(d.patientId);
    if (p && ssPatient && (p.ins !== ssPatient.ins || p.oid !== ssPatient.oid)) {
      // Another patient's document in this lot: never stored; a different OID only is a metadata error.
      const msg = `le patientId du document (${d.patientId}) diffère de celui du lot de soumission`;
      if (p.ins !== ssPatient.ins) c.fatal('XDSPatientIdDoesNotMatch', msg, loc);
      else c.error('XDSPatientIdDoesNotMatch', msg, loc);
    }
  }
  if (!d.mimeType) c.error('XDSRegistryMetadataError', 'mimeType absent', loc);
  const m = d.meta;
  const signature = isSignature(d);
  if (signature) {
    if (m.typeCode?.code !== 'E1762') c.warn(`la fiche de signature a le typeCode "${m.typeCode?.code ?? ''}" (attendu E1762, ASTM)`, loc);
  } else {
    checkCode(c, 'classCode', m.classCode, loc, 'classCode');
    checkCode(c, 'typeCode', m.typeCode, loc, 'typeCode');
    checkCode(c, 'formatCode', m.formatCode, loc, 'formatCode');
    if (!m.title) c.warn('titre du document (Name) absent', loc);
  }
  checkCode(c, 'healthcareFacilityTypeCode', m.healthcareFacilityTypeCode, loc, 'healthcareFacilityTypeCode');
  checkCode(c, 'practiceSettingCode', m.practiceSettingCode, loc, 'practiceSettingCode');
  if (!m.confidentialityCodes.length) c.error('XDSRegistryMetadataError', 'confidentialityCode absent (N au moins)', loc);
  else {
    if (!m.confidentialityCodes.some((x) => x.code === CONFIDENTIALITY.normal && x.scheme === CONFIDENTIALITY.normalScheme)) c.error('XDSRegistryMetadataError', `confidentialityCode : le code N (${CONFIDENTIALITY.normalScheme}) est obligatoire`, loc);
    for (const x of m.confidentialityCodes) checkCode(c, 'confidentialityCode', x, loc, 'confidentialityCode');
  }
  checkDtm(c, m.creationTime, loc, 'creationTime', true);
  checkDtm(c, m.serviceStartTime, loc, 'serviceStartTime', false);
  checkDtm(c, m.serviceStopTime, loc, 'serviceStopTime', false);
  if (!m.languageCode) c.error('XDSRegistryMetadataError', 'languageCode absent', loc);
  if (!m.sourcePatientId) c.error('XDSRegistryMetadataError', 'sourcePatientId absent', loc);
  checkAuthors(c, m.authors, loc, m.classCode?.code === '90');
  if (m.legalAuthenticator) checkXcn(c, m.legalAuthenticator, loc, 'legalAuthenticator');
  if (d.hash !== undefined && !/^[0-9a-fA-F]{40}$/.test(d.hash)) c.error('XDSRegistryMetadataError', `hash "${d.hash}" : un SHA-1 s'écrit en 40 caractères hexadécimaux`, loc);
  if (d.size !== undefined && !/^\d+$/.test(d.size)) c.error('XDSRegistryMetadataError', `size "${d.size}" n'est pas un entier`, loc);
}

// ---------------------------------------------------------------------------------------------------------
// CDA header

export interface CdaInfo {
  /** `root` or `root^extension` of ClinicalDocument/id. */
  id?: string;
  setId?: string;
  version?: number;
  /** uniqueId of the parent a `relatedDocument typeCode="RPLC"` names. */
  rplcParent?: string;
}

const B64_MARKERS = [Buffer.from('representation="B64"'), Buffer.from("representation='B64'")];

/**
 * The CDA as text for header checks. The embedded base64 of an N1 document (the PDF, most of the bytes) is
 * left out: it runs from the `>` of its `<text representation="B64">` to the next `<`, so it holds no
 * markup, and with no `&` in it (checked) it holds no entity reference either — leaving it out changes
 * nothing to well-formedness, while the tree parser would otherwise spend most of a submission's time on it.
 */
export function cdaHeaderText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const parts: string[] = [];
  for (const marker of B64_MARKERS) {
    let at = buf.indexOf(marker, start);
    while (at !== -1) {
      const open = buf.indexOf(0x3e, at);
      const close = open === -1 ? -1 : buf.indexOf(0x3c, open);
      if (close === -1) break;
      const amp = buf.indexOf(0x26, open);
      if (close - open > 1024 && (amp === -1 || amp > close)) {
        parts.push(buf.toString('utf8', start, open + 1));
        start = close;
      }
      at = buf.indexOf(marker, close);
    }
  }
  parts.push(buf.toString('utf8', start));
  return parts.join('');
}

function idOf(el: XmlEl | undefined): string | undefined {
  if (!el?.attrs.root) return undefined;
  return el.attrs.extension ? `${el.attrs.root}^${el.attrs.extension}` : el.attrs.root;
}

const CDA_NS = 'urn:hl7-org:v3';
const REQUIRED_TEMPLATES: [string, string][] = [
  ['2.16.840.1.113883.2.8.2.1', 'HL7 France'],
  ['1.2.250.1.213.1.1.1.1', 'CI-SIS'],
];

/**
 * Checks the header of a CDA R2 document against its metadata. Returns undefined when the document could
 * not be read (the problem is recorded).
 */
export function checkCda(c: Checker, bytes: Uint8Array, exp: { uniqueId?: string; ins?: string; typeCode?: string; location: string }): CdaInfo | undefined {
  const loc = exp.location;
  let root: XmlEl;
  try {
    root = parseXml(cdaHeaderText(bytes), { maxDepth: 256 });
  } catch (err) {
    if (err instanceof XmlSyntaxError) {
      if (err.reason === 'doctype') c.fatal('XDSRegistryMetadataError', 'le document CDA contient une déclaration DOCTYPE (refusée : aucune entité ne peut être déclarée)', loc);
      else c.error('XDSRegistryMetadataError', `le document n'est pas un XML bien formé (ligne ${err.line}, colonne ${err.column}) : ${err.message}`, loc);
      return undefined;
    }
    throw err;
  }
  if (root.name !== 'ClinicalDocument' || root.ns !== CDA_NS) {
    c.error('XDSRegistryMetadataError', `le document n'est pas un CDA R2 : élément racine {${root.ns}}${root.name} au lieu de {${CDA_NS}}ClinicalDocument`, loc);
    return undefined;
  }
  const realm = kids(root, 'realmCode');
  if (!realm.some((r) => r.attrs.code === 'FR')) c.error('XDSRegistryMetadataError', 'CDA : realmCode code="FR" absent', loc);
  const typeId = kid(root, 'typeId');
  if (typeId?.attrs.root !== '2.16.840.1.113883.1.3' || typeId.attrs.extension !== 'POCD_HD000040') c.error('XDSRegistryMetadataError', 'CDA : typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040" absent', loc);
  const templates = new Set(kids(root, 'templateId').map((t) => t.attrs.root));
  for (const [oid, label] of REQUIRED_TEMPLATES) if (!templates.has(oid)) c.error('XDSRegistryMetadataError', `CDA : templateId ${oid} (${label}) absent`, loc);
  const id = idOf(kid(root, 'id'));
  if (!id) c.error('XDSRegistryMetadataError', 'CDA : ClinicalDocument/id absent', loc);
  else if (exp.uniqueId && id !== exp.uniqueId) c.error('XDSRegistryMetadataError', `CDA : ClinicalDocument/id "${id}" différent de l'uniqueId des métadonnées "${exp.uniqueId}"`, loc);
  const code = kid(root, 'code')?.attrs.code;
  if (exp.typeCode && code && code !== exp.typeCode) c.warn(`CDA : code "${code}" différent du typeCode des métadonnées "${exp.typeCode}"`, loc);
  const patientRole = kid(kid(root, 'recordTarget'), 'patientRole');
  const insIds = kids(patientRole, 'id').filter((i) => i.attrs.root && INS_OIDS.has(i.attrs.root));
  if (!insIds.length) c.error('XDSPatientIdDoesNotMatch', 'CDA : recordTarget/patientRole/id ne porte pas d\'INS (OID 1.2.250.1.213.1.4.8/.9/.10/.11)', loc);
  else if (exp.ins && !insIds.some((i) => i.attrs.extension === exp.ins)) c.error('XDSPatientIdDoesNotMatch', `CDA : l'INS du recordTarget (${insIds.map((i) => i.attrs.extension).join(', ')}) diffère du patientId des métadonnées (${exp.ins})`, loc);
  const info: CdaInfo = { id, setId: idOf(kid(root, 'setId')) };
  const version = kid(root, 'versionNumber')?.attrs.value;
  if (version !== undefined && /^\d+$/.test(version)) info.version = Number(version);
  for (const rel of kids(root, 'relatedDocument')) {
    if (rel.attrs.typeCode !== 'RPLC') continue;
    info.rplcParent = idOf(kid(kid(rel, 'parentDocument'), 'id'));
  }
  return info;
}
