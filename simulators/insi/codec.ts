/**
 * INSi wire codec: request parsing (one fast-xml-parser pass, namespace-resolved here) and RESULTAT
 * building in the live byte shape (insi.md §3.3). Faults are in faults.ts, the WSDL in wsdl.ts.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { InsHistoryEntry, InsIdentity } from '../../fixtures/index.js';
import { BODY_ROOTS, CR_LABELS, NS, escText, type CrCode, type InsiOperation } from './constants.js';
import { badRequestFault, type FaultSpec } from './faults.js';

/** A namespace-resolved element. Attributes are keyed by local name (xmlns declarations dropped). */
export interface XmlEl {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

/** The five predefined entities and character references; nothing else is expanded. */
export function decodeXmlText(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

type Raw = Record<string, unknown>;

function toEl(node: Raw, scope: Record<string, string>): XmlEl | undefined {
  let tag: string | undefined;
  for (const k in node) if (k !== ':@') { tag = k; break; }
  if (!tag || tag === '#text') return undefined;
  const rawAttrs = node[':@'] as Record<string, string> | undefined;
  let local = scope;
  const attrs: Record<string, string> = {};
  if (rawAttrs) {
    for (const a in rawAttrs) {
      const v = decodeXmlText(String(rawAttrs[a]));
      if (a === 'xmlns') { if (local === scope) local = { ...scope }; local[''] = v; }
      else if (a.startsWith('xmlns:')) { if (local === scope) local = { ...scope }; local[a.slice(6)] = v; }
      else { const c = a.indexOf(':'); attrs[c === -1 ? a : a.slice(c + 1)] = v; }
    }
  }
  const colon = tag.indexOf(':');
  const prefix = colon === -1 ? '' : tag.slice(0, colon);
  const el: XmlEl = { ns: local[prefix] ?? '', name: colon === -1 ? tag : tag.slice(colon + 1), attrs, children: [], text: '' };
  const kids = node[tag] as Raw[] | undefined;
  if (kids) {
    for (const kid of kids) {
      if ('#text' in kid) { el.text += String(kid['#text']); continue; }
      const child = toEl(kid, local);
      if (child) el.children.push(child);
    }
    if (el.text) el.text = decodeXmlText(el.text);
  }
  return el;
}

export function child(el: XmlEl | undefined, name: string, ns?: string): XmlEl | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.name === name && (ns === undefined || c.ns === ns)) return c;
  return undefined;
}

export function childText(el: XmlEl | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c ? c.text : undefined;
}

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

/**
 * True when the text holds a markup declaration (`<!DOCTYPE`, `<!ENTITY`...). Comments and CDATA are fine.
 * Checked before any parsing: no DTD, hence no entity expansion, ever reaches the parser.
 */
export function hasMarkupDeclaration(text: string): boolean {
  let i = text.indexOf('<!');
  while (i !== -1) {
    if (!text.startsWith('<!--', i) && !text.startsWith('<![CDATA[', i)) return true;
    i = text.indexOf('<!', i + 2);
  }
  return false;
}

function matricule(el: XmlEl | undefined): Matricule | undefined {
  if (!el) return undefined;
  return { numIdentifiant: childText(el, 'NumIdentifiant'), cle: childText(el, 'Cle'), typeMatricule: childText(el, 'TypeMatricule') };
}

/** Parses an INSi request envelope; every failure is a fault to answer, never an exception. */
export function parseRequest(text: string): ParseResult {
  if (text.trim() === '') return { ok: false, fault: badRequestFault('Requête vide : une enveloppe SOAP 1.2 est attendue.') };
  if (hasMarkupDeclaration(text)) {
    return { ok: false, fault: badRequestFault('Les déclarations DOCTYPE/ENTITY sont interdites dans une requête SOAP.') };
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    return { ok: false, fault: badRequestFault(`XML mal formé : ${valid.err.msg} (ligne ${valid.err.line}, colonne ${valid.err.col}).`) };
  }
  let root: XmlEl | undefined;
  try {
    const doc = parser.parse(text) as Raw[];
    for (const node of doc) {
      root = toEl(node, {});
      if (root) break;
    }
  } catch (err) {
    return { ok: false, fault: badRequestFault(`XML illisible : ${(err as Error).message}`) };
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
