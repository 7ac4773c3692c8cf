/**
 * The client's own codec of the ePrescription wire contract (simulators/eprescription/README.md): every
 * namespace, action and element name the client writes or reads is here. It shares nothing with the
 * simulator's codec on purpose: each side cross-checks the other. XML is read with the INSi client's
 * reader (fast-xml-parser, entities off, DOCTYPE refused).
 */
import { randomUUID } from 'node:crypto';
import { child, childrenNamed, childText, escapeXml, findDeep, parseXmlTree, type XmlElement } from '../insi/xml.js';
import type { LpsInfo } from '../insi/envelope.js';
import { bareRpps } from './code2d.js';
import { EPrescriptionInputError, EPrescriptionProtocolError, faultFor, type EPrescriptionFault, type FaultInfo } from './errors.js';
import type {
  EPrescription, EpActor, EpExecutant, EpExecution, EpExecutedLine, EpLine, EpLineState, EpPatient, EpPrescripteur, EpProduit,
  EpRecordedExecution, EpSearchCriteria, EpSearchResult, EpStatut, ExecutionMode, LineKind,
} from './model.js';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  ctxbam: 'urn:siram:bam:ctxbam',
  ctxlps: 'urn:siram:lps:ctxlps',
  ep: 'http://www.cnamts.fr/ePrescription',
} as const;

export const OPERATIONS = ['ep4_creer', 'ep3_consulter', 'ep2_rechercher', 'ep1_transmettreExecution', 'ep7_annuler'] as const;
export type EpOperation = (typeof OPERATIONS)[number];

export const soapAction = (op: EpOperation): string => `urn:ServiceEPrescription:1.0.0:${op}`;
export const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=utf-8';
/** The endpoint path appended to a host root. */
export const ENDPOINT_PATH = '/eprescription';

// ---- writing ---------------------------------------------------------------------------------------

const P = 'ep';
const e = (name: string, value: string | number | boolean | undefined): string =>
  value === undefined || value === '' ? '' : `<${P}:${name}>${escapeXml(String(value))}</${P}:${name}>`;
const wrap = (name: string, inner: string, attrs = ''): string => `<${P}:${name}${attrs}>${inner}</${P}:${name}>`;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function date(value: string | undefined, field: string, required = false): string | undefined {
  if (value === undefined || value === '') {
    if (required) throw new EPrescriptionInputError(`${field} is required`, field);
    return undefined;
  }
  if (!DATE.test(value)) throw new EPrescriptionInputError(`${field} "${value}" is not YYYY-MM-DD`, field);
  return value;
}

function rppsOf(value: string | undefined, field: string): string {
  const v = bareRpps(value ?? '');
  if (!/^\d{11}$/.test(v)) throw new EPrescriptionInputError(`${field} "${value ?? ''}" is not an 11-digit RPPS`, field);
  return v;
}

export function patientXml(p: EpPatient): string {
  if (!p.nomNaissance || !p.prenom) throw new EPrescriptionInputError('the patient needs a birth name and a first name', 'patient');
  const ins = p.ins ? wrap('INS', e('Matricule', p.ins.matricule.replace(/\s+/g, '')) + e('OID', p.ins.oid)) : '';
  return wrap(
    'Patient',
    ins + e('NomNaissance', p.nomNaissance) + e('NomUtilise', p.nomUtilise) + e('Prenom', p.prenom) +
      e('DateNaissance', date(p.dateNaissance, 'patient.dateNaissance', true)) + e('Sexe', p.sexe),
  );
}

export function prescripteurXml(p: EpPrescripteur, name: 'Prescripteur' | 'Remplace' = 'Prescripteur'): string {
  if (!/^\d{9}$/.test(p.numeroAM ?? '')) throw new EPrescriptionInputError(`${name}.numeroAM "${p.numeroAM ?? ''}" is not 9 digits`, `${name}.numeroAM`);
  return wrap(
    name,
    e('RPPS', rppsOf(p.rpps, `${name}.rpps`)) + e('Nom', p.nom) + e('Prenom', p.prenom) + e('Profession', p.profession) +
      e('Specialite', p.specialite) + e('NumeroAM', p.numeroAM) + e('FINESS', p.finess),
  );
}

export function executantXml(x: EpExecutant): string {
  if (!x.numeroAM && !x.finess) throw new EPrescriptionInputError('the executant needs an AM number or a FINESS (EF_EP3_E303_03)', 'executant');
  return wrap('Executant', e('RPPS', x.rpps === undefined ? undefined : rppsOf(x.rpps, 'executant.rpps')) + e('Profession', x.profession) + e('NumeroAM', x.numeroAM) + e('FINESS', x.finess));
}

