/**
 * Reads INSi answers (insi.md §3.3, §4): a RESULTAT (CR 00/01/02) or a SOAP 1.2 fault with a
 * `siram:Erreur` detail. Namespace-aware, and tolerant of the historical decorations: default
 * namespace with ns0/ns1, ns2/ns3 (CNDA files), everything prefixed `ns2:` (2021), with or
 * without `<Prenom>` in TIQ, INSHISTO absent, single or repeated, dates before or after the OID.
 */
import { InsiFault, InsiProtocolError } from './errors.js';
import { NS } from './envelope.js';
import { child, childrenNamed, childText, findDeep, parseXmlTree, type XmlElement } from './xml.js';

export const INS_NIR_OID = '1.2.250.1.213.1.4.8';
export const INS_NIA_OID = '1.2.250.1.213.1.4.9';
export const INS_NIR_TEST_OID = '1.2.250.1.213.1.4.10';
export const INS_NIR_DEMO_OID = '1.2.250.1.213.1.4.11';

export interface InsIdentifier {
  numIdentifiant: string;
  cle: string;
  /** NumIdentifiant + Cle (15 characters). */
  matricule: string;
  typeMatricule?: string;
  oid: string;
  /** NIA when the OID is .9, NIR otherwise (the format alone cannot tell, §5). */
  kind: 'NIR' | 'NIA';
  dateDeb?: string;
  dateFin?: string;
}

/** Traits d'identité qualifiés, as INSi returned them (already in strict RNIV form). */
export interface Tiq {
  nomNaissance: string;
  /** `<Prenom>` when present (older formats), else the first token of ListePrenom. */
  prenom: string;
  /** Space-separated; `<Prenom>` when ListePrenom is absent. */
  listePrenom: string;
  sexe: string;
  dateNaissance: string;
  lieuNaissance?: string;
}

export interface InsiIndividu {
  insActif: InsIdentifier;
  insHisto: InsIdentifier[];
  tiq: Tiq;
}

export type InsiResult =
  | { cr: '00'; libelle: string; individu: InsiIndividu }
  | { cr: '01' | '02'; libelle: string; individu?: undefined };

function identifier(el: XmlElement, where: string): InsIdentifier {
  const id = child(el, 'IdIndividu');
  const numIdentifiant = childText(id, 'NumIdentifiant');
  const cle = childText(id, 'Cle');
  const oid = childText(el, 'OID');
  if (!numIdentifiant || !cle || !oid) throw new InsiProtocolError(`${where}: IdIndividu/NumIdentifiant, Cle and OID are required`);
  const out: InsIdentifier = { numIdentifiant, cle, matricule: numIdentifiant + cle, oid, kind: oid === INS_NIA_OID ? 'NIA' : 'NIR' };
  const type = childText(id, 'TypeMatricule');
  if (type) out.typeMatricule = type;
  const deb = childText(el, 'DateDeb');
  const fin = childText(el, 'DateFin');
  if (deb) out.dateDeb = deb;
  if (fin) out.dateFin = fin;
  return out;
}

