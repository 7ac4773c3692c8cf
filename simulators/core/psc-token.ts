import { pscRuntime } from '../psc/runtime.js';
import type { HostContext } from './host-context.js';
import type { Sandbox } from './sandbox.js';

/** The claims a resource server (MSSanté XOAUTH2, DMP bearer...) reads from a PSC access token. */
export interface PscTokenClaims {
  /** idNat_PS of the professional ("8" + RPPS). */
  SubjectNameID?: string;
  preferred_username?: string;
  sub?: string;
  /** Relying party the token was issued to. */
  azp?: string;
  client_id?: string;
  scope?: string;
  acr?: string;
  authMode?: 'MOBILE' | 'CARD';
  iss?: string;
  exp?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

export interface PscTokenResult {
  active: boolean;
  claims?: PscTokenClaims;
  /** Why the token is not active (not a JWT, bad signature, expired, revoked, unknown in this sandbox). */
  error?: string;
}

/**
 * Validates a PSC access token as the sandbox's Pro Santé Connect would answer an introspection: signature
 * with the realm key, then the token's record in that sandbox's provider (so expiry, revocation, logout and
 * sandbox isolation hold). In process, no HTTP. Never throws.
 */
export async function validatePscToken(host: HostContext, sandbox: Sandbox, token: string): Promise<PscTokenResult> {
  try {
    if (typeof token !== 'string' || !token) return { active: false, error: 'no token' };
    const runtime = pscRuntime(host);
    const payload = await runtime.verifyJwt(token);
    if (!payload) return { active: false, error: 'not a PSC access token of this simulator (malformed or bad signature)' };
    const provider = await runtime.sandbox(sandbox).anyProvider();
    const stored = (await provider.AccessToken.find(token)) as unknown as { clientId?: string; isExpired?: boolean } | undefined;
    if (!stored) return { active: false, error: `token expired, revoked or unknown in sandbox ${sandbox.id}` };
    return { active: true, claims: { ...(payload as PscTokenClaims), client_id: stored.clientId } };
  } catch (err) {
    return { active: false, error: `token check failed: ${(err as Error).message}` };
  }
}
