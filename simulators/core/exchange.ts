import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Decision, RequestFacts, ResolvedEffect } from '../../scenarios/engine/types.js';
import type { HostContext } from './host-context.js';
import type { ClientCertInfo } from './pki/index.js';
import type { Verdict } from './journal/journal.js';
import type { Sandbox } from './sandbox.js';
import type { ProtocolError, SimulatorService } from './service.js';

/** Longest a `hang` fault keeps a connection open when the client never gives up. */
const MAX_HANG_MS = 10 * 60_000;

/**
 * One request as a simulator serves it: what it was (operation, facts, parsed summary), what the
 * validators said, and what the scenario engine decided. The host journals it when the response leaves.
 */
export class Exchange {
  operation = 'unknown';
  facts: RequestFacts = {};
  summary: Record<string, unknown> = {};
  readonly verdicts: Verdict[] = [];
  decision: Decision | undefined;
  /** The request's message id once the simulator has read it: scenario faults echo it (RelatesTo...). */
  messageId: string | undefined;
  /** Set when a transport fault cut the connection instead of answering. */
  cutBy: 'reset' | 'hung' | undefined;

  /** `https` when the request came over TLS; the client certificate (mTLS) is then in `clientCert`. */
  readonly transport: 'http' | 'https';
  readonly clientCert: ClientCertInfo | undefined;
  private readonly headerScenarios: string[] | undefined;
  private readonly socket: Socket | undefined;

  constructor(
    readonly service: SimulatorService,
    readonly sandbox: Sandbox,
    private readonly host: HostContext,
    request: { headerScenarios?: string[]; socket?: Socket; transport: 'http' | 'https'; clientCert?: ClientCertInfo },
  ) {
    this.headerScenarios = request.headerScenarios;
    this.socket = request.socket;
    this.transport = request.transport;
    this.clientCert = request.clientCert;
  }

  verdict(level: Verdict['level'], rule: string, message: string): void {
    this.verdicts.push({ level, rule, message });
  }

  /** True when a validator found an error and the host runs in strict mode: reject as production would. */
  get rejects(): boolean {
    return this.host.config.mode === 'strict' && this.verdicts.some((v) => v.level === 'error');
  }

  /**
   * Asks the scenario engine what to do with this request and waits out any latency it drew.
   * Throws ScenarioNotFoundError for an unknown X-Segur-Scenario (the host answers in the protocol's shape).
   * Synchronous when there is no latency to wait (most requests): no promise made per call.
   */
  decide(operation: string, facts: RequestFacts = {}): Decision | Promise<Decision> {
    this.operation = operation;
    this.facts = facts;
    const decision = this.host.engine.evaluate(
      this.sandbox.scenarios,
      { service: this.service.id, operation, sandbox: this.sandbox.id, facts },
      this.headerScenarios,
    );
    this.decision = decision;
    return decision.latencyMs > 0 ? sleep(decision.latencyMs).then(() => decision) : decision;
  }

  /**
   * `decide` then `fault` in one call, the usual opening of a handler:
   * `const forced = await exchange.enter('op', facts); if (forced) return forced;`
   */
  enter(operation: string, facts: RequestFacts = {}): Response | undefined | Promise<Response | undefined> {
    const decided = this.decide(operation, facts);
    return decided instanceof Promise ? decided.then(() => this.fault()) : this.fault();
  }

  /** Parameters of a business outcome the decision carries, e.g. `outcome('insi.cr')` → `{ cr: '01' }`. */
  outcome<T = Record<string, unknown>>(name: string): T | undefined {
    const effect = this.decision?.effects.find((e) => e.kind === 'outcome' && e.name === name);
    return effect?.kind === 'outcome' ? (effect.params as T) : undefined;
  }

  /**
   * The response forced by a transport or protocol fault, if the decision has one. Call it right after
   * `decide`: a non-undefined result must be returned as is. Synchronous when the decision has no effect.
   */
  fault(): Response | undefined | Promise<Response | undefined> {
    const effects = this.decision?.effects;
    if (!effects || effects.length === 0) return undefined;
    return this.firstFault(effects);
  }

  private async firstFault(effects: readonly ResolvedEffect[]): Promise<Response | undefined> {
    for (const effect of effects) {
      const response = await this.applyFault(effect);
      if (response) return response;
    }
    return undefined;
  }

  /** Bytes per second when the response body must trickle out (`slow-body`). */
  get slowBody(): number | undefined {
    const effect = this.decision?.effects.find((e) => e.kind === 'transport' && e.fault.type === 'slow-body');
    return effect?.kind === 'transport' && effect.fault.type === 'slow-body' ? effect.fault.bytesPerSecond : undefined;
  }

  private async applyFault(effect: ResolvedEffect): Promise<Response | undefined> {
    switch (effect.kind) {
      case 'transport':
        if (effect.fault.type === 'connection-reset') {
          this.cutBy = 'reset';
          this.resetConnection();
          return new Response(null, { status: 204 });
        }
        if (effect.fault.type === 'hang') {
          this.cutBy = 'hung';
          await this.waitForClose();
          return new Response(null, { status: 204 });
        }
        return undefined;
      case 'http':
        return new Response(effect.body ?? '', { status: effect.status, headers: effect.headers ?? { 'content-type': 'text/plain; charset=utf-8' } });
      case 'soapFault': {
        const error: ProtocolError = {
          status: effect.status ?? 500,
          code: effect.subcode ?? effect.code,
          detail: effect.subcode ? effect.code : undefined,
          message: effect.reason ?? effect.detail ?? `simulated fault ${effect.code}`,
          detailText: effect.detail,
          messageId: this.messageId,
        };
        return this.service.renderError(error);
      }
      default:
        return undefined;
    }
  }

  private resetConnection(): void {
    const socket = this.socket as (Socket & { resetAndDestroy?: () => void }) | undefined;
    if (!socket) return;
    // A TCP RST, as a crashed or firewalled server gives, rather than a clean FIN.
    if (typeof socket.resetAndDestroy === 'function' && !('encrypted' in socket)) socket.resetAndDestroy();
    else socket.destroy();
  }

  private waitForClose(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, MAX_HANG_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
