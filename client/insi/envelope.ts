/**
 * SOAP 1.2 requests of the INSi téléservice (insi.md §2.5, §3.1, §3.2), written the way the
 * certified clients send them: ContexteBAM, ContexteLPS, wsa:Action, wsa:MessageID, then
 * wsse:Security in CPx mode (and `soap:Body Id="_0"`).
 */
import { randomUUID } from 'node:crypto';
import { isRnivTrait, toRnivTrait } from '../../fixtures/rniv.js';
import { InsiInputError } from './errors.js';
import { escapeXml } from './xml.js';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  ctxbam: 'urn:siram:bam:ctxbam',
  ctxlps: 'urn:siram:lps:ctxlps',
  siram: 'urn:siram',
  recSans: 'http://www.cnamts.fr/INSiRecSans',
  recVit: 'http://www.cnamts.fr/INSiRecVit',
  resultat: 'http://www.cnamts.fr/INSiResultat',
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const OPERATIONS = {
  traits: 'rechercherInsAvecTraitsIdentite',
  vitale: 'rechercherInsAvecCarteVitale',
} as const;
export type InsiOperation = keyof typeof OPERATIONS;

export function soapAction(op: InsiOperation): string {
  return `urn:ServiceIdentiteCertifiee:1.0.0:${OPERATIONS[op]}`;
}

/** Content-Type of every request (no `action` parameter, as padoa posts live). */
export const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=utf-8';

/** The software's identity in ContexteLPS. */
export interface LpsInfo {
  /** CNDA authorisation number (IDAM), sent with R="4". */
  idam: string;
  version: string;
  /** Installation id (a UUID). */
  instance: string;
  /** Free text; padoa-style `urn:lps:<name>:<version>`. */
  nom: string;
}

/** Search traits for RECSANSVITALE. Display forms are accepted: they are RNIV-normalised before sending. */
export interface SearchTraits {
  nomNaissance: string;
  /** One first name, or several space-separated (sent as a single `<Prenom>`, as the validated clients do). */
  prenom: string;
  sexe: 'M' | 'F';
  /** YYYY-MM-DD, `00` allowed for unknown day/month. */
  dateNaissance: string;
  /** COG (5 characters); optional. */
  lieuNaissance?: string;
}

const DATE = /^\d{4}-(0\d|1[0-2])-([0-2]\d|3[01])$/;
const COG = /^(\d{2}|2[AB])\d{3}$/;

/** RNIV-normalises and validates traits (strict form, insi.md §6.3). Throws InsiInputError. */
export function normaliseTraits(traits: SearchTraits): SearchTraits {
  const nomNaissance = toRnivTrait(String(traits.nomNaissance ?? ''));
  if (!isRnivTrait(nomNaissance)) throw new InsiInputError(`birth name "${traits.nomNaissance}" has no usable RNIV form`, 'nomNaissance');
  const prenom = toRnivTrait(String(traits.prenom ?? ''));
  if (!isRnivTrait(prenom) || prenom.includes('--')) throw new InsiInputError(`first name "${traits.prenom}" has no usable RNIV form`, 'prenom');
  const sexe = String(traits.sexe ?? '').toUpperCase();
  if (sexe !== 'M' && sexe !== 'F') throw new InsiInputError(`sex must be M or F (INSi does not accept "${traits.sexe}")`, 'sexe');
  const dateNaissance = String(traits.dateNaissance ?? '').trim();
  if (!DATE.test(dateNaissance)) throw new InsiInputError(`birth date "${traits.dateNaissance}" is not YYYY-MM-DD`, 'dateNaissance');
  const out: SearchTraits = { nomNaissance, prenom, sexe, dateNaissance };
  if (traits.lieuNaissance !== undefined && traits.lieuNaissance !== null && String(traits.lieuNaissance).trim() !== '') {
    const cog = String(traits.lieuNaissance).trim().toUpperCase();
    if (!COG.test(cog)) throw new InsiInputError(`birth place "${traits.lieuNaissance}" is not a 5-character COG`, 'lieuNaissance');
    out.lieuNaissance = cog;
  }
  return out;
}

/** ContexteBAM/COUVERTURE, filled from the Vitale card for RECVITALE, empty otherwise (XSD order). */
export interface Couverture {
  grandRegime?: string;
  organisme?: string;
  codeCentre?: string;
  /** Insured person's NIR: 13 characters + key. */
  assure?: { num: string; cle?: string };
  beneficiaire?: {
    nir?: { num: string; cle?: string; dateCertification?: string };
    dateNai?: string;
    rang?: number;
    porteur?: string;
  };
}

