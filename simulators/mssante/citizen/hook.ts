/**
 * The Mon espace santé hook of the delivery path (`smtp/delivery.ts` calls `applyCitizenRules` before
 * storing anything): whatever the path (SMTP, the simulated patient, correspondents), a recipient on the
 * patient domain over 25 Mo, or a patient writing outside an open conversation, bounces with MES's text.
 */
import { MES_MAX_MESSAGE_BYTES } from '../constants.js';
import type { DeliveryInput } from '../smtp/delivery.js';
import { conversationsOf, isPatientAddress, MES_REFUSALS, mayPatientSend, type MesRefusal } from './rules.js';

/** Inputs whose citizen rules were already applied by the caller (the simulated patient's admin API). */
export const citizenChecked = new WeakSet<DeliveryInput>();

export function bounceOf(refusal: MesRefusal, address: string): { status: string; diagnostic: string } {
  const code = refusal.status.startsWith('5.3') ? 552 : 550;
  return { status: refusal.status, diagnostic: `${code} ${refusal.status} <${address}>: ${refusal.text}` };
}

export async function applyCitizenRules(input: DeliveryInput): Promise<void> {
  for (const r of input.recipients) {
    if (!r.bounce && isPatientAddress(r.address) && input.raw.length > MES_MAX_MESSAGE_BYTES) r.bounce = bounceOf(MES_REFUSALS.tooBig, r.address);
  }
  if (!input.mailFrom || !isPatientAddress(input.mailFrom) || citizenChecked.has(input)) return;
  const conv = await conversationsOf(input.store, input.mailFrom.toLowerCase());
  for (const r of input.recipients) {
    if (r.bounce) continue;
    const verdict = mayPatientSend(conv, r.address);
    if (!verdict.ok) r.bounce = bounceOf(verdict.refusal, r.address);
  }
}
