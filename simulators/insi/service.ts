import { plannedService } from '../core/planned-service.js';
import { soap12Fault } from '../core/soap/fault.js';

/** INSi téléservice (SOAP 1.2 on /lps). Mounted at its production path; simulated in its own issue. */
export const insiService = plannedService({ id: 'insi', title: 'INSi', mounts: ['/lps'], renderError: soap12Fault });
