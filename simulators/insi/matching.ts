/**
 * INSi's national base as the simulator sees it: the world's patients that have an INS plus the §6
 * personas, indexed per world (WeakMap) by normalised birth name + birth date, and by NIR for the card
 * search. Matching rules: insi.md §3.5 and §6.3 (see README "Matching").
 */
import { toRnivTrait } from '../../fixtures/rniv.js';
import type { InsIdentity, Patient, World } from '../../fixtures/types.js';
import type { TraitsQuery, VitaleQuery } from './codec.js';

export interface BaseEntry {
  /** Patient or persona id. */
  id: string;
  source: 'patient' | 'persona';
  nom: string;
  /** Normalised ListePrenom and its first token. */
  listePrenom: string;
  prenom: string;
  sexe: string;
  date: string;
  /** Null when unknown (then any searched birthplace is accepted). */
  lieu: string | null;
  ins: InsIdentity;
  patient?: Patient;
}

export interface InsiBase {
  byNameDate: Map<string, BaseEntry[]>;
  /** Active NumIdentifiant (13) → entries. */
  byNum: Map<string, BaseEntry[]>;
  /** Ouvrant droit NumIdentifiant (13) → its cards' beneficiaries as base entries, with rangNaissance. */
  byOuvrantDroit: Map<string, { entry: BaseEntry; rangNaissance: number; rang: number }[]>;
  size: number;
}

/** RNIV strict form of a searched trait (case, accents, ligatures, ’ → ', dashes, spaces). */
export function normalizeTrait(value: string | undefined): string {
  return value ? toRnivTrait(value) : '';
}

const cache = new WeakMap<World, InsiBase>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function baseOf(world: World): InsiBase {
  let base = cache.get(world);
  if (!base) {
    base = buildBase(world);
    cache.set(world, base);
  }
  return base;
}

function entryKey(nom: string, date: string): string {
  return `${nom}|${date}`;
}

function buildBase(world: World): InsiBase {
  const base: InsiBase = { byNameDate: new Map(), byNum: new Map(), byOuvrantDroit: new Map(), size: 0 };
  const seen = new Set<string>();
  const add = (e: BaseEntry) => {
    if (seen.has(e.ins.matricule)) return;
    seen.add(e.ins.matricule);
    push(base.byNameDate, entryKey(e.nom, e.date), e);
    push(base.byNum, e.ins.numIdentifiant, e);
    base.size++;
  };
  for (const p of world.personas) {
    if (!p.ins) continue;
    const t = p.ins.traits;
    const liste = normalizeTrait(t.listePrenom);
    add({ id: p.id, source: 'persona', nom: normalizeTrait(t.nomNaissance), listePrenom: liste, prenom: liste.split(' ')[0]!, sexe: t.sexe, date: t.dateNaissance, lieu: p.lieuNaissance ?? (t.lieuNaissance || null), ins: p.ins });
  }
  const byPatient = new Map<string, BaseEntry>();
  for (const p of world.patients) {
    // Fictitious identities have no INS: INSi does not know them (CR 01).
    if (!p.ins) continue;
    const t = p.ins.traits;
    const liste = normalizeTrait(t.listePrenom);
    const e: BaseEntry = { id: p.id, source: 'patient', nom: normalizeTrait(t.nomNaissance), listePrenom: liste, prenom: liste.split(' ')[0]!, sexe: t.sexe, date: t.dateNaissance, lieu: t.lieuNaissance || null, ins: p.ins, patient: p };
    byPatient.set(p.id, e);
    add(e);
  }
  for (const card of world.vitaleCards) {
    const num = card.ouvrantDroit.matricule.slice(0, 13);
    for (const b of card.beneficiaires) {
      const entry = byPatient.get(b.patientId);
      if (entry) push(base.byOuvrantDroit, num, { entry, rangNaissance: b.rangNaissance, rang: b.rang });
    }
  }
  return base;
}

/** The searched first name: the `Prenom` elements joined by a space, RNIV-normalised. */
export function searchedFirstName(prenoms: string[]): string {
  return normalizeTrait(prenoms.join(' '));
}

/**
 * `Prenom` matches the first given name or the whole ListePrenom (CNDA 2.07: CATARINA → 00, OLA → 01,
 * HOUILLES PIERRE / PIERRE PAUL JACQUES → 01 because HOUILLES is not in the base). A middle name alone
 * (BELLA for CATARINA BELLA) does not match: 01.
 */
export function firstNameMatches(entry: BaseEntry, prenom: string): boolean {
  return prenom === entry.prenom || prenom === entry.listePrenom;
}

export interface SearchOutcome {
  matches: BaseEntry[];
  /** Normalised traits actually searched. */
  searched: { nom: string; prenom: string; sexe: string; date: string; lieu: string };
}

export function searchByTraits(base: InsiBase, q: TraitsQuery): SearchOutcome {
  const searched = {
    nom: normalizeTrait(q.nomNaissance),
    prenom: searchedFirstName(q.prenoms),
    sexe: (q.sexe ?? '').trim().toUpperCase(),
    date: (q.dateNaissance ?? '').trim(),
    lieu: (q.lieuNaissance ?? '').trim().toUpperCase(),
  };
  const candidates = base.byNameDate.get(entryKey(searched.nom, searched.date)) ?? [];
  const matches = candidates.filter(
    (e) => e.sexe === searched.sexe && firstNameMatches(e, searched.prenom) && (!searched.lieu || e.lieu === null || e.lieu === searched.lieu),
  );
  return { matches, searched };
}

/**
 * Card search: the beneficiary's own NIR (MatriculeIndividu) when the card carries it; otherwise the
 * ouvrant droit's NIR + birth name + birth date (+ rang de naissance for twins).
 */
export function searchByCard(base: InsiBase, q: VitaleQuery): BaseEntry[] {
  const individu = q.matriculeIndividu?.numIdentifiant?.trim();
  const nom = normalizeTrait(q.nomNaissance);
  const date = q.dateNaissance?.trim();
  if (individu) {
    return (base.byNum.get(individu) ?? []).filter((e) => (!nom || e.nom === nom) && (!date || e.date === date));
  }
  const od = q.matriculeOD?.numIdentifiant?.trim();
  if (!od) return [];
  const rang = q.rangNaissance ? Number(q.rangNaissance) : undefined;
  const found = (base.byOuvrantDroit.get(od) ?? []).filter((b) => (!nom || b.entry.nom === nom) && (!date || b.entry.date === date) && (rang === undefined || b.rangNaissance === rang)).map((b) => b.entry);
  if (found.length) return found;
  // A card holder that is not on any generated card (personas): the ouvrant droit is the person.
  return (base.byNum.get(od) ?? []).filter((e) => (!nom || e.nom === nom) && (!date || e.date === date));
}
