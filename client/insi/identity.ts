/**
 * RNIV identity-status machine (insi.md §5): four exclusive statuses and three attributes.
 *
 *   PROV ──INSi retrieval──▶ RECUP ──high-trust ID check──▶ QUAL
 *   PROV ──high-trust ID check──▶ VALI ──INSi retrieval──▶ QUAL
 *
 * DOUT (douteuse) and FICT (fictive) force PROV and forbid calling INSi (EXI SI 09); FICT and
 * DOUT cannot be combined; DOUT and HOMA can. Only a QUAL identity may carry or share the INS.
 */
import type { IdentityAttribute, IdentityStatus } from '../../fixtures/types.js';
import { InsiCallForbiddenError, InsiError } from './errors.js';

export type { IdentityAttribute, IdentityStatus };

export interface IdentityState {
  status: IdentityStatus;
  attributes: IdentityAttribute[];
}

export type IdentityEvent =
  /** INSi returned an INS whose traits match the record (CR 00 + exact match). */
  | { type: 'insi-retrieved' }
  /** The identity was checked against a high-trust ID document (passport, ID card, residence permit…). */
  | { type: 'id-checked' }
  /** INSi no longer confirms the identity (re-verification: not found, traits changed): the retrieval is lost. */
  | { type: 'insi-unconfirmed' }
  /** The ID-document check is withdrawn (the document turned out not to be high-trust, or was someone else's). */
  | { type: 'id-check-withdrawn' }
  | { type: 'add-attribute'; attribute: IdentityAttribute }
  | { type: 'remove-attribute'; attribute: IdentityAttribute };

export class IdentityTransitionError extends InsiError {
  override name = 'IdentityTransitionError';
}

const BLOCKING: readonly IdentityAttribute[] = ['DOUT', 'FICT'];

function blockingAttributes(state: Pick<IdentityState, 'attributes'>): IdentityAttribute[] {
  return (state.attributes ?? []).filter((a) => BLOCKING.includes(a));
}

/** Whether INSi may be called for this identity (never for DOUT or FICT). */
export function canCallInsi(state: Pick<IdentityState, 'attributes'>): { allowed: true } | { allowed: false; reason: string } {
  const blocking = blockingAttributes(state);
  if (blocking.length === 0) return { allowed: true };
  return { allowed: false, reason: `identity is ${blocking.map((a) => (a === 'DOUT' ? 'douteuse (DOUT)' : 'fictive (FICT)')).join(' and ')}: calling INSi is forbidden (RNIV EXI SI 09)` };
}

/** Throws InsiCallForbiddenError when INSi may not be called; used by the client before any network call. */
export function assertInsiCallAllowed(state: Pick<IdentityState, 'attributes'>): void {
  const verdict = canCallInsi(state);
  if (!verdict.allowed) throw new InsiCallForbiddenError(verdict.reason, blockingAttributes(state));
}

/** Only a QUAL identity (without DOUT/FICT) may carry or share the INS (documents, DMP, MSSanté, datamatrix). */
export function mayShareIns(state: IdentityState): boolean {
  return state.status === 'QUAL' && blockingAttributes(state).length === 0;
}

/** Whether an INS obtained from INSi may be stored on the record (RECUP keeps it for later qualification; VALI/PROV do not hold one). */
export function mayHoldIns(state: IdentityState): boolean {
  return (state.status === 'QUAL' || state.status === 'RECUP') && blockingAttributes(state).length === 0;
}

/** Applies an event and returns the new state (the input is not modified). Throws IdentityTransitionError when forbidden. */
export function applyIdentityEvent(state: IdentityState, event: IdentityEvent): IdentityState {
  const attributes = [...new Set(state.attributes ?? [])];
  const { status } = state;
  switch (event.type) {
    case 'insi-retrieved': {
      const verdict = canCallInsi({ attributes });
      if (!verdict.allowed) throw new IdentityTransitionError(verdict.reason);
      const next: IdentityStatus = status === 'PROV' ? 'RECUP' : status === 'VALI' ? 'QUAL' : status;
      return { status: next, attributes };
    }
    case 'id-checked': {
      const blocking = blockingAttributes({ attributes });
      if (blocking.length > 0) throw new IdentityTransitionError(`remove ${blocking.join('/')} before recording a high-trust ID check`);
      const next: IdentityStatus = status === 'PROV' ? 'VALI' : status === 'RECUP' ? 'QUAL' : status;
      return { status: next, attributes };
    }
    case 'insi-unconfirmed': {
      const next: IdentityStatus = status === 'QUAL' ? 'VALI' : status === 'RECUP' ? 'PROV' : status;
      return { status: next, attributes };
    }
    case 'id-check-withdrawn': {
      const next: IdentityStatus = status === 'QUAL' ? 'RECUP' : status === 'VALI' ? 'PROV' : status;
      return { status: next, attributes };
    }
    case 'add-attribute': {
      const a = event.attribute;
      if (a === 'FICT' && attributes.includes('DOUT')) throw new IdentityTransitionError('an identity cannot be both fictive (FICT) and doubtful (DOUT)');
      if (a === 'DOUT' && attributes.includes('FICT')) throw new IdentityTransitionError('an identity cannot be both doubtful (DOUT) and fictive (FICT)');
      if (!attributes.includes(a)) attributes.push(a);
      return { status: BLOCKING.includes(a) ? 'PROV' : status, attributes };
    }
    case 'remove-attribute':
      // Lifting DOUT/FICT does not restore a status: the identity stays PROV until retrieved/checked again.
      return { status, attributes: attributes.filter((x) => x !== event.attribute) };
    default: {
      const never: never = event;
      throw new IdentityTransitionError(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/** Normalises a stored state: DOUT/FICT force PROV (a record saved otherwise is repaired, not trusted). */
export function normaliseIdentityState(state: IdentityState): IdentityState {
  const attributes = [...new Set(state.attributes ?? [])];
  return { status: blockingAttributes({ attributes }).length > 0 ? 'PROV' : state.status, attributes };
}
