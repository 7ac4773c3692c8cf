/**
 * The rights the DMP enforces (dmp.md §7, PDT-INF-526): who may do what on which dossier and see which
 * document. Handlers ask here and answer a refusal in their transaction's own shape.
 */
import type { Dossier } from './dossiers.js';
import type { DmpCall } from './types.js';

export type RightsAction = 'existence' | 'consult' | 'feed' | 'update-document' | 'set-authorization' | 'list-authorizations' | 'admin-data' | 'close' | 'pdq' | 'patient-list' | 'web-ps';

export interface RightsDecision {
  allowed: boolean;
  /** DMP error code when refused: `DMPAccessDeniedByRightsService`, `DMPClosed`, `DMPNotFound`... */
  code?: string;
  reason: string;
}

/** What the rights model needs to know of a document. */
export interface DocumentFacts {
  /** idNat of every author person (XCN.1). */
  authorIds: string[];
  /** idNat of every author institution (XON.10). */
  authorStructureIds: string[];
  classCode: string;
  typeCode: string;
  /** Confidentiality codes (N, MASQUE_PS, INVISIBLE_PATIENT, ...). */
  confidentiality: string[];
  status: string;
}

export function checkAccess(_call: DmpCall, _dossier: Dossier | undefined, _action: RightsAction): RightsDecision {
  return { allowed: true, reason: 'rights not implemented yet' };
}

/** Whether a document shows in the caller's query results (masking, habilitation matrix). */
export function documentVisible(_call: DmpCall, _dossier: Dossier, _doc: DocumentFacts): boolean {
  return true;
}

/** Whether the caller may change this document (TD3.3 status/metadata update, RPLC replacement). */
export function canChangeDocument(_call: DmpCall, _dossier: Dossier, _doc: DocumentFacts): RightsDecision {
  return { allowed: true, reason: 'rights not implemented yet' };
}
