/**
 * What the simulated correspondents of one sandbox have sent: every document (uniqueId, setId, version,
 * patient, message), so a later request can replace or delete it. An `AppendLog` in
 * `<dataDir>/sandboxes/<id>/mssante/correspondents.jsonl` (memory only with `store: memory`), emptied
 * by a sandbox reset like the mail store.
 */
import { join } from 'node:path';
import type { Sandbox, SandboxResource } from '../../core/sandbox.js';
import { AppendLog } from '../../core/store/append-log.js';
import type { CorrespondentId, ResultKind } from './cast.js';

export interface SentRecord {
  uniqueId: string;
  kind: ResultKind;
  from: CorrespondentId;
  to: string;
  patientId: string;
  /** ms since epoch. */
  effectiveTime: number;
  setId: string;
  version: number;
  replaces?: string;
  messageId: string;
  sentAt: number;
  action: 'new' | 'replace' | 'delete';
  delivered: boolean;
  /** Highest serial this send used (uniqueIds are built from serials). */
  serial: number;
}

export interface SentDocument extends SentRecord {
  state: 'current' | 'replaced' | 'deleted';
  replacedBy?: string;
}

export class CorrespondentLedger implements SandboxResource {
  private docs = new Map<string, SentDocument>();
  private serial = 0;

  private constructor(private readonly log: AppendLog<SentRecord>) {}

  static async open(sandbox: Sandbox): Promise<CorrespondentLedger> {
    const file = sandbox.dir ? join(sandbox.dir, 'mssante', 'correspondents.jsonl') : undefined;
    const opened = await AppendLog.open<SentRecord>(file);
    const ledger = new CorrespondentLedger(opened.log);
    for (const r of opened.entries) ledger.apply(r);
    return ledger;
  }

  private apply(r: SentRecord): void {
    this.serial = Math.max(this.serial, r.serial ?? 0);
    if (r.action === 'delete') {
      const doc = this.docs.get(r.uniqueId);
      if (doc) doc.state = 'deleted';
      return;
    }
    if (r.replaces) {
      const old = this.docs.get(r.replaces);
      if (old) {
        old.state = 'replaced';
        old.replacedBy = r.uniqueId;
      }
    }
    this.docs.set(r.uniqueId, { ...r, state: 'current' });
  }

  /** A number never used before in this sandbox (document and submission set uniqueIds). */
  nextSerial(): number {
    return ++this.serial;
  }

  get(uniqueId: string): SentDocument | undefined {
    return this.docs.get(uniqueId.trim());
  }

  all(): SentDocument[] {
    return [...this.docs.values()];
  }

  async record(r: SentRecord): Promise<void> {
    this.apply(r);
    await this.log.append(r);
  }

  async reset(): Promise<void> {
    await this.log.clear();
    this.docs = new Map();
    this.serial = 0;
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}

export function correspondentLedger(sandbox: Sandbox): Promise<CorrespondentLedger> {
  return sandbox.resource('mssante-correspondents', () => CorrespondentLedger.open(sandbox));
}
