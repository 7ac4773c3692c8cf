import { oauthError } from '../core/errors/renderers.js';
import { plannedService } from '../core/planned-service.js';

/** Pro Santé Connect (OpenID Connect, realm esante-wallet). Mounted at the production path; simulated in its own issue. */
export const pscService = plannedService({ id: 'psc', title: 'Pro Santé Connect', mounts: ['/auth/realms/esante-wallet'], renderError: oauthError });
