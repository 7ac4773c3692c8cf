/**
 * Business rules of the ePrescription base (README "Operations"): validity, states, who may execute which line
 * kind, quantities, substitution, who may read what. Pure functions over the store's records; each refusal is
 * a catalogued fault code with a French detail listing what is wrong.
 */
import { EXECUTANT_PROFESSIONS, type LineKind } from '../../fixtures/prescriptions.js';
import { DEFAULT_VALIDITY_MONTHS, MAX_RESULTS, type Statut } from './constants.js';
import type { FaultCode } from './faults.js';
import type { EpExecution, EpLine, EpProfessional, LineState, PrescriptionRecord, SearchCriteria, SearchResult } from './model.js';
import { traitsKey, type EpStore } from './store.js';

export interface Refusal {
  code: FaultCode;
  detail: string;
  /** English, for the journal. */
  why: string;
}

/** The host clock's date, `YYYY-MM-DD` (UTC). */
export function dateOf(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** `date` + `months`, the day clamped to the target month's length (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = (total % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Last day of validity: FinValidite, else DebutValidite + 3 months. */
export function finValidite(record: PrescriptionRecord): string {
  const p = record.prescription;
  return p.finValidite ?? addMonths(p.debutValidite, DEFAULT_VALIDITY_MONTHS);
}

export function lineStates(record: PrescriptionRecord): LineState[] {
  return record.prescription.lignes.map((l) => {
    const delivered = record.delivered.get(l.numero) ?? 0;
    return { numero: l.numero, quantiteDelivree: delivered, quantiteRestante: Math.max(0, l.quantite - delivered) };
  });
}

/** ANNULEE, then EXECUTEE (every line delivered), then EXPIREE (past its last day), then PARTIELLEMENT_EXECUTEE / ACTIVE. */
export function statutOf(record: PrescriptionRecord, today: string): Statut {
  if (record.cancelled) return 'ANNULEE';
  const states = lineStates(record);
  if (states.every((s) => s.quantiteRestante === 0)) return 'EXECUTEE';
  if (today > finValidite(record)) return 'EXPIREE';
  return states.some((s) => s.quantiteDelivree > 0) ? 'PARTIELLEMENT_EXECUTEE' : 'ACTIVE';
}

/** What an executant may do with the prescription at all (consult, execute): not cancelled, not used up, valid today. */
export function executantAccess(record: PrescriptionRecord, today: string): Refusal | undefined {
  const id = record.prescription.identifiant;
  if (record.cancelled) return { code: 'ep_407', detail: `L'e-prescription ${id} a été annulée le ${record.cancelled.at.slice(0, 10)}.`, why: 'prescription cancelled' };
  const statut = statutOf(record, today);
  if (statut === 'EXECUTEE') return { code: 'ep_406', detail: `L'e-prescription ${id} a déjà été entièrement exécutée.`, why: 'prescription fully executed (the 2D code is single-use once everything is delivered)' };
  const debut = record.prescription.debutValidite;
  const fin = finValidite(record);
  if (today < debut || today > fin) {
    return { code: 'ep_405', detail: `L'e-prescription ${id} est valable du ${debut} au ${fin} (date du jour ${today}).`, why: `outside its validity period ${debut}..${fin} (today ${today})` };
  }
  return undefined;
}

/** The prescription's author, or the prescriber they replaced. */
export function isPrescriberOf(record: PrescriptionRecord, rpps: string | undefined): boolean {
  const p = record.prescription;
  return !!rpps && (p.prescripteur.rpps === rpps || p.remplace?.rpps === rpps);
}

/** A line may be substituted when it says so; a product line without the flag is substitutable (the legal default), an act never. */
function substituable(line: EpLine): boolean {
  if (line.type !== 'medicament' && line.type !== 'dispositifMedical') return false;
  return line.substituable !== false;
}

/**
 * Checks one execution against the prescription: every executed line exists, the executant's profession may
 * execute its kind (ep_408), and each line's mode, quantity, product and reason are consistent (ep_409).
 */
export function checkExecution(record: PrescriptionRecord, executant: EpProfessional, execution: EpExecution, warn: (msg: string) => void): Refusal | undefined {
  const lines = new Map(record.prescription.lignes.map((l) => [l.numero, l]));
  const notAllowed: string[] = [];
  const refused: string[] = [];
  for (const done of execution.lignes) {
    const line = lines.get(done.numero);
    if (!line) {
      refused.push(`la ligne ${done.numero} n'existe pas (lignes 1 à ${lines.size})`);
      continue;
    }
    const allowed = EXECUTANT_PROFESSIONS[line.type as LineKind] ?? [];
    if (!executant.profession || !allowed.includes(executant.profession)) {
      notAllowed.push(`ligne ${line.numero} (${line.type}) : profession ${executant.profession ?? '?'} non habilitée (attendu ${allowed.join(' ou ')})`);
      continue;
    }
    const remaining = line.quantite - (record.delivered.get(line.numero) ?? 0);
    const where = `ligne ${line.numero}`;
    if (done.mode === 'NON_DELIVREE') {
      if (done.quantite !== 0) refused.push(`${where} : la quantité d'une ligne NON_DELIVREE doit être 0`);
    } else if (done.quantite < 1) refused.push(`${where} : la quantité délivrée doit être ≥ 1`);
    else if (done.quantite > remaining) refused.push(`${where} : quantité ${done.quantite} supérieure à la quantité restante ${remaining}`);
    if (done.mode !== 'CONFORME' && !done.motif) refused.push(`${where} : Motif obligatoire pour le mode ${done.mode}`);
    if (done.mode === 'SUBSTITUTION') {
      if (!substituable(line)) refused.push(`${where} : la ligne n'est pas substituable`);
      if (!done.produitDelivre) refused.push(`${where} : ProduitDelivre obligatoire pour une substitution`);
    }
    if (done.mode === 'ADAPTATION' && !done.dateAccordPrescripteur) warn(`line ${line.numero}: ADAPTATION without DateAccordPrescripteur (the prescriber's agreement date)`);
  }
  if (notAllowed.length) return { code: 'ep_408', detail: `Exécutant non habilité : ${notAllowed.join(' ; ')}.`, why: `executant not allowed: ${notAllowed.join('; ')}` };
  if (refused.length) return { code: 'ep_409', detail: `Exécution refusée : ${refused.join(' ; ')}.`, why: `execution refused: ${refused.join('; ')}` };
  return undefined;
}

/**
 * ep2_rechercher: an executant searches one patient's prescriptions (INS, or birth name + first name + birth
 * date, required by the caller), a prescriber their own (author or replaced; patient optional). Newest first
 * (DateRedaction, then registration order), at most 100.
 */
export function search(store: EpStore, actor: { executant?: EpProfessional; prescripteur?: EpProfessional }, c: SearchCriteria, today: string): SearchResult[] {
  const byPatient = c.ins ? store.idsByIns(c.ins.matricule) : c.nomNaissance && c.prenom && c.dateNaissance ? store.idsByTraits(traitsKey(c.nomNaissance, c.prenom, c.dateNaissance)) : undefined;
  let ids: Iterable<string>;
  if (actor.prescripteur) {
    const own = store.idsByRpps(actor.prescripteur.rpps ?? '');
    ids = byPatient ? [...own].filter((id) => byPatient.has(id)) : own;
  } else ids = byPatient ?? [];
  const found: { record: PrescriptionRecord; statut: Statut }[] = [];
  for (const id of ids) {
    const record = store.get(id);
    if (!record) continue;
    const p = record.prescription;
    if (c.identifiant && p.identifiant !== c.identifiant) continue;
    if (c.dateDebut && p.dateRedaction < c.dateDebut) continue;
    if (c.dateFin && p.dateRedaction > c.dateFin) continue;
    const statut = statutOf(record, today);
    if (c.statut && statut !== c.statut) continue;
    found.push({ record, statut });
  }
  found.sort((a, b) => (a.record.prescription.dateRedaction === b.record.prescription.dateRedaction ? b.record.seq - a.record.seq : a.record.prescription.dateRedaction < b.record.prescription.dateRedaction ? 1 : -1));
  return found.slice(0, MAX_RESULTS).map(({ record, statut }) => ({
    identifiant: record.prescription.identifiant,
    dateRedaction: record.prescription.dateRedaction,
    statut,
    rppsPrescripteur: record.prescription.prescripteur.rpps ?? '',
    nombreLignes: record.prescription.lignes.length,
  }));
}
