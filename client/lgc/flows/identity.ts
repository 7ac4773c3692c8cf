/**
 * The identity steps every flow shares: the record a secretary types, the INSi search with its traits,
 * the qualification once INSi answered with matching traits, and the Pro Santé Connect login.
 */
import type { Patient } from '../../../fixtures/index.js';
import { applyIdentityEvent, qualify, type InsiClient, type InsiIndividu, type PatientSearchOutcome, type QualificationOutcome } from '../../insi/index.js';
import type { LgcPatientRecord } from '../records.js';
import type { FlowRun } from '../run.js';
import type { LgcSession } from '../session.js';

/** The local record a secretary would have typed, in display form (accents, mixed case). */
export function localRecordOf(patient: Patient): LgcPatientRecord {
  return {
    id: patient.id,
    birthName: patient.birthName,
    ...(patient.usedName && patient.usedName !== patient.birthName ? { usedName: patient.usedName } : {}),
    firstNames: patient.firstNames,
    sex: patient.sex,
    birthDate: patient.birthDate,
    ...(patient.birthPlace?.cog ? { birthPlaceCog: patient.birthPlace.cog } : {}),
    status: 'PROV',
    attributes: [],
    traitsSource: 'CV',
  };
}

/** RECSANSVITALE with the record's traits (each first name, then all of them: client/insi searchPatient). */
export function searchByTraits(insi: InsiClient, record: LgcPatientRecord): Promise<PatientSearchOutcome> {
  return insi.searchPatient({ birthName: record.birthName, firstNames: record.firstNames, sex: record.sex, birthDate: record.birthDate, birthPlaceCog: record.birthPlaceCog, identity: record });
}

/**
 * 1-click qualification: with an exact match the record takes INSi's traits and INS, is retrieved (RECUP)
 * and — the patient having shown a high-trust ID document at the desk — qualified (QUAL). Otherwise
 * `record` is undefined and the outcome carries the discrepancy screen's data.
 */
export function qualifiedRecord(record: LgcPatientRecord, individu: InsiIndividu): { record?: LgcPatientRecord; outcome: QualificationOutcome } {
  const outcome = qualify(record, individu);
  if (outcome.match !== 'exact') return { outcome };
  const state = applyIdentityEvent(applyIdentityEvent(record, { type: 'insi-retrieved' }), { type: 'id-checked' });
  return { outcome, record: { ...record, ...outcome.record, ...state, lastVerifiedAt: new Date().toISOString() } };
}

/** The Pro Santé Connect code-flow step that opens every flow; `extra` is added to its line. */
export function pscLoginStep(session: LgcSession, run: FlowRun, extra?: string): Promise<void> {
  return run.step('Pro Santé Connect: authorization-code flow (e-CPS)', async (s) => {
    const ui = await session.loginCodeFlow();
    s.detail([`${ui.SubjectNameID ?? ''} ${ui.given_name ?? ''} ${ui.family_name ?? ''}`.trim(), extra].filter(Boolean).join(', '));
  });
}
