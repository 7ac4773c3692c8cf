/** Every DMP transaction by request wsa:Action. */
import type { XmlEl } from '../core/xml/tree.js';
import type { DmpEndpoint } from './constants.js';
import { hl7Handlers } from './hl7/handlers.js';
import type { DmpHandler } from './types.js';
import { xdsHandlers } from './xds/handlers.js';

export interface HandlerEntry {
  endpoint: DmpEndpoint;
  /** Name in the journal and in scenario `operation` matchers (`TD0.2`, `ITI-41`...). */
  operation: string;
  /** The precise operation of one request when one action carries several transactions (TD0.2/TD1.3a...). */
  operationOf?: (body: XmlEl) => string;
  handle: DmpHandler;
}

export const handlers: Record<string, HandlerEntry> = { ...hl7Handlers, ...xdsHandlers };
