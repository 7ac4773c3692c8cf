/**
 * Codec of the GDP registration requests and their wrapped answers (dmp.md §4.3):
 * - `PRPA_IN201314UV02` (TD1.3b MODIF_DATA, TD1.4 FERM, TD1.2 REAC) → `ns2:PRPA_IN201314UV02_Response`
 *   wrapping `PRPA_IN201315UV02` (accept) or `PRPA_IN201316UV02` (reject);
 * - `PRPA_IN201311UV02` (TD1.1 CREA_RD) → `ns2:PRPA_IN201311UV02_Response` wrapping `PRPA_IN201312UV02`
 *   or `PRPA_IN201313UV02`.
 * Accept shape after the TD1.3b/TD1.4 samples; the reject and the creation answers follow the same shape
 * (no public sample) with acknowledgement AE + acknowledgementDetail [I].
 */
import { NS } from '../constants.js';
import type { PatientAdmin } from '../dossiers.js';
import type { DmpCall } from '../types.js';
import { acknowledgement, CUSTODIAN, h, hPath, reasonCode, responseHeader, type AckDetail, type Hl7Header, type ReasonCode } from './common.js';
import { nameXml, readRequestPatient, type RequestPatient } from './patient.js';

export interface RegistrationRequest {
  reason?: string;
  patient: RequestPatient;
  /** `author/assignedEntity/id` (PS idNat) and `representedOrganization/id` (structure). */
  authorId?: string;
  authorStructureId?: string;
  /** `reasonOf/detectedIssueEvent/code` (closing reason) and its text. */
  issueCode?: string;
  issueText?: string;
}

export function readRegistrationRequest(header: Hl7Header): RegistrationRequest {
  const cap = header.controlActProcess;
  const request = hPath(cap, 'subject', 'registrationRequest');
  const entity = hPath(request, 'author', 'assignedEntity');
  const issue = hPath(cap, 'reasonOf', 'detectedIssueEvent');
  return {
    reason: h(cap, 'reasonCode')?.attrs.code,
    patient: readRequestPatient(hPath(request, 'subject1', 'patient')),
    authorId: h(entity, 'id')?.attrs.extension,
    authorStructureId: h(hPath(entity, 'representedOrganization'), 'id')?.attrs.extension,
    issueCode: h(issue, 'code')?.attrs.code,
    issueText: h(issue, 'text')?.text,
  };
}

export interface RegistrationResponseOptions {
  call: DmpCall;
  header: Hl7Header;
  /** `PRPA_IN201314UV02` or `PRPA_IN201311UV02`: chooses the wrapper and the inner interactions. */
  request: 'PRPA_IN201314UV02' | 'PRPA_IN201311UV02';
  reason: ReasonCode;
  /** Accept: the patient as it now stands (status and name echoed). Reject: the error. */
  result: { ok: true; status: 'active' | 'terminated'; admin: Pick<PatientAdmin, 'prefix' | 'given' | 'family'> } | { ok: false; detail: AckDetail };
}

const INNER: Record<RegistrationResponseOptions['request'], { accept: string; reject: string; wrapper: string }> = {
  PRPA_IN201314UV02: { accept: 'PRPA_IN201315UV02', reject: 'PRPA_IN201316UV02', wrapper: 'PRPA_IN201314UV02_Response' },
  PRPA_IN201311UV02: { accept: 'PRPA_IN201312UV02', reject: 'PRPA_IN201313UV02', wrapper: 'PRPA_IN201311UV02_Response' },
};

export function renderRegistrationResponse(o: RegistrationResponseOptions): string {
  const inner = INNER[o.request];
  const interaction = o.result.ok ? inner.accept : inner.reject;
  const subject = o.result.ok
    ? `<subject contextConductionInd="false" typeCode="SUBJ"><registrationEvent classCode="REG" moodCode="EVN"><statusCode code="completed"/>` +
      `<subject1 typeCode="SBJ"><patient classCode="PAT"><statusCode code="${o.result.status}"/>` +
      `<patientPerson classCode="PSN" determinerCode="INSTANCE">${nameXml({ ...o.result.admin, birthName: undefined }, 'family-first')}</patientPerson>` +
      `</patient></subject1>${CUSTODIAN}</registrationEvent></subject>`
    : '';
  return (
    `<ns2:${inner.wrapper} xmlns="${NS.hl7}" xmlns:ns2="${NS.gdp}">` +
    `<${interaction} ITSVersion="XML_1.0">` +
    responseHeader({ call: o.call, request: o.header, interaction, idStyle: 'dmp' }) +
    (o.result.ok ? acknowledgement(o.header, 'AA') : acknowledgement(o.header, 'AE', o.result.detail)) +
    `<controlActProcess classCode="CACT" moodCode="EVN">${reasonCode(o.reason)}${subject}</controlActProcess>` +
    `</${interaction}></ns2:${inner.wrapper}>`
  );
}
