/**
 * The ePrescription wire codec: every element name of the contract (README) is here. Requests are parsed in
 * one strict, namespace-aware pass (simulators/core/xml/tree.ts) and checked for form (missing or ill-formed
 * fields → ep_400, identifier → ep_401); responses are built as strings. Business rules are in rules.ts.
 */
import { isValidCip13, isValidUcd13, LINE_KINDS } from '../../fixtures/prescriptions.js';
import { escapeXml as esc } from '../core/xml/escape.js';
import { child, childText, parseXml, XmlSyntaxError, type XmlEl } from '../core/xml/tree.js';
import { actionOf, EXECUTION_MODES, INS_OIDS, NS, OPERATIONS, STATUTS, type EpOperation, type ExecutionMode, type Statut } from './constants.js';
import { badRequestFault, type FaultSpec } from './faults.js';
import {
  LINE_FLAGS,
  type EpExecutedLine,
  type EpExecution,
  type EpLine,
  type EpPatient,
  type EPrescription,
  type EpProduit,
  type EpProfessional,
  type LineFlag,
  type LineState,
  type PrescriptionRecord,
  type SearchCriteria,
  type SearchResult,
} from './model.js';

// ---------------------------------------------------------------------------------------------------------
// Requests

export interface LpsContext {
  idam?: string;
  version?: string;
  id?: string;
  temps?: string;
  emetteur?: string;
}

interface RequestBase {
  /** How the operation was found: body root (normal) or wsa:Action (fallback, warned). */
  dispatch: 'body' | 'action';
  bodyRoot: string;
  action?: string;
  messageId?: string;
  lps?: LpsContext;
  bamPresent: boolean;
  security?: XmlEl;
  /** Form problems (ep_400), listed in the fault detail. */
  problems: string[];
  /** Set when an identifier is present but not 18 × [0-9A-Z] (ep_401). */
  badIdentifier?: string;
  /** Non-blocking remarks for the journal. */
  warnings: string[];
}

export type EpRequest = RequestBase &
  (
    | { operation: 'ep4_creer'; prescription: EPrescription; allocate: boolean }
    | { operation: 'ep3_consulter'; identifiant: string; executant?: EpProfessional; prescripteur?: EpProfessional }
    | { operation: 'ep2_rechercher'; executant?: EpProfessional; prescripteur?: EpProfessional; critere: SearchCriteria }
    | { operation: 'ep1_transmettreExecution'; identifiant: string; executant?: EpProfessional; execution: EpExecution }
    | { operation: 'ep7_annuler'; identifiant: string; prescripteur?: EpProfessional; motif?: string }
  );

export type ParseResult = { ok: true; request: EpRequest } | { ok: false; fault: FaultSpec; messageId?: string };

const IDENTIFIER = /^[0-9A-Z]{18}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const RPPS = /^\d{11}$/;
const NUMERO_AM = /^\d{9}$/;
const FINESS = /^\d[0-9AB]\d{7}$/;
const INS_MATRICULE = /^\d{6}[0-9AB]\d{8}$/;
const LPP = /^\d{7}$/;
const INTEGER = /^\d{1,9}$/;
const MAX_NAME = 100;

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar date `YYYY-MM-DD` (checked by hand: no Date object per field on the create path). */
export function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const y = Number(value.slice(0, 4));
  const m = Number(value.slice(5, 7));
  const d = Number(value.slice(8, 10));
  if (m < 1 || m > 12 || d < 1 || d > DAYS[m - 1]!) return false;
  return m !== 2 || d < 29 || (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
}

/** Reads the fields of one body element, collecting form problems as it goes. */
class Reader {
  constructor(
    readonly problems: string[],
    readonly warnings: string[],
  ) {}

  text(el: XmlEl | undefined, name: string, path: string, required: boolean): string | undefined {
    const value = childText(el, name);
    if (value === undefined || value === '') {
      if (required) this.problems.push(`${path}/${name} est absent`);
      return undefined;
    }
    return value;
  }

  date(el: XmlEl | undefined, name: string, path: string, required: boolean): string | undefined {
    const value = this.text(el, name, path, required);
    if (value !== undefined && !isDate(value)) this.problems.push(`${path}/${name} "${value}" n'est pas une date AAAA-MM-JJ`);
    return value;
  }

