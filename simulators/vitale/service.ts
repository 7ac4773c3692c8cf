import { jsonError } from '../core/errors/renderers.js';
import { plannedService } from '../core/planned-service.js';

/** Virtual carte Vitale / ApCV reader (segur-sim's own API, documented in its README). Written with the INSi issue. */
export const vitaleService = plannedService({ id: 'vitale', title: 'Virtual carte Vitale', mounts: ['/_vitale'], renderError: jsonError, kind: 'tool' });
