import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * An append-only JSON-lines file: the durable half of state that changes often and grows large (the DMP
 * registry: every submission, status change and access trace is one line). Replaying the lines rebuilds
 * the in-memory model, so a write never rewrites what is already there.
 *
 * Appends are queued and written in order; `append` resolves once its line is in the file (the OS has it:
 * a killed process loses nothing acknowledged). A line cut by a kill mid-write is dropped on the next
 * open, the file truncated back to its last whole line, and the loss reported through `log`.
 * With no file (`store: memory`) lines are only kept in memory for `entries()`.
 */
export class AppendLog<T> {
  private handle: FileHandle | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pendingLines: string[] = [];
  private flushing: Promise<void> | undefined;

  private constructor(
    readonly file: string | undefined,
    private readonly memory: T[] | undefined,
  ) {}

  /** Opens (creating it if needed) and returns the log with the entries already in it. */
  static async open<T>(file: string | undefined, log?: (msg: string) => void): Promise<{ log: AppendLog<T>; entries: T[] }> {
    if (!file) return { log: new AppendLog<T>(undefined, []), entries: [] };
    await mkdir(dirname(file), { recursive: true });
    const entries: T[] = [];
    if (existsSync(file)) {
      // Split on the raw bytes: '\n' never occurs inside a UTF-8 multi-byte character, and byte offsets are
      // what truncation needs.
      const bytes = await readFile(file);
      let good = 0;
      let lineNo = 0;
      for (let start = 0; start < bytes.length; ) {
        const end = bytes.indexOf(0x0a, start);
        lineNo++;
        if (end === -1) {
          log?.(`${file}: line ${lineNo} was cut by an interrupted write; dropped`);
          break;
        }
        const line = bytes.toString('utf8', start, end);
        if (line.trim()) {
          try {
            entries.push(JSON.parse(line) as T);
          } catch {
            // A corrupt line in the middle: keep the file aside rather than silently dropping what follows.
            const aside = `${file}.corrupt-${Date.now()}`;
            await rename(file, aside);
            throw new Error(`${file}: line ${lineNo} is not JSON; the log was kept as ${aside}`);
          }
        }
        start = end + 1;
        good = start;
      }
      if (good < bytes.length) await truncate(file, good);
    }
    const appendLog = new AppendLog<T>(file, undefined);
    appendLog.handle = await open(file, 'a');
    return { log: appendLog, entries };
  }

  /** Appends one entry; resolves once it is written. Consecutive appends are written in one system call. */
  append(entry: T): Promise<void> {
    if (this.memory) {
      this.memory.push(entry);
      return Promise.resolve();
    }
    this.pendingLines.push(`${JSON.stringify(entry)}\n`);
    this.flushing ??= this.queue = this.queue.then(() => this.flush());
    return this.flushing;
  }

  private async flush(): Promise<void> {
    this.flushing = undefined;
    const lines = this.pendingLines;
    this.pendingLines = [];
    if (lines.length && this.handle) await this.handle.write(lines.join(''));
  }

  /** Entries appended in memory mode (tests). */
  entries(): readonly T[] {
    return this.memory ?? [];
  }

  /** Empties the log (sandbox reset). */
  async clear(): Promise<void> {
    await this.queue;
    if (this.memory) {
      this.memory.length = 0;
      return;
    }
    await this.handle?.truncate(0);
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle?.close();
    this.handle = undefined;
  }
}
