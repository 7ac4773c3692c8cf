import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { generateWorld, type World } from '../../fixtures/index.js';
import type { ScenarioEngine } from '../../scenarios/engine/engine.js';
import type { SandboxScenarios } from '../../scenarios/engine/engine.js';
import type { Clock } from './clock.js';
import type { Config } from './config/schema.js';
import { Journal } from './journal/journal.js';
import type { SimulatorService } from './service.js';
import { SandboxStore, type StoreData } from './store/sandbox-store.js';

export const DEFAULT_SANDBOX = 'default';
const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class SandboxError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 429,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export function checkSandboxId(id: string): void {
  if (!SANDBOX_ID.test(id)) throw new SandboxError(400, `invalid sandbox id "${id}": use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

/**
 * State a simulator keeps beside the sandbox's lowdb store when a JSON file rewritten on every change
 * does not fit (the DMP registry's append-only log and document blobs, MSSanté mailboxes).
 */
export interface SandboxResource {
  /** Back to the seeded world (admin reset). */
  reset(): Promise<void>;
  /** Flush and release files (sandbox deleted, host closing). */
  close(): Promise<void>;
}

/** Everything one isolated test run sees: its world, state, active scenarios and journal. */
export class Sandbox {
  private readonly resources = new Map<string, Promise<SandboxResource>>();

  constructor(
    readonly id: string,
    readonly seed: number,
    readonly world: World,
    readonly store: SandboxStore,
    readonly journal: Journal,
    readonly scenarios: SandboxScenarios,
    /** This sandbox's folder in the data dir, or undefined with `store: memory` (keep everything in memory). */
    readonly dir: string | undefined,
  ) {}

  /**
   * A resource of this sandbox, opened once on first use by `open` and kept for the sandbox's life:
   * `await sandbox.resource('dmp', () => DmpStore.open(sandbox))`.
   */
  resource<T extends SandboxResource>(key: string, open: () => Promise<T>): Promise<T> {
    let found = this.resources.get(key);
    if (!found) {
      found = open();
      this.resources.set(key, found);
      // A failed open is not cached: the next request tries again (and gets the same clear error).
      found.catch(() => this.resources.delete(key));
    }
    return found as Promise<T>;
  }

  /** Resets every opened resource (admin reset). */
  async resetResources(): Promise<void> {
    for (const resource of this.resources.values()) await (await resource).reset();
  }

  /** Closes every opened resource (delete, shutdown). */
  async closeResources(): Promise<void> {
    const all = [...this.resources.values()];
    this.resources.clear();
    await Promise.all(all.map(async (r) => (await r.catch(() => undefined))?.close()));
  }

  get createdAt(): string {
    return this.store.data.meta.createdAt;
  }

  /** The persisted state of one simulator in this sandbox. */
  state<T>(service: string): T {
    return this.store.data.services[service] as T;
  }
}

/**
 * Creates, finds, resets and deletes sandboxes. Worlds are generated once per seed and shared read-only;
 * each sandbox keeps its own mutable state (store), scenario runtime and journal.
 */
export class SandboxManager {
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly pending = new Map<string, Promise<Sandbox>>();
  private readonly worlds = new Map<number, World>();

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly engine: ScenarioEngine,
    private readonly services: SimulatorService[],
    private readonly log: (msg: string) => void,
  ) {}

  world(seed = this.config.seed): World {
    let world = this.worlds.get(seed);
    if (!world) {
      world = generateWorld({ seed, ...this.config.world });
      this.worlds.set(seed, world);
    }
    return world;
  }

  /** Loads the default sandbox and every sandbox persisted in the data dir. */
  async start(): Promise<void> {
    const ids = new Set([DEFAULT_SANDBOX]);
    const dir = this.dir();
    if (dir && existsSync(dir)) for (const name of await readdir(dir)) if (SANDBOX_ID.test(name)) ids.add(name);
    for (const id of ids) await this.open(id);
  }

  get(id: string): Sandbox | undefined {
    return this.sandboxes.get(id);
  }

  list(): Sandbox[] {
    return [...this.sandboxes.values()];
  }

  /** The sandbox a request names; created on first use when `sandboxes.autoCreate` is on. */
  async resolve(id: string): Promise<Sandbox> {
    const found = this.sandboxes.get(id);
    if (found) return found;
    if (!this.config.sandboxes.autoCreate) throw new SandboxError(404, `unknown sandbox "${id}" (create it with POST /_admin/sandboxes)`);
    checkSandboxId(id);
    return this.open(id);
  }

  async create(id: string, opts: { seed?: number } = {}): Promise<Sandbox> {
    checkSandboxId(id);
    if (this.sandboxes.has(id) || this.pending.has(id)) throw new SandboxError(409, `sandbox "${id}" already exists`);
    return this.open(id, opts.seed);
  }

  /** Back to the seeded world: state, scenario counters, activations and journal. */
  async reset(id: string): Promise<Sandbox> {
    const sandbox = this.mustGet(id);
    await sandbox.store.replace(this.initialData(id, sandbox.seed));
    await sandbox.resetResources();
    this.engine.resetSandbox(sandbox.scenarios);
    for (const active of this.engine.active(sandbox.scenarios)) this.engine.deactivate(sandbox.scenarios, active.name);
    sandbox.journal.clear();
    return sandbox;
  }

  async delete(id: string): Promise<void> {
    if (id === DEFAULT_SANDBOX) throw new SandboxError(409, 'the default sandbox cannot be deleted (reset it instead)');
    const sandbox = this.mustGet(id);
    this.sandboxes.delete(id);
    sandbox.journal.clear();
    await sandbox.closeResources();
    const dir = this.dir();
    if (dir) await rm(join(dir, id), { recursive: true, force: true });
  }

  /** Remembers which scenarios are active so they survive a restart. */
  async saveActive(sandbox: Sandbox): Promise<void> {
    await sandbox.store.update((data) => {
      data.meta.activeScenarios = this.engine.active(sandbox.scenarios).map((a) => a.name);
    });
  }

  /** Flushes and closes every sandbox's resources (host shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.sandboxes.values()].map((s) => s.closeResources()));
  }

  mustGet(id: string): Sandbox {
    const sandbox = this.sandboxes.get(id);
    if (!sandbox) throw new SandboxError(404, `unknown sandbox "${id}"`);
    return sandbox;
  }

  private async open(id: string, seed?: number): Promise<Sandbox> {
    const inflight = this.pending.get(id);
    if (inflight) return inflight;
    if (this.sandboxes.size >= this.config.sandboxes.max) throw new SandboxError(429, `too many sandboxes (${this.config.sandboxes.max}); delete some first`);
    const opening = (async () => {
      const dir = this.dir();
      const store = await SandboxStore.open({
        file: dir ? join(dir, id, 'state.json') : undefined,
        initial: () => this.initialData(id, seed ?? this.config.seed),
        log: this.log,
      });
      const actualSeed = store.data.meta.seed;
      const scenarios = this.engine.createSandbox(id);
      const sandbox = new Sandbox(id, actualSeed, this.world(actualSeed), store, new Journal(this.config.journal), scenarios, dir ? join(dir, id) : undefined);
      for (const name of store.data.meta.activeScenarios) {
        if (this.engine.getScenario(name)) this.engine.activate(scenarios, name);
        else this.log(`sandbox ${id}: scenario "${name}" was active but is no longer loaded; skipped`);
      }
      this.sandboxes.set(id, sandbox);
      return sandbox;
    })();
    this.pending.set(id, opening);
    try {
      return await opening;
    } finally {
      this.pending.delete(id);
    }
  }

  private initialData(id: string, seed: number): StoreData {
    const world = this.world(seed);
    const services: Record<string, unknown> = {};
    for (const service of this.services) if (service.initialState) services[service.id] = service.initialState(world);
    return { version: 1, meta: { id, seed, createdAt: new Date(this.clock.now()).toISOString(), activeScenarios: [] }, services };
  }

  private dir(): string | undefined {
    return this.config.store === 'file' ? join(this.config.dataDir, 'sandboxes') : undefined;
  }
}
