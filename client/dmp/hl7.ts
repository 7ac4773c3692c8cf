/**
 * HL7v3 messages of the `patients` service (dmp.md §4.1–4.3): TD0.2 (test d'existence + autorisation),
 * TD1.3a (données administratives), TD1.4 (fermeture). Requests follow the official samples (element
 * order, `attentionLine xsi:nil`, reasonCode system 1.2.250.1.213.1.1.4.11); responses are read tolerantly
 * (acknowledgement as attribute or PDQ-style element, ids in any order).
 */
import { randomUUID } from 'node:crypto';
import { DmpHl7Error, DmpProtocolError } from './errors.js';
import { HL7, NS } from './constants.js';
import { attr, child, childrenNamed, el, findAll, path, text, textEl, type XmlElement } from './xml.js';
import type { DmpLps, PatientRef } from './vihf.js';

export type ReasonCode = 'TEST_EXST' | 'CNSLT_DATA' | 'FERM';

const REASON_DISPLAY: Record<ReasonCode, string> = {
  TEST_EXST: "Test d'existence de dossier",
  CNSLT_DATA: 'Consultation des données de gestion de dossier',
  FERM: 'Fermeture de dossier',
};

/** `YYYYMMDDhhmmss`, UTC. */
export function hl7Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function transmissionWrapper(interaction: string, lps: DmpLps, now: Date, messageUuid: string): string {
  return (
    el('id', { root: `${lps.oid}.1.1`, extension: messageUuid }) +
    el('creationTime', { value: hl7Time(now) }) +
    el('interactionId', { root: HL7.interactionRoot, extension: interaction }) +
    el('processingCode', { code: 'D' }) +
    el('processingModeCode', { code: 'T' }) +
    el('acceptAckCode', { code: 'AL' }) +
    `<receiver typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE">${el('id', { root: HL7.dmpDevice })}<softwareName>DMP</softwareName></device></receiver>` +
    `<sender typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE">${el('id', { root: lps.oid })}${textEl('softwareName', lps.nom)}</device></sender>` +
    '<attentionLine xsi:nil="true"/>'
  );
}

export interface Hl7Request {
  xml: string;
  /** HL7 message id extension (echoed in acknowledgement/targetMessage). */
  messageUuid: string;
  queryUuid?: string;
}

/** PRPA_IN201307UV02: TD0.2 (`TEST_EXST`) or TD1.3a (`CNSLT_DATA`). */
export function buildPatientQuery(reason: 'TEST_EXST' | 'CNSLT_DATA', patient: PatientRef, lps: DmpLps, now: Date): Hl7Request {
  const messageUuid = randomUUID();
  const queryUuid = randomUUID();
  const xml =
    `<PRPA_IN201307UV02 xmlns="${NS.hl7}" xmlns:xsi="${NS.xsi}" ITSVersion="XML_1.0">` +
    transmissionWrapper('PRPA_IN201307UV02', lps, now, messageUuid) +
    '<controlActProcess classCode="CACT" moodCode="EVN">' +
    el('reasonCode', { code: reason, codeSystem: HL7.reasonCodeSystem, displayName: REASON_DISPLAY[reason] }) +
    '<queryByParameter>' +
    el('queryId', { root: `${lps.oid}.2`, extension: queryUuid }) +
    '<statusCode code="new"/>' +
    '<parameterList><dataSource xsi:nil="true"/><patientIdentifier>' +
    el('value', { root: patient.oid, extension: patient.ins }) +
    '<semanticsText>Patient.id</semanticsText></patientIdentifier></parameterList>' +
    '</queryByParameter></controlActProcess></PRPA_IN201307UV02>';
  return { xml, messageUuid, queryUuid };
}

export interface CloseInput {
  /** The professional closing the DMP (PS IdNat, names) and the structure. */
  author: { idNat: string; family: string; given?: string; specialtyDisplay?: string; structureId: string; structureName: string };
  /** Patient names as the DMP knows them (from TD1.3a). */
  patientName?: { family: string; given?: string; prefix?: string };
  /** Closing reason code (1.2.250.1.213.4.1.2.4), default FERMETURE_DEMANDE_PATIENT. */
  reason?: string;
}

