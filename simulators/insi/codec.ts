/**
 * INSi wire codec: request parsing (one strict, namespace-aware pass: simulators/core/xml/tree.ts) and
 * RESULTAT building in the live byte shape (insi.md §3.3). Faults are in faults.ts, the WSDL in wsdl.ts.
 */
import { child, childText, parseXml, XmlSyntaxError, type XmlEl } from '../core/xml/tree.js';
import type { InsHistoryEntry, InsIdentity } from '../../fixtures/index.js';
import { BODY_ROOTS, CR_LABELS, NS, escText, type CrCode, type InsiOperation } from './constants.js';
import { badRequestFault, type FaultSpec } from './faults.js';

/** Finds elements anywhere below `el` (depth-first). */
export function findAll(el: XmlEl, name: string, ns: string, out: XmlEl[] = []): XmlEl[] {
  for (const c of el.children) {
    if (c.name === name && c.ns === ns) out.push(c);
    findAll(c, name, ns, out);
  }
  return out;
}

export interface LpsContext {
  version?: string;
  nature?: string;
  id?: string;
  temps?: string;
  emetteur?: string;
  idam?: string;
  idamR?: string;
  lpsVersion?: string;
  instance?: string;
  nom?: string;
}

export interface Matricule {
  numIdentifiant?: string;
  cle?: string;
  typeMatricule?: string;
}

export interface TraitsQuery {
  nomNaissance?: string;
  /** Every `Prenom` element, in order. */
  prenoms: string[];
  sexe?: string;
  dateNaissance?: string;
  lieuNaissance?: string;
}

export interface VitaleQuery {
  matriculeIndividu?: Matricule;
  matriculeOD?: Matricule;
  nomNaissance?: string;
  dateNaissance?: string;
  rangNaissance?: string;
}

export interface InsiRequest {
  operation: InsiOperation;
  /** How the operation was found. */
  dispatch: 'body' | 'action';
  bodyRoot: string;
  action?: string;
  messageId?: string;
  /** Local names of the SOAP headers, in the order received. */
  headerNames: string[];
  lps?: LpsContext;
  bamPresent: boolean;
  bamCouverture?: XmlEl;
  security?: XmlEl;
  bodyId?: string;
  traits?: TraitsQuery;
  vitale?: VitaleQuery;
}

export type ParseResult = { ok: true; request: InsiRequest } | { ok: false; fault: FaultSpec; messageId?: string };

function matricule(el: XmlEl | undefined): Matricule | undefined {
  if (!el) return undefined;
  return { numIdentifiant: childText(el, 'NumIdentifiant'), cle: childText(el, 'Cle'), typeMatricule: childText(el, 'TypeMatricule') };
}

/** Parses an INSi request envelope; every failure is a fault to answer, never an exception. */
export function parseRequest(text: string): ParseResult {
  if (text.trim() === '') return { ok: false, fault: badRequestFault('Requête vide : une enveloppe SOAP 1.2 est attendue.') };
  let root: XmlEl | undefined;
  try {
    root = parseXml(text);
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    if (err.reason === 'doctype') return { ok: false, fault: badRequestFault('Les déclarations DOCTYPE/ENTITY sont interdites dans une requête SOAP.') };
    return { ok: false, fault: badRequestFault(`XML mal formé : ${err.message} (ligne ${err.line}, colonne ${err.column}).`) };
  }
  if (!root || root.name !== 'Envelope') return { ok: false, fault: badRequestFault('Le corps de la requête n\'est pas une enveloppe SOAP.') };
  if (root.ns === NS.soap11) {
    return { ok: false, fault: badRequestFault('Version SOAP non supportée : le service attend SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope).', 500, 'VersionMismatch') };
  }
  if (root.ns !== NS.soap12) return { ok: false, fault: badRequestFault(`Enveloppe dans un espace de noms inconnu "${root.ns}" : SOAP 1.2 attendu.`, 500, 'VersionMismatch') };

  const header = child(root, 'Header', NS.soap12);
  const body = child(root, 'Body', NS.soap12);
  const req: Partial<InsiRequest> & { headerNames: string[]; bamPresent: boolean } = { headerNames: [], bamPresent: false };
  for (const h of header?.children ?? []) {
    req.headerNames.push(h.name);
    if (h.ns === NS.wsa && h.name === 'Action') req.action = h.text;
    else if (h.ns === NS.wsa && h.name === 'MessageID') req.messageId = h.text;
    else if (h.name === 'Security' && h.ns === NS.wsse) req.security = h;
    else if (h.name === 'ContexteLPS' && h.ns === NS.ctxlps) {
      const lps = child(h, 'LPS');
      const idam = child(lps, 'IDAM');
      req.lps = {
        version: h.attrs.Version, nature: h.attrs.Nature, id: childText(h, 'Id'), temps: childText(h, 'Temps'), emetteur: childText(h, 'Emetteur'),
        idam: idam?.text, idamR: idam?.attrs.R, lpsVersion: childText(lps, 'Version'), instance: childText(lps, 'Instance'), nom: childText(lps, 'Nom'),
      };
    } else if (h.name === 'ContexteBAM' && h.ns === NS.ctxbam) {
      req.bamPresent = true;
      req.bamCouverture = child(h, 'COUVERTURE');
    }
  }
  const messageId = req.messageId;
  if (!body) return { ok: false, fault: badRequestFault('Enveloppe SOAP sans élément Body.'), messageId };
  const op = body.children[0];
  if (!op) return { ok: false, fault: badRequestFault('Body SOAP vide : RECSANSVITALE ou RECVITALE attendu.'), messageId };
  const qname = `{${op.ns}}${op.name}`;
  let operation = BODY_ROOTS[qname];
  let dispatch: InsiRequest['dispatch'] = 'body';
  if (!operation && req.action) {
    const byAction = req.action.endsWith(':rechercherInsAvecTraitsIdentite') ? 'rechercherInsAvecTraitsIdentite' : req.action.endsWith(':rechercherInsAvecCarteVitale') ? 'rechercherInsAvecCarteVitale' : undefined;
    if (byAction) { operation = byAction; dispatch = 'action'; }
  }
  if (!operation) {
    return { ok: false, fault: badRequestFault(`Opération inconnue : élément ${qname} (attendu {${NS.recSans}}RECSANSVITALE ou {${NS.recVit}}RECVITALE).`), messageId };
  }
  req.operation = operation;
  req.dispatch = dispatch;
  req.bodyRoot = qname;
  req.bodyId = body.attrs.Id;
  if (operation === 'rechercherInsAvecTraitsIdentite') {
    const prenoms: string[] = [];
    for (const c of op.children) if (c.name === 'Prenom') prenoms.push(c.text);
    req.traits = { nomNaissance: childText(op, 'NomNaissance'), prenoms, sexe: childText(op, 'Sexe'), dateNaissance: childText(op, 'DateNaissance'), lieuNaissance: childText(op, 'LieuNaissance') };
  } else {
    req.vitale = {
      matriculeIndividu: matricule(child(op, 'MatriculeIndividu')),
      matriculeOD: matricule(child(op, 'MatriculeOD')),
      nomNaissance: childText(op, 'NomNaissance'),
      dateNaissance: childText(op, 'DateNaissance'),
      rangNaissance: childText(op, 'RangNaissance'),
    };
  }
  return { ok: true, request: req as InsiRequest };
}

