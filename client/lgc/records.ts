/**
 * What the reference LGC keeps locally, as a practice software does: its patient records (identity status,
 * INS, DMP information given to the patient) and an activity log — every document fed, consulted, imported,
 * sent or integrated — from which the Ségur dashboard figures are computed (report.ts). A lowdb JSON file
 * per sandbox (`<dir>/<sandbox>.json`), or memory only.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low, Memory } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { ImportedRef } from '../dmp/index.js';
import type { LocalPatientRecord } from '../insi/qualification.js';

export type ActivityKind =
  /** A document deposited in the DMP by the LGC. */
  | 'dmp.fed'
  /** A DMP document list shown to the user (one per search). */
  | 'dmp.consulted'
  /** A DMP document imported into the patient's record. */
  | 'dmp.imported'
  /** A document sent by MSSanté to a professional mailbox. */
  | 'mss.sent.pro'
  /** A document sent by MSSanté to the patient's Mon espace santé mailbox. */
  | 'mss.sent.citizen'
  /** A document received by MSSanté and integrated into a patient record. */
  | 'mss.integrated'
  /** The patient was informed about the DMP and did not object (recorded once per patient). */
  | 'dmp.info-recorded'
  /** A prescription registered in the ePrescription base. */
  | 'eprescription.created';

export interface Activity {
  kind: ActivityKind;
  /** ISO date-time. */
  at: string;
  /** RPPS of the professional who acted (11 digits). */
  rpps: string;
  /** LOINC typeCode of the document, when there is one. */
  typeCode?: string;
  patientId?: string;
  /** Document uniqueId, prescription identifier... */
  ref?: string;
}

export interface DmpInformation {
  informedAt: string;
  nonOpposition: boolean;
  byRpps: string;
}

export interface LgcPatientRecord extends LocalPatientRecord {
  dmpInformation?: DmpInformation;
  /** uniqueIds of DMP documents already seen (the "new" counts of the next visit). */
  knownDmpDocuments?: string[];
  /** DMP documents imported into this record (to notice a newer version at the next visit). */
  importedDmp?: ImportedRef[];
}

interface LgcData {
  patients: LgcPatientRecord[];
  activity: Activity[];
}

export class LgcRecords {
  private constructor(private readonly db: Low<LgcData>) {}

  /** Opens the sandbox's records under `dir` (created if needed), or in memory without `dir`. */
  static async open(dir: string | undefined, sandbox: string): Promise<LgcRecords> {
    const initial: LgcData = { patients: [], activity: [] };
    let db: Low<LgcData>;
    if (dir) {
      await mkdir(dir, { recursive: true });
      db = new Low(new JSONFile<LgcData>(join(dir, `${sandbox.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`)), initial);
    } else db = new Low(new Memory<LgcData>(), initial);
    await db.read();
    db.data.patients ??= [];
    db.data.activity ??= [];
    return new LgcRecords(db);
  }

  get patients(): readonly LgcPatientRecord[] {
    return this.db.data.patients;
  }

  get activity(): readonly Activity[] {
    return this.db.data.activity;
  }

  patient(id: string): LgcPatientRecord | undefined {
    return this.db.data.patients.find((p) => p.id === id);
  }

  /** Creates or replaces a patient record. */
  async savePatient(record: LgcPatientRecord): Promise<LgcPatientRecord> {
    const list = this.db.data.patients;
    const i = list.findIndex((p) => p.id === record.id);
    if (i === -1) list.push(record);
    else list[i] = record;
    await this.db.write();
    return record;
  }

  async log(activity: Omit<Activity, 'at'> & { at?: string }): Promise<void> {
    this.db.data.activity.push({ ...activity, at: activity.at ?? new Date().toISOString() });
    await this.db.write();
  }
}
