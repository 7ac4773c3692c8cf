/**
 * Mailboxes of one sandbox: folders, messages, flags and UIDs. Message bytes are content-addressed blobs
 * (`BlobStore`); everything else is a JSON-lines log of events (`AppendLog`) replayed at open, so a
 * restart finds every mailbox as it was and a write never rewrites the past. In memory mode both stay in
 * memory. Sessions (IMAP IDLE, selected folders) listen to `change` events.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Sandbox, SandboxResource } from '../../core/sandbox.js';
import { AppendLog } from '../../core/store/append-log.js';
import { BlobStore } from '../../core/store/blob-store.js';
import { DEFAULT_FOLDERS, DELIMITER } from '../constants.js';
import { parseMime, type MimeMessage } from '../mime/message.js';

/** What the operator knows about how a message arrived (kept with it, shown by the admin API). */
export interface DeliveryMeta {
  source: 'smtp' | 'append' | 'dsn' | 'copy';
  /** SMTP envelope: MAIL FROM (empty for the null reverse-path) and the RCPT this copy was delivered for. */
  mailFrom?: string;
  rcptTo?: string;
  /** DSN parameters (RFC 3461) given at submission. */
  dsn?: { ret?: string | null; envid?: string | null; notify?: string[]; orcpt?: string };
  /** Id of the SMTP transaction (journal correlation). */
  transaction?: string;
}

export interface MessageRecord {
  uid: number;
  blob: string;
  size: number;
  /** INTERNALDATE, ms since epoch. */
  internalDate: number;
  flags: Set<string>;
  /** Bumped on every flag change (lets sessions tell other sessions' changes apart cheaply). */
  flagsVersion: number;
  meta?: DeliveryMeta;
}

export interface Folder {
  name: string;
  uidValidity: number;
  uidNext: number;
  messages: MessageRecord[];
  specialUse?: string;
  subscribed: boolean;
}

export interface Account {
  address: string;
  folders: Map<string, Folder>;
}

type MailEvent =
  | { e: 'mkdir'; a: string; f: string; v: number; su?: string }
  | { e: 'rmdir'; a: string; f: string }
  | { e: 'rename'; a: string; f: string; to: string; v: number }
  | { e: 'add'; a: string; f: string; u: number; b: string; s: number; d: number; fl: string[]; m?: DeliveryMeta }
  | { e: 'flags'; a: string; f: string; c: [number, string[]][] }
  | { e: 'expunge'; a: string; f: string; u: number[] }
  | { e: 'sub'; a: string; f: string; on: boolean };

