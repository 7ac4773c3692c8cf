/**
 * The consultation flow of the reference LGC against a real host, over real sockets (PSC OIDC, the Vitale
 * reader, INSi SOAP over mTLS, the DMP over mTLS with a PSC-mode VIHF), and the dashboard figures it feeds.
 */
import { describe, expect, it } from 'vitest';
import { seededDmpEntries } from '../../fixtures/dmp.js';
import { LgcEnvironment } from '../../client/lgc/environment.js';
import { defaultPatient, defaultProfessional, runFlow } from '../../client/lgc/flows/index.js';
import { LgcRecords } from '../../client/lgc/records.js';
import { computeReport, formatReport } from '../../client/lgc/report.js';
import { LgcSession } from '../../client/lgc/session.js';
import { buildDocument, OidGenerator, replacementOf } from '../../fixtures/documents/index.js';
import type { TestHost } from '../support/host.js';
import { lgcSandbox, useLgcHost } from './helpers.js';

let th: TestHost;
let env: LgcEnvironment;
const sandbox = lgcSandbox('consult');
useLgcHost(sandbox, (h, e) => {
  th = h;
  env = e;
});

describe('consultation flow', () => {
  it('runs every step, qualifies the identity, consults and imports, and feeds the dashboard', async () => {
    const records = await LgcRecords.open(undefined, sandbox);
    const lines: string[] = [];
    const result = await runFlow('consultation', { env, records, out: (l) => lines.push(l) });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => s.title)).toEqual([
      'Pro Santé Connect: authorization-code flow (e-CPS)',
      'Pro Santé Connect: CIBA (push to the e-CPS, approved on the device)',
      'Read the carte Vitale',
      'INSi: rechercherInsAvecCarteVitale',
      'Identity: 1-click qualification',
      'DMP: TD0.2 (test d’existence et autorisation)',
      'Record the patient’s DMP information and non-opposition',
      'DMP: documents per class',
      'DMP: search (approved documents, newest first)',
      'DMP: import (TD3.2 retrieve, integrity checked)',
      'View: the PDF, then the CDA N3',
      'DMP: newer versions of documents imported at a previous visit',
    ]);
    expect(lines.some((l) => l.startsWith('  ✔ INSi: rechercherInsAvecCarteVitale — CR 00'))).toBe(true);

    const pro = defaultProfessional(env.world);
    const patient = defaultPatient(env.world, pro);
    const record = records.patient(patient.id)!;
    expect(record.status).toBe('QUAL');
    expect(record.ins?.matricule).toBe(patient.ins!.matricule);
    expect(record.dmpInformation).toMatchObject({ nonOpposition: true, byRpps: pro.rpps });
    const approved = seededDmpEntries(env.world, patient.id).filter((e) => e.availabilityStatus === 'Approved').length;
    const counts = result.steps.find((s) => s.title === 'DMP: documents per class')!.data as { total: number };
    expect(counts.total).toBeGreaterThanOrEqual(approved);
    expect(record.importedDmp!.length).toBeGreaterThan(0);

    const report = computeReport(records);
    const imported = report.rows.reduce((n, r) => n + (r.counts['dmp.imported'] ?? 0), 0);
    expect(imported).toBe(record.importedDmp!.length);
    expect(report.rows.every((r) => r.rpps === pro.rpps)).toBe(true);
    expect(report.dmpInformationRecorded).toEqual({ total: 1, byRpps: { [pro.rpps]: 1 } });
    expect(report.identity.rates.QUAL).toBe(1);
    expect(formatReport(report)).toContain('QUAL');
  }, 120_000);

  it('at the next visit, notices that an imported document was replaced in the meantime', async () => {
    const records = await LgcRecords.open(undefined, sandbox);
    const pro = defaultProfessional(env.world);
    const patient = defaultPatient(env.world, pro);
    // The doctor's own report, fed earlier: the newest PDF of the DMP, so the consultation imports it.
    const session = new LgcSession({ env, records, professional: pro });
    const dmp = await session.dmp();
    const oids = new OidGenerator(['lgc-test', sandbox]);
    const report = buildDocument({ kind: 'n1-pdf', patient, author: pro, structure: session.structure, uniqueId: oids.next(), effectiveTime: new Date() });
    await dmp.submit(report);

    const first = await runFlow('consultation', { env, records, patient: patient.id });
    expect(first.ok).toBe(true);
    const imported = records.patient(patient.id)!.importedDmp!.find((r) => r.uniqueId === report.metadata.uniqueId);
    expect(imported).toBeDefined();

    // The author corrects the report (RPLC): the imported version is now Deprecated.
    await dmp.replace(imported!.entryUUID, replacementOf(report, { uniqueId: oids.next(), title: 'Compte rendu de consultation (corrigé)' }));
    session.close();

    const second = await runFlow('consultation', { env, records, patient: patient.id });
    expect(second.ok).toBe(true);
    const step = second.steps.find((s) => s.title.startsWith('DMP: newer versions'))!;
    expect(step.data).toMatchObject({ notices: 1 });
    expect(step.detail).toContain('replaced');
  }, 180_000);
});
