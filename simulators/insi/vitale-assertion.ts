/**
 * The Vitale assertion RECVITALE needs next to the assertion PS in `wsse:Security` (insi.md §2.3 B). Its
 * format is segur-sim's contract with simulators/vitale (the real "AssertionCV" is not public):
 * `saml2:Assertion` with ID `_vitale-…`, Issuer `urn:segur-sim:vitale`, Subject/NameID = card serial number,
 * Conditions/@NotOnOrAfter = issue + 20 minutes, attributes `NirOuvrantDroit` (15 chars) and
 * `RangBeneficiaire` (integer).
 */
import { child, type XmlEl } from '../core/xml/tree.js';
import { NS } from './constants.js';

export const VITALE_ISSUER = 'urn:segur-sim:vitale';
export const VITALE_ID_PREFIX = '_vitale-';

export interface VitaleAssertionInfo {
  id: string;
  serialNumber: string;
  nirOuvrantDroit: string;
  rangBeneficiaire: number;
  notBeforeMs?: number;
  notOnOrAfterMs?: number;
}

/** True for the SAML assertion that is the Vitale one (not the assertion PS). */
export function isVitaleAssertion(el: XmlEl): boolean {
  return (el.attrs.ID ?? '').startsWith(VITALE_ID_PREFIX) || child(el, 'Issuer', NS.saml2)?.text === VITALE_ISSUER;
}

export type VitaleCheck =
  | { ok: true; assertion: VitaleAssertionInfo }
  | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'not-yet-valid'; problems: string[]; assertion?: VitaleAssertionInfo };

function instant(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? NaN : ms;
}

/** Finds and checks the Vitale assertion among the `wsse:Security` children. */
export function checkVitaleAssertion(security: XmlEl | undefined, nowMs: number): VitaleCheck {
  const el = security?.children.find((c) => c.name === 'Assertion' && c.ns === NS.saml2 && isVitaleAssertion(c));
  if (!el) return { ok: false, reason: 'missing', problems: ['no Vitale assertion (saml2:Assertion with ID "_vitale-…") in wsse:Security'] };
  const problems: string[] = [];
  const id = el.attrs.ID ?? '';
  if (!id.startsWith(VITALE_ID_PREFIX)) problems.push(`ID "${id}" does not start with "${VITALE_ID_PREFIX}"`);
  const issuer = child(el, 'Issuer', NS.saml2)?.text;
  if (issuer !== VITALE_ISSUER) problems.push(`Issuer is "${issuer ?? ''}", expected "${VITALE_ISSUER}"`);
  const serialNumber = child(child(el, 'Subject', NS.saml2), 'NameID', NS.saml2)?.text ?? '';
  if (!serialNumber) problems.push('Subject/NameID (card serial number) is missing');
  const conditions = child(el, 'Conditions', NS.saml2);
  const notBeforeMs = instant(conditions?.attrs.NotBefore);
  const notOnOrAfterMs = instant(conditions?.attrs.NotOnOrAfter);
  if (notOnOrAfterMs === undefined) problems.push('Conditions/@NotOnOrAfter is missing');
  else if (Number.isNaN(notOnOrAfterMs)) problems.push('Conditions/@NotOnOrAfter is not a date-time');
  const attrs = new Map<string, string>();
  for (const a of child(el, 'AttributeStatement', NS.saml2)?.children ?? []) {
    if (a.name === 'Attribute' && a.attrs.Name) attrs.set(a.attrs.Name, child(a, 'AttributeValue', NS.saml2)?.text ?? '');
  }
  const nirOuvrantDroit = attrs.get('NirOuvrantDroit') ?? '';
  if (!/^\d{6}[AB0-9]\d{8}$/.test(nirOuvrantDroit)) problems.push(`NirOuvrantDroit "${nirOuvrantDroit}" is not a 15-character NIR`);
  const rangText = attrs.get('RangBeneficiaire') ?? '';
  if (!/^\d{1,2}$/.test(rangText)) problems.push(`RangBeneficiaire "${rangText}" is not an integer`);
  const assertion: VitaleAssertionInfo = { id, serialNumber, nirOuvrantDroit, rangBeneficiaire: Number(rangText), notBeforeMs, notOnOrAfterMs };
  if (problems.length) return { ok: false, reason: 'invalid', problems, assertion };
  if (notOnOrAfterMs !== undefined && nowMs >= notOnOrAfterMs) {
    return { ok: false, reason: 'expired', problems: [`Vitale assertion expired at ${new Date(notOnOrAfterMs).toISOString()}`], assertion };
  }
  if (notBeforeMs !== undefined && !Number.isNaN(notBeforeMs) && nowMs < notBeforeMs - 60_000) {
    return { ok: false, reason: 'not-yet-valid', problems: [`Vitale assertion not valid before ${new Date(notBeforeMs).toISOString()}`], assertion };
  }
  return { ok: true, assertion };
}