function produitXml(name: 'Produit' | 'ProduitDelivre', p: EpProduit): string {
  return wrap(name, e('CIP13', p.cip13) + e('UCD13', p.ucd13) + e('LPP', p.lpp) + e('Libelle', p.libelle));
}

export function ligneXml(l: EpLine): string {
  const inner =
    (l.produit ? produitXml('Produit', l.produit) : '') +
    (l.acte ? wrap('Acte', e('Code', l.acte.code) + e('Libelle', l.acte.libelle)) : '') +
    e('Posologie', l.posologie) + e('DureeJours', l.dureeJours) + e('Quantite', l.quantite) + e('DureeLocationJours', l.dureeLocationJours) +
    e('Renouvellements', l.renouvellements) + e('Substituable', l.substituable) + e('Stupefiant', l.stupefiant) + e('Exception', l.exception) +
    e('ALD', l.ald) + e('ATMP', l.atmp) + e('Domicile', l.domicile) + e('Urgent', l.urgent) + e('Prevention', l.prevention) +
    e('NonRemboursable', l.nonRemboursable) + e('HorsAMM', l.horsAMM);
  return wrap('Ligne', inner, ` Numero="${l.numero}" Type="${escapeXml(l.type)}"`);
}

export function eprescriptionXml(p: EPrescription): string {
  if (!p.lignes?.length) throw new EPrescriptionInputError('a prescription needs at least one line', 'lignes');
  if (p.identifiant !== undefined && !/^[0-9A-Z]{18}$/.test(p.identifiant)) throw new EPrescriptionInputError(`identifier "${p.identifiant}" is not 18 characters of [0-9A-Z]`, 'identifiant');
  return wrap(
    'EPrescription',
    e('Identifiant', p.identifiant) + e('DateRedaction', date(p.dateRedaction, 'dateRedaction', true)) + e('DebutValidite', date(p.debutValidite, 'debutValidite', true)) +
      e('FinValidite', date(p.finValidite, 'finValidite')) + e('DateExecutionSouhaitee', date(p.dateExecutionSouhaitee, 'dateExecutionSouhaitee')) +
      patientXml(p.patient) + prescripteurXml(p.prescripteur) + (p.remplace ? prescripteurXml(p.remplace, 'Remplace') : '') +
      e('OppositionConsultationExecution', p.oppositionConsultationExecution) + (p.sousTypes ?? []).map((s) => e('SousType', s)).join('') +
      p.lignes.map(ligneXml).join(''),
  );
}

export function executionXml(x: EpExecution): string {
  if (!x.lignes?.length) throw new EPrescriptionInputError('an execution needs at least one line', 'lignes');
  const lines = x.lignes
    .map((l) =>
      wrap(
        'LigneExecutee',
        e('Mode', l.mode) + e('Quantite', l.quantite) + (l.produitDelivre ? produitXml('ProduitDelivre', l.produitDelivre) : '') + e('Motif', l.motif) +
          e('DateAccordPrescripteur', date(l.dateAccordPrescripteur, 'dateAccordPrescripteur')),
        ` Numero="${l.numero}"`,
      ),
    )
    .join('');
  return wrap('Execution', e('DateExecution', date(x.dateExecution, 'dateExecution', true)) + lines);
}

const actorXml = (a: EpActor): string => ('executant' in a ? executantXml(a.executant) : prescripteurXml(a.prescripteur));
const root = (op: EpOperation, inner: string) => `<${P}:${op} xmlns:${P}="${NS.ep}">${inner}</${P}:${op}>`;

export const bodies = {
  creer: (p: EPrescription) => root('ep4_creer', eprescriptionXml(p)),
  consulter: (identifiant: string, actor: EpActor) => root('ep3_consulter', e('Identifiant', identifiant) + actorXml(actor)),
  rechercher: (actor: EpActor, c: EpSearchCriteria) =>
    root(
      'ep2_rechercher',
      actorXml(actor) +
        wrap(
          'Critere',
          (c.ins ? wrap('INS', e('Matricule', c.ins.matricule) + e('OID', c.ins.oid)) : '') + e('NomNaissance', c.nomNaissance) + e('Prenom', c.prenom) +
            e('DateNaissance', date(c.dateNaissance, 'dateNaissance')) + e('Identifiant', c.identifiant) + e('DateDebut', date(c.dateDebut, 'dateDebut')) +
            e('DateFin', date(c.dateFin, 'dateFin')) + e('Statut', c.statut),
        ),
    ),
  transmettreExecution: (identifiant: string, executant: EpExecutant, x: EpExecution) =>
    root('ep1_transmettreExecution', e('Identifiant', identifiant) + executantXml(executant) + executionXml(x)),
  annuler: (identifiant: string, prescripteur: EpPrescripteur, motif?: string) => root('ep7_annuler', e('Identifiant', identifiant) + prescripteurXml(prescripteur) + e('Motif', motif)),
};