  int(el: XmlEl | undefined, name: string, path: string, required: boolean, min = 0): number | undefined {
    const value = this.text(el, name, path, required);
    if (value === undefined) return undefined;
    if (!INTEGER.test(value) || Number(value) < min) {
      this.problems.push(`${path}/${name} "${value}" n'est pas un entier ≥ ${min}`);
      return undefined;
    }
    return Number(value);
  }

  bool(el: XmlEl | undefined, name: string, path: string): boolean | undefined {
    const value = this.text(el, name, path, false);
    if (value === undefined) return undefined;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    this.problems.push(`${path}/${name} "${value}" n'est pas true ou false`);
    return undefined;
  }

  name(el: XmlEl | undefined, name: string, path: string, required: boolean): string | undefined {
    const value = this.text(el, name, path, required);
    if (value !== undefined && value.length > MAX_NAME) this.problems.push(`${path}/${name} dépasse ${MAX_NAME} caractères (EF_EP04.01)`);
    return value;
  }

  match(el: XmlEl | undefined, name: string, path: string, required: boolean, re: RegExp, what: string): string | undefined {
    const value = this.text(el, name, path, required);
    if (value !== undefined && !re.test(value)) this.problems.push(`${path}/${name} "${value}" : ${what} attendu`);
    return value;
  }

  ins(el: XmlEl | undefined, path: string): EpPatient['ins'] {
    const ins = child(el, 'INS');
    if (!ins) return undefined;
    const p = `${path}/INS`;
    const matricule = this.match(ins, 'Matricule', p, true, INS_MATRICULE, '15 caractères (13 + clé, sans espace)');
    const oid = this.text(ins, 'OID', p, true);
    if (oid !== undefined && !(INS_OIDS as readonly string[]).includes(oid)) this.problems.push(`${p}/OID "${oid}" : ${INS_OIDS.join(', ')} attendu`);
    return matricule && oid ? { matricule, oid } : undefined;
  }

  patient(el: XmlEl | undefined, path: string): EpPatient {
    if (!el) this.problems.push(`${path} est absent`);
    const sexe = this.text(el, 'Sexe', path, true);
    if (sexe !== undefined && sexe !== 'M' && sexe !== 'F') this.problems.push(`${path}/Sexe "${sexe}" : M ou F attendu`);
    return strip({
      ins: this.ins(el, path),
      nomNaissance: this.name(el, 'NomNaissance', path, true) ?? '',
      nomUtilise: this.name(el, 'NomUtilise', path, false),
      prenom: this.name(el, 'Prenom', path, true) ?? '',
      dateNaissance: this.date(el, 'DateNaissance', path, true) ?? '',
      sexe: sexe ?? '',
    });
  }

  rpps(el: XmlEl | undefined, path: string, required: boolean): string | undefined {
    const value = this.text(el, 'RPPS', path, required);
    if (value === undefined) return undefined;
    // An idNat ("8" + RPPS) is tolerated and stripped: LGCs often keep only that form.
    if (/^8\d{11}$/.test(value)) {
      this.warnings.push(`${path}/RPPS "${value}" is an idNat (8 + RPPS): the contract says 11 digits; read as ${value.slice(1)}`);
      return value.slice(1);
    }
    if (!RPPS.test(value)) this.problems.push(`${path}/RPPS "${value}" : 11 chiffres attendus`);
    return value;
  }

  prescripteur(el: XmlEl | undefined, path: string): EpProfessional {
    if (!el) {
      this.problems.push(`${path} est absent`);
      return {};
    }
    return strip({
      rpps: this.rpps(el, path, true),
      nom: this.name(el, 'Nom', path, true),
      prenom: this.name(el, 'Prenom', path, true),
      profession: this.text(el, 'Profession', path, true),
      specialite: this.text(el, 'Specialite', path, false),
      numeroAM: this.match(el, 'NumeroAM', path, true, NUMERO_AM, '9 chiffres'),
      finess: this.match(el, 'FINESS', path, false, FINESS, 'un FINESS de 9 caractères'),
    });
  }

