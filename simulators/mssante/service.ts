import { jsonError } from '../core/errors/renderers.js';
import { plannedService } from '../core/planned-service.js';

/**
 * MSSanté operator: SMTP and IMAP listeners (ports reserved by the host) plus HTTP files such as the
 * trust list under `/mssante`. Simulated in its own issue.
 */
export const mssanteService = plannedService({ id: 'mssante', title: 'MSSanté', mounts: ['/mssante'], renderError: jsonError });
