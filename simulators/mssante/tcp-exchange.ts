/**
 * The Exchange of the TCP protocols (SMTP, IMAP): one connection, many operations. Each operation asks the
 * scenario engine (latency, transport faults, business outcomes), and is journaled in the connection's
 * sandbox. The sandbox is only known once the client has authenticated (the login names it, see
 * README "Sandboxes"): what happens before (greeting, CAPABILITY, STARTTLS, a failed login) is decided
 * in the default sandbox and journaled into the sandbox the connection ends up in (default if none).
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Decision, RequestFacts } from '../../scenarios/engine/types.js';
import type { HostContext } from '../core/host-context.js';
import type { JournalBody, JournalRecord, Verdict } from '../core/journal/journal.js';
import { DEFAULT_SANDBOX, type Sandbox } from '../core/sandbox.js';
import { MSSANTE_SERVICE_ID } from './constants.js';

/** Longest a `hang` fault keeps a connection silent when the client never gives up. */
const MAX_HANG_MS = 10 * 60_000;
/** Journal records kept while the sandbox is unknown (a client that never logs in cannot flood memory). */
const MAX_PENDING = 50;

export type TransportCut = 'reset' | 'hung';

/** Outcome: the session's PSC token expires (params: when, imap, smtpCode, text). */
export const TOKEN_EXPIRED_OUTCOME = 'mssante.token-expired';
/** Outcome: the mailbox is over quota (params: permanent, text). */
export const MAILBOX_FULL_OUTCOME = 'mssante.mailbox-full';

export interface TokenExpiredParams {
  when: 'now' | 'exp';
  imap: 'bye' | 'no';
  smtpCode: 530 | 454 | 535;
  text?: string;
}

export interface MailboxFullParams {
  permanent: boolean;
  text?: string;
}

export interface TcpOperation {
  operation: string;
  facts: RequestFacts;
  decision: Decision;
  startedAt: number;
}

export interface TcpJournalInput {
  operation: TcpOperation | string;
  request: { command?: string; headers?: Record<string, string>; body?: JournalBody };
  response: { status?: number; text?: string; body?: JournalBody };
  summary?: Record<string, unknown>;
  verdicts?: Verdict[];
  error?: string;
  /** Journal there rather than in the connection's sandbox (a failed login that named a sandbox). */
  into?: Sandbox;
}

export class TcpExchange {
  private boundSandbox: Sandbox | undefined;
  private pending: JournalRecord[] = [];
  private defaultSandbox: Sandbox | undefined;
  closed = false;

  constructor(
    private readonly host: HostContext,
    readonly transport: 'smtp' | 'imap',
    private readonly socketOf: () => Socket | undefined,
    readonly client: { address?: string },
    /** Subject of the verified client certificate, once TLS is up. */
    public certificate: Record<string, string> | undefined = undefined,
  ) {}

  get sandbox(): Sandbox | undefined {
    return this.boundSandbox;
  }

  /** The sandbox operations are decided in: the bound one, else the default sandbox. */
  async sandboxForDecisions(): Promise<Sandbox> {
    if (this.boundSandbox) return this.boundSandbox;
    this.defaultSandbox ??= await this.host.sandboxes.resolve(DEFAULT_SANDBOX);
    return this.defaultSandbox;
  }

  /** The login named the sandbox: later operations are decided and journaled there, earlier ones move there. */
  bind(sandbox: Sandbox): void {
    this.boundSandbox = sandbox;
    const pending = this.pending;
    this.pending = [];
    for (const record of pending) sandbox.journal.add({ ...record, sandbox: sandbox.id });
  }

