/**
 * Authentication of an INSi request (insi.md §2.3): mTLS with an INSI-AUTO / INSI-MANU organisation
 * certificate, or CPx with an assertion PS (SAML 2.0 in wsse:Security). Only the structure of the assertion
 * PS is checked (Issuer, Subject/NameID, a ds:Signature element, expiry when Conditions are present).
 */
import type { ClientCertInfo } from '../core/pki/index.js';
import { child, type XmlEl } from '../core/xml/tree.js';
import { ALLOWED_CNS, NS } from './constants.js';
import type { FaultCode } from './faults.js';
import { isVitaleAssertion } from './vitale-assertion.js';

export type AuthMode = 'certificate' | 'cpx';

export interface AuthResult {
  mode?: AuthMode;
  cn?: string;
  /** Who the request comes from: the certificate OU or the CPS NameID (what Emetteur should carry). */
  principal?: string;
  fault?: FaultCode;
  problem?: string;
}

/** The assertion PS among the wsse:Security children (any SAML 2.0 assertion that is not the Vitale one). */
export function assertionPs(security: XmlEl | undefined): XmlEl | undefined {
  return security?.children.find((c) => c.name === 'Assertion' && c.ns === NS.saml2 && !isVitaleAssertion(c));
}

/**
 * Structure check of an assertion PS (also used by ePrescription, whose catalogue has the same desir_521 /
 * desir_522 codes): Issuer, Subject/NameID, a ds:Signature element, Version 2.0, expiry when Conditions say.
 */
export function checkAssertionPs(el: XmlEl, nowMs: number): { fault?: Extract<FaultCode, 'desir_521' | 'desir_522'>; problem?: string; nameId?: string } {
  const problems: string[] = [];
  if (!child(el, 'Issuer', NS.saml2)?.text) problems.push('Issuer missing');
  const nameId = child(child(el, 'Subject', NS.saml2), 'NameID', NS.saml2)?.text;
  if (!nameId) problems.push('Subject/NameID missing');
  if (!child(el, 'Signature', NS.dsig)) problems.push('ds:Signature missing');
  if (el.attrs.Version && el.attrs.Version !== '2.0') problems.push(`Version "${el.attrs.Version}" is not 2.0`);
  if (problems.length) return { fault: 'desir_521', problem: `assertion PS: ${problems.join(', ')}` };
  const notOnOrAfter = child(el, 'Conditions', NS.saml2)?.attrs.NotOnOrAfter;
  if (notOnOrAfter) {
    const ms = Date.parse(notOnOrAfter);
    if (Number.isNaN(ms)) return { fault: 'desir_521', problem: `assertion PS: Conditions/@NotOnOrAfter "${notOnOrAfter}" is not a date-time` };
    if (nowMs >= ms) return { fault: 'desir_522', problem: `assertion PS expired at ${notOnOrAfter}` };
  }
  return { nameId };
}

/**
 * mTLS first when a certificate verified (its CN decides: DESIR_560 otherwise); an assertion PS otherwise.
 * Over plain HTTP only CPx is possible. An unverified certificate does not authenticate.
 */
export function authenticate(transport: 'http' | 'https', cert: ClientCertInfo | undefined, security: XmlEl | undefined, nowMs: number): AuthResult {
  const ps = assertionPs(security);
  if (transport === 'https' && cert?.present && cert.authorized) {
    const cn = cert.subject?.CN ?? '';
    if (ALLOWED_CNS.includes(cn)) return { mode: 'certificate', cn, principal: cert.subject?.OU };
    // A personal (CPS-like) certificate with a valid assertion PS is CPx mode over a two-way TLS channel.
    if (!ps) return { mode: 'certificate', cn, fault: 'DESIR_560', problem: `certificate CN "${cn}" is neither INSI-AUTO nor INSI-MANU` };
  }
  if (ps) {
    const checked = checkAssertionPs(ps, nowMs);
    if (checked.fault) return { mode: 'cpx', fault: checked.fault, problem: checked.problem };
    return { mode: 'cpx', principal: checked.nameId, cn: transport === 'https' && cert?.present ? cert.subject?.CN : undefined };
  }
  if (transport === 'https' && cert?.present && !cert.authorized) {
    return { fault: 'desir_520', problem: `client certificate not trusted (${cert.error ?? 'unauthorized'}) and no assertion PS` };
  }
  return { fault: 'desir_520', problem: transport === 'http' ? 'plain HTTP without an assertion PS (only CPx mode is possible over HTTP)' : 'no client certificate and no assertion PS' };
}