/** PRPA_IN201314UV02 with reasonCode FERM (TD1.4). */
export function buildClose(patient: PatientRef, input: CloseInput, lps: DmpLps, now: Date): Hl7Request {
  const messageUuid = randomUUID();
  const reason = input.reason ?? 'FERMETURE_DEMANDE_PATIENT';
  const n = input.patientName;
  const patientName = n
    ? `<name>${n.prefix ? textEl('prefix', n.prefix) : ''}${textEl('family', n.family, { qualifier: 'SP' })}${n.given ? textEl('given', n.given) : ''}</name>`
    : '';
  const a = input.author;
  const xml =
    `<PRPA_IN201314UV02 xmlns="${NS.hl7}" xmlns:xsi="${NS.xsi}" ITSVersion="XML_1.0">` +
    transmissionWrapper('PRPA_IN201314UV02', lps, now, messageUuid) +
    '<controlActProcess classCode="CACT" moodCode="EVN">' +
    el('reasonCode', { code: 'FERM', codeSystem: HL7.reasonCodeSystem, displayName: REASON_DISPLAY.FERM }) +
    '<subject typeCode="SUBJ" contextConductionInd="false"><registrationRequest classCode="REG" moodCode="RQO"><statusCode code="active"/>' +
    '<subject1 typeCode="SBJ"><patient classCode="PAT">' +
    el('id', { root: patient.oid, extension: patient.ins }) +
    '<statusCode code="terminated"/>' +
    (patientName ? `<patientPerson classCode="PSN" determinerCode="INSTANCE">${patientName}</patientPerson>` : '') +
    '</patient></subject1>' +
    '<author typeCode="AUT"><assignedEntity classCode="ASSIGNED">' +
    el('id', { root: HL7.psIdNat, extension: a.idNat }) +
    (a.specialtyDisplay ? el('code', { code: '1.2.250.1.71.4.2.5', displayName: a.specialtyDisplay }) : '') +
    `<assignedPerson classCode="PSN" determinerCode="INSTANCE"><name>${textEl('family', a.family)}${a.given ? textEl('given', a.given) : ''}</name></assignedPerson>` +
    '<representedOrganization classCode="ORG" determinerCode="INSTANCE">' +
    el('id', { root: HL7.structIdNat, extension: a.structureId }) +
    textEl('name', a.structureName) +
    '<contactParty classCode="CON"/></representedOrganization>' +
    '</assignedEntity></author></registrationRequest></subject>' +
    `<reasonOf typeCode="RSON"><detectedIssueEvent classCode="ALRT" moodCode="EVN">${el('code', { code: reason, codeSystem: HL7.closingReason })}${textEl('text', reason)}</detectedIssueEvent></reasonOf>` +
    '</controlActProcess></PRPA_IN201314UV02>';
  return { xml, messageUuid };
}

// ---------------------------------------------------------------- responses

export type AuthorizationStatus = 'VALIDE' | 'INTERDIT' | 'EXPIRE' | 'NON_EXISTE';

export interface Hl7Ack {
  typeCode: string;
  details: { code?: string; text?: string; typeCode?: string }[];
  targetMessageId?: string;
}

/** acknowledgement: `typeCode` attribute (GDP) or element (PDQ style); AE/AR become DmpHl7Error. */
export function readAck(message: XmlElement): Hl7Ack | undefined {
  const ack = child(message, 'acknowledgement');
  if (!ack) return undefined;
  const typeCode = ack.attrs.typeCode ?? attr(child(ack, 'typeCode'), 'code') ?? '';
  const details = childrenNamed(ack, 'acknowledgementDetail').map((d) => ({
    typeCode: d.attrs.typeCode,
    code: attr(child(d, 'code'), 'code') ?? text(child(d, 'code')),
    text: text(child(d, 'text')) ?? attr(child(d, 'code'), 'displayName'),
  }));
  return { typeCode, details, targetMessageId: attr(path(ack, 'targetMessage', 'id'), 'extension') };
}

function assertAccepted(message: XmlElement, interaction: string): Hl7Ack | undefined {
  const ack = readAck(message);
  if (ack && ack.typeCode !== 'AA' && ack.typeCode !== 'CA') throw new DmpHl7Error({ typeCode: ack.typeCode, interaction, details: ack.details });
  return ack;
}

