import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low, Memory } from 'lowdb';
import { JSONFile } from 'lowdb/node';

/** What one sandbox persists: each simulator's state under its service id, plus the sandbox's own metadata. */
export interface StoreData {
  version: 1;
  meta: { id: string; seed: number; createdAt: string; activeScenarios: string[] };
  services: Record<string, unknown>;
}

/**
 * The persisted state of one sandbox. lowdb's JSONFile writes through steno, which writes a temporary
 * file and renames it over the old one, so a killed process leaves either the old or the new file,
 * never half of one. `update` resolves only once the write is on disk: that is the acknowledgement.
 */
export class SandboxStore {
  private constructor(
    private readonly db: Low<StoreData>,
    readonly file: string | undefined,
  ) {}

  static async open(opts: { file?: string; initial: () => StoreData; log?: (msg: string) => void }): Promise<SandboxStore> {
    if (!opts.file) {
      const db = new Low<StoreData>(new Memory<StoreData>(), opts.initial());
      return new SandboxStore(db, undefined);
    }
    await mkdir(dirname(opts.file), { recursive: true });
    const db = new Low<StoreData>(new JSONFile<StoreData>(opts.file), opts.initial());
    if (existsSync(opts.file)) {
      try {
        await db.read();
        if (!isStoreData(db.data)) throw new Error('not a segur-sim sandbox state');
      } catch (err) {
        // Never lose data silently: keep the unreadable file aside and start from the seeded state.
        const aside = `${opts.file}.corrupt-${Date.now()}`;
        await rename(opts.file, aside);
        opts.log?.(`sandbox state ${opts.file} could not be read (${(err as Error).message}); kept as ${aside}, starting from the seeded world`);
        db.data = opts.initial();
        await db.write();
      }
    } else {
      await db.write();
    }
    return new SandboxStore(db, opts.file);
  }

  get data(): StoreData {
    return this.db.data;
  }

  /** State of one service, created by `init` the first time it is asked for. */
  service<T>(id: string, init: () => T): T {
    const services = this.db.data.services;
    if (!(id in services)) services[id] = init();
    return services[id] as T;
  }

  /** Mutates the state and resolves once it is durably written. */
  async update<R>(fn: (data: StoreData) => R): Promise<R> {
    const result = fn(this.db.data);
    await this.db.write();
    return result;
  }

  async replace(data: StoreData): Promise<void> {
    this.db.data = data;
    await this.db.write();
  }

  /** Reads what is on disk now (tests, diagnostics). */
  static async peek(file: string): Promise<StoreData> {
    return JSON.parse(await readFile(file, 'utf8')) as StoreData;
  }
}

function isStoreData(value: unknown): value is StoreData {
  const v = value as StoreData | null;
  return !!v && v.version === 1 && typeof v.meta === 'object' && typeof v.services === 'object';
}
