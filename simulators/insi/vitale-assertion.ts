/**
 * The Vitale assertion RECVITALE needs next to the assertion PS in `wsse:Security` (insi.md §2.3 B). Its
 * format is segur-sim's contract with simulators/vitale (the real "AssertionCV" is not public), checked by
 * that module's reader; INSi adds the time rule and maps each failure to its fault.
 */
import type { XmlEl } from '../core/xml/tree.js';
import { isVitaleAssertion, readVitaleAssertion, vitaleAssertionTimeStatus, type VitaleAssertion } from '../vitale/assertion.js';

export { isVitaleAssertion };

/** Clock skew tolerated on NotBefore, as between a card reader's workstation and the server. */
const NOT_BEFORE_SKEW_MS = 60_000;

export type VitaleCheck =
  | { ok: true; assertion: VitaleAssertion }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'not-yet-valid'; problems: string[]; assertion?: VitaleAssertion };

/** Finds and checks the Vitale assertion among the `wsse:Security` children. */
export function checkVitaleAssertion(security: XmlEl | undefined, nowMs: number): VitaleCheck {
  const el = security?.children.find(isVitaleAssertion);
  if (!el) return { ok: false, reason: 'missing', problems: ['no Vitale assertion (saml2:Assertion with ID "_vitale-…") in wsse:Security'] };
  const read = readVitaleAssertion(el);
  if (!read.ok) return { ok: false, reason: 'invalid', problems: read.problems };
  const assertion = read.assertion;
  const status = vitaleAssertionTimeStatus({ notBeforeMs: assertion.notBeforeMs - NOT_BEFORE_SKEW_MS, notOnOrAfterMs: assertion.notOnOrAfterMs }, nowMs);
  if (status === 'expired') return { ok: false, reason: 'expired', problems: [`Vitale assertion expired at ${assertion.notOnOrAfter}`], assertion };
  if (status === 'not-yet-valid') return { ok: false, reason: 'not-yet-valid', problems: [`Vitale assertion not valid before ${assertion.notBefore}`], assertion };
  return { ok: true, assertion };
}
