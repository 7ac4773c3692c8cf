/**
 * Codec of TD0.4 `patientList` (service `patientsSpecific`, dmp.md §4.5): `startDate`, `dateType`
 * LASTAUTORIZATION|LASTDOC, optional `psOwnerId` → `output/patientlistData*` then `status`.
 * The response declares `xmlns:ns2="urn:com:santeos:dmp:patient:2010"` as the sample does (unused there too).
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { NS } from '../constants.js';
import { field, ns1, statusXml } from './specific.js';

export interface PatientListRequest {
  startDate?: string;
  dateType?: string;
  psOwnerId?: string;
}

export function readPatientList(body: XmlEl): PatientListRequest {
  return {
    startDate: field(body, 'startDate')?.trim() || undefined,
    dateType: field(body, 'dateType')?.trim().toUpperCase() || undefined,
    psOwnerId: field(body, 'psOwnerId')?.trim() || undefined,
  };
}

export interface PatientListEntry {
  identifiers: { nationalId: string; nationalIdType: string }[];
  lastName: string;
  patronymicalName?: string;
  firstName: string;
  civility?: string;
  dateOfBirth: string;
  mt: boolean;
  message: boolean;
  lastAccessDate?: string;
  lastUpdateDate?: string;
  lastAddDate?: string;
}

function entryXml(e: PatientListEntry): string {
  return (
    `<ns1:patientlistData>` +
    e.identifiers.map((i) => `<ns1:patientIdentifier>${ns1('nationalId', i.nationalId)}${ns1('nationalIdType', i.nationalIdType)}</ns1:patientIdentifier>`).join('') +
    ns1('lastName', e.lastName) +
    (e.patronymicalName ? ns1('patronymicalName', e.patronymicalName) : '') +
    ns1('firstName', e.firstName) +
    (e.civility ? ns1('civility', e.civility) : '') +
    ns1('dateOfBirth', e.dateOfBirth) +
    ns1('MT', String(e.mt)) +
    ns1('message', String(e.message)) +
    (e.lastAccessDate ? ns1('lastAccessDate', e.lastAccessDate) : '') +
    (e.lastUpdateDate ? ns1('lastUpdateDate', e.lastUpdateDate) : '') +
    (e.lastAddDate ? ns1('lastAddDate', e.lastAddDate) : '') +
    `</ns1:patientlistData>`
  );
}

export function renderPatientListResponse(entries: PatientListEntry[], status: string, context?: string): string {
  return (
    `<ns1:patientListResponse xmlns:ns1="${NS.patients}" xmlns:ns2="urn:com:santeos:dmp:patient:2010"><ns1:output>` +
    entries.map(entryXml).join('') +
    statusXml(status, context) +
    `</ns1:output></ns1:patientListResponse>`
  );
}