export class MailStoreError extends Error {
  constructor(
    /** IMAP response code: NONEXISTENT, ALREADYEXISTS, CANNOT, TRYCREATE... */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedMessage {
  raw: Buffer;
  mime: MimeMessage;
}

const SYSTEM_FLAGS = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent'].map((f) => [f.toLowerCase(), f]));

/** `\seen` → `\Seen`; keywords kept as given. */
export function canonicalFlag(flag: string): string {
  return SYSTEM_FLAGS.get(flag.toLowerCase()) ?? flag;
}

/** INBOX is case-insensitive (RFC 3501 §5.1); other names are kept as given. */
export function folderKey(name: string): string {
  return /^inbox$/i.test(name) ? 'INBOX' : name;
}

const PARSED_CACHE_BYTES = 64 * 1024 * 1024;

export class MailStore extends EventEmitter implements SandboxResource {
  private accounts = new Map<string, Account>();
  private lastUidValidity = 0;
  private readonly parsedCache = new Map<string, Promise<ParsedMessage | undefined>>();
  private parsedBytes = 0;

  private constructor(
    private readonly log: AppendLog<MailEvent>,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
  ) {
    super();
    this.setMaxListeners(0);
  }

  static async open(sandbox: Sandbox, clock: Clock, log?: (msg: string) => void): Promise<MailStore> {
    const dir = sandbox.dir ? join(sandbox.dir, 'mssante') : undefined;
    const opened = await AppendLog.open<MailEvent>(dir ? join(dir, 'mail.jsonl') : undefined, log);
    const store = new MailStore(opened.log, new BlobStore(dir ? join(dir, 'blobs') : undefined), clock);
    for (const event of opened.entries) store.apply(event);
    return store;
  }

  // ---- replay ---------------------------------------------------------------------------------

  private apply(ev: MailEvent): void {
    const account = this.rawAccount(ev.a);
    switch (ev.e) {
      case 'mkdir':
        account.folders.set(ev.f, { name: ev.f, uidValidity: ev.v, uidNext: 1, messages: [], specialUse: ev.su, subscribed: true });
        this.lastUidValidity = Math.max(this.lastUidValidity, ev.v);
        break;
      case 'rmdir':
        account.folders.delete(ev.f);
        break;
      case 'rename': {
        const folder = account.folders.get(ev.f);
        if (!folder) break;
        account.folders.delete(ev.f);
        account.folders.set(ev.to, { ...folder, name: ev.to, uidValidity: ev.v });
        this.lastUidValidity = Math.max(this.lastUidValidity, ev.v);
        break;
      }
      case 'add': {
        const folder = account.folders.get(ev.f);
        if (!folder) break;
        folder.messages.push({ uid: ev.u, blob: ev.b, size: ev.s, internalDate: ev.d, flags: new Set(ev.fl), flagsVersion: 0, meta: ev.m });
        folder.uidNext = Math.max(folder.uidNext, ev.u + 1);
        break;
      }
      case 'flags': {
        const folder = account.folders.get(ev.f);
        if (!folder) break;
        const byUid = new Map(ev.c);
        for (const m of folder.messages) {
          const flags = byUid.get(m.uid);
          if (flags) {
            m.flags = new Set(flags);
            m.flagsVersion++;
          }
        }
        break;
      }
      case 'expunge': {
        const folder = account.folders.get(ev.f);
        if (!folder) break;
        const gone = new Set(ev.u);
        folder.messages = folder.messages.filter((m) => !gone.has(m.uid));
        break;
      }
      case 'sub': {
        const folder = account.folders.get(ev.f);
        if (folder) folder.subscribed = ev.on;
        break;
      }
    }
  }

  private rawAccount(address: string): Account {
    let account = this.accounts.get(address);
    if (!account) this.accounts.set(address, (account = { address, folders: new Map() }));
    return account;
  }

  private async record(ev: MailEvent): Promise<void> {
    this.apply(ev);
    await this.log.append(ev);
  }

  private nextUidValidity(): number {
    this.lastUidValidity = Math.max(this.lastUidValidity + 1, Math.floor(this.clock.now() / 1000));
    return this.lastUidValidity;
  }

  private changed(address: string, folder: string): void {
    this.emit('change', address, folder);
  }

  // ---- accounts and folders -------------------------------------------------------------------

  /** The account of a mailbox, created with its default folders on first use. */
  async account(address: string): Promise<Account> {
    const account = this.rawAccount(address);
    // INBOX cannot be deleted: an account without it has never been used.
    if (!account.folders.has('INBOX')) {
      for (const def of DEFAULT_FOLDERS) {
        if (!account.folders.has(def.name)) await this.record({ e: 'mkdir', a: address, f: def.name, v: this.nextUidValidity(), su: def.specialUse });
      }
    }
    return account;
  }

  /** Accounts that hold at least one folder (admin view). */
  accountAddresses(): string[] {
    return [...this.accounts.values()].filter((a) => a.folders.size).map((a) => a.address);
  }

  /** The account if it exists, without creating it. */
  peekAccount(address: string): Account | undefined {
    return this.accounts.get(address);
  }

  async folder(address: string, name: string): Promise<Folder | undefined> {
    return (await this.account(address)).folders.get(folderKey(name));
  }

  async createFolder(address: string, name: string): Promise<Folder> {
    const account = await this.account(address);
    const key = folderKey(name.replace(new RegExp(`\\${DELIMITER}+$`), ''));
    if (!key || account.folders.has(key)) throw new MailStoreError('ALREADYEXISTS', `mailbox ${name} already exists`);
    // Superior hierarchical names are created too (RFC 3501 §6.3.3).
    const parts = key.split(DELIMITER);
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join(DELIMITER);
      if (parent && !account.folders.has(folderKey(parent))) await this.record({ e: 'mkdir', a: address, f: folderKey(parent), v: this.nextUidValidity() });
    }
    await this.record({ e: 'mkdir', a: address, f: key, v: this.nextUidValidity() });
    return account.folders.get(key)!;
  }

  async deleteFolder(address: string, name: string): Promise<void> {
    const account = await this.account(address);
    const key = folderKey(name);
    if (key === 'INBOX') throw new MailStoreError('CANNOT', 'INBOX cannot be deleted');
    if (!account.folders.has(key)) throw new MailStoreError('NONEXISTENT', `no mailbox ${name}`);
    if ([...account.folders.keys()].some((k) => k.startsWith(`${key}${DELIMITER}`))) throw new MailStoreError('CANNOT', `${name} has inferior mailboxes; delete them first`);
    await this.record({ e: 'rmdir', a: address, f: key });
    this.changed(address, key);
  }

  async renameFolder(address: string, from: string, to: string): Promise<void> {
    const account = await this.account(address);
    const src = folderKey(from);
    const dst = folderKey(to);
    if (src === 'INBOX') throw new MailStoreError('CANNOT', 'renaming INBOX is not supported by this simulator');
    if (!account.folders.has(src)) throw new MailStoreError('NONEXISTENT', `no mailbox ${from}`);
    if (account.folders.has(dst)) throw new MailStoreError('ALREADYEXISTS', `mailbox ${to} already exists`);
    const moves = [...account.folders.keys()].filter((k) => k === src || k.startsWith(`${src}${DELIMITER}`));
    for (const k of moves) await this.record({ e: 'rename', a: address, f: k, to: dst + k.slice(src.length), v: this.nextUidValidity() });
    this.changed(address, src);
  }

  async subscribe(address: string, name: string, on: boolean): Promise<void> {
    const key = folderKey(name);
    const folder = (await this.account(address)).folders.get(key);
    if (!folder) throw new MailStoreError('NONEXISTENT', `no mailbox ${name}`);
    await this.record({ e: 'sub', a: address, f: key, on });
  }

  // ---- messages -------------------------------------------------------------------------------

  /** Stores a message in a folder (delivery, APPEND, DSN). */
  async addMessage(address: string, folderName: string, raw: Buffer, opts: { flags?: Iterable<string>; internalDate?: number; meta?: DeliveryMeta } = {}): Promise<{ uid: number; uidValidity: number; blob: string }> {
    const key = folderKey(folderName);
    const folder = (await this.account(address)).folders.get(key);
    if (!folder) throw new MailStoreError('TRYCREATE', `no mailbox ${folderName}`);
    const blob = await this.blobs.put(raw);
    const uid = folder.uidNext;
    await this.record({ e: 'add', a: address, f: key, u: uid, b: blob, s: raw.length, d: opts.internalDate ?? this.clock.now(), fl: [...(opts.flags ?? [])].map(canonicalFlag), m: opts.meta });
    this.changed(address, key);
    return { uid, uidValidity: folder.uidValidity, blob };
  }

  /** Replaces the flags of some messages (`changes`: uid → new flag set). */
  async setFlags(address: string, folderName: string, changes: Map<number, Set<string>>): Promise<void> {
    if (!changes.size) return;
    const key = folderKey(folderName);
    await this.record({ e: 'flags', a: address, f: key, c: [...changes].map(([uid, flags]) => [uid, [...flags]]) });
    this.changed(address, key);
  }

  async expunge(address: string, folderName: string, uids: number[]): Promise<void> {
    if (!uids.length) return;
    const key = folderKey(folderName);
    await this.record({ e: 'expunge', a: address, f: key, u: uids });
    this.changed(address, key);
  }

  /** Copies messages (same blobs, flags kept, new UIDs): the UIDPLUS COPYUID data. */
  async copy(address: string, fromName: string, uids: number[], toName: string): Promise<{ uidValidity: number; source: number[]; target: number[] }> {
    const account = await this.account(address);
    const from = account.folders.get(folderKey(fromName));
    const to = account.folders.get(folderKey(toName));
    if (!from) throw new MailStoreError('NONEXISTENT', `no mailbox ${fromName}`);
    if (!to) throw new MailStoreError('TRYCREATE', `no mailbox ${toName}`);
    const wanted = new Set(uids);
    const source: number[] = [];
    const target: number[] = [];
    for (const m of from.messages.filter((x) => wanted.has(x.uid))) {
      const uid = to.uidNext;
      await this.record({ e: 'add', a: address, f: to.name, u: uid, b: m.blob, s: m.size, d: m.internalDate, fl: [...m.flags], m: m.meta });
      source.push(m.uid);
      target.push(uid);
    }
    if (target.length) this.changed(address, to.name);
    return { uidValidity: to.uidValidity, source, target };
  }

  // ---- bytes ----------------------------------------------------------------------------------

  async raw(blob: string): Promise<Buffer | undefined> {
    const bytes = await this.blobs.get(blob);
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined;
  }

  /** The raw bytes and MIME structure of a message, cached (least recently used dropped first). */
  parsed(blob: string): Promise<ParsedMessage | undefined> {
    let found = this.parsedCache.get(blob);
    if (found) {
      this.parsedCache.delete(blob);
      this.parsedCache.set(blob, found);
      return found;
    }
    found = (async () => {
      const raw = await this.raw(blob);
      if (!raw) return undefined;
      const mime = parseMime(raw);
      this.parsedBytes += raw.length;
      return { raw, mime };
    })();
    this.parsedCache.set(blob, found);
    found.catch(() => this.parsedCache.delete(blob));
    void found.then(() => this.trimCache());
    return found;
  }

  private trimCache(): void {
    while (this.parsedBytes > PARSED_CACHE_BYTES && this.parsedCache.size > 1) {
      const [oldest, entry] = this.parsedCache.entries().next().value as [string, Promise<ParsedMessage | undefined>];
      this.parsedCache.delete(oldest);
      void entry.then((p) => (this.parsedBytes -= p?.raw.length ?? 0));
    }
  }

  // ---- SandboxResource ------------------------------------------------------------------------

  async reset(): Promise<void> {
    await this.log.clear();
    await this.blobs.clear();
    this.accounts = new Map();
    this.parsedCache.clear();
    this.parsedBytes = 0;
    this.emit('reset');
  }

  async close(): Promise<void> {
    this.emit('close');
    await this.log.close();
  }
}

export const MAIL_STORE_KEY = 'mssante-mail';

/** The sandbox's mail store, opened on first use. */
export function mailStore(sandbox: Sandbox, clock: Clock, log?: (msg: string) => void): Promise<MailStore> {
  return sandbox.resource(MAIL_STORE_KEY, () => MailStore.open(sandbox, clock, log));
}
