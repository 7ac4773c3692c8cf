/**
 * Wire constants of the ePrescription téléservice. All [I]: segur-sim conventions (README), on the CNAM TLSi
 * transport known from INSi. Element names are in codec.ts, faults in faults.ts.
 */

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ctxlps: 'urn:siram:lps:ctxlps',
  ctxbam: 'urn:siram:bam:ctxbam',
  siram: 'urn:siram',
  /** Body namespace, requests and responses. */
  ep: 'http://www.cnamts.fr/ePrescription',
} as const;

export const OPERATIONS = ['ep4_creer', 'ep3_consulter', 'ep2_rechercher', 'ep1_transmettreExecution', 'ep7_annuler'] as const;
export type EpOperation = (typeof OPERATIONS)[number];

export const ACTION_PREFIX = 'urn:ServiceEPrescription:1.0.0:';
export const actionOf = (op: EpOperation): string => `${ACTION_PREFIX}${op}`;

/** The mount, as served (also under `/_sandbox/<id>`). */
export const PATH = '/eprescription';

export const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

export const STATUTS = ['ACTIVE', 'PARTIELLEMENT_EXECUTEE', 'EXECUTEE', 'ANNULEE', 'EXPIREE'] as const;
export type Statut = (typeof STATUTS)[number];

export const EXECUTION_MODES = ['CONFORME', 'SUBSTITUTION', 'ADAPTATION', 'NON_DELIVREE'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** INS OIDs accepted in `ep:INS/ep:OID`: NIR, NIA, NIR test. */
export const INS_OIDS = ['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.10'] as const;

/** The identifier alphabet assumed by segur-sim (README "The identifier"): digits and letters without I, L, O, Q. */
export const ID_ALPHABET = '0123456789ABCDEFGHJKMNPRSTUVWXYZ';

/** Default validity when FinValidite is absent (README: 3 months). */
export const DEFAULT_VALIDITY_MONTHS = 3;

/** At most this many ep2_rechercher results. */
export const MAX_RESULTS = 100;
