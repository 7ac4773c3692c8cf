/**
 * Codec of `PRPA_IN201307UV02` → `PRPA_IN201308UV02` (dmp.md §4.1, §4.2): TD0.2 (reasonCode TEST_EXST,
 * existence + the caller's authorization in two attentionLines) and TD1.3a (CNSLT_DATA, administrative data).
 * Shapes after the v02.05.00 samples: namespace `urn:hl7-org:v3` by default with `xmlns:ns2="asip:ci-sis:gdp:2010"`.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import type { AuthorizationStatus, Dossier } from '../dossiers.js';
import { NS } from '../constants.js';
import type { DmpCall } from '../types.js';
import { a, acknowledgement, CUSTODIAN, h, hPath, reasonCode, responseHeader, XSI, type AckDetail, type Hl7Header, type Ii } from './common.js';
import { patientXml } from './patient.js';

export interface PatientQuery {
  reason?: string;
  queryId?: Ii;
  /** INS of `parameterList/patientIdentifier/value`. */
  ins?: string;
  insOid?: string;
}

export function readPatientQuery(header: Hl7Header): PatientQuery {
  const cap = header.controlActProcess;
  const qbp = h(cap, 'queryByParameter');
  const value = hPath(qbp, 'parameterList', 'patientIdentifier', 'value');
  const queryId = h(qbp, 'queryId');
  return {
    reason: h(cap, 'reasonCode')?.attrs.code,
    queryId: queryId ? { root: queryId.attrs.root, extension: queryId.attrs.extension } : undefined,
    ins: value?.attrs.extension?.trim() || undefined,
    insOid: value?.attrs.root,
  };
}

export type QueryOutcome =
  | { kind: 'found'; dossier: Dossier; authorization: AuthorizationStatus; mt: boolean }
  | { kind: 'not-found'; authorization?: AuthorizationStatus }
  | { kind: 'error'; detail: AckDetail; queryResponseCode?: 'AE' | 'QE' };

const AUTH_LINE = (status: AuthorizationStatus) =>
  `<attentionLine><keyWordText code="AUTORISATION" codeSystem="1.2.250.1.213.4.1.2.6.1"/><value code="${status}" codeSystem="1.2.250.1.213.4.1.2.6.2" xsi:type="CV" ${XSI}/></attentionLine>`;
const MT_LINE = (mt: boolean) =>
  `<attentionLine><keyWordText code="STATUT_MT" codeSystem="1.2.250.1.213.4.1.2.6.3"/><value value="${mt}" xsi:type="BL" ${XSI}/></attentionLine>`;

export interface QueryResponseOptions {
  call: DmpCall;
  header: Hl7Header;
  query: PatientQuery;
  reason: 'TEST_EXST' | 'CNSLT_DATA';
  outcome: QueryOutcome;
}

/** The whole `PRPA_IN201308UV02` body element. */
export function renderQueryResponse(o: QueryResponseOptions): string {
  const { outcome } = o;
  const existence = o.reason === 'TEST_EXST';
  const attention =
    existence && outcome.kind !== 'error'
      ? AUTH_LINE(outcome.kind === 'found' ? outcome.authorization : (outcome.authorization ?? 'NON_EXISTE')) + MT_LINE(outcome.kind === 'found' ? outcome.mt : false)
      : '';
  const ack = outcome.kind === 'error' ? acknowledgement(o.header, 'AE', outcome.detail) : acknowledgement(o.header, 'AA');
  const subject =
    outcome.kind === 'found'
      ? `<subject contextConductionInd="false" typeCode="SUBJ"><registrationEvent classCode="REG" moodCode="EVN"><statusCode code="completed"/>` +
        `<subject1 typeCode="SBJ">${patientXml(outcome.dossier, { insOid: o.query.insOid ?? outcome.dossier.insOid, detail: existence ? 'existence' : 'admin' })}</subject1>` +
        `${CUSTODIAN}</registrationEvent></subject>`
      : '';
  const responseCode = outcome.kind === 'found' ? 'OK' : outcome.kind === 'not-found' ? 'NF' : (outcome.queryResponseCode ?? 'AE');
  const queryId = o.query.queryId ? `<queryId extension="${a(o.query.queryId.extension)}" root="${a(o.query.queryId.root)}"/>` : '';
  return (
    `<PRPA_IN201308UV02 ITSVersion="XML_1.0" xmlns="${NS.hl7}" xmlns:ns2="${NS.gdp}">` +
    responseHeader({ call: o.call, request: o.header, interaction: 'PRPA_IN201308UV02', idStyle: 'uuid' }) +
    attention +
    ack +
    `<controlActProcess classCode="CACT" moodCode="EVN">${reasonCode(o.reason)}${subject}` +
    `<queryAck>${queryId}<queryResponseCode code="${responseCode}"/></queryAck></controlActProcess>` +
    `</PRPA_IN201308UV02>`
  );
}

/** The request element is a PRPA_IN201307UV02 in the HL7 namespace. */
export function isPatientQuery(body: XmlEl): boolean {
  return body.name === 'PRPA_IN201307UV02' && body.ns === NS.hl7;
}
