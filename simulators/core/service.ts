import type { Server as NetServer } from 'node:net';
import type { Hono } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { World } from '../../fixtures/index.js';
import type { OutcomeDefinition, RuleSpec } from '../../scenarios/engine/types.js';
import type { Exchange } from './exchange.js';
import type { HostContext } from './host-context.js';

/**
 * What the host puts on every request before a simulator sees it: the Exchange, which carries the
 * sandbox, the transport, the verified client certificate, the scenario decision and the journal record.
 */
export interface HostVariables {
  exchange: Exchange;
}

export interface HostEnv {
  Bindings: HttpBindings;
  Variables: HostVariables;
}

export type HostApp = Hono<HostEnv>;

/** An error the host must report to the client in the service's own protocol (SOAP fault, OAuth error...). */
export interface ProtocolError {
  status: number;
  /** Machine code: a SOAP subcode, an OAuth error, an XDS error code... */
  code: string;
  message: string;
  /** Optional finer code for protocols that have two levels (INSi: siram subcode + desir detail code). */
  detail?: string;
  /** Text that goes with `detail`, when it differs from `message`. */
  detailText?: string;
  /** The request's message id (WS-Addressing MessageID...), for protocols whose errors echo it. */
  messageId?: string;
}

/**
 * One simulated national service. Every simulator folder exports one of these from `service.ts`; the host
 * mounts its routes under `mounts`, registers its outcomes and magic rules with the scenario engine, and
 * seeds its state in every sandbox.
 */
export interface SimulatorService {
  /** Short id used in scenarios, the journal and the admin API: `insi`, `dmp`, `psc`, `annuaire`, `eprescription`, `mssante`. */
  id: string;
  title: string;
  /** HTTP path prefixes at their production paths, e.g. `/lps`. */
  mounts: string[];
  outcomes?: OutcomeDefinition[];
  /** Rules derived from the world's magic personas (precedence channel `magic`). */
  magicRules?(world: World): RuleSpec[];
  /** State this service keeps in a fresh sandbox, derived from the seeded world. */
  initialState?(world: World): unknown;
  /** Adds the routes (already scoped to the sandbox by the host). */
  routes(app: HostApp, host: HostContext): void;
  /** `tool` for segur-sim's own helpers (echo, virtual Vitale reader): not in the service weather or the banner list. */
  kind?: 'national' | 'tool';
  /** True while only the paths are mounted and the simulator itself is not written yet. */
  planned?: boolean;
  /**
   * TCP listeners this service serves itself (MSSanté: SMTP and IMAP). The host listens on the configured
   * ports with them; a port no service claims is held by a placeholder that refuses politely.
   */
  tcpListeners?(host: HostContext): Partial<Record<'smtp' | 'imap', NetServer>>;
  /** Renders an error in the protocol's own shape (used for scenario protocol faults and host-level errors). */
  renderError(error: ProtocolError): Response;
}
