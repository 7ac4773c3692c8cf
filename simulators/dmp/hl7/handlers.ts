/** HL7v3 and DMP-specific transactions: TD0.2, TD0.3, TD0.4, TD0.5, TD1.1–TD1.4, TD1.6. */
import type { DmpEndpoint } from '../constants.js';
import type { DmpHandler } from '../types.js';

export const hl7Handlers: Record<string, { endpoint: DmpEndpoint; operation: string; handle: DmpHandler }> = {};
