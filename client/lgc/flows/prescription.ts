/**
 * The prescription step of the flows: the ordonnance numérique sent "en Y" — registered in the
 * ePrescription base and deposited in the DMP as an eP-MED-DM CDA; when the base refuses or does not
 * answer, deposited anyway without identifier and without the 2D-code section (SC.ORDN/CONF.04-05).
 */
import { MEDICINES, type Patient } from '../../../fixtures/index.js';
import { draftPrescription, prescribeEnY, type EpLine, type PrescribeEnYResult } from '../../eprescription/index.js';
import type { DmpClient } from '../../dmp/index.js';
import type { FlowRun } from '../run.js';
import type { LgcSession } from '../session.js';

/** Two medicines of the synthetic catalogue, as a GP writes them. */
export function commonPrescriptionLines(): EpLine[] {
  return [MEDICINES[0]!, MEDICINES[4]!].map((m, i) => ({
    numero: i + 1,
    type: 'medicament',
    produit: { cip13: m.cip13, libelle: m.label },
    posologie: m.posology,
    dureeJours: 30,
    quantite: 1,
    renouvellements: i === 1 ? 2 : 0,
    substituable: true,
    stupefiant: false,
  }));
}

export async function prescriptionEnYStep(session: LgcSession, run: FlowRun, opts: { patient: Patient; dmp: DmpClient; title?: string; timeoutMs?: number }): Promise<PrescribeEnYResult> {
  const { records, professional: pro } = session;
  return run.step(opts.title ?? 'ePrescription “en Y”: the base and the DMP', async (s) => {
    const r = await prescribeEnY({
      ep: session.ePrescription(),
      dmp: { client: opts.dmp },
      prescription: draftPrescription({ patient: opts.patient, prescriber: pro, structure: session.structure, lines: commonPrescriptionLines() }),
      patient: opts.patient,
      author: pro,
      structure: session.structure,
      uniqueId: session.oids.next(),
      // No answer within this time: the prescription goes to the DMP without its identifier.
      call: { timeoutMs: opts.timeoutMs ?? Math.min(session.timeoutMs, 5_000) },
    });
    if (!r.dmp.submitted) throw new Error(`the prescription was not deposited in the DMP: ${'error' in r.dmp ? String((r.dmp.error as Error).message ?? r.dmp.error) : 'queued'}`);
    const typeCode = r.document.metadata.typeCode.code;
    if (r.created) await records.log({ kind: 'eprescription.created', rpps: pro.rpps, typeCode, patientId: opts.patient.id, ref: r.identifiant });
    await records.log({ kind: 'dmp.fed', rpps: pro.rpps, typeCode, patientId: opts.patient.id, ref: r.document.metadata.uniqueId });
    s.detail(
      r.created
        ? `e-prescription N°${r.identifiant} registered; eP-MED-DM CDA with the 2D code deposited in the DMP`
        : `the base ${r.fallback!.reason === 'timeout' ? 'did not answer' : `refused (${r.fallback!.subcode ?? ''}/${r.fallback!.code ?? r.fallback!.reason})`}: CDA deposited without identifier nor 2D code`,
    );
    s.data({ created: r.created, fallback: r.fallback?.reason, code2d: r.document.code2d !== undefined });
    return r;
  });
}