export interface PatientIdentity {
  ids: { root: string; extension: string }[];
  /** INS under an INS OID (.8 .9 .10 .11). */
  ins?: PatientRef;
  prefix?: string;
  given: string[];
  family?: string;
  familyQualifier?: string;
  gender?: string;
  birthTime?: string;
  telecoms: { value: string; use?: string }[];
}

export interface Td02Result {
  /** queryResponseCode OK: the patient has a DMP (active or closed). */
  exists: boolean;
  queryResponseCode: string;
  /** `closed` when the patient statusCode is not active (terminated, nullified...). */
  status?: 'active' | 'closed';
  patientStatusCode?: string;
  /** attentionLine AUTORISATION. */
  authorization?: AuthorizationStatus | string;
  /** attentionLine STATUT_MT: the caller is the patient's "médecin traitant DMP". */
  medecinTraitant: boolean;
  /** RATTACHEMENT_ENS: the DMP is attached to Mon espace santé. */
  mesAttached?: boolean;
  /** COMPTE_INTERNET_OUVERT. */
  internetAccount?: boolean;
  /** Every administrativeObservation code → value (BL as boolean). */
  observations: Record<string, boolean | string>;
  /** Closing information when the DMP is closed (code of detectedIssueEvent, date) — placement assumed. */
  closing?: { reason?: string; date?: string };
  /** Identity traits from the DMP: for identito-vigilance only, never to display (RG_0320). */
  identity?: PatientIdentity;
  ack?: Hl7Ack;
}

export interface AdminAddress {
  lines: string[];
  postalCode?: string;
  city?: string;
  country?: string;
}

export interface AdminData extends Td02Result {
  deceased?: boolean;
  addresses: AdminAddress[];
  legalRepresentatives: { relationship?: string; name?: { prefix?: string; given: string[]; family?: string }; addresses: AdminAddress[]; telecoms: { value: string; use?: string }[] }[];
  oppositions: { brisDeGlace?: boolean; accesUrgence?: boolean };
}

function blValue(v: XmlElement | undefined): boolean | string | undefined {
  if (!v) return undefined;
  const raw = v.attrs.value ?? v.attrs.code ?? text(v);
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return raw;
}

function address(a: XmlElement): AdminAddress {
  return {
    lines: [...childrenNamed(a, 'streetAddressLine'), ...childrenNamed(a, 'additionalLocator')].map((x) => x.text.trim()).filter(Boolean),
    postalCode: text(child(a, 'postalCode')),
    city: text(child(a, 'city')),
    country: text(child(a, 'country')),
  };
}

function telecoms(e: XmlElement | undefined) {
  return childrenNamed(e, 'telecom').map((t) => ({ value: t.attrs.value ?? '', use: t.attrs.use }));
}

const INS_OIDS = new Set(['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.10', '1.2.250.1.213.1.4.11']);

function identityOf(patient: XmlElement): PatientIdentity {
  const ids = childrenNamed(patient, 'id').map((i) => ({ root: i.attrs.root ?? '', extension: i.attrs.extension ?? '' }));
  const insId = ids.find((i) => INS_OIDS.has(i.root));
  const person = child(patient, 'patientPerson');
  const name = child(person, 'name');
  const family = child(name, 'family');
  return {
    ids,
    ins: insId ? { ins: insId.extension, oid: insId.root } : undefined,
    prefix: text(child(name, 'prefix')),
    given: childrenNamed(name, 'given').map((g) => g.text.trim()).filter(Boolean),
    family: text(family),
    familyQualifier: family?.attrs.qualifier,
    gender: attr(child(person, 'administrativeGenderCode'), 'code'),
    birthTime: attr(child(person, 'birthTime'), 'value'),
    telecoms: telecoms(person),
  };
}

