/**
 * Consultation (Ségur wave 1): the professional logs in with Pro Santé Connect, reads the patient's carte
 * Vitale, gets the INS from INSi and qualifies the identity in one click (or shows the discrepancy screen),
 * checks the DMP (TD0.2), records that the patient was informed and does not object, then consults the DMP:
 * counts per class, a search, an import, the PDF then the CDA N3 view, and the newer-version notice for
 * documents imported at a previous visit.
 */
import type { Patient } from '../../../fixtures/index.js';
import { checkForNewVersions, importDocuments, openPatientFile, searchDocuments, type DocumentEntry, type ImportedRef } from '../../dmp/index.js';
import type { Discrepancy } from '../../insi/index.js';
import type { LgcPatientRecord } from '../records.js';
import type { FlowRun } from '../run.js';
import type { LgcSession } from '../session.js';
import { localRecordOf, pscLoginStep, qualifiedRecord, searchByTraits } from './identity.js';

export interface ConsultationOptions {
  patient: Patient;
  /** Also re-authenticate by CIBA after the code flow (default true). */
  ciba?: boolean;
}

export interface ConsultationOutcome {
  record: LgcPatientRecord;
  qualified: boolean;
  discrepancies: Discrepancy[];
  dmpState?: string;
  imported: ImportedRef[];
  newVersions: number;
}

const PDF_MAGIC = '%PDF-';

