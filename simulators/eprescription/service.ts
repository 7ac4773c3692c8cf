import { plannedService } from '../core/planned-service.js';
import { soap12Fault } from '../core/soap/fault.js';

/**
 * ePrescription (ordonnance numérique). Its wire protocol is not public: segur-sim serves it under
 * `/eprescription` (documented in the README); simulated in its own issue.
 */
export const eprescriptionService = plannedService({ id: 'eprescription', title: 'ePrescription', mounts: ['/eprescription'], renderError: soap12Fault });