  executant(el: XmlEl, path: string): EpProfessional {
    const pro = strip({
      rpps: this.rpps(el, path, false),
      nom: this.name(el, 'Nom', path, false),
      prenom: this.name(el, 'Prenom', path, false),
      profession: this.text(el, 'Profession', path, true),
      specialite: this.text(el, 'Specialite', path, false),
      numeroAM: this.match(el, 'NumeroAM', path, false, NUMERO_AM, '9 chiffres'),
      finess: this.match(el, 'FINESS', path, false, FINESS, 'un FINESS de 9 caractères'),
    });
    if (!pro.numeroAM && !pro.finess) this.problems.push(`${path} : NumeroAM ou FINESS est obligatoire (EF_EP3_E303_03)`);
    return pro;
  }

  produit(el: XmlEl | undefined, path: string, kind: string | undefined): EpProduit | undefined {
    if (!el) return undefined;
    const cip13 = this.text(el, 'CIP13', path, false);
    const ucd13 = this.text(el, 'UCD13', path, false);
    const lpp = this.text(el, 'LPP', path, false);
    if (cip13 !== undefined && !isValidCip13(cip13)) this.problems.push(`${path}/CIP13 "${cip13}" : CIP13 (34009 + 7 chiffres + clé EAN-13) attendu`);
    if (ucd13 !== undefined && !isValidUcd13(ucd13)) this.problems.push(`${path}/UCD13 "${ucd13}" : UCD13 (34008 + 7 chiffres + clé EAN-13) attendu`);
    if (lpp !== undefined && !LPP.test(lpp)) this.problems.push(`${path}/LPP "${lpp}" : 7 chiffres attendus`);
    if (kind === 'medicament' && !cip13 && !ucd13) this.problems.push(`${path} : CIP13 ou UCD13 attendu pour un médicament`);
    if (kind === 'dispositifMedical' && !lpp) this.problems.push(`${path} : LPP attendu pour un dispositif médical`);
    return strip({ cip13, ucd13, lpp, libelle: this.text(el, 'Libelle', path, true) ?? '' });
  }

  ligne(el: XmlEl, index: number): EpLine {
    const numero = el.attrs.Numero;
    const path = `Ligne[${numero ?? index + 1}]`;
    if (numero === undefined || !INTEGER.test(numero) || Number(numero) < 1) this.problems.push(`${path}/@Numero "${numero ?? ''}" : entier ≥ 1 attendu`);
    const type = el.attrs.Type;
    if (!type || !(LINE_KINDS as readonly string[]).includes(type)) this.problems.push(`${path}/@Type "${type ?? ''}" : un de ${LINE_KINDS.join(', ')} attendu`);
    const isProduct = type === 'medicament' || type === 'dispositifMedical';
    const produitEl = child(el, 'Produit');
    const acteEl = child(el, 'Acte');
    let acte: EpLine['acte'];
    if (isProduct && !produitEl) this.problems.push(`${path}/Produit est absent`);
    if (!isProduct && type && !acteEl) this.problems.push(`${path}/Acte est absent`);
    if (acteEl) acte = { code: this.text(acteEl, 'Code', `${path}/Acte`, true) ?? '', libelle: this.text(acteEl, 'Libelle', `${path}/Acte`, true) ?? '' };
    const line: EpLine = {
      numero: Number(numero),
      type: type ?? '',
      produit: this.produit(produitEl, `${path}/Produit`, type),
      acte,
      posologie: this.text(el, 'Posologie', path, false),
      dureeJours: this.int(el, 'DureeJours', path, false, 1),
      quantite: this.int(el, 'Quantite', path, true, 1) ?? 0,
      dureeLocationJours: this.int(el, 'DureeLocationJours', path, false, 1),
      renouvellements: this.int(el, 'Renouvellements', path, false, 0),
    };
    for (const flag of LINE_FLAGS) line[flag] = this.bool(el, FLAG_ELEMENTS[flag], path);
    return strip(line);
  }

