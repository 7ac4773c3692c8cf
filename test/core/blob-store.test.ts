import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobStore } from '../../simulators/core/store/blob-store.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('BlobStore', () => {
  it('stores bytes under their SHA-1 and reads them back, also from a new instance on the same directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blobs-'));
    const store = new BlobStore(dir);
    const sha1 = await store.put(bytes('CDA R2 N1'));
    expect(sha1).toBe(BlobStore.sha1(bytes('CDA R2 N1')));
    expect(sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(readFileSync(join(dir, sha1.slice(0, 2), sha1), 'utf8')).toBe('CDA R2 N1');
    expect(new TextDecoder().decode(await new BlobStore(dir).get(sha1))).toBe('CDA R2 N1');
  });

  it('stores the same bytes once, leaves no temporary file, and rewrites harmlessly after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blobs-'));
    const store = new BlobStore(dir);
    const a = await store.put(bytes('same'));
    await Promise.all([store.put(bytes('same')), store.put(bytes('same'))]);
    const again = await new BlobStore(dir).put(bytes('same'));
    expect(again).toBe(a);
    expect(readdirSync(join(dir, a.slice(0, 2)))).toEqual([a]);
  });

  it('answers undefined for unknown or malformed names, and forgets everything on clear', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blobs-'));
    const store = new BlobStore(dir);
    const sha1 = await store.put(bytes('x'));
    expect(await store.get('0'.repeat(40))).toBeUndefined();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
    await store.clear();
    expect(await store.get(sha1)).toBeUndefined();
    // Writable again after a clear (the fan-out directory is recreated).
    expect(await store.get(await store.put(bytes('x')))).toBeDefined();
  });

  it('keeps blobs in memory without a directory', async () => {
    const store = new BlobStore(undefined);
    const sha1 = await store.put(bytes('mémoire'));
    expect(new TextDecoder().decode(await store.get(sha1))).toBe('mémoire');
  });
});
