/**
 * Authentication shared by SMTP and IMAP: XOAUTH2 with a Pro Santé Connect access token (the "API LPS"
 * path), PLAIN/LOGIN in trainer mode, and the certificate of an applicative mailbox (mTLS).
 *
 * Sandbox of a connection (see README): `<address>+<sandbox>` as the login (XOAUTH2 `user=`, PLAIN/LOGIN
 * user name), else the sandbox of the token's issuer (`.../_sandbox/<id>/auth/realms/...`), else `default`.
 */
import type { HostContext } from '../core/host-context.js';
import { validatePscToken } from '../core/psc-token.js';
import { checkSandboxId, DEFAULT_SANDBOX, SandboxError, type Sandbox } from '../core/sandbox.js';
import { PLAIN_ENV, type MssanteSettings } from './constants.js';
import { directoryOf, normalizeAddress, type ExtraAppMailbox, type MailboxEntry, type MailDirectory } from './directory.js';
import type { MailClientCert } from './tls.js';

export type AuthMethod = 'XOAUTH2' | 'PLAIN' | 'LOGIN' | 'EXTERNAL' | 'CERTIFICATE';

export interface MailIdentity {
  method: AuthMethod;
  /** How the identity was established. */
  mode: 'psc' | 'trainer' | 'certificate';
  /** The mailbox the session is logged into (IMAP account, default SMTP sender). */
  mailbox: MailboxEntry;
  sandbox: Sandbox;
  directory: MailDirectory;
  /** The token's professional (`SubjectNameID`), PSC mode. */
  idNat?: string;
  role?: 'owner' | 'delegate';
  /** Short description for the journal. */
  who: string;
  /** When the PSC access token expires (epoch ms, its `exp`), PSC mode. */
  expiresAt?: number;
}

export type AuthResult = { ok: true; identity: MailIdentity } | { ok: false; reason: string; sandboxId?: string; sandbox?: Sandbox };

export interface AuthContext {
  host: HostContext;
  settings: MssanteSettings;
  extraApp: ExtraAppMailbox | undefined;
}

/** `jean@x.test+ci-42` → address + sandbox. The `+` cannot occur in a domain, so the split is unambiguous. */
export function parseLogin(login: string): { address: string; sandbox?: string } {
  const trimmed = login.trim();
  const at = trimmed.lastIndexOf('@');
  const plus = at >= 0 ? trimmed.indexOf('+', at) : -1;
  if (plus < 0) return { address: normalizeAddress(trimmed) };
  return { address: normalizeAddress(trimmed.slice(0, plus)), sandbox: trimmed.slice(plus + 1) };
}

/** The sandbox a PSC token was issued in, read from its `iss` (not verified here: validation follows). */
export function sandboxOfToken(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const iss = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }).iss;
    if (typeof iss !== 'string') return undefined;
    const m = /\/_sandbox\/([^/]+)\//.exec(iss);
    return m ? decodeURIComponent(m[1]!) : undefined;
  } catch {
    return undefined;
  }
}

async function resolveSandbox(ctx: AuthContext, id: string | undefined): Promise<{ sandbox: Sandbox } | { error: string; id: string }> {
  const sandboxId = id || DEFAULT_SANDBOX;
  try {
    checkSandboxId(sandboxId);
    return { sandbox: await ctx.host.sandboxes.resolve(sandboxId) };
  } catch (err) {
    if (err instanceof SandboxError) return { error: err.message, id: sandboxId };
    throw err;
  }
}

function directoryFor(ctx: AuthContext, sandbox: Sandbox): MailDirectory {
  return directoryOf(sandbox.world, ctx.extraApp);
}

/** XOAUTH2: the token must be active in the sandbox and its professional must own or be delegated the mailbox. */
export async function authenticateToken(ctx: AuthContext, login: string, token: string): Promise<AuthResult> {
  const { address, sandbox: named } = parseLogin(login);
  const resolved = await resolveSandbox(ctx, named ?? sandboxOfToken(token));
  if ('error' in resolved) return { ok: false, reason: resolved.error, sandboxId: resolved.id };
  const { sandbox } = resolved;
  const directory = directoryFor(ctx, sandbox);
  const mailbox = directory.get(address);
  if (!mailbox) return { ok: false, reason: `no mailbox ${address} at this operator (sandbox ${sandbox.id})`, sandbox };
  const check = await validatePscToken(ctx.host, sandbox, token);
  if (!check.active) return { ok: false, reason: `PSC token rejected by introspection: ${check.error ?? 'inactive'}`, sandbox };
  const idNat = check.claims?.SubjectNameID;
  if (!idNat) return { ok: false, reason: 'the PSC token carries no SubjectNameID', sandbox };
  const access = directory.access(idNat, mailbox.address);
  if (!access.ok) {
    const own = directory.mailboxesOf(idNat);
    return { ok: false, reason: `${access.reason}${own.length ? ` (${idNat} may open: ${own.join(', ')})` : ''}`, sandbox };
  }
  const exp = (check.claims as { exp?: unknown } | undefined)?.exp;
  return {
    ok: true,
    identity: { method: 'XOAUTH2', mode: 'psc', mailbox, sandbox, directory, idNat, role: access.role, who: `${idNat} (${access.role})`, ...(typeof exp === 'number' ? { expiresAt: exp * 1000 } : {}) },
  };
}

