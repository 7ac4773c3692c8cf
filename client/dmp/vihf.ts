/**
 * Where the DMP client gets its VIHF. The assertion is built by the VIHF builder of the PSC module
 * (`client/psc/vihf.ts`: card, PSC and certificate modes, dmp.md §3), re-exported here; the client asks
 * its VihfSource for one assertion per call, because the patient (resource-id) changes from call to call
 * and TD0.4 has none.
 */
import { buildVihf, type Vihf, type VihfOptions } from '../psc/vihf.js';
import type { DmpService, DmpTransaction } from './constants.js';

export {
  buildVihf,
  insCx,
  nonPsRole,
  securityHeader,
  verifyVihfSignature,
  VIHF_ATTR,
  type Vihf,
  type VihfMode,
  type VihfOptions,
  type VihfRole,
  type VihfSigner,
  type VihfSubject,
  type PurposeOfUse,
  type AuthenticationMode,
} from '../psc/vihf.js';

/** The patient of a call: INS (15 characters) and its OID. */
export interface PatientRef {
  ins: string;
  oid: string;
}

export interface VihfRequest {
  transaction: DmpTransaction;
  service: DmpService;
  /** Absent for calls not scoped to a patient (TD0.4). */
  patient?: PatientRef;
}

/** An assertion: its XML, and optionally the HTTP `Authorization` header value that goes with it (PSC mode). */
export type VihfValue = string | { xml: string; authorization?: string };

/** Gives the VIHF for one call: a fixed assertion, or a function of the call (patient, transaction). */
export type VihfSource = VihfValue | ((request: VihfRequest) => VihfValue | Vihf | Promise<VihfValue | Vihf>);

/** The LPS identity as the DMP client knows it (VIHF LPS_* attributes, HL7v3 sender device). */
export interface DmpLps {
  nom: string;
  version: string;
  /** LPS_ID_HOMOLOGATION_DMP. */
  homologation: string;
  /** OID of the software (HL7v3 sender device, message ids, sourceId of submission sets). */
  oid: string;
  /** LPS_ID (installation id), optional. */
  id?: string;
}

/**
 * A VihfSource over the builder: every call gets a fresh assertion (new ID, IssueInstant) for its patient.
 * `base` holds everything but the patient and the LPS identity.
 */
export function vihfFromBuilder(base: Omit<VihfOptions, 'patient' | 'lps' | 'now' | 'id'>, lps: DmpLps, now: () => Date = () => new Date()): VihfSource {
  return (req) => buildVihf({ ...base, lps: { nom: lps.nom, version: lps.version, homologationDmp: lps.homologation, id: lps.id }, patient: req.patient, now: now() });
}

export async function resolveVihf(source: VihfSource, request: VihfRequest): Promise<{ xml: string; authorization?: string }> {
  const value = typeof source === 'function' ? await source(request) : source;
  if (typeof value === 'string') return { xml: value };
  return { xml: value.xml, authorization: value.authorization };
}