  prescription(el: XmlEl | undefined): { prescription: EPrescription; allocate: boolean; badIdentifier?: string } {
    const path = 'EPrescription';
    if (!el) this.problems.push(`${path} est absent`);
    const identifiant = this.text(el, 'Identifiant', path, false);
    const lignes: EpLine[] = [];
    const sousTypes: string[] = [];
    for (const c of el?.children ?? []) {
      if (c.name === 'Ligne') lignes.push(this.ligne(c, lignes.length));
      else if (c.name === 'SousType' && c.text) sousTypes.push(c.text);
    }
    if (el && lignes.length === 0) this.problems.push(`${path} : au moins une Ligne est attendue`);
    const numbers = lignes.map((l) => l.numero).sort((a, b) => a - b);
    if (lignes.length && numbers.some((n, i) => n !== i + 1)) this.problems.push(`${path} : les lignes doivent être numérotées de 1 à ${lignes.length} (reçu ${numbers.join(', ')})`);
    lignes.sort((a, b) => a.numero - b.numero);
    const remplaceEl = child(el, 'Remplace');
    const prescription: EPrescription = strip({
      identifiant: identifiant ?? '',
      dateRedaction: this.date(el, 'DateRedaction', path, true) ?? '',
      debutValidite: this.date(el, 'DebutValidite', path, true) ?? '',
      finValidite: this.date(el, 'FinValidite', path, false),
      dateExecutionSouhaitee: this.date(el, 'DateExecutionSouhaitee', path, false),
      patient: this.patient(child(el, 'Patient'), `${path}/Patient`),
      prescripteur: this.prescripteur(child(el, 'Prescripteur'), `${path}/Prescripteur`),
      remplace: remplaceEl ? this.prescripteur(remplaceEl, `${path}/Remplace`) : undefined,
      oppositionConsultationExecution: this.bool(el, 'OppositionConsultationExecution', path),
      sousTypes,
      lignes,
    });
    const p = prescription;
    if (p.finValidite && p.debutValidite && p.finValidite < p.debutValidite) this.problems.push(`${path}/FinValidite ${p.finValidite} précède DebutValidite ${p.debutValidite}`);
    return { prescription, allocate: identifiant === undefined, badIdentifier: identifiant !== undefined && !IDENTIFIER.test(identifiant) ? identifiant : undefined };
  }

  execution(el: XmlEl | undefined): EpExecution {
    const path = 'Execution';
    if (!el) this.problems.push(`${path} est absent`);
    const lignes: EpExecutedLine[] = [];
    for (const c of el?.children ?? []) {
      if (c.name !== 'LigneExecutee') continue;
      const numero = c.attrs.Numero;
      const p = `${path}/LigneExecutee[${numero ?? lignes.length + 1}]`;
      if (numero === undefined || !INTEGER.test(numero)) this.problems.push(`${p}/@Numero "${numero ?? ''}" : entier attendu`);
      const mode = this.text(c, 'Mode', p, true);
      if (mode !== undefined && !(EXECUTION_MODES as readonly string[]).includes(mode)) this.problems.push(`${p}/Mode "${mode}" : un de ${EXECUTION_MODES.join(', ')} attendu`);
      const produitEl = child(c, 'ProduitDelivre');
      lignes.push(
        strip({
          numero: Number(numero),
          mode: (mode ?? 'CONFORME') as ExecutionMode,
          quantite: this.int(c, 'Quantite', p, mode !== 'NON_DELIVREE', 0) ?? 0,
          produitDelivre: produitEl ? this.produit(produitEl, `${p}/ProduitDelivre`, undefined) : undefined,
          motif: this.text(c, 'Motif', p, false),
          dateAccordPrescripteur: this.date(c, 'DateAccordPrescripteur', p, false),
        }),
      );
    }
    if (el && lignes.length === 0) this.problems.push(`${path} : au moins une LigneExecutee est attendue`);
    const seen = new Set<number>();
    for (const l of lignes) {
      if (seen.has(l.numero)) this.problems.push(`${path} : la ligne ${l.numero} apparaît deux fois`);
      seen.add(l.numero);
    }
    return { dateExecution: this.date(el, 'DateExecution', path, true) ?? '', lignes };
  }

