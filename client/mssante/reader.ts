/**
 * Reading an MSSanté mailbox over IMAP (notes §1.3): imapflow with STARTTLS and XOAUTH2 (PSC token) — or
 * PLAIN in segur-sim's trainer mode —, list the unseen messages, fetch and parse one (mailparser: headers,
 * text, attachments), extract `IHE_XDM.zip` (name matched case-insensitively) and its documents, mark
 * seen, move to a folder, and an optional IDLE-driven watch of new arrivals.
 */
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { MssanteImapError } from './errors.js';
import { readXdm, type XdmContent } from './xdm.js';

export interface MssanteReaderOptions {
  imap: { host: string; port: number; secure?: boolean };
  tls?: { ca?: string | string[]; servername?: string; cert?: string; key?: string };
  /** `user` = mailbox (segur-sim: `+<sandbox>` or `sandbox`); `accessToken` (XOAUTH2) or `password` (trainer mode). */
  auth: { user: string; sandbox?: string; accessToken?: string; password?: string };
  /** Largest message fetched whole (default 50 MiB). */
  maxMessageBytes?: number;
}

export interface MessageSummary {
  uid: number;
  messageId?: string;
  subject?: string;
  from?: string;
  date?: Date;
  flags: string[];
  size?: number;
}

export interface MssHeaders {
  nil?: string;
  /** `O` / `N`. */
  ins?: string;
  codeCda: string[];
  mes?: string;
}

export type ReceivedKind = 'documents' | 'replacement' | 'deletion' | 'mail' | 'report';

export interface ReceivedMessage extends MessageSummary {
  folder: string;
  to: string[];
  cc: string[];
  replyTo?: string;
  inReplyTo?: string;
  references: string[];
  dispositionNotificationTo?: string;
  mss: MssHeaders;
  text?: string;
  /** Every attachment (name, type, bytes). */
  attachments: { filename?: string; contentType: string; content: Uint8Array }[];
  /** The XDM read, when an `IHE_XDM.zip` is attached. */
  xdm?: XdmContent;
  /** What the message asks: new documents, a replacement (RPLC), a deletion (action D), a plain mail, a DSN/MDN report. */
  kind: ReceivedKind;
  raw: Uint8Array;
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((x) => x.value.map((v) => v.address ?? '').filter(Boolean));
}

function headerText(parsed: ParsedMail, name: string): string | undefined {
  const v = parsed.headers.get(name.toLowerCase());
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'object' && 'text' in (v as object)) return String((v as { text: string }).text).trim();
  return String(v).trim();
}

/** Parses a raw message (exported: tests and tools can parse a message fetched elsewhere). */
export async function parseMssMessage(raw: Uint8Array, base: Partial<MessageSummary> & { folder?: string } = {}): Promise<ReceivedMessage> {
  const parsed = await simpleParser(Buffer.from(raw), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const attachments = parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: new Uint8Array(a.content) }));
  const zip = attachments.find((a) => a.filename && /^ihe_xdm\.zip$/i.test(a.filename));
  const xdm = zip ? readXdm(zip.content) : undefined;
  const refs = parsed.references;
  const contentType = headerText(parsed, 'content-type') ?? '';
  let kind: ReceivedKind = 'mail';
  if (/multipart\/report/i.test(contentType)) kind = 'report';
  else if (xdm?.documents.length) {
    if (xdm.documents.some((d) => d.action === 'D')) kind = 'deletion';
    else if (xdm.documents.some((d) => d.replacesEntryUUID)) kind = 'replacement';
    else kind = 'documents';
  }
  const codes = headerText(parsed, 'x-mss-codecda');
  const dnt = headerText(parsed, 'disposition-notification-to');
  const replyTo = addresses(parsed.replyTo)[0];
  return {
    uid: base.uid ?? 0,
    folder: base.folder ?? 'INBOX',
    flags: base.flags ?? [],
    size: base.size ?? raw.byteLength,
    messageId: parsed.messageId,
    subject: parsed.subject,
    from: addresses(parsed.from)[0],
    date: parsed.date,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    ...(replyTo ? { replyTo } : {}),
    ...(parsed.inReplyTo ? { inReplyTo: parsed.inReplyTo } : {}),
    references: Array.isArray(refs) ? refs : refs ? [refs] : [],
    ...(dnt ? { dispositionNotificationTo: dnt.replace(/^.*<([^>]+)>.*$/, '$1') } : {}),
    mss: {
      nil: headerText(parsed, 'x-mss-nil'),
      ins: headerText(parsed, 'x-mss-ins'),
      codeCda: codes ? codes.split(',').map((c) => c.trim()).filter(Boolean) : [],
      mes: headerText(parsed, 'x-mss-mes'),
    },
    ...(parsed.text ? { text: parsed.text } : {}),
    attachments,
    ...(xdm ? { xdm } : {}),
    kind,
    raw,
  };
}

