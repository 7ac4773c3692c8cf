/** XDS.b transactions: ITI-41 (TD2.1), ITI-18 (TD3.1), ITI-43 (TD3.2), ITI-57 (TD3.3). */
import { seededDmpEntries } from '../../../fixtures/dmp.js';
import { ACTIONS, type DmpEndpoint } from '../constants.js';
import type { DmpHandler } from '../types.js';
import { registryStoredQuery } from './query.js';
import { setDocumentSeeder } from './registry.js';
import { retrieveDocumentSet } from './retrieve.js';
import { provideAndRegister } from './submit.js';
import { updateDocumentSet } from './update.js';

export { xdsOutcomes } from './common.js';

setDocumentSeeder(seededDmpEntries);

export const xdsHandlers: Record<string, { endpoint: DmpEndpoint; operation: string; handle: DmpHandler }> = {
  [ACTIONS.iti41]: { endpoint: 'repository', operation: 'ITI-41', handle: provideAndRegister },
  [ACTIONS.iti43]: { endpoint: 'repository', operation: 'ITI-43', handle: retrieveDocumentSet },
  [ACTIONS.iti18]: { endpoint: 'registry', operation: 'ITI-18', handle: registryStoredQuery },
  [ACTIONS.iti57]: { endpoint: 'registry', operation: 'ITI-57', handle: updateDocumentSet },
};
