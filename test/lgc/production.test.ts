/**
 * The production flow of the reference LGC against a real host: documents written, fed to the DMP in the
 * background, sent by MSSanté to a correspondent found in the Annuaire Santé and to the patient.
 */
import { describe, expect, it } from 'vitest';
import { LgcEnvironment } from '../../client/lgc/environment.js';
import { defaultPatient, defaultProfessional, runFlow } from '../../client/lgc/flows/index.js';
import { LgcRecords } from '../../client/lgc/records.js';
import { computeReport } from '../../client/lgc/report.js';
import { LgcSession } from '../../client/lgc/session.js';
import { searchDocuments } from '../../client/dmp/index.js';
import type { TestHost } from '../support/host.js';
import { lgcSandbox, useLgcHost } from './helpers.js';

let th: TestHost;
let env: LgcEnvironment;
const sandbox = lgcSandbox('production');
useLgcHost(sandbox, (h, e) => {
  th = h;
  env = e;
});

describe('production flow', () => {
  it('feeds the DMP (the cancelled draft never arrives), mails the correspondent and the patient, and counts it all', async () => {
    const records = await LgcRecords.open(undefined, sandbox);
    const result = await runFlow('production', { env, records });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const pro = defaultProfessional(env.world);
    const patient = defaultPatient(env.world, pro);

    // In the DMP: both documents, not the draft.
    const session = new LgcSession({ env, records, professional: pro });
    const found = await searchDocuments(await session.dmp(), session.insOf(patient), {});
    session.close();
    const titles = found.documents.map((d) => d.title);
    expect(titles).toContain('Synthèse médicale');
    expect(titles).toContain('Compte rendu de consultation');
    expect(titles).not.toContain('Brouillon');

    // Delivered: the correspondent's and the patient's mailboxes received it (simulator journal).
    const journal = await th.admin.journal(sandbox, { service: 'mssante', operation: 'smtp.data' });
    const delivered = journal.entries.flatMap((e) => ((e.summary as { to?: { address: string; status: string }[] }).to ?? []).filter((t) => t.status === 'delivered').map((t) => t.address));
    expect(delivered).toContain(patient.mssPatientAddress);
    expect(delivered.some((a) => a !== patient.mssPatientAddress)).toBe(true);

    const report = computeReport(records);
    const total = (kind: 'dmp.fed' | 'mss.sent.pro' | 'mss.sent.citizen') => report.rows.reduce((n, r) => n + (r.counts[kind] ?? 0), 0);
    // The VSM and the CR, and the prescription (en Y) in the DMP; the VSM and the CR by MSSanté.
    expect([total('dmp.fed'), total('mss.sent.pro'), total('mss.sent.citizen')]).toEqual([3, 2, 2]);
    expect(new Set(report.rows.filter((r) => r.counts['dmp.fed']).map((r) => r.typeCode))).toEqual(new Set(['SYNTH', '11488-4', '57833-6']));

    // En Y: registered in the ePrescription base with its identifier, and the CDA carries it with the 2D code.
    const rx = (result.outcome as { prescription: { created: boolean; identifiant: string; document: { metadata: { uniqueId: string }; code2d?: unknown } } }).prescription;
    expect(rx.created).toBe(true);
    expect(rx.identifiant).toMatch(/^[0-9A-Z]{18}$/);
    expect(rx.document.code2d).toBeDefined();
    expect(report.rows.reduce((n, r) => n + (r.counts['eprescription.created'] ?? 0), 0)).toBe(1);
    const journal2 = await th.admin.journal(sandbox, { service: 'eprescription' });
    expect(journal2.entries.some((e) => e.operation === 'ep4_creer' && e.response.status === 200)).toBe(true);
    expect(found.documents.some((d) => d.uniqueId === rx.document.metadata.uniqueId)).toBe(true);
  }, 120_000);
});
