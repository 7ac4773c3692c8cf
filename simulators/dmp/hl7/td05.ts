/**
 * Codec of TD0.5, PDQv3 `PRPA_IN201305UV02` → `PRPA_IN201306UV02` (service `patientsPDQ`, dmp.md §4.7):
 * search of a patient without INS by the centre de régulation. Response shape after the sample: the
 * PDQ-style `<acknowledgement><typeCode code="AA"/>`, `subjectOf1/queryMatchObservation` POURCENTAGE,
 * `subjectOf2/administrativeObservation` OPPOSITION_ACCES_URGENCE, queryAck with quantities, then the
 * request's queryByParameter echoed.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { NS } from '../constants.js';
import type { Dossier } from '../dossiers.js';
import type { DmpCall } from '../types.js';
import { a, acknowledgement, CUSTODIAN, h, hAll, hPath, insC, responseHeader, t, XSI, type AckDetail, type Hl7Header, type Ii } from './common.js';
import { addrXml } from './patient.js';

export interface PdqQuery {
  queryId?: Ii;
  family?: string;
  given?: string;
  /** YYYYMMDD. */
  birthDate?: string;
  sex?: string;
  /** The raw `queryByParameter` parameters, echoed in the response. */
  parameterList?: XmlEl;
}

export function readPdqQuery(header: Hl7Header): PdqQuery {
  const qbp = h(header.controlActProcess, 'queryByParameter');
  const params = h(qbp, 'parameterList');
  const nameValue = hPath(params, 'livingSubjectName', 'value');
  const queryId = h(qbp, 'queryId');
  return {
    queryId: queryId ? { root: queryId.attrs.root, extension: queryId.attrs.extension } : undefined,
    family: hAll(nameValue, 'family').map((f) => f.text).find(Boolean),
    given: hAll(nameValue, 'given').map((g) => g.text).find(Boolean),
    birthDate: hPath(params, 'livingSubjectBirthTime', 'value')?.attrs.value?.slice(0, 8),
    sex: hPath(params, 'livingSubjectAdministrativeGender', 'value')?.attrs.code,
    parameterList: params,
  };
}

export interface PdqMatch {
  dossier: Dossier;
  /** 0–100. */
  score: number;
}

function candidateXml(m: PdqMatch): string {
  const d = m.dossier;
  const ad = d.admin;
  const name =
    `<name>${ad.prefix ? `<prefix>${t(ad.prefix)}</prefix>` : ''}<given>${t(ad.given)}</given><family qualifier="SP">${t(ad.family)}</family>` +
    (ad.birthName ? `<family qualifier="BR">${t(ad.birthName)}</family>` : '') +
    `</name>`;
  return (
    `<subject contextConductionInd="false" typeCode="SUBJ"><registrationEvent classCode="REG" moodCode="EVN"><statusCode code="active"/>` +
    `<subject1 typeCode="SBJ"><patient classCode="PAT">` +
    `<id extension="${a(d.ins)}" root="${a(d.insOid)}"/><id extension="${insC(d.ins)}" root="1.2.250.1.213.1.4.2"/>` +
    `<statusCode code="${d.status === 'closed' ? 'terminated' : 'active'}"/>` +
    `<patientPerson classCode="PSN" determinerCode="INSTANCE">${name}<administrativeGenderCode code="${ad.sex}"/><birthTime value="${a(ad.birthDate)}"/>${addrXml(ad.address, 'city-first')}</patientPerson>` +
    `<subjectOf1 typeCode="SBJ"><queryMatchObservation classCode="COND" moodCode="EVN"><code code="POURCENTAGE" xsi:type="CS" ${XSI}/><value value="${m.score}" xsi:type="INT" ${XSI}/></queryMatchObservation></subjectOf1>` +
    `<subjectOf2><administrativeObservation><code code="OPPOSITION_ACCES_URGENCE" codeSystem="1.2.250.1.213.4.1.2.3" displayName="opposition au mode Urgence"/><value value="${d.oppositions.accesUrgence}" xsi:type="BL" ${XSI}/></administrativeObservation></subjectOf2>` +
    `</patient></subject1>${CUSTODIAN}</registrationEvent></subject>`
  );
}

/** Re-serialises the request's parameterList (HL7 namespace, as the sample echoes it). */
function echo(el: XmlEl): string {
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${a(v)}"`)
    .join('');
  const inner = el.children.length ? el.children.map(echo).join('') : t(el.text);
  return inner ? `<${el.name}${attrs}>${inner}</${el.name}>` : `<${el.name}${attrs}/>`;
}

export interface PdqResponseOptions {
  call: DmpCall;
  header: Hl7Header;
  query: PdqQuery;
  result: { ok: true; matches: PdqMatch[]; total: number } | { ok: false; detail: AckDetail; queryResponseCode: 'AE' | 'QE' };
}

export function renderPdqResponse(o: PdqResponseOptions): string {
  const r = o.result;
  const queryId = o.query.queryId ? `<queryId extension="${a(o.query.queryId.extension)}" root="${a(o.query.queryId.root)}"/>` : '';
  const code = r.ok ? (r.matches.length ? 'OK' : 'NF') : r.queryResponseCode;
  const quantities = r.ok ? `<resultTotalQuantity value="${r.total}"/><resultCurrentQuantity value="${r.matches.length}"/><resultRemainingQuantity value="${r.total - r.matches.length}"/>` : '';
  const qbp = o.query.parameterList ? `<queryByParameter>${queryId}<statusCode code="new"/>${echo(o.query.parameterList)}</queryByParameter>` : '';
  return (
    `<PRPA_IN201306UV02 ITSVersion="XML_1.0" xmlns="${NS.hl7}">` +
    responseHeader({ call: o.call, request: o.header, interaction: 'PRPA_IN201306UV02', idStyle: 'uuid' }) +
    (r.ok ? acknowledgement(o.header, 'AA', undefined, 'element') : acknowledgement(o.header, 'AE', r.detail, 'element')) +
    `<controlActProcess classCode="CACT" moodCode="EVN"><code code="PRPA_TE201306UV02" codeSystem="2.16.840.1.113883.1.6" xsi:type="CS" ${XSI}/>` +
    (r.ok ? r.matches.map(candidateXml).join('') : '') +
    `<queryAck>${queryId}<queryResponseCode code="${code}"/>${quantities}</queryAck>` +
    qbp +
    `</controlActProcess></PRPA_IN201306UV02>`
  );
}