  critere(el: XmlEl | undefined): SearchCriteria {
    const path = 'Critere';
    const statut = this.text(el, 'Statut', path, false);
    if (statut !== undefined && !(STATUTS as readonly string[]).includes(statut)) this.problems.push(`${path}/Statut "${statut}" : un de ${STATUTS.join(', ')} attendu`);
    return strip({
      ins: this.ins(el, path),
      nomNaissance: this.text(el, 'NomNaissance', path, false),
      prenom: this.text(el, 'Prenom', path, false),
      dateNaissance: this.date(el, 'DateNaissance', path, false),
      identifiant: this.text(el, 'Identifiant', path, false),
      dateDebut: this.date(el, 'DateDebut', path, false),
      dateFin: this.date(el, 'DateFin', path, false),
      statut: statut as Statut | undefined,
    });
  }
}

const FLAG_ELEMENTS: Record<LineFlag, string> = {
  substituable: 'Substituable',
  stupefiant: 'Stupefiant',
  exception: 'Exception',
  ald: 'ALD',
  atmp: 'ATMP',
  domicile: 'Domicile',
  urgent: 'Urgent',
  prevention: 'Prevention',
  nonRemboursable: 'NonRemboursable',
  horsAMM: 'HorsAMM',
};

/**
 * Marks where absent fields may be undefined. Nothing is deleted: JSON.stringify (the store) drops undefined
 * fields and the response builders skip them, and `delete` would turn every object into a slow dictionary.
 */
function strip<T extends object>(o: T): T {
  return o;
}

const BODY_ROOTS = new Map<string, EpOperation>(OPERATIONS.map((op) => [`{${NS.ep}}${op}`, op]));

