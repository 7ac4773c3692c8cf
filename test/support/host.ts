import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { AdminClient } from '../../client/admin.js';
import type { Clock } from '../../simulators/core/clock.js';
import { loadConfig, type ConfigFlags } from '../../simulators/core/config/load.js';
import { startHost, type RunningHost } from '../../simulators/core/host.js';

export interface TestHost {
  host: RunningHost;
  http: string;
  https: string;
  admin: AdminClient;
  close(): Promise<void>;
}

/** Starts a whole simulator host on free ports (memory store unless told otherwise), sharing the run's PKI. */
export async function startTestHost(flags: ConfigFlags = {}, opts: { clock?: Clock } = {}): Promise<TestHost> {
  const cwd = mkdtempSync(join(tmpdir(), 'segur-sim-test-'));
  const config = loadConfig({
    cwd,
    env: {},
    flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'memory', ...flags },
  });
  const host = await startHost({ config, pkiDir: inject('pkiDir'), clock: opts.clock, log: () => {} });
  const http = host.url('http');
  return { host, http, https: host.url('https'), admin: new AdminClient(http), close: () => host.close() };
}