/**
 * PLAIN/LOGIN. Trainer mode: any mailbox but a citizen one, with the trainer password. Otherwise only a
 * certificate-bound login: the TLS client certificate already proves the applicative mailbox named by the
 * login (the password is ignored).
 */
export async function authenticatePassword(ctx: AuthContext, method: 'PLAIN' | 'LOGIN', login: string, password: string, cert: MailClientCert | undefined): Promise<AuthResult> {
  const { address, sandbox: named } = parseLogin(login);
  const resolved = await resolveSandbox(ctx, named);
  if ('error' in resolved) return { ok: false, reason: resolved.error, sandboxId: resolved.id };
  const { sandbox } = resolved;
  const directory = directoryFor(ctx, sandbox);
  const mailbox = directory.get(address);
  if (!mailbox) return { ok: false, reason: `no mailbox ${address} at this operator (sandbox ${sandbox.id})`, sandbox };
  const bound = certificateMailbox(directory, cert);
  if (bound && bound.address === mailbox.address) {
    return { ok: true, identity: { method, mode: 'certificate', mailbox, sandbox, directory, who: `certificate ${cert?.subject?.CN ?? ''}` } };
  }
  if (ctx.settings.trainerPassword === undefined) {
    return { ok: false, reason: `${method} is only accepted in trainer mode (${PLAIN_ENV}=1) or with the applicative mailbox's certificate; use XOAUTH2 with a Pro Santé Connect token`, sandbox };
  }
  if (mailbox.type === 'PAT') return { ok: false, reason: `${mailbox.address} is a Mon espace santé (citizen) mailbox, not reachable over SMTP/IMAP`, sandbox };
  if (password !== ctx.settings.trainerPassword) return { ok: false, reason: 'wrong trainer-mode password', sandbox };
  return { ok: true, identity: { method, mode: 'trainer', mailbox, sandbox, directory, who: 'trainer mode' } };
}

/** SASL EXTERNAL / no AUTH after mTLS: the verified certificate names an applicative mailbox. */
export async function authenticateCertificate(ctx: AuthContext, cert: MailClientCert | undefined, authzid: string | undefined, method: AuthMethod): Promise<AuthResult> {
  const { address, sandbox: named } = authzid ? parseLogin(authzid) : { address: undefined, sandbox: undefined };
  const resolved = await resolveSandbox(ctx, named);
  if ('error' in resolved) return { ok: false, reason: resolved.error, sandboxId: resolved.id };
  const { sandbox } = resolved;
  const directory = directoryFor(ctx, sandbox);
  if (!cert?.present) return { ok: false, reason: 'no client certificate was presented during the TLS handshake', sandbox };
  if (!cert.authorized) return { ok: false, reason: `the client certificate does not verify against the test IGC-Santé chain (${cert.error})`, sandbox };
  const mailbox = certificateMailbox(directory, cert);
  if (!mailbox) return { ok: false, reason: `the certificate (CN=${cert.subject?.CN}) names no applicative mailbox (BAL APP) of this operator`, sandbox };
  if (address && address !== mailbox.address) return { ok: false, reason: `the certificate is bound to ${mailbox.address}, not ${address}`, sandbox };
  return { ok: true, identity: { method, mode: 'certificate', mailbox, sandbox, directory, who: `certificate ${cert.subject?.CN ?? ''}` } };
}

/** The APP mailbox a verified certificate names (SAN rfc822Name first, then CN). */
export function certificateMailbox(directory: MailDirectory, cert: MailClientCert | undefined): MailboxEntry | undefined {
  if (!cert?.present || !cert.authorized) return undefined;
  for (const candidate of [...cert.emails, cert.subject?.CN ?? '']) {
    const box = candidate ? directory.get(candidate) : undefined;
    if (box?.type === 'APP') return box;
  }
  return undefined;
}

/** May this identity send from (MAIL FROM) this address? The null reverse-path (MDN, RFC 8098) is allowed. */
export function maySendAs(identity: MailIdentity, address: string): { ok: true } | { ok: false; reason: string } {
  if (address === '') return { ok: true };
  const normalized = normalizeAddress(address);
  if (normalized === identity.mailbox.address) return { ok: true };
  if (identity.mode === 'psc' && identity.idNat) {
    const access = identity.directory.access(identity.idNat, normalized);
    return access.ok ? { ok: true } : { ok: false, reason: access.reason };
  }
  return { ok: false, reason: `this login may only send as ${identity.mailbox.address}` };
}

/** The base64 JSON challenge a Gmail-style server sends when an XOAUTH2 token is refused. */
export function xoauth2ErrorChallenge(): Record<string, string> {
  return { status: '401', schemes: 'bearer', scope: 'openid scope_all' };
}

/** Parses the XOAUTH2 initial response `user=<login>^Aauth=Bearer <token>^A^A` (already base64-decoded). */
export function parseXoauth2(decoded: string): { user: string; token: string } | undefined {
  let user: string | undefined;
  let token: string | undefined;
  for (const field of decoded.split('\x01')) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const key = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1).trim();
    if (key === 'user') user = value;
    else if (key === 'auth') {
      const m = /^bearer\s+(.+)$/i.exec(value);
      if (m) token = m[1]!.trim();
    }
  }
  return user && token ? { user, token } : undefined;
}

/** A token shown in the journal: enough to recognise it, never usable. */
export function redactToken(token: string): string {
  return token.length > 16 ? `${token.slice(0, 12)}…(${token.length} chars)` : '…';
}