export interface EnvelopeOptions {
  lps: LpsInfo;
  emetteur: string;
  messageId?: string;
  now?: Date;
  /** Fragments for wsse:Security (the assertion PS in card mode). */
  security?: string[];
  bodyId?: string;
}

export interface BuiltRequest {
  xml: string;
  operation: EpOperation;
  action: string;
  messageId: string;
}

/** The SOAP 1.2 envelope, with the CNAM headers in INSi's order: ContexteBAM, ContexteLPS, wsa, wsse:Security. */
export function buildEnvelope(operation: EpOperation, body: string, o: EnvelopeOptions): BuiltRequest {
  const { lps } = o;
  if (!lps?.idam || !lps.version || !lps.instance || !lps.nom) throw new EPrescriptionInputError('ContexteLPS needs idam, version, instance and nom', 'lps');
  if (!o.emetteur) throw new EPrescriptionInputError('ContexteLPS/BAM need an Emetteur', 'emetteur');
  const now = (o.now ?? new Date()).toISOString();
  const messageId = o.messageId ?? `uuid:${randomUUID()}`;
  const action = soapAction(operation);
  const em = escapeXml(o.emetteur);
  const bam =
    `<ctxbam:ContexteBAM Version="01_02"><ctxbam:Id>${randomUUID()}</ctxbam:Id><ctxbam:Temps>${now}</ctxbam:Temps>` +
    `<ctxbam:Emetteur>${em}</ctxbam:Emetteur><ctxbam:COUVERTURE></ctxbam:COUVERTURE></ctxbam:ContexteBAM>`;
  const ctx =
    `<ctxlps:ContexteLPS Nature="CTXLPS" Version="01_00"><ctxlps:Id>${randomUUID()}</ctxlps:Id><ctxlps:Temps>${now}</ctxlps:Temps>` +
    `<ctxlps:Emetteur>${em}</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${escapeXml(lps.idam)}</ctxlps:IDAM>` +
    `<ctxlps:Version>${escapeXml(lps.version)}</ctxlps:Version><ctxlps:Instance>${escapeXml(lps.instance)}</ctxlps:Instance>` +
    `<ctxlps:Nom>${escapeXml(lps.nom)}</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`;
  const wsa = `<wsa:Action xmlns:wsa="${NS.wsa}">${action}</wsa:Action><wsa:MessageID xmlns:wsa="${NS.wsa}">${escapeXml(messageId)}</wsa:MessageID>`;
  const security = o.security?.length ? `<wsse:Security>${o.security.join('')}</wsse:Security>` : '';
  const xml =
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:wsse="${NS.wsse}" xmlns:ctxbam="${NS.ctxbam}" xmlns:ctxlps="${NS.ctxlps}">` +
    `<soap:Header>${bam}${ctx}${wsa}${security}</soap:Header>${o.bodyId ? `<soap:Body Id="${escapeXml(o.bodyId)}">` : '<soap:Body>'}${body}</soap:Body></soap:Envelope>`;
  return { xml, operation, action, messageId };
}

// ---- reading ---------------------------------------------------------------------------------------

const txt = (el: XmlElement | undefined, name: string): string | undefined => childText(el, name);
const num = (el: XmlElement | undefined, name: string): number | undefined => {
  const v = txt(el, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new EPrescriptionProtocolError(`${name} "${v}" is not a number`);
  return n;
};
const bool = (el: XmlElement | undefined, name: string): boolean | undefined => {
  const v = txt(el, name);
  return v === undefined ? undefined : v === 'true' || v === '1';
};
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new EPrescriptionProtocolError(`${what} missing in the answer`);
  return v;
};

/** Copies the defined values only (the model's optional fields stay absent rather than undefined). */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function readPatient(el: XmlElement): EpPatient {
  const ins = child(el, 'INS');
  return defined({
    ins: ins ? { matricule: need(txt(ins, 'Matricule'), 'INS/Matricule'), oid: need(txt(ins, 'OID'), 'INS/OID') } : undefined,
    nomNaissance: need(txt(el, 'NomNaissance'), 'Patient/NomNaissance'),
    nomUtilise: txt(el, 'NomUtilise'),
    prenom: need(txt(el, 'Prenom'), 'Patient/Prenom'),
    dateNaissance: need(txt(el, 'DateNaissance'), 'Patient/DateNaissance'),
    sexe: need(txt(el, 'Sexe'), 'Patient/Sexe') as 'M' | 'F',
  });
}

export function readPrescripteur(el: XmlElement): EpPrescripteur {
  return defined({
    rpps: need(txt(el, 'RPPS'), 'RPPS'),
    nom: txt(el, 'Nom') ?? '',
    prenom: txt(el, 'Prenom') ?? '',
    profession: txt(el, 'Profession') ?? '',
    specialite: txt(el, 'Specialite'),
    numeroAM: txt(el, 'NumeroAM') ?? '',
    finess: txt(el, 'FINESS'),
  });
}

export function readExecutant(el: XmlElement): EpExecutant {
  return defined({ rpps: txt(el, 'RPPS'), profession: txt(el, 'Profession') ?? '', numeroAM: txt(el, 'NumeroAM'), finess: txt(el, 'FINESS') });
}

function readProduit(el: XmlElement): EpProduit {
  return defined({ cip13: txt(el, 'CIP13'), ucd13: txt(el, 'UCD13'), lpp: txt(el, 'LPP'), libelle: txt(el, 'Libelle') ?? '' });
}

export function readLigne(el: XmlElement): EpLine {
  const produit = child(el, 'Produit');
  const acte = child(el, 'Acte');
  return defined({
    numero: Number(el.attrs.Numero),
    type: el.attrs.Type as LineKind,
    produit: produit ? readProduit(produit) : undefined,
    acte: acte ? { code: txt(acte, 'Code') ?? '', libelle: txt(acte, 'Libelle') ?? '' } : undefined,
    posologie: txt(el, 'Posologie'),
    dureeJours: num(el, 'DureeJours'),
    quantite: need(num(el, 'Quantite'), 'Ligne/Quantite'),
    dureeLocationJours: num(el, 'DureeLocationJours'),
    renouvellements: num(el, 'Renouvellements'),
    substituable: bool(el, 'Substituable'),
    stupefiant: bool(el, 'Stupefiant'),
    exception: bool(el, 'Exception'),
    ald: bool(el, 'ALD'),
    atmp: bool(el, 'ATMP'),
    domicile: bool(el, 'Domicile'),
    urgent: bool(el, 'Urgent'),
    prevention: bool(el, 'Prevention'),
    nonRemboursable: bool(el, 'NonRemboursable'),
    horsAMM: bool(el, 'HorsAMM'),
  });
}

export function readEPrescription(el: XmlElement): EPrescription {
  const remplace = child(el, 'Remplace');
  const sousTypes = childrenNamed(el, 'SousType').map((s) => s.text.trim());
  return defined({
    identifiant: txt(el, 'Identifiant'),
    dateRedaction: need(txt(el, 'DateRedaction'), 'DateRedaction'),
    debutValidite: need(txt(el, 'DebutValidite'), 'DebutValidite'),
    finValidite: txt(el, 'FinValidite'),
    dateExecutionSouhaitee: txt(el, 'DateExecutionSouhaitee'),
    patient: readPatient(need(child(el, 'Patient'), 'Patient')),
    prescripteur: readPrescripteur(need(child(el, 'Prescripteur'), 'Prescripteur')),
    remplace: remplace ? readPrescripteur(remplace) : undefined,
    oppositionConsultationExecution: bool(el, 'OppositionConsultationExecution') ?? false,
    sousTypes: sousTypes.length ? sousTypes : undefined,
    lignes: childrenNamed(el, 'Ligne').map(readLigne),
  });
}

function readExecutedLine(el: XmlElement): EpExecutedLine {
  const pd = child(el, 'ProduitDelivre');
  return defined({
    numero: Number(el.attrs.Numero),
    mode: need(txt(el, 'Mode'), 'LigneExecutee/Mode') as ExecutionMode,
    quantite: num(el, 'Quantite') ?? 0,
    produitDelivre: pd ? readProduit(pd) : undefined,
    motif: txt(el, 'Motif'),
    dateAccordPrescripteur: txt(el, 'DateAccordPrescripteur'),
  });
}

export function readRecordedExecution(el: XmlElement): EpRecordedExecution {
  const ex = child(el, 'Executant');
  return defined({
    numeroExecution: need(num(el, 'NumeroExecution'), 'Execution/NumeroExecution'),
    dateEnregistrement: txt(el, 'DateEnregistrement') ?? '',
    executant: ex ? readExecutant(ex) : undefined,
    dateExecution: txt(el, 'DateExecution') ?? '',
    lignes: childrenNamed(el, 'LigneExecutee').map(readExecutedLine),
  });
}

/** Reads a SOAP 1.2 Fault as INSi shapes it (Code/Value, Subcode/Value, Reason/Text, Detail/siram:Erreur). */
export function readFault(fault: XmlElement, httpStatus?: number): EPrescriptionFault {
  const strip = (v: string | undefined) => (v === undefined ? undefined : v.slice(v.indexOf(':') + 1));
  const code = child(fault, 'Code');
  const info: FaultInfo = {};
  const fc = strip(txt(code, 'Value'));
  if (fc) info.faultCode = fc;
  const sc = strip(txt(child(code, 'Subcode'), 'Value'));
  if (sc) info.subcode = sc;
  const reason = childrenNamed(child(fault, 'Reason'), 'Text')[0]?.text.trim();
  if (reason) info.reason = reason;
  const erreur = findDeep(child(fault, 'Detail') ?? fault, 'Erreur');
  if (erreur) {
    if (erreur.attrs.code) info.code = erreur.attrs.code;
    if (erreur.attrs.severite) info.severite = erreur.attrs.severite;
    if (erreur.attrs.messageID) info.messageId = erreur.attrs.messageID;
    const d = erreur.text.trim();
    if (d) info.detail = d;
  }
  if (httpStatus !== undefined) info.httpStatus = httpStatus;
  return faultFor(info);
}

export type ParsedAnswer = { kind: 'response'; element: XmlElement } | { kind: 'fault'; fault: EPrescriptionFault };

/** The response element `<op>Reponse` (checked: CR Code 00), or the fault. */
export function parseAnswer(body: string, operation: EpOperation, httpStatus?: number): ParsedAnswer {
  let rootEl: XmlElement;
  try {
    rootEl = parseXmlTree(body);
  } catch (err) {
    throw new EPrescriptionProtocolError(`answer is not XML: ${(err as Error).message}`, httpStatus, body.slice(0, 2000));
  }
  if (rootEl.name !== 'Envelope' || rootEl.ns !== NS.soap) throw new EPrescriptionProtocolError(`answer root is {${rootEl.ns}}${rootEl.name}, not a SOAP 1.2 envelope`, httpStatus, body.slice(0, 2000));
  const soapBody = child(rootEl, 'Body', NS.soap);
  const fault = child(soapBody, 'Fault');
  if (fault) return { kind: 'fault', fault: readFault(fault, httpStatus) };
  const element = child(soapBody, `${operation}Reponse`, NS.ep);
  if (!element) throw new EPrescriptionProtocolError(`SOAP Body holds neither ${operation}Reponse nor a Fault`, httpStatus, body.slice(0, 2000));
  const cr = txt(child(element, 'CR'), 'Code');
  if (cr !== '00') throw new EPrescriptionProtocolError(`${operation}Reponse with CR "${cr ?? ''}" (expected 00)`, httpStatus, body.slice(0, 2000));
  return { kind: 'response', element };
}

export const readers = {
  creer: (el: XmlElement) => ({ identifiant: need(txt(el, 'Identifiant'), 'Identifiant'), dateEnregistrement: need(txt(el, 'DateEnregistrement'), 'DateEnregistrement') }),
  consulter: (el: XmlElement) => ({
    prescription: readEPrescription(need(child(el, 'EPrescription'), 'EPrescription')),
    statut: need(txt(el, 'Statut'), 'Statut') as EpStatut,
    etatsLignes: childrenNamed(el, 'EtatLigne').map(
      (s): EpLineState => ({ numero: Number(s.attrs.Numero), quantiteDelivree: num(s, 'QuantiteDelivree') ?? 0, quantiteRestante: num(s, 'QuantiteRestante') ?? 0 }),
    ),
    executions: childrenNamed(el, 'Execution').map(readRecordedExecution),
  }),
  rechercher: (el: XmlElement) => ({
    resultats: childrenNamed(el, 'Resultat').map(
      (r): EpSearchResult => ({
        identifiant: need(txt(r, 'Identifiant'), 'Resultat/Identifiant'),
        dateRedaction: txt(r, 'DateRedaction') ?? '',
        statut: (txt(r, 'Statut') ?? '') as EpStatut,
        rppsPrescripteur: txt(r, 'RPPSPrescripteur') ?? '',
        nombreLignes: num(r, 'NombreLignes') ?? 0,
      }),
    ),
  }),
  transmettreExecution: (el: XmlElement) => ({ numeroExecution: need(num(el, 'NumeroExecution'), 'NumeroExecution'), statut: need(txt(el, 'Statut'), 'Statut') as EpStatut }),
  annuler: (el: XmlElement) => ({ statut: need(txt(el, 'Statut'), 'Statut') as EpStatut }),
};
