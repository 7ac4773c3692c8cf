import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePki } from '../../simulators/core/pki/index.js';
import { sampleProfessionals, tempDir } from './helpers.js';

const dir = tempDir('pki-timing');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('start-up cost with 30 professionals', () => {
  const pros = sampleProfessionals(30);

  it('cold generation (38 RSA-2048 keys) finishes and warm reuse stays far under 1.5 s', async () => {
    const t0 = performance.now();
    const cold = await ensurePki({ dir, professionals: pros });
    const coldMs = performance.now() - t0;
    const t1 = performance.now();
    const warm = await ensurePki({ dir, professionals: pros });
    const warmMs = performance.now() - t1;
    console.log(`pki cold: ${coldMs.toFixed(0)} ms, warm: ${warmMs.toFixed(1)} ms`);
    expect(warm.caCertsPem).toEqual(cold.caCertsPem);
    expect(warm.professionals).toHaveLength(30);
    // Loose bound for a cold start on slow CI machines; the real figure is printed above.
    expect(coldMs).toBeLessThan(25_000);
    expect(warmMs).toBeLessThan(300);
  });
});
