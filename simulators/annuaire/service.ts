import { fhirOperationOutcome } from '../core/errors/renderers.js';
import { plannedService } from '../core/planned-service.js';

/** Annuaire Santé FHIR R4 API. Mounted at the production path; simulated with the MSSanté issue. */
export const annuaireService = plannedService({ id: 'annuaire', title: 'Annuaire Santé', mounts: ['/fhir/v2'], renderError: fhirOperationOutcome });
