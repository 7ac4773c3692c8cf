/**
 * Authentication of an ePrescription request (README "Authentication"), in this order:
 * 1. e-CPS through Pro Santé Connect: `Authorization: Bearer <access token>`, checked against the sandbox's PSC
 *    as introspection would (simulators/core/psc-token.ts); the professional is the token's SubjectNameID;
 * 2. card (CPS): an assertion PS in wsse:Security, structure checked as INSi does (the same function);
 * 3. a verified client certificate of the test PKI over HTTPS: organisation (acts for the professional the body
 *    names) or a professional's personal certificate (CN = idNat).
 */
import type { HostContext } from '../core/host-context.js';
import { PERSON_CA_CN, type ClientCertInfo } from '../core/pki/index.js';
import { validatePscToken } from '../core/psc-token.js';
import type { Sandbox } from '../core/sandbox.js';
import type { XmlEl } from '../core/xml/tree.js';
import { assertionPs, checkAssertionPs } from '../insi/auth.js';
import type { FaultCode } from './faults.js';

export type EpAuthMode = 'psc' | 'cps' | 'certificate';

export interface EpAuth {
  mode?: EpAuthMode;
  /** The authenticated professional's RPPS (11 digits), when the credential names one (not an organisation certificate). */
  rpps?: string;
  /** What the credential named, as given (idNat, NameID, certificate CN). */
  principal?: string;
  /** Personal or organisation certificate (certificate mode). */
  certificate?: 'personal' | 'organisation';
  fault?: Extract<FaultCode, 'desir_520' | 'desir_521' | 'desir_522'>;
  problem?: string;
}

/** `8` + RPPS (idNat) or a bare RPPS → the 11-digit RPPS; anything else stays as given (and will not match). */
export function rppsOf(idNat: string | undefined): string | undefined {
  if (!idNat) return undefined;
  if (/^8\d{11}$/.test(idNat)) return idNat.slice(1);
  return idNat;
}

/** The `exp` claim of a JWT, read without verification (only to tell an expired token from a bad one). */
function expOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

export interface AuthInput {
  host: HostContext;
  sandbox: Sandbox;
  transport: 'http' | 'https';
  cert: ClientCertInfo | undefined;
  authorization: string | undefined;
  security: XmlEl | undefined;
  nowMs: number;
}

export async function authenticate(input: AuthInput): Promise<EpAuth> {
  const { authorization, cert, transport, nowMs } = input;
  // 1. PSC bearer token.
  const bearer = authorization && /^bearer\s+/i.test(authorization) ? authorization.replace(/^bearer\s+/i, '').trim() : undefined;
  if (bearer !== undefined) {
    const check = await validatePscToken(input.host, input.sandbox, bearer);
    if (!check.active) {
      const exp = expOf(bearer);
      const expired = exp !== undefined && exp * 1000 <= nowMs;
      return { mode: 'psc', fault: expired ? 'desir_522' : 'desir_521', problem: `PSC token refused: ${check.error ?? 'inactive'}` };
    }
    const idNat = check.claims?.SubjectNameID ?? check.claims?.preferred_username;
    if (!idNat) return { mode: 'psc', fault: 'desir_521', problem: 'the PSC token carries no SubjectNameID' };
    return { mode: 'psc', principal: idNat, rpps: rppsOf(idNat) };
  }
  // 2. Assertion PS (CPS card).
  const ps = assertionPs(input.security);
  if (ps) {
    const checked = checkAssertionPs(ps, nowMs);
    if (checked.fault) return { mode: 'cps', fault: checked.fault, problem: checked.problem };
    return { mode: 'cps', principal: checked.nameId, rpps: rppsOf(checked.nameId) };
  }
  // 3. Client certificate (mTLS).
  if (transport === 'https' && cert?.present) {
    if (!cert.authorized) return { fault: 'desir_520', problem: `client certificate not trusted (${cert.error ?? 'unauthorized'}) and no PSC token or assertion PS` };
    const cn = cert.subject?.CN ?? '';
    if (cert.issuer?.CN === PERSON_CA_CN) return { mode: 'certificate', certificate: 'personal', principal: cn, rpps: rppsOf(cn) };
    return { mode: 'certificate', certificate: 'organisation', principal: cn };
  }
  return {
    fault: 'desir_520',
    problem: authorization ? `Authorization header is not "Bearer <token>" and no assertion PS${transport === 'https' ? ' or client certificate' : ''}` : `no PSC token, no assertion PS${transport === 'https' ? ', no client certificate' : ' (plain HTTP: no client certificate possible)'}`,
  };
}
