/** Dossiers (DMP) of the sandbox: existence, status, oppositions, authorizations, access traces. */
import type { World } from '../../fixtures/index.js';
import type { DmpEvent } from './store.js';

/** Authorization of one professional on one DMP (TD0.2 `AUTORISATION`, dmp.md §4.1). */
export type AuthorizationStatus = 'VALIDE' | 'INTERDIT' | 'EXPIRE' | 'NON_EXISTE';

export interface Dossier {
  /** INS matricule (15 characters). */
  ins: string;
  patientId: string;
  status: 'active' | 'closed';
  mesAttached: boolean;
  oppositions: { brisDeGlace: boolean; accesUrgence: boolean };
}

export class DossierBook {
  constructor(readonly world: World) {}

  /** The dossier of an INS (any OID), or undefined when the patient has no DMP. */
  get(_ins: string): Dossier | undefined {
    return undefined;
  }

  apply(_event: DmpEvent): void {}

  reset(): void {}
}
