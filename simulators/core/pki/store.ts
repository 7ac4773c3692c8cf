/**
 * On-disk storage of the PKI: atomic writes, a manifest with content hashes (so a warm start only reads and
 * hashes small files, never re-parses certificates), and a directory lock so two simulator processes sharing a
 * data dir do not generate at the same time.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'segur-sim-pki/1';

export type FileRole = 'key' | 'cert' | 'der' | 'chain' | 'p12';

export interface ManifestFile {
  /** Relative to the PKI dir, forward slashes. */
  path: string;
  sha256: string;
}

export interface ManifestEntry {
  kind: 'ca' | 'server' | 'organisation' | 'professional';
  name: string;
  /** Hash of everything that determines the certificate content (subject, SAN, profile): a change forces reissue. */
  spec: string;
  issuer?: string;
  issuerFingerprint?: string;
  fingerprint256: string;
  serialNumber: string;
  notAfter: string;
  files: Partial<Record<FileRole, ManifestFile>>;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  updatedAt: string;
  p12Password: string;
  p12Encryption: string;
  entries: Record<string, ManifestEntry>;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Temp file + rename: a kill mid-generation leaves either the old file or the new one, never half of one. */
export function writeAtomic(file: string, data: string | Buffer, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, data, { mode });
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    // A directory (or other junk) squatting on the name: clear it once, then retry.
    fs.rmSync(file, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, file);
    } catch {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}

export function readIfFile(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

export function readManifest(dir: string): Manifest | undefined {
  const raw = readIfFile(path.join(dir, MANIFEST_FILE));
  if (!raw) return undefined;
  try {
    const m = JSON.parse(raw.toString('utf8')) as Manifest;
    if (m && m.format === MANIFEST_FORMAT && typeof m.entries === 'object' && m.entries !== null) return m;
  } catch {
    // corrupt manifest: treated as absent, the CA is then salvaged from its PEM files if they are intact
  }
  return undefined;
}

/** Left-over temp files from an interrupted generation. */
export function removeTempFiles(dir: string): void {
  const walk = (d: string, depth: number): void => {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n.name);
      if (n.isDirectory() && depth < 2) walk(p, depth + 1);
      else if (n.isFile() && /\.tmp-\d+-[0-9a-f]{8}$/.test(n.name)) fs.rmSync(p, { force: true });
    }
  };
  walk(dir, 0);
}

const LOCK_FILE = '.lock';
/** Locks held by this process: a lock file carrying our pid but not listed here is a leftover (pid reuse in containers). */
const heldHere = new Set<string>();
const STALE_LOCK_MS = 120_000;

function lockIsStale(lockPath: string): boolean {
  try {
    const [pidText, atText] = fs.readFileSync(lockPath, 'utf8').split(' ');
    const pid = Number(pidText);
    const at = Number(atText);
    if (!Number.isFinite(at) || Date.now() - at > STALE_LOCK_MS) return true;
    if (!Number.isInteger(pid) || pid <= 0) return true;
    if (pid === process.pid) return !heldHere.has(lockPath);
    try {
      process.kill(pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return true;
  }
}

/** Serialises generation across processes (and concurrent calls in one process) on the same PKI dir. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(dir, { recursive: true });
  const lockPath = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + STALE_LOCK_MS + 10_000;
  for (;;) {
    try {
      fs.writeFileSync(lockPath, `${process.pid} ${Date.now()}`, { flag: 'wx' });
      heldHere.add(lockPath);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockIsStale(lockPath) || Date.now() > deadline) {
        fs.rmSync(lockPath, { force: true, recursive: true });
        continue;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    heldHere.delete(lockPath);
    fs.rmSync(lockPath, { force: true });
  }
}
