/**
 * The DMP's own doc/literal services (dmp.md §4.4–4.6): TD0.3 setAuthorization and TD1.6
 * listAuthorizationByPatient (`habilitations`, ns urn:si-dmp-habilitations), TD0.4 patientList
 * (`patientsSpecific`, ns urn:si-dmp-patients). The patient is the VIHF resource-id, never the body.
 * Answers carry `output/status` (DMPOk) and `output/context`; anything else is a DmpStatusError.
 */
import { DmpProtocolError, DmpStatusError } from './errors.js';
import { NS } from './constants.js';
import { child, childrenNamed, textEl, text, type XmlElement } from './xml.js';
import { hl7Time } from './hl7.js';

export type AuthorizationAction = 'AJOUT' | 'SUPPRESSION';
export type AuthorizationListMode = 'ACTIVE' | 'INTERDITE' | 'TOUTE';

export function buildSetAuthorization(action: AuthorizationAction, opts: { medecinTraitant?: boolean } = {}): string {
  return `<setAuthorization xmlns="${NS.habilitations}">${textEl('action', action)}${opts.medecinTraitant ? textEl('role', 'MEDECIN_TRAITANT') : ''}</setAuthorization>`;
}

export function buildListAuthorizations(mode: AuthorizationListMode): string {
  return `<listAuthorizationByPatient xmlns="${NS.habilitations}">${textEl('mode', mode)}</listAuthorizationByPatient>`;
}

export interface PatientListInput {
  /** Changes since this instant (sent as `YYYYMMDDhhmmss`, UTC) or as given when a string. */
  since: Date | string;
  dateType: 'LASTAUTORIZATION' | 'LASTDOC';
  psOwnerId?: string;
}

export function buildPatientList(input: PatientListInput): string {
  const start = typeof input.since === 'string' ? input.since : hl7Time(input.since);
  return `<patientList xmlns="${NS.patients}">${textEl('startDate', start)}${textEl('dateType', input.dateType)}${input.psOwnerId ? textEl('psOwnerId', input.psOwnerId) : ''}</patientList>`;
}

export interface StatusOutput {
  status: string;
  context?: string;
}

function output(body: XmlElement, expected: string): XmlElement {
  if (body.name !== expected) throw new DmpProtocolError(`expected ${expected}, got ${body.name}`);
  const out = child(body, 'output');
  if (!out) throw new DmpProtocolError(`${expected} has no output element`);
  return out;
}

/** `output/status` must be DMPOk (any casing, as clients see DMPOK/DMPOk); otherwise DmpStatusError. */
function checkStatus(out: XmlElement): StatusOutput {
  const status = text(child(out, 'status')) ?? '';
  const context = text(child(out, 'context'));
  if (status.toLowerCase() !== 'dmpok') throw new DmpStatusError(status || '(none)', context);
  return { status, context };
}

export function readSetAuthorizationResponse(body: XmlElement): StatusOutput {
  return checkStatus(output(body, 'setAuthorizationResponse'));
}

export interface AuthorizationEntry {
  /** PS IdNat. */
  nationalId: string;
  nationalIdType?: string;
  firstName?: string;
  lastName?: string;
  specialities: { code: string; label?: string }[];
  /** `YYYYMMDDhhmmss` UTC. */
  startOfAuthorization?: string;
  lastActionDate?: string;
  mode: 'ACTIVE' | 'INTERDITE' | string;
  /** MEDECIN_TRAITANT... */
  specificRights: string[];
}

export function readListAuthorizationsResponse(body: XmlElement): StatusOutput & { authorizations: AuthorizationEntry[] } {
  const out = output(body, 'listAuthorizationByPatientResponse');
  const status = checkStatus(out);
  const authorizations = childrenNamed(out, 'listOfAuthorizationByPatient').map((a) => {
    const codes = childrenNamed(a, 'codeSpeciality').map((c) => c.text.trim());
    const labels = childrenNamed(a, 'libSpeciality').map((c) => c.text.trim());
    return {
      nationalId: text(child(a, 'nationalId')) ?? '',
      nationalIdType: text(child(a, 'nationalIdType')),
      firstName: text(child(a, 'firstName')),
      lastName: text(child(a, 'lastName')),
      specialities: codes.map((code, i) => ({ code, label: labels[i] })),
      startOfAuthorization: text(child(a, 'startOfAuthorization')),
      lastActionDate: text(child(a, 'lastActionDate')),
      mode: text(child(a, 'mode')) ?? '',
      specificRights: childrenNamed(a, 'specificRight').map((s) => s.text.trim()),
    };
  });
  return { ...status, authorizations };
}

export interface PatientListEntry {
  /** INS under an INS OID, when given. */
  ins?: { ins: string; oid: string };
  identifiers: { nationalId: string; nationalIdType: string }[];
  lastName?: string;
  patronymicalName?: string;
  firstName?: string;
  civility?: string;
  dateOfBirth?: string;
  medecinTraitant: boolean;
  message: boolean;
  lastAccessDate?: string;
  lastUpdateDate?: string;
  lastAddDate?: string;
}

const INS_OIDS = /^1\.2\.250\.1\.213\.1\.4\.(8|9|10|11)$/;

export function readPatientListResponse(body: XmlElement): StatusOutput & { patients: PatientListEntry[] } {
  const out = output(body, 'patientListResponse');
  const status = checkStatus(out);
  const patients = childrenNamed(out, 'patientlistData').map((p) => {
    const identifiers = childrenNamed(p, 'patientIdentifier').map((i) => ({ nationalId: text(child(i, 'nationalId')) ?? '', nationalIdType: text(child(i, 'nationalIdType')) ?? '' }));
    const ins = identifiers.find((i) => INS_OIDS.test(i.nationalIdType));
    return {
      ins: ins ? { ins: ins.nationalId, oid: ins.nationalIdType } : undefined,
      identifiers,
      lastName: text(child(p, 'lastName')),
      patronymicalName: text(child(p, 'patronymicalName')),
      firstName: text(child(p, 'firstName')),
      civility: text(child(p, 'civility')),
      dateOfBirth: text(child(p, 'dateOfBirth')),
      medecinTraitant: text(child(p, 'MT')) === 'true',
      message: text(child(p, 'message')) === 'true',
      lastAccessDate: text(child(p, 'lastAccessDate')),
      lastUpdateDate: text(child(p, 'lastUpdateDate')),
      lastAddDate: text(child(p, 'lastAddDate')),
    };
  });
  return { ...status, patients };
}