// ---------------------------------------------------------------------------------------------------------
// Responses

const RESPONSE_HEAD =
  `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${NS.soap12}"><env:Body xmlns:S="${NS.soap12}" xmlns:env="${NS.soap12}">` +
  `<RESULTAT xmlns="${NS.resultat}" xmlns:ns0="${NS.recVit}" xmlns:ns1="${NS.recSans}">`;
const RESPONSE_TAIL = '</RESULTAT></env:Body></soap:Envelope>';

/** What INDIVIDU carries: the active INS, its history and the TIQ traits. */
export interface IndividuView {
  numIdentifiant: string;
  cle: string;
  oid: string;
  history: InsHistoryEntry[];
  traits: { nomNaissance: string; listePrenom: string; sexe: string; dateNaissance: string; lieuNaissance: string | null };
}

export function individuFromIns(ins: InsIdentity, oidOverride?: (oid: string) => string): IndividuView {
  const map = oidOverride ?? ((o: string) => o);
  return {
    numIdentifiant: ins.numIdentifiant,
    cle: ins.cle,
    oid: map(ins.oid),
    history: oidOverride ? ins.history.map((h) => ({ ...h, oid: map(h.oid) })) : ins.history,
    traits: ins.traits,
  };
}

function idIndividu(num: string, cle: string): string {
  return `<IdIndividu><NumIdentifiant>${escText(num)}</NumIdentifiant><Cle>${escText(cle)}</Cle></IdIndividu>`;
}

/** The RESULTAT envelope exactly as qualif answers it in 2022–2025 (no whitespace, TIQ without Prenom). */
export function resultatXml(cr: CrCode, individu?: IndividuView): string {
  let xml = `${RESPONSE_HEAD}<CR><CodeCR>${cr}</CodeCR><LibelleCR>${CR_LABELS[cr]}</LibelleCR></CR>`;
  if (cr === '00' && individu) {
    xml += `<INDIVIDU><INSACTIF>${idIndividu(individu.numIdentifiant, individu.cle)}<OID>${escText(individu.oid)}</OID></INSACTIF>`;
    for (const h of individu.history) {
      xml += `<INSHISTO>${idIndividu(h.numIdentifiant, h.cle)}<OID>${escText(h.oid)}</OID>`;
      if (h.dateDeb) xml += `<DateDeb>${escText(h.dateDeb)}</DateDeb>`;
      if (h.dateFin) xml += `<DateFin>${escText(h.dateFin)}</DateFin>`;
      xml += '</INSHISTO>';
    }
    const t = individu.traits;
    xml +=
      `<TIQ><NomNaissance>${escText(t.nomNaissance)}</NomNaissance><ListePrenom>${escText(t.listePrenom)}</ListePrenom>` +
      `<Sexe>${escText(t.sexe)}</Sexe><DateNaissance>${escText(t.dateNaissance)}</DateNaissance>` +
      (t.lieuNaissance ? `<LieuNaissance>${escText(t.lieuNaissance)}</LieuNaissance>` : '') +
      '</TIQ></INDIVIDU>';
  }
  return xml + RESPONSE_TAIL;
}