/** Parses an ePrescription request envelope; every failure is a fault to answer, never an exception. */
export function parseRequest(text: string): ParseResult {
  if (text.trim() === '') return { ok: false, fault: badRequestFault('Requête vide : une enveloppe SOAP 1.2 est attendue.') };
  let root: XmlEl;
  try {
    root = parseXml(text);
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    if (err.reason === 'doctype') return { ok: false, fault: badRequestFault('Les déclarations DOCTYPE/ENTITY sont interdites dans une requête SOAP.') };
    return { ok: false, fault: badRequestFault(`XML mal formé : ${err.message} (ligne ${err.line}, colonne ${err.column}).`) };
  }
  if (root.name !== 'Envelope') return { ok: false, fault: badRequestFault('Le corps de la requête n\'est pas une enveloppe SOAP.') };
  if (root.ns !== NS.soap12) {
    const what = root.ns === NS.soap11 ? 'Version SOAP non supportée' : `Enveloppe dans un espace de noms inconnu "${root.ns}"`;
    return { ok: false, fault: badRequestFault(`${what} : le service attend SOAP 1.2 (${NS.soap12}).`, 500, 'VersionMismatch') };
  }
  const base: Omit<RequestBase, 'dispatch' | 'bodyRoot'> = { bamPresent: false, problems: [], warnings: [] };
  for (const h of child(root, 'Header', NS.soap12)?.children ?? []) {
    if (h.ns === NS.wsa && h.name === 'Action') base.action = h.text;
    else if (h.ns === NS.wsa && h.name === 'MessageID') base.messageId = h.text;
    else if (h.ns === NS.wsse && h.name === 'Security') base.security = h;
    else if (h.ns === NS.ctxlps && h.name === 'ContexteLPS') {
      const lps = child(h, 'LPS');
      base.lps = strip({ idam: childText(lps, 'IDAM'), version: h.attrs.Version, id: childText(h, 'Id'), temps: childText(h, 'Temps'), emetteur: childText(h, 'Emetteur') });
    } else if (h.ns === NS.ctxbam && h.name === 'ContexteBAM') base.bamPresent = true;
  }
  const messageId = base.messageId;
  const body = child(root, 'Body', NS.soap12);
  if (!body) return { ok: false, fault: badRequestFault('Enveloppe SOAP sans élément Body.'), messageId };
  const op = body.children[0];
  if (!op) return { ok: false, fault: badRequestFault(`Body SOAP vide : un élément ${OPERATIONS.join(', ')} est attendu.`), messageId };
  const bodyRoot = `{${op.ns}}${op.name}`;
  let operation = BODY_ROOTS.get(bodyRoot);
  let dispatch: RequestBase['dispatch'] = 'body';
  if (!operation && base.action) {
    operation = OPERATIONS.find((o) => base.action === actionOf(o));
    dispatch = 'action';
  }
  if (!operation) return { ok: false, fault: badRequestFault(`Opération inconnue : élément ${bodyRoot} (attendu ${OPERATIONS.map((o) => `{${NS.ep}}${o}`).join(', ')}).`), messageId };

  const r = new Reader(base.problems, base.warnings);
  const head = { ...base, dispatch, bodyRoot };
  const identifier = (required: boolean) => {
    const id = r.text(op, 'Identifiant', operation, required) ?? '';
    if (id && !IDENTIFIER.test(id)) head.badIdentifier = id;
    return id;
  };
  const actor = () => {
    const ex = child(op, 'Executant');
    const pr = child(op, 'Prescripteur');
    if (ex && pr) r.problems.push(`${operation} : Executant ou Prescripteur, pas les deux`);
    if (!ex && !pr) r.problems.push(`${operation} : Executant ou Prescripteur est attendu`);
    return { executant: ex ? r.executant(ex, 'Executant') : undefined, prescripteur: pr ? r.prescripteur(pr, 'Prescripteur') : undefined };
  };
  let request: EpRequest;
  switch (operation) {
    case 'ep4_creer': {
      const { prescription, allocate, badIdentifier } = r.prescription(child(op, 'EPrescription'));
      if (badIdentifier) head.badIdentifier = badIdentifier;
      request = { ...head, operation, prescription, allocate };
      break;
    }
    case 'ep3_consulter':
      request = { ...head, operation, identifiant: identifier(true), ...strip(actor()) };
      break;
    case 'ep2_rechercher':
      request = { ...head, operation, ...strip(actor()), critere: r.critere(child(op, 'Critere')) };
      break;
    case 'ep1_transmettreExecution': {
      const identifiant = identifier(true);
      const ex = child(op, 'Executant');
      if (!ex) r.problems.push('Executant est absent');
      request = strip({ ...head, operation, identifiant, executant: ex ? r.executant(ex, 'Executant') : undefined, execution: r.execution(child(op, 'Execution')) });
      break;
    }
    case 'ep7_annuler': {
      const identifiant = identifier(true);
      const pr = child(op, 'Prescripteur');
      request = strip({ ...head, operation, identifiant, prescripteur: r.prescripteur(pr, 'Prescripteur'), motif: r.text(op, 'Motif', operation, false) });
      break;
    }
  }
  return { ok: true, request };
}

// ---------------------------------------------------------------------------------------------------------
// Responses

const HEAD = `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${NS.soap12}"><soap:Body>`;
const CR_OK = '<ep:CR><ep:Code>00</ep:Code><ep:Libelle>OK</ep:Libelle></ep:CR>';

function envelope(op: EpOperation, inner: string): string {
  return `${HEAD}<ep:${op}Reponse xmlns:ep="${NS.ep}">${CR_OK}${inner}</ep:${op}Reponse></soap:Body></soap:Envelope>`;
}

const el = (name: string, value: string | number | boolean | undefined): string => (value === undefined || value === '' ? '' : `<ep:${name}>${typeof value === 'string' ? esc(value) : String(value)}</ep:${name}>`);

function patientXml(p: EpPatient): string {
  const ins = p.ins ? `<ep:INS>${el('Matricule', p.ins.matricule)}${el('OID', p.ins.oid)}</ep:INS>` : '';
  return `<ep:Patient>${ins}${el('NomNaissance', p.nomNaissance)}${el('NomUtilise', p.nomUtilise)}${el('Prenom', p.prenom)}${el('DateNaissance', p.dateNaissance)}${el('Sexe', p.sexe)}</ep:Patient>`;
}

function professionalXml(tag: string, p: EpProfessional): string {
  return `<ep:${tag}>${el('RPPS', p.rpps)}${el('Nom', p.nom)}${el('Prenom', p.prenom)}${el('Profession', p.profession)}${el('Specialite', p.specialite)}${el('NumeroAM', p.numeroAM)}${el('FINESS', p.finess)}</ep:${tag}>`;
}

