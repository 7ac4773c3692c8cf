import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateWorld } from '../../fixtures/index.js';
import { pkiProfessionals } from '../../simulators/core/host.js';
import { ensurePki } from '../../simulators/core/pki/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pkiDir: string;
  }
}

/** One test PKI for the whole run: generating keys per test file would be slow and pointless. */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'segur-sim-test-pki-'));
  await ensurePki({ dir, professionals: pkiProfessionals(generateWorld({ seed: 1 })) });
  project.provide('pkiDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