interface ImapFlowError extends Error {
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  response?: string;
}

function imapErrorOf(err: unknown, kind: 'connect' | 'auth' | 'command'): MssanteImapError {
  const e = err as ImapFlowError;
  const k = e.authenticationFailed ? 'auth' : kind;
  return new MssanteImapError(`MSSanté IMAP ${k}: ${e.responseText ?? e.response ?? e.message}`, k, e.serverResponseCode, e.responseText ?? e.response, err);
}

export class MssanteReader {
  private readonly client: ImapFlow;
  private connected = false;

  constructor(private readonly options: MssanteReaderOptions) {
    const a = options.auth;
    const user = a.sandbox ? `${a.user}+${a.sandbox}` : a.user;
    this.client = new ImapFlow({
      host: options.imap.host,
      port: options.imap.port,
      secure: options.imap.secure ?? false,
      doSTARTTLS: options.imap.secure ? undefined : true,
      tls: { minVersion: 'TLSv1.2', ...(options.tls ?? {}) } as never,
      auth: a.accessToken ? { user, accessToken: a.accessToken } : { user, pass: a.password ?? '' },
      logger: false,
      emitLogs: false,
    });
    this.client.on('error', () => {
      /* surfaced by the pending command */
    });
  }

  /** The underlying imapflow client (folders, search, anything not wrapped here). */
  get imap(): ImapFlow {
    return this.client;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    try {
      await this.client.connect();
      this.connected = true;
    } catch (err) {
      throw imapErrorOf(err, 'connect');
    }
  }

