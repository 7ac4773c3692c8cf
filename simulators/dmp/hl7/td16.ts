/**
 * Codec of TD1.6 `listAuthorizationByPatient` (service `habilitations`, dmp.md §4.6): `mode`
 * ACTIVE|INTERDITE|TOUTE → `output/listOfAuthorizationByPatient*`, `status`, `context`.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { NS } from '../constants.js';
import { field, ns1, statusXml } from './specific.js';

export type ListMode = 'ACTIVE' | 'INTERDITE' | 'TOUTE';

export function readListAuthorization(body: XmlEl): { mode?: string } {
  return { mode: field(body, 'mode')?.trim().toUpperCase() || undefined };
}

export interface AuthorizationEntry {
  nationalId: string;
  firstName?: string;
  lastName?: string;
  /** `G15_10/SM26`. */
  codeSpeciality: string[];
  /** `Médecin - Qualifié en Médecine générale (SM)`. */
  libSpeciality: string[];
  /** YYYYMMDDhhmmss UTC. */
  startOfAuthorization: string;
  lastActionDate: string;
  mode: 'ACTIVE' | 'INTERDITE';
  specificRight: string[];
}

function entryXml(e: AuthorizationEntry): string {
  return (
    `<ns1:listOfAuthorizationByPatient>` +
    ns1('nationalId', e.nationalId) +
    ns1('nationalIdType', '1.2.250.1.71.4.2.1') +
    (e.firstName ? ns1('firstName', e.firstName) : '') +
    (e.lastName ? ns1('lastName', e.lastName) : '') +
    e.codeSpeciality.map((c) => ns1('codeSpeciality', c)).join('') +
    e.libSpeciality.map((c) => ns1('libSpeciality', c)).join('') +
    ns1('startOfAuthorization', e.startOfAuthorization) +
    ns1('lastActionDate', e.lastActionDate) +
    ns1('mode', e.mode) +
    e.specificRight.map((r) => ns1('specificRight', r)).join('') +
    `</ns1:listOfAuthorizationByPatient>`
  );
}

export function renderListAuthorizationResponse(entries: AuthorizationEntry[], status: string, context: string | undefined): string {
  return (
    `<ns1:listAuthorizationByPatientResponse xmlns:ns1="${NS.habilitations}"><ns1:output>` +
    entries.map(entryXml).join('') +
    statusXml(status, context) +
    `</ns1:output></ns1:listAuthorizationByPatientResponse>`
  );
}