function produitXml(tag: string, p: EpProduit | undefined): string {
  return p ? `<ep:${tag}>${el('CIP13', p.cip13)}${el('UCD13', p.ucd13)}${el('LPP', p.lpp)}${el('Libelle', p.libelle)}</ep:${tag}>` : '';
}

function ligneXml(l: EpLine): string {
  let xml = `<ep:Ligne Numero="${l.numero}" Type="${esc(l.type)}">${produitXml('Produit', l.produit)}`;
  if (l.acte) xml += `<ep:Acte>${el('Code', l.acte.code)}${el('Libelle', l.acte.libelle)}</ep:Acte>`;
  xml += el('Posologie', l.posologie) + el('DureeJours', l.dureeJours) + el('Quantite', l.quantite) + el('DureeLocationJours', l.dureeLocationJours) + el('Renouvellements', l.renouvellements);
  for (const flag of LINE_FLAGS) xml += el(FLAG_ELEMENTS[flag], l[flag]);
  return `${xml}</ep:Ligne>`;
}

export function eprescriptionXml(p: EPrescription): string {
  return (
    `<ep:EPrescription>${el('Identifiant', p.identifiant)}${el('DateRedaction', p.dateRedaction)}${el('DebutValidite', p.debutValidite)}${el('FinValidite', p.finValidite)}` +
    `${el('DateExecutionSouhaitee', p.dateExecutionSouhaitee)}${patientXml(p.patient)}${professionalXml('Prescripteur', p.prescripteur)}` +
    `${p.remplace ? professionalXml('Remplace', p.remplace) : ''}${el('OppositionConsultationExecution', p.oppositionConsultationExecution)}` +
    `${p.sousTypes.map((s) => el('SousType', s)).join('')}${p.lignes.map(ligneXml).join('')}</ep:EPrescription>`
  );
}

export function ep4Response(identifiant: string, dateEnregistrement: string): string {
  return envelope('ep4_creer', el('Identifiant', identifiant) + el('DateEnregistrement', dateEnregistrement));
}

export function ep3Response(record: PrescriptionRecord, statut: Statut, states: LineState[]): string {
  let xml = eprescriptionXml(record.prescription) + el('Statut', statut);
  for (const s of states) xml += `<ep:EtatLigne Numero="${s.numero}">${el('QuantiteDelivree', s.quantiteDelivree)}${el('QuantiteRestante', s.quantiteRestante)}</ep:EtatLigne>`;
  for (const e of record.executions) {
    xml += `<ep:Execution>${el('NumeroExecution', e.numeroExecution)}${el('DateEnregistrement', e.dateEnregistrement)}${professionalXml('Executant', e.executant)}${el('DateExecution', e.dateExecution)}`;
    for (const l of e.lignes) {
      xml +=
        `<ep:LigneExecutee Numero="${l.numero}">${el('Mode', l.mode)}${el('Quantite', l.quantite)}${produitXml('ProduitDelivre', l.produitDelivre)}` +
        `${el('Motif', l.motif)}${el('DateAccordPrescripteur', l.dateAccordPrescripteur)}</ep:LigneExecutee>`;
    }
    xml += '</ep:Execution>';
  }
  return envelope('ep3_consulter', xml);
}

export function ep2Response(results: SearchResult[]): string {
  return envelope(
    'ep2_rechercher',
    results
      .map((r) => `<ep:Resultat>${el('Identifiant', r.identifiant)}${el('DateRedaction', r.dateRedaction)}${el('Statut', r.statut)}${el('RPPSPrescripteur', r.rppsPrescripteur)}${el('NombreLignes', r.nombreLignes)}</ep:Resultat>`)
      .join(''),
  );
}

export function ep1Response(numeroExecution: number, statut: Statut): string {
  return envelope('ep1_transmettreExecution', el('NumeroExecution', numeroExecution) + el('Statut', statut));
}

export function ep7Response(statut: Statut): string {
  return envelope('ep7_annuler', el('Statut', statut));
}