/** RECVITALE body (XSD order: MatriculeIndividu, MatriculeOD, NomNaissance, DateNaissance, RangNaissance). */
export interface VitaleSearchBody {
  /** The beneficiary's own certified NIR (15 or 13 characters), when the card has one. */
  matriculeIndividu?: string;
  /** The insured person's NIR (15 or 13 characters). */
  matriculeOD?: string;
  nomNaissance?: string;
  dateNaissance?: string;
  rangNaissance?: number;
}

export interface EnvelopeOptions {
  lps: LpsInfo;
  /** Cert OU (mTLS) or the CPS NameID (CPx). */
  emetteur: string;
  messageId?: string;
  now?: Date;
  /** XML fragments to place in wsse:Security (assertion PS, then Vitale assertion). No header when empty. */
  security?: string[];
  /** `Id` attribute of soap:Body (CPx mode: "_0"). */
  bodyId?: string;
  couverture?: Couverture;
}

export interface BuiltRequest {
  xml: string;
  action: string;
  /** `uuid:<uuid>`, echoed by the server in siram:Erreur/@messageID. */
  messageId: string;
  operation: InsiOperation;
}

function el(prefix: string, name: string, value: string | undefined): string {
  return value === undefined || value === '' ? '' : `<${prefix}:${name}>${escapeXml(value)}</${prefix}:${name}>`;
}

function splitMatricule(value: string, field: string): { num: string; cle?: string } {
  const v = value.replace(/\s+/g, '').toUpperCase();
  if (/^\d{5}(\d{2}|2[AB])\d{6}$/.test(v)) return { num: v };
  if (/^\d{5}(\d{2}|2[AB])\d{8}$/.test(v)) return { num: v.slice(0, 13), cle: v.slice(13) };
  throw new InsiInputError(`${field} "${value}" is not a 13- or 15-character NIR`, field);
}

function couvertureXml(c: Couverture | undefined): string {
  if (!c) return '<ctxbam:COUVERTURE></ctxbam:COUVERTURE>';
  let out = '<ctxbam:COUVERTURE>';
  out += el('ctxbam', 'GrandRegime', c.grandRegime) + el('ctxbam', 'Organisme', c.organisme) + el('ctxbam', 'CodeCentre', c.codeCentre);
  if (c.assure) out += `<ctxbam:ASSURE><ctxbam:Id>${el('ctxbam', 'Num', c.assure.num)}${el('ctxbam', 'Cle', c.assure.cle)}</ctxbam:Id></ctxbam:ASSURE>`;
  const b = c.beneficiaire;
  if (b) {
    out += '<ctxbam:BENEFICIAIRE>';
    if (b.nir) out += `<ctxbam:Nir>${el('ctxbam', 'Num', b.nir.num)}${el('ctxbam', 'Cle', b.nir.cle)}${el('ctxbam', 'DateCertification', b.nir.dateCertification)}</ctxbam:Nir>`;
    out += el('ctxbam', 'DateNai', b.dateNai) + el('ctxbam', 'Rang', b.rang === undefined ? undefined : String(b.rang)) + el('ctxbam', 'Porteur', b.porteur);
    out += '</ctxbam:BENEFICIAIRE>';
  }
  return out + '</ctxbam:COUVERTURE>';
}

