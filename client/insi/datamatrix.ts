/**
 * Reading a scanned INS datamatrix (insi.md §5) into an identity the LGC can match. The scan gives
 * traits and an INS but is not an INSi retrieval: the LGC still calls INSi (traits search) before
 * the identity can move to RECUP/QUAL. The parser is the shared protocol helper of fixtures/.
 */
import { parseInsDatamatrix } from '../../fixtures/datamatrix.js';
import { nirKey } from '../../fixtures/nir.js';
import type { SearchTraits } from './envelope.js';
import { InsiInputError } from './errors.js';
import { compareWithInsi, type Discrepancy, type LocalPatientRecord } from './qualification.js';
import { INS_NIA_OID, type InsiIndividu } from './response.js';

export interface DatamatrixIdentity {
  matricule: string;
  numIdentifiant: string;
  cle: string;
  oid: string;
  kind: 'NIR' | 'NIA';
  nomNaissance: string;
  listePrenom: string;
  /** First given name (first token of ListePrenom). */
  prenom: string;
  sexe: 'M' | 'F';
  /** YYYY-MM-DD. */
  dateNaissance: string;
  lieuNaissance?: string;
  /** Whether the key matches the NIR/NIA formula (97 − N mod 97, 2A/2B substituted). */
  keyValid: boolean;
  /** FR Core "mode d'obtention" of the traits: CB = datamatrix scan. */
  source: 'CB';
}

/** Parses a scanned payload (GS or a literal `<GS>`, any field order). Throws InsiInputError when unreadable. */
export function identityFromDatamatrix(payload: string): DatamatrixIdentity {
  let parsed;
  try {
    parsed = parseInsDatamatrix(String(payload ?? ''));
  } catch (err) {
    throw new InsiInputError(`unreadable INS datamatrix: ${(err as Error).message}`, 'datamatrix');
  }
  const matricule = parsed.matricule.toUpperCase();
  const numIdentifiant = matricule.slice(0, 13);
  const cle = matricule.slice(13);
  let keyValid = false;
  try {
    keyValid = nirKey(numIdentifiant) === cle;
  } catch {
    keyValid = false;
  }
  const listePrenom = parsed.listePrenom.trim().replace(/\s+/g, ' ');
  const out: DatamatrixIdentity = {
    matricule,
    numIdentifiant,
    cle,
    oid: parsed.oid,
    kind: parsed.oid === INS_NIA_OID ? 'NIA' : 'NIR',
    nomNaissance: parsed.nomNaissance,
    listePrenom,
    prenom: listePrenom.split(' ')[0] ?? '',
    sexe: parsed.sexe,
    dateNaissance: parsed.dateNaissance,
    keyValid,
    source: 'CB',
  };
  if (parsed.lieuNaissance) out.lieuNaissance = parsed.lieuNaissance;
  return out;
}

/** Traits to verify the scanned identity with INSi (first given name, as the validated clients do). */
export function datamatrixSearchTraits(id: DatamatrixIdentity): SearchTraits {
  const t: SearchTraits = { nomNaissance: id.nomNaissance, prenom: id.prenom, sexe: id.sexe, dateNaissance: id.dateNaissance };
  if (id.lieuNaissance) t.lieuNaissance = id.lieuNaissance;
  return t;
}

/** Compares a local record with a scanned datamatrix, with the same rules as an INSi answer. */
export function compareWithDatamatrix(local: LocalPatientRecord, id: DatamatrixIdentity): { discrepancies: Discrepancy[]; insChanged: boolean } {
  const individu: InsiIndividu = {
    insActif: { numIdentifiant: id.numIdentifiant, cle: id.cle, matricule: id.matricule, oid: id.oid, kind: id.kind },
    insHisto: [],
    tiq: {
      nomNaissance: id.nomNaissance,
      prenom: id.prenom,
      listePrenom: id.listePrenom,
      sexe: id.sexe,
      dateNaissance: id.dateNaissance,
      ...(id.lieuNaissance ? { lieuNaissance: id.lieuNaissance } : {}),
    },
  };
  return compareWithInsi(local, individu);
}

/** A new local record from a scan (status PROV until INSi confirms it; traits source CB). */
export function recordFromDatamatrix(id: DatamatrixIdentity, recordId: string): LocalPatientRecord {
  const r: LocalPatientRecord = {
    id: recordId,
    birthName: id.nomNaissance,
    firstNames: id.listePrenom.split(' '),
    sex: id.sexe,
    birthDate: id.dateNaissance,
    status: 'PROV',
    attributes: [],
    traitsSource: 'CB',
  };
  if (id.lieuNaissance) r.birthPlaceCog = id.lieuNaissance;
  return r;
}