export async function consultationFlow(session: LgcSession, run: FlowRun, opts: ConsultationOptions): Promise<ConsultationOutcome> {
  const { env, records, professional: pro } = session;
  const patient = opts.patient;
  const rpps = pro.rpps;

  await pscLoginStep(session, run);
  if (opts.ciba !== false) {
    await run.step('Pro Santé Connect: CIBA (push to the e-CPS, approved on the device)', async (s) => {
      const r = await session.loginCiba('MOBILE');
      s.detail(`binding message ${r.bindingMessage}, ${r.userinfo.SubjectNameID}`);
    });
  }

  const reader = session.vitale();
  const { card, assertion, rang } = await run.step('Read the carte Vitale', async (s) => {
    await env.admin.vitalePresent(patient.id, { sandbox: session.sandbox });
    const view = await reader.readCard();
    const rang = view.presentedFor.rang;
    const b = view.beneficiaires.find((x) => x.rang === rang)!;
    const issued = await reader.assertion(rang);
    s.detail(`card ${view.serialNumber}, beneficiary rang ${rang}: ${b.prenom} ${b.nomUsuel} born ${b.dateNaissance}`);
    s.data({ serialNumber: view.serialNumber, rang });
    return { card: view, assertion: issued.assertion, rang };
  });

  let record = records.patient(patient.id) ?? (await records.savePatient(localRecordOf(patient)));
  const insi = await session.insi();
  const result = await run.step('INSi: rechercherInsAvecCarteVitale', async (s) => {
    let r = await insi.searchByVitale({ card, beneficiary: rang, vitaleAssertion: assertion, identity: record });
    if (r.cr !== '00') {
      // No INS from the card (an ayant droit without a certified NIR...): search with the traits.
      r = (await searchByTraits(insi, record)).result;
      s.data({ fallback: 'traits' });
    }
    s.detail(`CR ${r.cr} ${r.libelle}${r.cr === '00' ? `, INS ${r.individu.insActif.matricule}` : ''}`);
    s.data({ cr: r.cr });
    return r;
  });

  let discrepancies: Discrepancy[] = [];
  let qualified = false;
  await run.step('Identity: 1-click qualification', async (s) => {
    if (result.cr !== '00') {
      s.detail(`no INS (CR ${result.cr}): the identity stays ${record.status}`);
      return;
    }
    const q = qualifiedRecord(record, result.individu);
    discrepancies = q.outcome.discrepancies;
    if (!q.record) {
      s.detail(`discrepancy screen: ${discrepancies.map((d) => `${d.field} "${d.local}" ≠ INSi "${d.insi}" (${d.kind}${d.blocking ? ', blocking' : ''})`).join('; ')}`);
      s.data({ discrepancies });
      return;
    }
    record = await records.savePatient(q.record);
    qualified = record.status === 'QUAL';
    s.detail(`${record.status}: INS ${record.ins?.matricule} (${record.ins?.oid}), traits taken from INSi`);
  });

  const outcome: ConsultationOutcome = { record, qualified, discrepancies, imported: [], newVersions: 0 };
  if (!qualified) {
    run.note('the identity is not qualified: the DMP is not used with this record (only a qualified INS may be shared)');
    return outcome;
  }

  const dmp = await session.dmp();
  const ins = session.insOf(patient);
  const view = await run.step('DMP: TD0.2 (test d’existence et autorisation)', async (s) => {
    const v = await openPatientFile(dmp, ins, { windowDays: 0, knownUniqueIds: record.knownDmpDocuments ?? [] });
    s.detail(`${v.state}${v.dmp.exists ? `, authorization ${v.dmp.authorization ?? '-'}${v.medecinTraitant ? ', médecin traitant' : ''}` : ''}`);
    s.data({ state: v.state });
    return v;
  });
  outcome.dmpState = view.state;
  if (view.state === 'no-dmp' || view.state === 'closed' || view.state === 'blocked') {
    run.note(`DMP ${view.state}: nothing to consult`);
    return outcome;
  }

  await run.step('Record the patient’s DMP information and non-opposition', async (s) => {
    if (!record.dmpInformation?.nonOpposition) {
      record = await records.savePatient({ ...record, dmpInformation: { informedAt: new Date().toISOString(), nonOpposition: true, byRpps: rpps } });
      await records.log({ kind: 'dmp.info-recorded', rpps, patientId: patient.id });
    }
    if (view.state === 'authorization-needed') {
      await dmp.setAuthorization(ins, 'AJOUT');
      s.detail('recorded; the professional is now authorized (TD0.3 AJOUT)');
    } else s.detail(`recorded ${record.dmpInformation!.informedAt.slice(0, 10)}; already authorized`);
  });

  await run.step('DMP: documents per class', async (s) => {
    const v = view.state === 'authorized' ? view : await openPatientFile(dmp, ins, { windowDays: 0, knownUniqueIds: record.knownDmpDocuments ?? [] });
    if (!v.mesBar) throw new Error(`the DMP did not list the documents (${v.searchError?.message ?? v.state})`);
    await records.log({ kind: 'dmp.consulted', rpps, patientId: patient.id });
    s.detail(`${v.mesBar.total} documents (${v.mesBar.newTotal} new): ${v.mesBar.classes.map((c) => `${c.display} ${c.count}`).join(', ')}`);
    s.data({ total: v.mesBar.total, newTotal: v.mesBar.newTotal, classes: v.mesBar.classes });
  });

  const found = await run.step('DMP: search (approved documents, newest first)', async (s) => {
    const r = await searchDocuments(dmp, ins, {});
    s.detail(`${r.documents.length} found${r.documents[0] ? `, newest: ${r.documents[0].title} (${r.documents[0].typeCode.display ?? r.documents[0].typeCode.code})` : ''}`);
    s.data({ count: r.documents.length });
    return r.documents;
  });

  // One unstructured (PDF) and one structured (N3) document when there are some.
  const isN3 = (d: DocumentEntry) => d.mimeType === 'text/xml' && !/^urn:ihe:iti:xds-sd/.test(d.formatCode.code);
  const pdfDoc = found.find((d) => !isN3(d));
  const n3Doc = found.find(isN3);
  const chosen = [pdfDoc, n3Doc].filter((d): d is DocumentEntry => d !== undefined);
  const imported = await run.step('DMP: import (TD3.2 retrieve, integrity checked)', async (s) => {
    if (!chosen.length) {
      s.detail('nothing to import');
      return [];
    }
    const r = await importDocuments(dmp, ins, chosen);
    for (const d of r.documents) {
      if (d.integrity.hashOk === false || d.integrity.sizeOk === false) throw new Error(`${d.entry.uniqueId}: hash or size differs from the registry metadata`);
      await records.log({ kind: 'dmp.imported', rpps, patientId: patient.id, typeCode: d.entry.typeCode.code, ref: d.entry.uniqueId });
    }
    s.detail(r.documents.map((d) => `${d.entry.title} (${d.bytes.length} bytes)`).join(', '));
    return r.documents;
  });

  await run.step('View: the PDF, then the CDA N3', async (s) => {
    const seen: string[] = [];
    for (const d of imported) {
      const text = new TextDecoder().decode(d.bytes);
      const b64 = /<text[^>]*mediaType="application\/pdf"[^>]*>([^<]+)<\/text>/.exec(text)?.[1];
      if (b64) {
        const pdf = Buffer.from(b64.replace(/\s+/g, ''), 'base64');
        if (!pdf.subarray(0, 5).toString('latin1').startsWith(PDF_MAGIC)) throw new Error(`${d.entry.title}: the embedded document is not a PDF`);
        seen.push(`PDF ${pdf.length} bytes (${d.entry.title})`);
      } else if (text.includes('<structuredBody')) {
        const sections = [...text.matchAll(/<section>[\s\S]*?<title>([^<]+)<\/title>/g)].map((m) => m[1]);
        seen.push(`CDA N3 "${d.entry.title}": ${sections.length} sections (${sections.slice(0, 4).join(', ')}${sections.length > 4 ? '…' : ''})`);
      }
    }
    s.detail(seen.join('; ') || 'nothing imported');
  });

  const notices = await run.step('DMP: newer versions of documents imported at a previous visit', async (s) => {
    const previous = record.importedDmp ?? [];
    const n = await checkForNewVersions(dmp, ins, previous);
    s.detail(previous.length ? `${n.length} notice(s) for ${previous.length} document(s) imported before${n.length ? `: ${n.map((x) => `${x.imported.title} ${x.kind}${x.latest ? ` → version ${x.latest.version ?? '?'}` : ''}`).join(', ')}` : ''}` : 'first visit: nothing imported before');
    s.data({ notices: n.length });
    return n;
  });

  const refs = imported.map((d) => d.ref);
  record = await records.savePatient({
    ...record,
    knownDmpDocuments: [...new Set([...(record.knownDmpDocuments ?? []), ...found.map((d) => d.uniqueId)])],
    importedDmp: [...(record.importedDmp ?? []).filter((r) => !refs.some((x) => x.uniqueId === r.uniqueId)), ...refs],
  });
  return { ...outcome, record, imported: refs, newVersions: notices.length };
}