  private async withFolder<T>(folder: string, fn: () => Promise<T>): Promise<T> {
    await this.connect();
    let lock;
    try {
      lock = await this.client.getMailboxLock(folder);
    } catch (err) {
      throw imapErrorOf(err, 'command');
    }
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MssanteImapError) throw err;
      throw imapErrorOf(err, 'command');
    } finally {
      lock.release();
    }
  }

  private summary(m: FetchMessageObject): MessageSummary {
    return {
      uid: m.uid,
      messageId: m.envelope?.messageId,
      subject: m.envelope?.subject,
      from: m.envelope?.from?.[0]?.address,
      date: m.envelope?.date ? new Date(m.envelope.date) : undefined,
      flags: [...(m.flags ?? [])],
      size: m.size,
    };
  }

  /** Messages without `\Seen`, oldest first. */
  async listNew(folder = 'INBOX'): Promise<MessageSummary[]> {
    return this.withFolder(folder, async () => {
      const uids = (await this.client.search({ seen: false }, { uid: true })) || [];
      if (!uids.length) return [];
      const out: MessageSummary[] = [];
      for await (const m of this.client.fetch(uids.join(','), { uid: true, envelope: true, flags: true, size: true }, { uid: true })) out.push(this.summary(m));
      return out.sort((a, b) => a.uid - b.uid);
    });
  }

  /** Every message of a folder (summaries), oldest first. */
  async list(folder = 'INBOX'): Promise<MessageSummary[]> {
    return this.withFolder(folder, async () => {
      const out: MessageSummary[] = [];
      const status = this.client.mailbox;
      if (!status || !status.exists) return out;
      for await (const m of this.client.fetch('1:*', { uid: true, envelope: true, flags: true, size: true })) out.push(this.summary(m));
      return out.sort((a, b) => a.uid - b.uid);
    });
  }

  /** Fetches (BODY.PEEK: `\Seen` unchanged) and parses one message. */
  async fetch(uid: number, folder = 'INBOX'): Promise<ReceivedMessage> {
    const max = this.options.maxMessageBytes ?? 50 * 1024 * 1024;
    const { raw, summary } = await this.withFolder(folder, async () => {
      const m = await this.client.fetchOne(String(uid), { uid: true, envelope: true, flags: true, size: true, source: true }, { uid: true });
      if (!m) throw new MssanteImapError(`no message UID ${uid} in ${folder}`, 'command', 'NONEXISTENT');
      if ((m.size ?? 0) > max) throw new MssanteImapError(`message UID ${uid} is ${m.size} bytes (limit ${max})`, 'command', 'TOOBIG');
      return { raw: new Uint8Array(m.source ?? Buffer.alloc(0)), summary: this.summary(m) };
    });
    return parseMssMessage(raw, { ...summary, folder });
  }

  /** Fetches and parses every unseen message. */
  async fetchNew(folder = 'INBOX'): Promise<ReceivedMessage[]> {
    const out: ReceivedMessage[] = [];
    for (const s of await this.listNew(folder)) out.push(await this.fetch(s.uid, folder));
    return out;
  }

  async markSeen(uid: number, folder = 'INBOX'): Promise<void> {
    await this.withFolder(folder, async () => {
      await this.client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    });
  }

  /** Moves a message (MOVE, UIDPLUS), creating the destination folder when missing; returns its new UID when known. */
  async move(uid: number, destination: string, folder = 'INBOX'): Promise<number | undefined> {
    await this.connect();
    const exists = (await this.client.list()).some((f) => f.path === destination);
    if (!exists) await this.client.mailboxCreate(destination).catch((err: unknown) => Promise.reject(imapErrorOf(err, 'command')));
    return this.withFolder(folder, async () => {
      const r = await this.client.messageMove(String(uid), destination, { uid: true });
      if (!r) throw new MssanteImapError(`MOVE of UID ${uid} to ${destination} failed`, 'command');
      return r.uidMap?.get(uid);
    });
  }

  /**
   * Watches a folder: the callback gets every message that arrives (IDLE pushes `EXISTS`), plus the
   * unseen ones already there when `includeExisting`. Returns a stop function. The folder stays selected
   * and IDLE is started at once and after each batch. Errors of the callback or of a fetch go to `onError`.
   */
  async watch(
    onMessage: (m: ReceivedMessage) => void | Promise<void>,
    opts: { folder?: string; includeExisting?: boolean; onError?: (err: unknown) => void } = {},
  ): Promise<() => Promise<void>> {
    const folder = opts.folder ?? 'INBOX';
    const { initial, last } = await this.withFolder(folder, async () => ({
      initial: opts.includeExisting ? ((await this.client.search({ seen: false }, { uid: true })) || []) : [],
      last: (this.client.mailbox ? this.client.mailbox.uidNext : 1) - 1,
    }));
    let lastUid = last;
    let stopped = false;
    let running: Promise<void> = Promise.resolve();
    const report = (err: unknown) => opts.onError?.(err);
    const deliver = async (uids: number[]) => {
      for (const uid of [...uids].sort((a, b) => a - b)) {
        if (stopped) return;
        try {
          await onMessage(await this.fetch(uid, folder));
        } catch (err) {
          report(err);
        }
      }
    };
    const schedule = (work: () => Promise<void>) => {
      running = running
        .then(work)
        .catch(report)
        .then(() => {
          if (!stopped) this.idleNow();
        });
    };
    // `n:*` also matches the last message when n is above it (RFC 3501): keep only UIDs above lastUid.
    const pump = () =>
      schedule(async () => {
        if (stopped) return;
        const uids = await this.withFolder(folder, async () => ((await this.client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || []).filter((u) => u > lastUid));
        if (uids.length) lastUid = Math.max(lastUid, ...uids);
        await deliver(uids);
      });
    const onExists = (data: { path: string }) => {
      if (data.path === folder) pump();
    };
    this.client.on('exists', onExists);
    schedule(() => deliver(initial));
    return async () => {
      stopped = true;
      this.client.off('exists', onExists);
      await running;
    };
  }

  /** Starts IDLE at once (imapflow would wait 15 s of inactivity); any next command breaks it. */
  private idleNow(): void {
    this.client.idle().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    try {
      await this.client.logout();
    } catch {
      this.client.close();
    }
  }
}