  /** Asks the engine, waits out the drawn latency. Never throws (an engine failure decides "default"). */
  async decide(operation: string, facts: RequestFacts = {}): Promise<TcpOperation> {
    const startedAt = this.host.clock.now();
    const sandbox = await this.sandboxForDecisions();
    let decision: Decision;
    try {
      decision = this.host.engine.evaluate(sandbox.scenarios, { service: MSSANTE_SERVICE_ID, operation, sandbox: sandbox.id, facts });
    } catch (err) {
      decision = { channel: 'default', fired: [], effects: [], latencyMs: 0, explain: `scenario engine error: ${(err as Error).message}` };
    }
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    return { operation, facts, decision, startedAt };
  }

  /** True when at least one scenario rule fired for the operation (the journal must show it even if served). */
  static fired(op: TcpOperation): boolean {
    return op.decision.fired.length > 0;
  }

  /**
   * The token-expired outcome if it applies to this identity now: `when: now` always, `when: exp` only once the
   * token's real `exp` has passed (identities without a token expiry never expire that way).
   */
  tokenExpired(op: TcpOperation, expiresAt: number | undefined): TokenExpiredParams | undefined {
    const params = TcpExchange.outcome<TokenExpiredParams>(op, TOKEN_EXPIRED_OUTCOME);
    if (!params) return undefined;
    if (params.when === 'exp' && (expiresAt === undefined || this.host.clock.now() < expiresAt)) return undefined;
    return params;
  }

  /** Parameters of a business outcome the decision carries. */
  static outcome<T = Record<string, unknown>>(op: TcpOperation, name: string): T | undefined {
    const effect = op.decision.effects.find((e) => e.kind === 'outcome' && e.name === name);
    return effect?.kind === 'outcome' ? (effect.params as T) : undefined;
  }

  /** The transport fault of the decision, if any: `connection-reset` or `hang`. */
  static transportFault(op: TcpOperation): TransportCut | undefined {
    for (const e of op.decision.effects) {
      if (e.kind !== 'transport') continue;
      if (e.fault.type === 'connection-reset') return 'reset';
      if (e.fault.type === 'hang') return 'hung';
    }
    return undefined;
  }

  /**
   * Applies a transport fault: `reset` destroys the connection at once (a TCP RST when the socket allows it),
   * `hung` keeps it silent until the client gives up (at most 10 minutes, then closes it).
   */
  async cut(kind: TransportCut): Promise<void> {
    const socket = this.socketOf() as (Socket & { resetAndDestroy?: () => void }) | undefined;
    if (!socket || socket.destroyed) return;
    if (kind === 'reset') {
      if (typeof socket.resetAndDestroy === 'function' && !('encrypted' in socket)) socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, MAX_HANG_MS);
      timer.unref?.();
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Journals one operation in the connection's sandbox (or keeps it until the sandbox is known). */
  journal(input: TcpJournalInput): void {
    const op = typeof input.operation === 'string' ? undefined : input.operation;
    const operation = typeof input.operation === 'string' ? input.operation : input.operation.operation;
    const now = this.host.clock.now();
    const sandbox = this.boundSandbox ?? input.into;
    const record: JournalRecord = {
      sandbox: sandbox?.id ?? DEFAULT_SANDBOX,
      service: MSSANTE_SERVICE_ID,
      operation,
      transport: this.transport,
      startedAt: op?.startedAt ?? now,
      endedAt: now,
      request: { method: input.request.command, headers: input.request.headers ?? {}, body: input.request.body },
      response: { status: input.response.status, headers: input.response.text ? { reply: input.response.text } : {}, body: input.response.body },
      summary: { ...(op ? { facts: op.facts } : {}), ...input.summary },
      verdicts: input.verdicts,
      decision: op?.decision,
      client: { address: this.client.address, certificate: this.certificate },
      error: input.error,
    };
    if (sandbox) sandbox.journal.add(record);
    else if (this.pending.length < MAX_PENDING) this.pending.push(record);
  }

  /** The connection ended: what was never attributed to a sandbox goes to the default sandbox. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.pending.length) return;
    const sandbox = await this.sandboxForDecisions().catch(() => undefined);
    if (sandbox) for (const record of this.pending) sandbox.journal.add(record);
    this.pending = [];
  }
}
