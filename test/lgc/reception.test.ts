/**
 * The reception flow of the reference LGC against a real host: the simulated lab and imaging centre send
 * results over SMTP, the LGC reads them over IMAP (XOAUTH2), matches and integrates them.
 */
import { describe, expect, it } from 'vitest';
import { LgcEnvironment } from '../../client/lgc/environment.js';
import { defaultPatient, defaultProfessional, runFlow } from '../../client/lgc/flows/index.js';
import { LgcRecords } from '../../client/lgc/records.js';
import { computeReport } from '../../client/lgc/report.js';
import type { TestHost } from '../support/host.js';
import { lgcSandbox, useLgcHost } from './helpers.js';

let th: TestHost;
let env: LgcEnvironment;
const sandbox = lgcSandbox('reception');
useLgcHost(sandbox, (h, e) => {
  th = h;
  env = e;
});

describe('reception flow', () => {
  it('integrates results matched by INS, applies a replacement and a deletion request, and counts them', async () => {
    const records = await LgcRecords.open(undefined, sandbox);
    const result = await runFlow('reception', { env, records });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const pro = defaultProfessional(env.world);
    const patient = defaultPatient(env.world, pro);
    expect(records.patient(patient.id)?.status).toBe('QUAL');

    const integration = result.steps.filter((s) => s.title.endsWith('worklist, patient matching, integration'));
    expect(integration).toHaveLength(4);
    for (const s of integration) expect((s.data as { matches: string[] }).matches).toEqual(['ins']);
    expect(integration.map((s) => (s.data as { actions: string[] }).actions[0])).toEqual(['new', 'new', 'replace', 'delete']);
    // What is left in the patient file: the corrected lab result only.
    expect(result.steps.find((s) => s.title === 'Patient file after reception')!.data).toEqual({ current: 1 });

    const report = computeReport(records);
    const integrated = report.rows.filter((r) => r.counts['mss.integrated']);
    expect(integrated.map((r) => [r.typeCode, r.counts['mss.integrated']]).sort()).toEqual([
      ['11502-2', 2],
      ['18748-4', 1],
    ].sort());
  }, 120_000);

  it('refuses an unknown professional with a clear message', async () => {
    const result = await runFlow('reception', { env, professional: 'nobody' }).catch((e: Error) => e);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain('no professional "nobody"');
  });
});
