/**
 * Reading an attached ZIP (`IHE_XDM.zip`) without trusting it: fflate's `unzipSync` with a filter that
 * counts entries and adds up the sizes the central directory declares before anything is inflated, so a
 * zip bomb is refused before memory is spent. Each entry is inflated into a buffer of its declared size
 * (fflate never grows a buffer it was given), so an entry that lies about its size cannot grow either:
 * its content comes out truncated, which the METADATA.XML size/hash checks then report.
 */
import { unzipSync } from 'fflate';

export interface ZipLimits {
  /** Most entries (files and directories) accepted. */
  maxEntries: number;
  /** Largest sum of the declared uncompressed sizes. */
  maxTotalBytes: number;
  /** Largest declared uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Largest declared compression ratio of one entry (uncompressed / compressed), above 1 MiB. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1000,
  maxTotalBytes: 64 * 1024 * 1024,
  maxEntryBytes: 32 * 1024 * 1024,
  maxRatio: 200,
};

export type ZipReading =
  | { ok: true; entries: Map<string, Uint8Array> }
  | { ok: false; reason: 'malformed' | 'limits' | 'unsupported'; message: string };

class LimitExceeded extends Error {}

export function readZip(data: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipReading {
  if (data.length < 22 || data[0] !== 0x50 || data[1] !== 0x4b) return { ok: false, reason: 'malformed', message: 'not a ZIP archive (no PK signature)' };
  let count = 0;
  let total = 0;
  try {
    const files = unzipSync(data, {
      filter(file) {
        count += 1;
        if (count > limits.maxEntries) throw new LimitExceeded(`more than ${limits.maxEntries} entries`);
        if (file.originalSize > limits.maxEntryBytes) throw new LimitExceeded(`entry ${file.name} declares ${file.originalSize} bytes uncompressed (limit ${limits.maxEntryBytes})`);
        total += file.originalSize;
        if (total > limits.maxTotalBytes) throw new LimitExceeded(`entries declare more than ${limits.maxTotalBytes} bytes uncompressed in all`);
        if (file.originalSize > 1024 * 1024 && file.originalSize / Math.max(1, file.size) > limits.maxRatio) {
          throw new LimitExceeded(`entry ${file.name} has a compression ratio of ${Math.round(file.originalSize / Math.max(1, file.size))}:1 (limit ${limits.maxRatio}:1)`);
        }
        if (file.compression !== 0 && file.compression !== 8) throw new LimitExceeded(`entry ${file.name} uses compression method ${file.compression} (only stored and deflate are read)`);
        return true;
      },
    });
    return { ok: true, entries: new Map(Object.entries(files)) };
  } catch (err) {
    if (err instanceof LimitExceeded) {
      return { ok: false, reason: /compression method/.test(err.message) ? 'unsupported' : 'limits', message: err.message };
    }
    return { ok: false, reason: 'malformed', message: `unreadable ZIP archive (${(err as Error).message || 'corrupt data'})` };
  }
}
