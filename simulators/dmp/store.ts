/**
 * The DMP state of one sandbox: dossiers (status, oppositions, authorizations, access traces) and the XDS
 * registry/repository. The seeded world is the base layer, rebuilt from the seed on open; every change
 * since is one event in an append-only log (`<sandbox dir>/dmp/events.jsonl`), replayed on open, and
 * document bytes are content-addressed blobs (`<sandbox dir>/dmp/blobs`). A reset empties both.
 */
import { join } from 'node:path';
import { AppendLog } from '../core/store/append-log.js';
import { BlobStore } from '../core/store/blob-store.js';
import type { Sandbox, SandboxResource } from '../core/sandbox.js';
import { DossierBook } from './dossiers.js';
import { Registry } from './xds/registry.js';

/** One change. `t` is namespaced by the part that owns it: `dossier.*` and `trace.*` → dossiers, `xds.*` → registry. */
export interface DmpEvent {
  t: string;
  /** Epoch ms (host clock). */
  at: number;
  [field: string]: unknown;
}

export class DmpStore implements SandboxResource {
  private constructor(
    private readonly log: AppendLog<DmpEvent>,
    readonly blobs: BlobStore,
    readonly dossiers: DossierBook,
    readonly registry: Registry,
  ) {}

  static async open(sandbox: Sandbox, report?: (msg: string) => void): Promise<DmpStore> {
    const dir = sandbox.dir ? join(sandbox.dir, 'dmp') : undefined;
    const { log, entries } = await AppendLog.open<DmpEvent>(dir && join(dir, 'events.jsonl'), report);
    const blobs = new BlobStore(dir && join(dir, 'blobs'));
    const store = new DmpStore(log, blobs, new DossierBook(sandbox.world), new Registry(sandbox.world, blobs));
    for (const event of entries) store.apply(event);
    return store;
  }

  /** Applies the change to the model, then makes it durable; resolves once written. */
  async record(event: DmpEvent): Promise<void> {
    this.apply(event);
    await this.log.append(event);
  }

  private apply(event: DmpEvent): void {
    if (event.t.startsWith('xds.')) this.registry.apply(event);
    else this.dossiers.apply(event);
  }

  async reset(): Promise<void> {
    await this.log.clear();
    await this.blobs.clear();
    this.dossiers.reset();
    this.registry.reset();
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}

/** The DMP store of a sandbox, opened on first use. */
export function dmpStore(sandbox: Sandbox, report?: (msg: string) => void): Promise<DmpStore> {
  return sandbox.resource('dmp', () => DmpStore.open(sandbox, report));
}
