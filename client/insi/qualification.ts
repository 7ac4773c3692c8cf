/**
 * Compares a local patient record with an INSi answer (or a scanned INS datamatrix):
 * an exact match after RNIV normalisation allows "1-click qualification"; otherwise the
 * LGC shows a field-by-field discrepancy report.
 *
 * Match rule (insi.md §3.5, §5): birth name equal; the record's first given name is one of
 * ListePrenom's names; sex equal; birth date equal; birth place equal when both sides know it.
 */
import { toRnivTrait } from '../../fixtures/rniv.js';
import { applyIdentityEvent, canCallInsi, type IdentityAttribute, type IdentityStatus } from './identity.js';
import type { InsIdentifier, InsiIndividu } from './response.js';

/** A patient as the LGC holds it: display forms, possibly accented or lower case. */
export interface LocalPatientRecord {
  id: string;
  birthName: string;
  usedName?: string;
  /** Given names in civil order (or one space-separated string). */
  firstNames: string[] | string;
  sex: 'M' | 'F';
  /** YYYY-MM-DD ("00" for unknown parts). */
  birthDate: string;
  birthPlaceCog?: string;
  status: IdentityStatus;
  attributes: IdentityAttribute[];
  /** INS held by the record (matricule 15 characters + OID), when any. */
  ins?: { matricule: string; oid: string };
  /** ISO date of the last INSi verification. */
  lastVerifiedAt?: string;
  /** Where the traits came from: SM manual, CV Vitale, INSI, CB datamatrix (FR Core). */
  traitsSource?: 'SM' | 'CV' | 'INSI' | 'CB' | 'AV';
}

export type DiscrepancyKind = 'accent' | 'spelling' | 'order' | 'missing' | 'different' | 'ins-changed';

export interface Discrepancy {
  field: 'birthName' | 'firstNames' | 'sex' | 'birthDate' | 'birthPlace' | 'ins';
  local: string;
  insi: string;
  kind: DiscrepancyKind;
  /** A blocking discrepancy forbids 1-click qualification; the others are shown and fixed by taking INSi's value. */
  blocking: boolean;
  message: string;
}

export interface QualifiedRecord extends LocalPatientRecord {
  /** Strict RNIV traits from INSi. */
  birthName: string;
  firstNames: string[];
  ins: { matricule: string; oid: string };
  /** INSHISTO as returned (matricule + OID). */
  insHistory: { matricule: string; oid: string }[];
  traitsSource: 'INSI';
}

export type QualificationOutcome =
  | { match: 'exact'; record: QualifiedRecord; discrepancies: Discrepancy[]; insChanged: boolean }
  | { match: 'discrepancies'; discrepancies: Discrepancy[]; insChanged: boolean };

function namesOf(v: string[] | string): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((n) => toRnivTrait(n).split(' ')).filter((n) => n !== '');
}

/** Upper case, trimmed, spaces squeezed, accents kept: what the user typed, for "accent only" detection. */
function upper(v: string): string {
  return v.trim().replace(/\s+/g, ' ').toUpperCase().replace(/[\u2018\u2019]/g, "'");
}

