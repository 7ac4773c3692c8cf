/** A host for the LGC flow tests: started once per file, the LGC connected to a sandbox of its own. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { LgcEnvironment } from '../../client/lgc/environment.js';
import { startTestHost, type TestHost } from '../support/host.js';

/** A sandbox id unique to this run: `lgc-<name>-<8 hex>`. */
export function lgcSandbox(name: string): string {
  return `lgc-${name}-${randomUUID().slice(0, 8)}`;
}

/** Starts a host before the file's tests and closes it after; `ready` receives it and the connected LGC. */
export function useLgcHost(sandbox: string, ready: (th: TestHost, env: LgcEnvironment) => void): void {
  let th: TestHost | undefined;
  beforeAll(async () => {
    th = await startTestHost();
    ready(th, await LgcEnvironment.connect({ url: th.http, sandbox }));
  });
  afterAll(async () => {
    await th?.close();
  });
}
