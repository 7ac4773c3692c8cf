/** XDS.b transactions: ITI-41 (TD2.1), ITI-18 (TD3.1), ITI-43 (TD3.2), ITI-57 (TD3.3). */
import type { DmpEndpoint } from '../constants.js';
import type { DmpHandler } from '../types.js';

export const xdsHandlers: Record<string, { endpoint: DmpEndpoint; operation: string; handle: DmpHandler }> = {};
