/**
 * One IMAP connection: the state machine of RFC 3501 §3 (not authenticated → authenticated → selected →
 * logout), command dispatch, STARTTLS, the session's view of the selected mailbox (sequence numbers,
 * pending EXPUNGE/EXISTS/FLAGS updates), scenario decisions and the journal of every command.
 */
import type { Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { HostContext } from '../../core/host-context.js';
import type { Sandbox } from '../../core/sandbox.js';
import type { AuthContext, MailIdentity } from '../auth.js';
import type { MssanteSettings } from '../constants.js';
import { mailStore, type Folder, type MailStore } from '../store/mail-store.js';
import { MAILBOX_FULL_OUTCOME, TcpExchange, type MailboxFullParams } from '../tcp-exchange.js';
import { verifyClientCert, type MailClientCert, type MailTls } from '../tls.js';
import { COMMANDS } from './commands/index.js';
import { CommandFramer } from './framer.js';
import { ImapParseError, parseCommand, peekTag, type ParsedCommand } from './parser.js';
import { compile, type ImapValue } from './values.js';

export type SessionState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

export interface Reply {
  status: 'OK' | 'NO' | 'BAD';
  /** Response code without brackets, e.g. `AUTHENTICATIONFAILED`, `APPENDUID 17 3`. */
  code?: string;
  text: string;
  /** Extra facts for the journal entry of the command. */
  summary?: Record<string, unknown>;
  /** Journal verdict for a failure the client caused. */
  verdict?: { level: 'error' | 'warning'; rule: string; message: string };
  /** The handler already wrote the tagged reply (STARTTLS). */
  written?: boolean;
  /** Journal in this sandbox (a failed login that named one) rather than the connection's. */
  journalInto?: Sandbox;
}

export interface Selected {
  name: string;
  readOnly: boolean;
  uidValidity: number;
  /** UIDs in sequence-number order, as the client knows them. */
  view: number[];
  /** Highest UID the client was told about (EXISTS). */
  lastUid: number;
  /** flagsVersion of each message the client has seen flags for. */
  known: Map<number, number>;
}

export interface SessionDeps {
  host: HostContext;
  settings: MssanteSettings;
  auth: AuthContext;
  tls: MailTls;
}

const MAX_LINE = 64 * 1024;
const MAX_OTHER_LITERAL = 1024 * 1024;
const MAX_BAD_IN_A_ROW = 30;
const IDLE_TIMEOUT_MS = 30 * 60_000;
const PREAUTH_TIMEOUT_MS = 5 * 60_000;
const JOURNAL_OUTPUT_BYTES = 8 * 1024;

export class ImapSession {
  state: SessionState = 'not-authenticated';
  socket: Socket;
  secure = false;
  cert: MailClientCert | undefined;
  identity: MailIdentity | undefined;
  store: MailStore | undefined;
  selected: Selected | undefined;
  readonly exchange: TcpExchange;

  private readonly framer: CommandFramer;
  private readonly queue: Buffer[] = [];
  private lineWaiter: ((line: Buffer | undefined) => void) | undefined;
  private processing = false;
  private badInARow = 0;
  private closed = false;
  private capture: Buffer[] | undefined;
  private captured = 0;
  private storeListener: ((account: string, folder: string) => void) | undefined;
  private resetListener: (() => void) | undefined;
  /** Set while IDLE runs: pushes updates as the store changes. */
  idleNotify: (() => void) | undefined;

  constructor(
    socket: Socket,
    readonly deps: SessionDeps,
  ) {
    this.socket = socket;
    this.exchange = new TcpExchange(deps.host, 'imap', () => this.socket, { address: socket.remoteAddress });
    this.framer = new CommandFramer({
      maxLineBytes: MAX_LINE,
      maxLiteral: (head) => (/^\S+ (UID )?APPEND /i.test(head.toString('latin1', 0, 64)) ? deps.settings.maxMessageBytes : MAX_OTHER_LITERAL),
      onContinue: () => this.write(Buffer.from('+ Ready for literal data\r\n')),
      onCommand: (command) => this.enqueue(command),
      onReject: (head, reason, size) => {
        const tag = peekTag(head);
        const message =
          reason === 'line-too-long'
            ? `BAD Command line too long (more than ${MAX_LINE} bytes)`
            : /^\S+ APPEND /i.test(head.toString('latin1', 0, 64))
              ? `NO [TOOBIG] Message of ${size} bytes is larger than the limit (${deps.settings.maxMessageBytes} bytes)`
              : `BAD Literal of ${size} bytes is too large for this command`;
        this.write(Buffer.from(`${tag && tag !== '*' ? tag : '*'} ${message}\r\n`));
        this.exchange.journal({ operation: 'imap.rejected', request: { command: head.toString('utf8').slice(0, 200) }, response: { text: message }, verdicts: [{ level: 'error', rule: 'imap.limits', message }] });
      },
    });
    this.attach(socket);
    this.setIdleTimer();
  }

  // ---- socket ---------------------------------------------------------------------------------

  private readonly onData = (chunk: Buffer) => {
    this.setIdleTimer();
    this.framer.push(chunk);
  };

  private readonly onEnd = () => this.destroy();

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('end', this.onEnd);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onEnd);
    socket.off('close', this.onEnd);
    socket.off('end', this.onEnd);
  }

  private idleTimer: NodeJS.Timeout | undefined;

  private setIdleTimer(): void {
    clearTimeout(this.idleTimer);
    const ms = this.state === 'not-authenticated' ? PREAUTH_TIMEOUT_MS : IDLE_TIMEOUT_MS;
    this.idleTimer = setTimeout(() => {
      this.write(Buffer.from('* BYE Autologout; idle for too long\r\n'));
      this.destroy();
    }, ms);
    this.idleTimer.unref?.();
  }

  /** Writes bytes; resolves once the socket can take more (backpressure on large FETCH answers). */
  write(data: Buffer): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    if (this.capture && this.captured < JOURNAL_OUTPUT_BYTES) {
      this.capture.push(data.subarray(0, JOURNAL_OUTPUT_BYTES - this.captured));
      this.captured += data.length;
    } else if (this.capture) this.captured += data.length;
    if (this.socket.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** An untagged response: `* ` + the values separated by spaces + CRLF. */
  untagged(...values: ImapValue[]): Promise<void> {
    const out: Buffer[] = [Buffer.from('* ')];
    values.forEach((v, i) => {
      if (i) out.push(Buffer.from(' '));
      compile(v, out);
    });
    out.push(Buffer.from('\r\n'));
    return this.write(Buffer.concat(out));
  }

  /** An untagged response written as text (status responses: `OK [UIDNEXT 5] Predicted next UID`). */
  untaggedText(line: string): Promise<void> {
    return this.write(Buffer.from(`* ${line}\r\n`));
  }

  greet(): void {
    void (async () => {
      const op = await this.exchange.decide('imap.connect', { client: this.socket.remoteAddress });
      const fault = TcpExchange.transportFault(op);
      if (fault) {
        this.exchange.journal({ operation: op, request: { command: 'CONNECT' }, response: {}, error: `connection ${fault} by scenario` });
        await this.exchange.cut(fault);
        return this.destroy();
      }
      const forced = TcpExchange.outcome<{ status: string; code?: string; text?: string }>(op, IMAP_REPLY_OUTCOME);
      if (forced && forced.status === 'BYE') {
        const line = `* BYE ${forced.code ? `[${forced.code}] ` : ''}${forced.text ?? 'Service unavailable (segur-sim scenario)'}`;
        this.exchange.journal({ operation: op, request: { command: 'CONNECT' }, response: { text: line } });
        await this.write(Buffer.from(`${line}\r\n`));
        return this.destroy();
      }
      const greeting = `* OK [CAPABILITY ${this.capabilities().join(' ')}] segur-sim MSSanté IMAP ready (simulated operator, test data only)`;
      // A rule fired without changing the answer (latency: slow accept): the journal still shows it.
      if (TcpExchange.fired(op)) this.exchange.journal({ operation: op, request: { command: 'CONNECT' }, response: { text: greeting } });
      await this.write(Buffer.from(`${greeting}\r\n`));
    })().catch((err) => this.fail(err));
  }

  capabilities(): string[] {
    const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'SPECIAL-USE', 'UNSELECT', 'CHILDREN', `APPENDLIMIT=${this.deps.settings.maxMessageBytes}`];
    if (this.state === 'not-authenticated') {
      if (!this.secure) caps.push('STARTTLS', 'LOGINDISABLED');
      else {
        caps.push('AUTH=XOAUTH2');
        const trainer = this.deps.settings.trainerPassword !== undefined;
        const certBound = !!this.cert?.authorized;
        if (trainer || certBound) caps.push('AUTH=PLAIN');
        if (trainer) caps.push('AUTH=LOGIN');
        if (certBound) caps.push('AUTH=EXTERNAL');
        if (!trainer && !certBound) caps.push('LOGINDISABLED');
      }
    }
    return caps;
  }

  // ---- command loop ---------------------------------------------------------------------------

  private enqueue(command: Buffer): void {
    if (this.lineWaiter) {
      const waiter = this.lineWaiter;
      this.lineWaiter = undefined;
      waiter(command);
      return;
    }
    this.queue.push(command);
    void this.pump();
  }

  /** The next raw line from the client (SASL response, IDLE's DONE); undefined if the connection closed. */
  nextLine(): Promise<Buffer | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.lineWaiter = resolve));
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length && !this.closed) await this.handle(this.queue.shift()!);
    } catch (err) {
      // A failure outside a command handler (journal, engine...): never an unhandled rejection.
      this.fail(err);
    } finally {
      this.processing = false;
    }
  }

  private async handle(raw: Buffer): Promise<void> {
    let cmd: ParsedCommand;
    try {
      cmd = parseCommand(raw);
    } catch (err) {
      const tag = err instanceof ImapParseError ? err.tag : undefined;
      const message = err instanceof Error ? err.message : String(err);
      await this.write(Buffer.from(`${tag ?? '*'} BAD ${message}\r\n`));
      this.exchange.journal({ operation: 'imap.bad', request: { command: redact(raw) }, response: { text: `BAD ${message}` }, verdicts: [{ level: 'error', rule: 'imap.syntax', message }] });
      return this.countBad();
    }
    const spec = COMMANDS.get(cmd.command);
    const operation = `imap.${cmd.command.toLowerCase().replace(' ', '-')}`;
    if (!spec) {
      await this.write(Buffer.from(`${cmd.tag} BAD Unknown command ${cmd.command.slice(0, 40)}\r\n`));
      this.exchange.journal({ operation: 'imap.bad', request: { command: redact(raw) }, response: { text: 'BAD unknown command' }, verdicts: [{ level: 'error', rule: 'imap.command', message: `unknown command ${cmd.command}` }] });
      return this.countBad();
    }
    if (!spec.states.includes(this.state)) {
      const text = `${cmd.command} is not allowed ${this.state === 'not-authenticated' ? 'before authentication' : this.state === 'authenticated' ? 'without a selected mailbox' : 'in this state'}`;
      await this.write(Buffer.from(`${cmd.tag} BAD ${text}\r\n`));
      this.exchange.journal({ operation, request: { command: redact(raw) }, response: { text: `BAD ${text}` }, verdicts: [{ level: 'error', rule: 'imap.state', message: text }] });
      return this.countBad();
    }
    this.capture = [];
    this.captured = 0;
    const op = await this.exchange.decide(operation, { login: this.identity?.mailbox.address, folder: this.selected?.name, command: cmd.command });
    let reply: Reply;
    const fault = TcpExchange.transportFault(op);
    if (fault) {
      this.exchange.journal({ operation: op, request: { command: redact(raw) }, response: {}, error: `connection ${fault} by scenario` });
      await this.exchange.cut(fault);
      return this.destroy();
    }
    const forced = TcpExchange.outcome<{ status: 'NO' | 'BAD' | 'BYE'; code?: string; text?: string }>(op, IMAP_REPLY_OUTCOME);
    if (forced) {
      if (forced.status === 'BYE') {
        const line = `* BYE ${forced.code ? `[${forced.code}] ` : ''}${forced.text ?? 'Service unavailable (segur-sim scenario)'}`;
        await this.write(Buffer.from(`${line}\r\n`));
        this.exchange.journal({ operation: op, request: { command: redact(raw) }, response: { text: line } });
        return this.destroy();
      }
      reply = { status: forced.status, code: forced.code, text: forced.text ?? 'Simulated failure (segur-sim scenario)' };
    } else if (this.identity && this.exchange.tokenExpired(op, this.identity.expiresAt)) {
      // Exchange Online's wording when the OAuth token of a session expires; `no` lets the client re-authenticate.
      const expired = this.exchange.tokenExpired(op, this.identity.expiresAt)!;
      if (expired.imap === 'bye') {
        const line = `* BYE ${expired.text ?? 'Session invalidated - AccessTokenExpired'}`;
        await this.write(Buffer.from(`${line}\r\n`));
        this.exchange.journal({ operation: op, request: { command: redact(raw) }, response: { text: line }, verdicts: [{ level: 'warning', rule: 'mssante.token-expired', message: 'access token expired: session closed' }] });
        return this.destroy();
      }
      this.dropLogin();
      reply = { status: 'NO', code: 'AUTHENTICATIONFAILED', text: expired.text ?? 'Access token expired, authenticate again', verdict: { level: 'warning', rule: 'mssante.token-expired', message: 'access token expired: back to not authenticated' } };
    } else if (OVERQUOTA_COMMANDS.has(cmd.command) && TcpExchange.outcome<MailboxFullParams>(op, MAILBOX_FULL_OUTCOME)) {
      const full = TcpExchange.outcome<MailboxFullParams>(op, MAILBOX_FULL_OUTCOME)!;
      reply = { status: 'NO', code: 'OVERQUOTA', text: full.text ?? 'Quota exceeded (mailbox is full)', verdict: { level: 'warning', rule: 'mssante.quota', message: 'mailbox over quota (scenario)' } };
    } else {
      try {
        reply = await spec.handler(this, cmd);
      } catch (err) {
        this.deps.host.log(`MSSanté IMAP internal error on ${cmd.command}: ${(err as Error).stack ?? err}`);
        reply = { status: 'NO', code: 'SERVERBUG', text: `segur-sim internal error: ${(err as Error).message}` };
      }
    }
    if (this.closed) return;
    if (this.state === 'selected' && spec.sync !== false) await this.syncSelected(spec.expungeAllowed !== false);
    const tagged = `${cmd.tag} ${reply.status}${reply.code ? ` [${reply.code}]` : ''} ${reply.text}`;
    if (!reply.written) await this.write(Buffer.from(`${tagged}\r\n`));
    if (reply.status === 'BAD') this.countBad();
    else this.badInARow = 0;
    const output = this.capture ? Buffer.concat(this.capture) : undefined;
    this.capture = undefined;
    this.exchange.journal({
      operation: op,
      request: { command: redact(raw), body: spec.journalBody?.(cmd) },
      response: { text: tagged, body: output && output.length ? output : undefined },
      summary: { status: reply.status, ...(reply.code ? { code: reply.code } : {}), ...(this.captured > JOURNAL_OUTPUT_BYTES ? { outputBytes: this.captured } : {}), ...reply.summary },
      verdicts: reply.verdict ? [reply.verdict] : reply.status === 'BAD' ? [{ level: 'error', rule: 'imap.syntax', message: reply.text }] : undefined,
      into: reply.journalInto,
    });
    if (this.state === 'logout') this.destroy();
  }

  private countBad(): void {
    if (++this.badInARow >= MAX_BAD_IN_A_ROW) {
      void this.write(Buffer.from('* BYE Too many invalid commands\r\n')).then(() => this.destroy());
    }
  }

  // ---- authentication and TLS -----------------------------------------------------------------

  async startTls(): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    this.framer.reset();
    this.queue.length = 0;
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.deps.tls.secureContext, requestCert: true, rejectUnauthorized: false });
    this.socket = secure;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        secure.destroy();
        resolve();
      }, 30_000);
      secure.once('secure', () => {
        clearTimeout(timer);
        resolve();
      });
      secure.once('error', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (secure.destroyed) return this.destroy();
    this.secure = true;
    this.cert = verifyClientCert(secure as TLSSocket, this.deps.tls.cas);
    if (this.cert.present) this.exchange.certificate = this.cert.subject;
    this.attach(secure);
  }

  /** Logged in: bind the sandbox, open its mail store, follow resets. */
  async login(identity: MailIdentity): Promise<void> {
    this.identity = identity;
    this.exchange.bind(identity.sandbox);
    this.store = await mailStore(identity.sandbox, this.deps.host.clock, this.deps.host.log);
    await this.store.account(identity.mailbox.address);
    this.state = 'authenticated';
    this.setIdleTimer();
    this.storeListener = (account) => {
      if (account === identity.mailbox.address) this.idleNotify?.();
    };
    this.resetListener = () => {
      void this.write(Buffer.from('* BYE The sandbox was reset or closed\r\n')).then(() => this.destroy());
    };
    this.store.on('change', this.storeListener);
    this.store.once('reset', this.resetListener);
    this.store.once('close', this.resetListener);
  }

  /** The login is no longer valid (token expired, `imap: no`): back to the not-authenticated state. */
  dropLogin(): void {
    if (this.store && this.storeListener) this.store.off('change', this.storeListener);
    if (this.store && this.resetListener) {
      this.store.off('reset', this.resetListener);
      this.store.off('close', this.resetListener);
    }
    this.storeListener = undefined;
    this.resetListener = undefined;
    this.idleNotify = undefined;
    this.identity = undefined;
    this.store = undefined;
    this.selected = undefined;
    this.state = 'not-authenticated';
    this.setIdleTimer();
  }

  // ---- selected mailbox -----------------------------------------------------------------------

  folderOf(name: string): Folder | undefined {
    const account = this.store?.peekAccount(this.identity!.mailbox.address);
    return account?.folders.get(/^inbox$/i.test(name) ? 'INBOX' : name);
  }

  /**
   * Tells the client what changed in the selected mailbox since it last heard: EXPUNGE (only when allowed:
   * never during FETCH, STORE or SEARCH), EXISTS for new messages, FETCH FLAGS for flags other sessions set.
   */
  async syncSelected(allowExpunge: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel || this.state !== 'selected') return;
    const folder = this.folderOf(sel.name);
    if (!folder || folder.uidValidity !== sel.uidValidity) {
      await this.write(Buffer.from('* BYE The selected mailbox was deleted or renamed by another session\r\n'));
      return this.destroy();
    }
    const present = new Set(folder.messages.map((m) => m.uid));
    if (allowExpunge) {
      for (let i = sel.view.length - 1; i >= 0; i--) {
        const uid = sel.view[i]!;
        if (present.has(uid)) continue;
        sel.view.splice(i, 1);
        sel.known.delete(uid);
        await this.untaggedText(`${i + 1} EXPUNGE`);
      }
    }
    const fresh = folder.messages.filter((m) => m.uid > sel.lastUid);
    if (fresh.length) {
      for (const m of fresh) {
        sel.view.push(m.uid);
        sel.known.set(m.uid, m.flagsVersion);
      }
      sel.lastUid = fresh[fresh.length - 1]!.uid;
      await this.untaggedText(`${sel.view.length} EXISTS`);
    }
    const seqOf = new Map(sel.view.map((uid, i) => [uid, i + 1]));
    for (const m of folder.messages) {
      const known = sel.known.get(m.uid);
      if (known === undefined || known === m.flagsVersion) continue;
      sel.known.set(m.uid, m.flagsVersion);
      const seq = seqOf.get(m.uid);
      if (seq) await this.untagged(seq, { atom: 'FETCH' }, [{ atom: 'UID' }, m.uid, { atom: 'FLAGS' }, [...m.flags].map((f) => ({ atom: f }))]);
    }
  }

  // ---- end ------------------------------------------------------------------------------------

  private fail(err: unknown): void {
    this.deps.host.log(`MSSanté IMAP session error: ${(err as Error).stack ?? err}`);
    this.destroy();
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'logout';
    clearTimeout(this.idleTimer);
    this.framer.stop();
    if (this.store && this.storeListener) this.store.off('change', this.storeListener);
    if (this.store && this.resetListener) {
      this.store.off('reset', this.resetListener);
      this.store.off('close', this.resetListener);
    }
    const waiter = this.lineWaiter;
    this.lineWaiter = undefined;
    waiter?.(undefined);
    this.idleNotify = undefined;
    if (!this.socket.destroyed) this.socket.end();
    const socket = this.socket;
    setTimeout(() => socket.destroy(), 1000).unref?.();
    void this.exchange.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

export const IMAP_REPLY_OUTCOME = 'mssante.imap-reply';

/** Commands the `mssante.mailbox-full` outcome refuses with `NO [OVERQUOTA]` (RFC 9208 §4.3). */
const OVERQUOTA_COMMANDS = new Set(['APPEND', 'COPY', 'MOVE', 'UID COPY', 'UID MOVE']);

/** The command as journaled: literals summarised, credentials hidden. */
function redact(raw: Buffer): string {
  let textPart = raw.toString('utf8', 0, Math.min(raw.length, 2048));
  textPart = textPart.replace(/\{(\d+)\+?\}\r\n[\s\S]*$/, (_m, n: string) => `{${n} bytes}`);
  const m = /^(\S+ (?:LOGIN|AUTHENTICATE) )(.*)$/is.exec(textPart);
  if (m) {
    const rest = m[2]!;
    if (/^LOGIN/i.test(m[1]!.split(' ')[1]!)) textPart = `${m[1]}${rest.split(' ')[0]} ***`;
    else textPart = `${m[1]}${rest.split(' ')[0]}${rest.includes(' ') ? ' ***' : ''}`;
  }
  return raw.length > 2048 ? `${textPart}…` : textPart;
}
