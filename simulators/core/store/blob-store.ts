import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Content-addressed bytes (documents, attachments), named by their SHA-1 in hex as XDS reports it. On disk
 * each blob is one file under `<dir>/<2 hex>/<40 hex>`, written to a temporary name then renamed, so a kill
 * never leaves half a blob; in memory mode they stay in a Map. Storing the same bytes twice costs nothing.
 */
export class BlobStore {
  private readonly memory = new Map<string, Uint8Array>();
  /** Fan-out directories already created: one mkdir per directory, not per blob. */
  private readonly dirs = new Set<string>();
  /** Blobs this process wrote: storing them again writes nothing. */
  private readonly written = new Set<string>();

  constructor(private readonly dir: string | undefined) {}

  static sha1(bytes: Uint8Array): string {
    return createHash('sha1').update(bytes).digest('hex');
  }

  /** Stores the bytes; resolves with their SHA-1 once durable. */
  async put(bytes: Uint8Array, sha1 = BlobStore.sha1(bytes)): Promise<string> {
    if (!this.dir) {
      this.memory.set(sha1, bytes);
      return sha1;
    }
    const file = this.path(sha1);
    const fanout = join(this.dir, sha1.slice(0, 2));
    if (!this.dirs.has(fanout)) {
      await mkdir(fanout, { recursive: true });
      this.dirs.add(fanout);
    }
    if (this.written.has(sha1)) return sha1;
    // No existence check on disk: most blobs are new, and a failed access() costs more than the rare rewrite
    // of a blob stored before a restart (the rename over it is atomic and harmless).
    // Synchronous on purpose: a blob (a document, a message) lands in the page cache in tens of microseconds,
    // while the promise API's open/write/close/rename thread hops cost several times that per blob.
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
    this.written.add(sha1);
    return sha1;
  }

  async get(sha1: string): Promise<Uint8Array | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha1)) return undefined;
    if (!this.dir) return this.memory.get(sha1);
    try {
      return new Uint8Array(await readFile(this.path(sha1)));
    } catch {
      return undefined;
    }
  }

  /** Removes every blob (sandbox reset). */
  async clear(): Promise<void> {
    this.memory.clear();
    this.dirs.clear();
    this.written.clear();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private path(sha1: string): string {
    return join(this.dir!, sha1.slice(0, 2), sha1);
  }
}
