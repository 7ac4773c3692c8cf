/**
 * Citizen (Mon espace santé) addresses: `<matricule INS>@patient.mssante.fr` (notes §3), built only from
 * a valid NIR-based INS (15 characters, key = 97 − (N mod 97) with 2A/2B → 19/18). The real domain is
 * `patient.mssante.fr`; segur-sim serves `patient.simu.mssante.test` (the fixtures' `MSS_PATIENT_DOMAIN`),
 * so the domain is a parameter.
 */
import { isValidNir } from '../../fixtures/nir.js';
import { INS_OID } from '../dmp/constants.js';
import { MssanteInputError } from './errors.js';

/** Domain of Mon espace santé in production. */
export const MSS_CITIZEN_DOMAIN = 'patient.mssante.fr';
/** Domain segur-sim's operator serves for citizen mailboxes. */
export const SEGUR_SIM_CITIZEN_DOMAIN = 'patient.simu.mssante.test';

export interface CitizenAddressOptions {
  /** Default `patient.mssante.fr` (production). segur-sim: `SEGUR_SIM_CITIZEN_DOMAIN`. */
  domain?: string;
  /** OID of the INS; an NIA (`1.2.250.1.213.1.4.9`) has no citizen mailbox. */
  oid?: string;
  /**
   * Identity status: a citizen address is built from a qualified INS only (ECO.2.2.6). Pass `false` for a
   * non-qualified identity to be refused; undefined = the caller vouches for it.
   */
  qualified?: boolean;
}

/** True for a 15-character matricule whose key is right. */
export function isValidIns(ins: string): boolean {
  return typeof ins === 'string' && isValidNir(ins.trim().toUpperCase());
}

/** `<matricule>@<domain>`; throws MssanteInputError for a malformed INS, a wrong key, an NIA or a non-qualified identity. */
export function citizenAddress(ins: string, options: CitizenAddressOptions = {}): string {
  const matricule = String(ins ?? '').replace(/\s+/g, '').toUpperCase();
  if (!/^[1-8]\d{4}(\d{2}|2[AB])\d{8}$/.test(matricule)) throw new MssanteInputError(`not an INS matricule (15 characters): "${ins}"`, 'ins');
  if (!isValidNir(matricule)) throw new MssanteInputError(`INS ${matricule}: wrong key`, 'ins');
  if (options.oid === INS_OID.nia) throw new MssanteInputError(`INS ${matricule} is an NIA: no Mon espace santé address`, 'oid');
  if (options.qualified === false) throw new MssanteInputError(`INS ${matricule} is not qualified: a citizen address is built from a qualified INS only`, 'qualified');
  const domain = (options.domain ?? MSS_CITIZEN_DOMAIN).toLowerCase();
  return `${matricule}@${domain}`;
}

/** The matricule of a citizen address (any domain in `domains`, default both known ones), else undefined. */
export function parseCitizenAddress(address: string, domains: readonly string[] = [MSS_CITIZEN_DOMAIN, SEGUR_SIM_CITIZEN_DOMAIN]): string | undefined {
  const m = /^([^@\s]+)@([^@\s]+)$/.exec(address.trim());
  if (!m || !domains.map((d) => d.toLowerCase()).includes(m[2]!.toLowerCase())) return undefined;
  const matricule = m[1]!.toUpperCase();
  return isValidNir(matricule) ? matricule : undefined;
}
