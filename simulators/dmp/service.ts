import { plannedService } from '../core/planned-service.js';
import { soap12Fault } from '../core/soap/fault.js';

/** DMP web services (SOAP 1.2 + WS-Addressing, XDS.b). Mounted at the production path; simulated in its own issue. */
export const dmpService = plannedService({ id: 'dmp', title: 'DMP', mounts: ['/si-dmp-server/v2/services'], renderError: soap12Fault });
