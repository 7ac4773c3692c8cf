/**
 * The ePrescription base of one sandbox (the CNAM "base nationale" as the simulator keeps it). Every change
 * is one event in an append-only JSON-lines log (`<sandbox dir>/eprescription/events.jsonl`), replayed on
 * open; with `store: memory` the sandbox has no dir and everything stays in memory. A sandbox reset empties
 * it (fresh sandboxes start with no prescription: the LGC creates them).
 */
import { join } from 'node:path';
import { foldForSearch } from '../../fixtures/rniv.js';
import { AppendLog } from '../core/store/append-log.js';
import type { Sandbox, SandboxResource } from '../core/sandbox.js';
import { ID_ALPHABET } from './constants.js';
import type { EPrescription, PrescriptionRecord, RecordedExecution } from './model.js';

export type EpEvent =
  | { t: 'create'; at: string; p: EPrescription }
  | { t: 'execute'; at: string; id: string; e: RecordedExecution }
  | { t: 'cancel'; at: string; id: string; motif?: string };

/** Key of a patient's traits for searches by traits (accent- and case-insensitive). */
export function traitsKey(nomNaissance: string, prenom: string, dateNaissance: string): string {
  return `${foldForSearch(nomNaissance)}|${foldForSearch(prenom)}|${dateNaissance}`;
}

export class EpStore implements SandboxResource {
  private readonly records = new Map<string, PrescriptionRecord>();
  /** Indexes for ep2_rechercher: patient INS, patient traits, prescriber (author or replaced) RPPS → identifiers. */
  private readonly byIns = new Map<string, Set<string>>();
  private readonly byTraits = new Map<string, Set<string>>();
  private readonly byRpps = new Map<string, Set<string>>();
  private seq = 0;
  private allocated = 0;

  private constructor(
    private readonly log: AppendLog<EpEvent>,
    private readonly seed: number,
  ) {}

  static async open(sandbox: Sandbox, report?: (msg: string) => void): Promise<EpStore> {
    const file = sandbox.dir ? join(sandbox.dir, 'eprescription', 'events.jsonl') : undefined;
    const { log, entries } = await AppendLog.open<EpEvent>(file, report);
    const store = new EpStore(log, sandbox.seed);
    for (const event of entries) store.apply(event);
    return store;
  }

  get size(): number {
    return this.records.size;
  }

  get(id: string): PrescriptionRecord | undefined {
    return this.records.get(id);
  }

  /**
   * Applies the change to the model synchronously (so a concurrent duplicate already sees it), then makes it
   * durable; resolves once written.
   */
  record(event: EpEvent): Promise<void> {
    this.apply(event);
    return this.log.append(event);
  }

  /** Identifiers matching an index lookup. */
  idsByIns(matricule: string): ReadonlySet<string> {
    return this.byIns.get(matricule) ?? EMPTY;
  }

  idsByTraits(key: string): ReadonlySet<string> {
    return this.byTraits.get(key) ?? EMPTY;
  }

  idsByRpps(rpps: string): ReadonlySet<string> {
    return this.byRpps.get(rpps) ?? EMPTY;
  }

  /**
   * A fresh identifier of 18 characters of the assumed alphabet, drawn from a generator seeded by the
   * sandbox seed and a counter (deterministic: the same calls give the same identifiers).
   */
  allocateId(): string {
    for (;;) {
      let x = (Math.imul(this.seed + 1, 0x9e3779b1) ^ Math.imul(++this.allocated, 0x85ebca6b)) >>> 0;
      let id = 'S';
      while (id.length < 18) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        id += ID_ALPHABET[x % ID_ALPHABET.length];
      }
      if (!this.records.has(id)) return id;
    }
  }

  private apply(event: EpEvent): void {
    if (event.t === 'create') {
      const p = event.p;
      this.records.set(p.identifiant, { prescription: p, dateEnregistrement: event.at, seq: ++this.seq, executions: [], delivered: new Map() });
      if (p.patient.ins) add(this.byIns, p.patient.ins.matricule, p.identifiant);
      add(this.byTraits, traitsKey(p.patient.nomNaissance, p.patient.prenom, p.patient.dateNaissance), p.identifiant);
      if (p.prescripteur.rpps) add(this.byRpps, p.prescripteur.rpps, p.identifiant);
      if (p.remplace?.rpps) add(this.byRpps, p.remplace.rpps, p.identifiant);
      return;
    }
    const record = this.records.get(event.id);
    if (!record) return;
    if (event.t === 'execute') {
      record.executions.push(event.e);
      for (const l of event.e.lignes) record.delivered.set(l.numero, (record.delivered.get(l.numero) ?? 0) + l.quantite);
    } else {
      record.cancelled = { at: event.at, ...(event.motif ? { motif: event.motif } : {}) };
    }
  }

  async reset(): Promise<void> {
    await this.log.clear();
    this.records.clear();
    this.byIns.clear();
    this.byTraits.clear();
    this.byRpps.clear();
    this.seq = 0;
    this.allocated = 0;
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}

const EMPTY: ReadonlySet<string> = new Set();

function add(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}

/** The ePrescription store of a sandbox, opened on first use. */
export function epStore(sandbox: Sandbox, report?: (msg: string) => void): Promise<EpStore> {
  return sandbox.resource('eprescription', () => EpStore.open(sandbox, report));
}