function envelope(operation: InsiOperation, body: string, opts: EnvelopeOptions): BuiltRequest {
  const now = (opts.now ?? new Date()).toISOString();
  const messageId = opts.messageId ?? `uuid:${randomUUID()}`;
  const action = soapAction(operation);
  const { lps } = opts;
  if (!lps?.idam || !lps.version || !lps.instance || !lps.nom) throw new InsiInputError('ContexteLPS needs idam, version, instance and nom', 'lps');
  if (!opts.emetteur) throw new InsiInputError('ContexteLPS/ContexteBAM need an Emetteur', 'emetteur');
  const emetteur = escapeXml(opts.emetteur);
  const bam =
    `<ctxbam:ContexteBAM Version="01_02"><ctxbam:Id>${randomUUID()}</ctxbam:Id><ctxbam:Temps>${now}</ctxbam:Temps>` +
    `<ctxbam:Emetteur>${emetteur}</ctxbam:Emetteur>${couvertureXml(opts.couverture)}</ctxbam:ContexteBAM>`;
  const ctxLps =
    `<ctxlps:ContexteLPS Nature="CTXLPS" Version="01_00"><ctxlps:Id>${randomUUID()}</ctxlps:Id><ctxlps:Temps>${now}</ctxlps:Temps>` +
    `<ctxlps:Emetteur>${emetteur}</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${escapeXml(lps.idam)}</ctxlps:IDAM>` +
    `<ctxlps:Version>${escapeXml(lps.version)}</ctxlps:Version><ctxlps:Instance>${escapeXml(lps.instance)}</ctxlps:Instance>` +
    `<ctxlps:Nom>${escapeXml(lps.nom)}</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`;
  const wsa =
    `<wsa:Action xmlns:wsa="${NS.wsa}">${action}</wsa:Action>` + `<wsa:MessageID xmlns:wsa="${NS.wsa}">${escapeXml(messageId)}</wsa:MessageID>`;
  const security = opts.security && opts.security.length > 0 ? `<wsse:Security>${opts.security.join('')}</wsse:Security>` : '';
  const bodyOpen = opts.bodyId ? `<soap:Body Id="${escapeXml(opts.bodyId)}">` : '<soap:Body>';
  const xml =
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:wsse="${NS.wsse}" xmlns:ctxbam="${NS.ctxbam}" xmlns:ctxlps="${NS.ctxlps}" xmlns:siram="${NS.siram}">` +
    `<soap:Header>${bam}${ctxLps}${wsa}${security}</soap:Header>${bodyOpen}${body}</soap:Body></soap:Envelope>`;
  return { xml, action, messageId, operation };
}

/** rechercherInsAvecTraitsIdentite. Traits are RNIV-normalised first; throws InsiInputError when they cannot be. */
export function buildRecSansVitaleRequest(traits: SearchTraits, opts: EnvelopeOptions): BuiltRequest & { traits: SearchTraits } {
  const t = normaliseTraits(traits);
  const p = 'insi_recsans_ins';
  const body =
    `<${p}:RECSANSVITALE xmlns:${p}="${NS.recSans}">` +
    el(p, 'NomNaissance', t.nomNaissance) +
    el(p, 'Prenom', t.prenom) +
    el(p, 'Sexe', t.sexe) +
    el(p, 'DateNaissance', t.dateNaissance) +
    el(p, 'LieuNaissance', t.lieuNaissance) +
    `</${p}:RECSANSVITALE>`;
  return { ...envelope('traits', body, { ...opts, couverture: undefined }), traits: t };
}

/** rechercherInsAvecCarteVitale, with COUVERTURE from the card (the Vitale assertion goes in `security`). */
export function buildRecVitaleRequest(search: VitaleSearchBody, opts: EnvelopeOptions): BuiltRequest {
  const p = 'ins';
  let body = `<${p}:RECVITALE xmlns:${p}="${NS.recVit}">`;
  if (search.matriculeIndividu) {
    const m = splitMatricule(search.matriculeIndividu, 'matriculeIndividu');
    body += `<${p}:MatriculeIndividu>${el(p, 'NumIdentifiant', m.num)}${el(p, 'Cle', m.cle)}</${p}:MatriculeIndividu>`;
  }
  if (search.matriculeOD) {
    const m = splitMatricule(search.matriculeOD, 'matriculeOD');
    body += `<${p}:MatriculeOD>${el(p, 'NumIdentifiant', m.num)}${el(p, 'Cle', m.cle)}</${p}:MatriculeOD>`;
  }
  if (search.nomNaissance) {
    const nom = toRnivTrait(search.nomNaissance);
    if (!isRnivTrait(nom)) throw new InsiInputError(`name "${search.nomNaissance}" has no usable RNIV form`, 'nomNaissance');
    body += el(p, 'NomNaissance', nom);
  }
  if (search.dateNaissance) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(search.dateNaissance)) throw new InsiInputError(`birth date "${search.dateNaissance}" is not YYYY-MM-DD`, 'dateNaissance');
    body += el(p, 'DateNaissance', search.dateNaissance);
  }
  if (search.rangNaissance !== undefined) body += el(p, 'RangNaissance', String(search.rangNaissance));
  body += `</${p}:RECVITALE>`;
  return envelope('vitale', body, opts);
}

export { splitMatricule as splitMatriculeForWire };
