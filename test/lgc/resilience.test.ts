/**
 * The resilience flow of the reference LGC against a real host: INSi and DMP outages (library scenarios
 * activated in the sandbox) and how the LGC keeps the identity provisional and the document queued.
 */
import { describe, expect, it } from 'vitest';
import { LgcEnvironment } from '../../client/lgc/environment.js';
import { runFlow } from '../../client/lgc/flows/index.js';
import { LgcRecords } from '../../client/lgc/records.js';
import type { TestHost } from '../support/host.js';
import { lgcSandbox, useLgcHost } from './helpers.js';

let th: TestHost;
let env: LgcEnvironment;
const sandbox = lgcSandbox('resilience');
useLgcHost(sandbox, (h, e) => {
  th = h;
  env = e;
});

describe('resilience flow', () => {
  it('keeps the identity provisional through an INSi outage and queues the DMP feed through a DMP outage', async () => {
    const records = await LgcRecords.open(undefined, sandbox);
    const result = await runFlow('resilience', { env, records });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const outcome = result.outcome as { insiAttempts: number; feedEvents: string[]; ePrescriptionFallback?: string };
    // eprescription-outage: the base refuses; the prescription still reached the DMP, without its 2D code.
    expect(outcome.ePrescriptionFallback).toBe('fault');
    const rx = result.steps.find((s) => s.title.startsWith('ePrescription KO'))!;
    expect(rx.data).toEqual({ created: false, fallback: 'fault', code2d: false });
    // insi-outage faults three calls: the fourth answers.
    expect(outcome.insiAttempts).toBe(4);
    expect(outcome.feedEvents[0]).toBe('scheduled');
    expect(outcome.feedEvents).toContain('queued');
    expect(outcome.feedEvents.at(-1)).toBe('sent');
    expect(records.patients).toHaveLength(1);
    expect(records.activity.filter((a) => a.kind === 'dmp.fed').map((a) => a.typeCode)).toEqual(['11488-4', '57833-6']);
    expect(records.patients[0]!.status).toBe('QUAL');
    // The outages were the sandbox's scenarios, and they are off again.
    expect((await th.admin.activeScenarios(sandbox)).active).toEqual([]);
    const insi = await th.admin.journal(sandbox, { service: 'insi' });
    expect(insi.entries.filter((e) => e.response.status === 500)).toHaveLength(3);
  }, 120_000);
});