/** Reads the RESULTAT element (any of its namespace decorations). */
export function readResultat(resultat: XmlElement): InsiResult {
  const cr = child(resultat, 'CR');
  const code = childText(cr, 'CodeCR');
  const libelle = childText(cr, 'LibelleCR') ?? '';
  if (code === '01' || code === '02') return { cr: code, libelle };
  if (code !== '00') throw new InsiProtocolError(`RESULTAT: unknown CodeCR "${code ?? ''}"`);
  const ind = child(resultat, 'INDIVIDU');
  const actif = child(ind, 'INSACTIF');
  const tiqEl = child(ind, 'TIQ');
  if (!ind || !actif || !tiqEl) throw new InsiProtocolError('RESULTAT CR 00 without INDIVIDU/INSACTIF/TIQ');
  const listeRaw = childText(tiqEl, 'ListePrenom');
  const prenomRaw = childText(tiqEl, 'Prenom');
  const listePrenom = (listeRaw ?? prenomRaw ?? '').replace(/\s+/g, ' ');
  const tiq: Tiq = {
    nomNaissance: childText(tiqEl, 'NomNaissance') ?? '',
    prenom: prenomRaw ?? listePrenom.split(' ')[0] ?? '',
    listePrenom,
    sexe: childText(tiqEl, 'Sexe') ?? '',
    dateNaissance: childText(tiqEl, 'DateNaissance') ?? '',
  };
  const lieu = childText(tiqEl, 'LieuNaissance');
  if (lieu) tiq.lieuNaissance = lieu;
  return {
    cr: '00',
    libelle,
    individu: {
      insActif: identifier(actif, 'INSACTIF'),
      insHisto: childrenNamed(ind, 'INSHISTO').map((h, i) => identifier(h, `INSHISTO[${i}]`)),
      tiq,
    },
  };
}

/** Reads a SOAP 1.2 Fault element into an InsiFault. */
export function readFault(fault: XmlElement, httpStatus?: number): InsiFault {
  const stripPrefix = (v: string | undefined) => (v === undefined ? undefined : v.includes(':') ? v.slice(v.indexOf(':') + 1) : v);
  const code = child(fault, 'Code');
  const subcode = child(code, 'Subcode');
  const reasonEl = child(fault, 'Reason');
  const erreur = findDeep(child(fault, 'Detail') ?? fault, 'Erreur');
  const out: InsiFault['fault'] = {};
  const fc = stripPrefix(childText(code, 'Value'));
  if (fc) out.faultCode = fc;
  const sc = stripPrefix(childText(subcode, 'Value'));
  if (sc) out.subcode = sc;
  const reason = childrenNamed(reasonEl, 'Text')[0]?.text.trim() ?? childText(fault, 'faultstring');
  if (reason) out.reason = reason;
  if (erreur) {
    if (erreur.attrs.code) out.code = erreur.attrs.code;
    if (erreur.attrs.severite) out.severite = erreur.attrs.severite;
    if (erreur.attrs.messageID) out.messageId = erreur.attrs.messageID;
    const detail = erreur.text.trim();
    if (detail) out.detail = detail;
  }
  if (httpStatus !== undefined) out.httpStatus = httpStatus;
  return new InsiFault(out);
}

export type ParsedResponse = { kind: 'result'; result: InsiResult } | { kind: 'fault'; fault: InsiFault };

/**
 * Parses a response body. Throws InsiProtocolError when it is not a SOAP envelope holding a
 * RESULTAT or a Fault. The caller decides what the HTTP status means.
 */
export function parseInsiResponse(body: string, httpStatus?: number): ParsedResponse {
  let root: XmlElement;
  try {
    root = parseXmlTree(body);
  } catch (err) {
    throw new InsiProtocolError(`response is not XML: ${(err as Error).message}`, httpStatus, body.slice(0, 2000));
  }
  if (root.name !== 'Envelope' || (root.ns !== NS.soap && root.ns !== 'http://schemas.xmlsoap.org/soap/envelope/')) {
    throw new InsiProtocolError(`response root is {${root.ns}}${root.name}, not a SOAP envelope`, httpStatus, body.slice(0, 2000));
  }
  const soapBody = child(root, 'Body');
  if (!soapBody) throw new InsiProtocolError('SOAP envelope without Body', httpStatus, body.slice(0, 2000));
  const fault = child(soapBody, 'Fault');
  if (fault) return { kind: 'fault', fault: readFault(fault, httpStatus) };
  const resultat = child(soapBody, 'RESULTAT', NS.resultat) ?? child(soapBody, 'RESULTAT');
  if (!resultat) throw new InsiProtocolError('SOAP Body holds neither RESULTAT nor Fault', httpStatus, body.slice(0, 2000));
  return { kind: 'result', result: readResultat(resultat) };
}