function stripSeparators(v: string): string {
  return v.replace(/[ '-]/g, '');
}

/** Levenshtein distance (small strings only). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

function compareName(field: 'birthName', localRaw: string, insi: string): Discrepancy | undefined {
  const local = toRnivTrait(localRaw);
  if (local === insi) {
    if (upper(localRaw) !== insi) {
      return { field, local: localRaw, insi, kind: 'accent', blocking: false, message: 'same name once accents, case and punctuation are normalised' };
    }
    return undefined;
  }
  if (stripSeparators(local) === stripSeparators(insi)) {
    return { field, local: localRaw, insi, kind: 'spelling', blocking: true, message: 'the separators (space, hyphen, apostrophe) differ' };
  }
  if (editDistance(local, insi) <= 2) return { field, local: localRaw, insi, kind: 'spelling', blocking: true, message: 'spelling differs' };
  return { field, local: localRaw, insi, kind: 'different', blocking: true, message: 'different birth name' };
}

function compareFirstNames(localRaw: string[] | string, listePrenom: string): Discrepancy[] {
  const local = namesOf(localRaw);
  const insi = listePrenom.split(' ').filter((n) => n !== '');
  const localText = Array.isArray(localRaw) ? localRaw.join(' ') : localRaw;
  const out: Discrepancy[] = [];
  const first = local[0];
  if (!first) return [{ field: 'firstNames', local: '', insi: listePrenom, kind: 'missing', blocking: true, message: 'the record has no first name' }];
  if (!insi.includes(first)) {
    const close = insi.find((n) => editDistance(n, first) <= 2 || stripSeparators(n) === stripSeparators(first));
    return [
      close
        ? { field: 'firstNames', local: localText, insi: listePrenom, kind: 'spelling', blocking: true, message: `first name ${first} is spelled ${close} by INSi` }
        : { field: 'firstNames', local: localText, insi: listePrenom, kind: 'different', blocking: true, message: `first name ${first} is not in INSi's ListePrenom` },
    ];
  }
  const extra = local.filter((n) => !insi.includes(n));
  if (extra.length > 0) {
    out.push({ field: 'firstNames', local: localText, insi: listePrenom, kind: 'different', blocking: true, message: `INSi does not know the given name(s) ${extra.join(', ')}` });
    return out;
  }
  const sameSet = local.length === insi.length && local.every((n) => insi.includes(n));
  if (sameSet && local.join(' ') !== insi.join(' ')) {
    out.push({ field: 'firstNames', local: localText, insi: listePrenom, kind: 'order', blocking: false, message: 'same given names in another order: INSi order is the civil-status order' });
  } else if (local.length < insi.length) {
    const orderKept = local.every((n, i) => i === 0 || insi.indexOf(n) > insi.indexOf(local[i - 1]!));
    out.push({
      field: 'firstNames',
      local: localText,
      insi: listePrenom,
      kind: orderKept ? 'missing' : 'order',
      blocking: false,
      message: `the record lacks ${insi.filter((n) => !local.includes(n)).join(', ')}: ListePrenom will be completed`,
    });
  } else if (upper(localText) !== local.join(' ')) {
    out.push({ field: 'firstNames', local: localText, insi: listePrenom, kind: 'accent', blocking: false, message: 'same given names once accents and case are normalised' });
  }
  return out;
}

function compareDate(local: string, insi: string): Discrepancy | undefined {
  if (local === insi) return undefined;
  const [ly, lm, ld] = local.split('-');
  const [iy, im, id] = insi.split('-');
  if (ly === iy && lm === id && ld === im) return { field: 'birthDate', local, insi, kind: 'order', blocking: true, message: 'day and month are swapped' };
  if (editDistance(local, insi) === 1) return { field: 'birthDate', local, insi, kind: 'spelling', blocking: true, message: 'one digit differs' };
  return { field: 'birthDate', local, insi, kind: 'different', blocking: true, message: 'different birth date' };
}

function comparePlace(local: string | undefined, insi: string | undefined): Discrepancy | undefined {
  const l = local?.trim().toUpperCase() || undefined;
  if (!insi) return undefined;
  if (!l) return { field: 'birthPlace', local: '', insi, kind: 'missing', blocking: false, message: 'the record has no birth place: INSi COG will be stored' };
  if (l === insi) return undefined;
  return { field: 'birthPlace', local: l, insi, kind: 'different', blocking: true, message: 'different birth place (COG)' };
}

function compareIns(local: LocalPatientRecord['ins'], actif: InsIdentifier, histo: InsIdentifier[]): { d?: Discrepancy; changed: boolean } {
  if (!local?.matricule) return { changed: false };
  const m = local.matricule.replace(/\s+/g, '').toUpperCase();
  if (m === actif.matricule && (!local.oid || local.oid === actif.oid)) return { changed: false };
  if (m === actif.matricule) {
    return { changed: true, d: { field: 'ins', local: `${m} (${local.oid})`, insi: `${actif.matricule} (${actif.oid})`, kind: 'ins-changed', blocking: false, message: 'INS OID changed' } };
  }
  if (histo.some((h) => h.matricule === m)) {
    return {
      changed: true,
      d: { field: 'ins', local: m, insi: actif.matricule, kind: 'ins-changed', blocking: false, message: 'INS changed: the record\'s INS is in INSi\'s history (INSHISTO); the active INS replaces it' },
    };
  }
  return { changed: false, d: { field: 'ins', local: m, insi: actif.matricule, kind: 'different', blocking: true, message: 'the record holds another INS, unknown to INSi for this person' } };
}

/** Field-by-field comparison of a record with the traits and INS INSi returned. */
export function compareWithInsi(local: LocalPatientRecord, individu: InsiIndividu): { discrepancies: Discrepancy[]; insChanged: boolean } {
  const { tiq } = individu;
  const discrepancies: Discrepancy[] = [];
  const push = (d: Discrepancy | undefined) => {
    if (d) discrepancies.push(d);
  };
  push(compareName('birthName', local.birthName, tiq.nomNaissance));
  discrepancies.push(...compareFirstNames(local.firstNames, tiq.listePrenom));
  if (local.sex !== tiq.sexe) discrepancies.push({ field: 'sex', local: local.sex, insi: tiq.sexe, kind: 'different', blocking: true, message: 'different sex' });
  push(compareDate(local.birthDate, tiq.dateNaissance));
  push(comparePlace(local.birthPlaceCog, tiq.lieuNaissance));
  const ins = compareIns(local.ins, individu.insActif, individu.insHisto);
  push(ins.d);
  return { discrepancies, insChanged: ins.changed };
}

/**
 * 1-click qualification: on an exact match (no blocking discrepancy), the record takes INSi's
 * traits, INS, OID and ListePrenom, and its status moves by the "INSi retrieval" transition
 * (PROV→RECUP, VALI→QUAL). DOUT/FICT records are never qualified.
 */
export function qualify(local: LocalPatientRecord, individu: InsiIndividu, opts: { now?: Date } = {}): QualificationOutcome {
  const { discrepancies, insChanged } = compareWithInsi(local, individu);
  const verdict = canCallInsi(local);
  if (!verdict.allowed) {
    discrepancies.push({ field: 'ins', local: local.attributes.join(','), insi: individu.insActif.matricule, kind: 'different', blocking: true, message: verdict.reason });
  }
  if (discrepancies.some((d) => d.blocking)) return { match: 'discrepancies', discrepancies, insChanged };
  const { tiq, insActif } = individu;
  const next = applyIdentityEvent({ status: local.status, attributes: local.attributes }, { type: 'insi-retrieved' });
  const record: QualifiedRecord = {
    ...local,
    birthName: tiq.nomNaissance,
    firstNames: tiq.listePrenom.split(' ').filter((n) => n !== ''),
    sex: tiq.sexe as 'M' | 'F',
    birthDate: tiq.dateNaissance,
    status: next.status,
    attributes: next.attributes,
    ins: { matricule: insActif.matricule, oid: insActif.oid },
    insHistory: individu.insHisto.map((h) => ({ matricule: h.matricule, oid: h.oid })),
    lastVerifiedAt: (opts.now ?? new Date()).toISOString(),
    traitsSource: 'INSI',
  };
  if (tiq.lieuNaissance) record.birthPlaceCog = tiq.lieuNaissance;
  return { match: 'exact', record, discrepancies, insChanged };
}