/** PRPA_IN201308UV02 (TD0.2 / TD1.3a). */
export function readPatientQueryResponse(body: XmlElement): AdminData {
  if (body.name !== 'PRPA_IN201308UV02') throw new DmpProtocolError(`expected PRPA_IN201308UV02, got ${body.name}`);
  const ack = assertAccepted(body, 'PRPA_IN201308UV02');
  const cap = child(body, 'controlActProcess');
  const queryResponseCode = attr(path(cap, 'queryAck', 'queryResponseCode'), 'code') ?? '';
  if (queryResponseCode && !['OK', 'NF'].includes(queryResponseCode)) {
    throw new DmpHl7Error({ typeCode: `queryResponseCode ${queryResponseCode}`, interaction: 'PRPA_IN201308UV02', details: ack?.details ?? [] });
  }
  let authorization: string | undefined;
  let medecinTraitant = false;
  for (const line of childrenNamed(body, 'attentionLine')) {
    const keyword = attr(child(line, 'keyWordText'), 'code') ?? text(child(line, 'keyWordText'));
    const value = child(line, 'value');
    if (keyword === 'AUTORISATION') authorization = value?.attrs.code ?? text(value);
    else if (keyword === 'STATUT_MT') medecinTraitant = blValue(value) === true;
  }
  const patient = path(cap, 'subject', 'registrationEvent', 'subject1', 'patient');
  const observations: Record<string, boolean | string> = {};
  for (const obs of findAll(patient ?? body, 'administrativeObservation')) {
    const code = attr(child(obs, 'code'), 'code');
    const v = blValue(child(obs, 'value'));
    if (code && v !== undefined) observations[code] = v;
  }
  const patientStatusCode = attr(child(patient, 'statusCode'), 'code');
  const exists = queryResponseCode === 'OK' || (!queryResponseCode && !!patient);
  const issue = findAll(cap ?? body, 'detectedIssueEvent')[0];
  const closed = exists && !!patientStatusCode && patientStatusCode !== 'active';
  const person = child(patient, 'patientPerson');
  const bool = (k: string) => (typeof observations[k] === 'boolean' ? (observations[k] as boolean) : undefined);
  return {
    exists,
    queryResponseCode,
    status: exists ? (closed ? 'closed' : 'active') : undefined,
    patientStatusCode,
    authorization,
    medecinTraitant,
    mesAttached: bool('RATTACHEMENT_ENS'),
    internetAccount: bool('COMPTE_INTERNET_OUVERT'),
    observations,
    closing: closed || issue ? { reason: attr(child(issue, 'code'), 'code') ?? text(child(issue, 'text')), date: attr(path(issue, 'effectiveTime'), 'value') ?? attr(path(patient, 'effectiveTime', 'high'), 'value') } : undefined,
    identity: patient ? identityOf(patient) : undefined,
    ack,
    deceased: blValue(child(person, 'deceasedInd')) === true ? true : blValue(child(person, 'deceasedInd')) === false ? false : undefined,
    addresses: childrenNamed(person, 'addr').map(address),
    legalRepresentatives: childrenNamed(person, 'personalRelationship').map((r) => {
      const holderName = path(r, 'relationshipHolder1', 'name');
      return {
        relationship: attr(child(r, 'code'), 'code'),
        name: holderName ? { prefix: text(child(holderName, 'prefix')), given: childrenNamed(holderName, 'given').map((g) => g.text.trim()), family: text(child(holderName, 'family')) } : undefined,
        addresses: childrenNamed(r, 'addr').map(address),
        telecoms: telecoms(r),
      };
    }),
    oppositions: { brisDeGlace: bool('OPPOSITION_BRIS_DE_GLACE'), accesUrgence: bool('OPPOSITION_ACCES_URGENCE') },
  };
}

export interface CloseResult {
  accepted: true;
  patientStatusCode?: string;
  ack?: Hl7Ack;
}

/** `PRPA_IN201314UV02_Response` wrapping PRPA_IN201315UV02 (accept) or PRPA_IN201316UV02 (reject). */
export function readCloseResponse(body: XmlElement): CloseResult {
  const inner = body.name.endsWith('_Response') ? body.children.find((c) => c.name.startsWith('PRPA_IN')) : body;
  if (!inner) throw new DmpProtocolError(`${body.name} holds no PRPA_IN message`);
  if (inner.name === 'PRPA_IN201316UV02') {
    const ack = readAck(inner);
    throw new DmpHl7Error({ typeCode: ack?.typeCode || 'AE', interaction: inner.name, details: ack?.details ?? [] });
  }
  if (inner.name !== 'PRPA_IN201315UV02') throw new DmpProtocolError(`expected PRPA_IN201315UV02 or PRPA_IN201316UV02, got ${inner.name}`);
  const ack = assertAccepted(inner, inner.name);
  const patient = findAll(inner, 'patient')[0];
  return { accepted: true, patientStatusCode: attr(child(patient, 'statusCode'), 'code'), ack };
}

