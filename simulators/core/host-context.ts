import type { Config } from './config/schema.js';
import type { Clock } from './clock.js';
import type { Pki } from './pki/index.js';
import type { ScenarioEngine } from '../../scenarios/engine/engine.js';
import type { OutcomeRegistry } from '../../scenarios/engine/outcomes.js';
import type { SandboxManager } from './sandbox.js';

export interface ListenerState {
  name: 'http' | 'https' | 'smtp' | 'imap';
  url: string;
  port: number;
  up: boolean;
}

/** What the host hands to every simulator and to the admin API: shared services, never per-request state. */
export interface HostContext {
  config: Config;
  clock: Clock;
  engine: ScenarioEngine;
  outcomes: OutcomeRegistry;
  sandboxes: SandboxManager;
  pki: Pki;
  /** Filled as listeners come up; `ready` once every one of them listens. */
  runtime: { ready: boolean; startedAt: number; listeners: ListenerState[] };
  log: (message: string) => void;
}
