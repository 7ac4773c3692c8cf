/**
 * Pro Santé Connect relying party of the reference LGC (psc-eprescription.md part A), on openid-client 6.
 *
 * - discovery at `{issuer}/.well-known/wallet-openid-configuration` (PSC's own path), falling back to the
 *   standard `/.well-known/openid-configuration`;
 * - client authentication `client_secret_basic` (default with a secret), `client_secret_post`, or mTLS
 *   `tls_client_auth` with the structure's organisation certificate;
 * - authorization code + PKCE S256, `scope=openid scope_all`, `acr_values=eidas1`, state and nonce;
 * - token expiry tracking (PSC access tokens live 120 s): `accessToken()` refreshes ahead of expiry;
 *   a refused refresh ends the session (REM CONF.10);
 * - tokens live in memory only, in a private field: nothing is written anywhere and `toJSON()` /
 *   `util.inspect` show no token (REM CONF.28: never persist the access token).
 */
import { inspect } from 'node:util';
import * as oidc from 'openid-client';
import { PscError, PscSessionEndedError, toPscError } from './errors.js';
import { createTransport, type FetchLike, type PscTlsOptions, type Transport } from './fetch.js';
import type { PscTokenSet, PscUserInfo } from './types.js';

/** PSC's discovery document path (A1). */
export const PSC_DISCOVERY_PATH = '/.well-known/wallet-openid-configuration';
/** The canonical PSC scope (A3). */
export const PSC_SCOPE = 'openid scope_all';
/** The level every ANS client requests (A3). */
export const PSC_ACR = 'eidas1';
/** Header selecting a segur-sim sandbox. */
export const SANDBOX_HEADER = 'X-Segur-Sandbox';

export type PscClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'tls_client_auth';

export interface PscClientOptions {
  /** Issuer, e.g. `https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet`, or a discovery document URL. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Default: `client_secret_basic` with a secret, `tls_client_auth` with a client certificate and no secret. */
  authMethod?: PscClientAuthMethod;
  /** mTLS client certificate and/or trust anchors for https. */
  tls?: PscTlsOptions;
  /** Registered redirect URI of the LGC. */
  redirectUri?: string;
  /** Where PSC sends the browser back after logout. */
  postLogoutRedirectUri?: string;
  /** Default `openid scope_all`. */
  scope?: string;
  /** Default `eidas1`. */
  acrValues?: string;
  /** segur-sim sandbox: sent as `X-Segur-Sandbox` on every request. */
  sandbox?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Refresh the access token when it has less than this many seconds left (default 30, of PSC's 120). */
  refreshSkewSeconds?: number;
  /** Also refresh in the background, ahead of expiry (timer, unref'd). Default false: refresh on demand. */
  autoRefresh?: boolean;
  /** Called once when the session ends on its own (refresh refused or refresh token expired). */
  onSessionEnded?: (err: PscSessionEndedError) => void;
  /** Client metadata for signed responses, when the PSC client is configured so (A5, A6). */
  idTokenSignedResponseAlg?: string;
  userinfoSignedResponseAlg?: string;
  /** HTTP timeout in seconds (openid-client default 30). */
  timeoutSeconds?: number;
  /** Only for simulators reachable under another host name than the one in their metadata. */
  skipIssuerCheck?: boolean;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  /** Keep it server-side; `handleCallback` finds it by state if the same client handles the callback. */
  codeVerifier: string;
}

export interface AuthorizationUrlOptions {
  /** idNat (SubjectNameID) or RPPS to preselect the user (and the simulator's headless mode). */
  loginHint?: string;
  state?: string;
  nonce?: string;
  /** Overrides the client's redirect URI. */
  redirectUri?: string;
  /** Extra authorization parameters (`prompt`, `kc_idp_hint`, ...). */
  extra?: Record<string, string>;
}

interface Pending {
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  createdAt: number;
}

const PENDING_TTL_MS = 10 * 60_000;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLocalHttp(url: URL): boolean {
  return url.protocol === 'http:' && (LOCAL_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost'));
}

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

/** Epoch-ms expiry from a token response: `expires_in`, else the JWT `exp`, else 120 s (PSC's lifetime). */
function tokenSetFrom(resp: oidc.TokenEndpointResponse, now: number, previous?: PscTokenSet): PscTokenSet {
  let expiresAt: number | undefined;
  if (typeof resp.expires_in === 'number') expiresAt = now + resp.expires_in * 1000;
  else {
    const exp = jwtExp(resp.access_token);
    expiresAt = exp !== undefined ? exp * 1000 : now + 120_000;
  }
  const refreshExpiresIn = resp['refresh_expires_in'];
  const refreshToken = resp.refresh_token ?? previous?.refreshToken;
  let refreshExpiresAt: number | undefined;
  if (resp.refresh_token) {
    if (typeof refreshExpiresIn === 'number' && refreshExpiresIn > 0) refreshExpiresAt = now + refreshExpiresIn * 1000;
    else {
      const exp = jwtExp(resp.refresh_token);
      if (exp !== undefined) refreshExpiresAt = exp * 1000;
    }
  } else refreshExpiresAt = previous?.refreshExpiresAt;
  const sessionState = resp['session_state'];
  return {
    accessToken: resp.access_token,
    tokenType: resp.token_type,
    expiresAt,
    refreshToken,
    refreshExpiresAt,
    idToken: resp.id_token ?? previous?.idToken,
    scope: resp.scope ?? previous?.scope,
    sessionState: typeof sessionState === 'string' ? sessionState : previous?.sessionState,
  };
}

function jwtExp(token: string | undefined): number | undefined {
  if (!token) return undefined;
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

/** Fetches discovery: the PSC wallet path first, then the standard OIDC one. */
async function discover(opts: PscClientOptions, clientMetadata: Partial<oidc.ClientMetadata>, auth: oidc.ClientAuth, transport: Transport): Promise<{ config: oidc.Configuration; discoveryUrl: string }> {
  const given = new URL(opts.issuer);
  const insecure = isLocalHttp(given);
  if (given.protocol === 'http:' && !insecure) throw new PscError(`refusing plain http to ${given.host}: only http://localhost is allowed without TLS`, 'insecure_issuer');
  const options: oidc.DiscoveryRequestOptions = {
    [oidc.customFetch]: transport.fetch as oidc.CustomFetch,
    execute: insecure ? [oidc.allowInsecureRequests] : [],
    ...(opts.timeoutSeconds !== undefined ? { timeout: opts.timeoutSeconds } : {}),
  };
  const explicit = given.pathname.includes('/.well-known/');
  const issuer = explicit ? undefined : trimSlash(given.href);
  const candidates = explicit ? [given] : [new URL(`${issuer}${PSC_DISCOVERY_PATH}`), new URL(issuer!)];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const config = await oidc.discovery(candidate, opts.clientId, clientMetadata, auth, options);
      const found = config.serverMetadata().issuer;
      if (issuer && !opts.skipIssuerCheck && trimSlash(found) !== issuer) {
        throw new PscError(`discovered issuer ${found} does not match ${issuer}`, 'issuer_mismatch');
      }
      return { config, discoveryUrl: candidate.pathname.includes('/.well-known/') ? candidate.href : `${issuer}/.well-known/openid-configuration` };
    } catch (err) {
      lastError = err;
      if (err instanceof PscError) throw err;
    }
  }
  throw toPscError(lastError, `PSC discovery failed for ${given.href}`);
}

export class PscClient {
  readonly config: oidc.Configuration;
  /** The discovery document URL that answered. */
  readonly discoveryUrl: string;
  readonly clientId: string;
  readonly scope: string;
  readonly acrValues: string;
  readonly redirectUri: string | undefined;
  readonly sandbox: string | undefined;
  readonly authMethod: PscClientAuthMethod;
  /** The transport openid-client uses (mTLS, trust anchors, sandbox header); also used by the headless flow. */
  readonly fetch: FetchLike;

  readonly #transport: Transport;
  readonly #opts: PscClientOptions;
  readonly #now: () => number;
  readonly #pending = new Map<string, Pending>();
  #tokens: PscTokenSet | undefined;
  #idClaims: oidc.IDToken | undefined;
  #refreshing: Promise<PscTokenSet> | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(init: { config: oidc.Configuration; discoveryUrl: string; transport: Transport; opts: PscClientOptions; authMethod: PscClientAuthMethod }) {
    this.config = init.config;
    this.discoveryUrl = init.discoveryUrl;
    this.#transport = init.transport;
    this.#opts = init.opts;
    this.#now = init.opts.now ?? Date.now;
    this.clientId = init.opts.clientId;
    this.scope = init.opts.scope ?? PSC_SCOPE;
    this.acrValues = init.opts.acrValues ?? PSC_ACR;
    this.redirectUri = init.opts.redirectUri;
    this.sandbox = init.opts.sandbox;
    this.authMethod = init.authMethod;
    this.fetch = init.transport.fetch;
  }

  /** Discovers the PSC metadata and returns a ready client. */
  static async create(opts: PscClientOptions): Promise<PscClient> {
    if (!opts.clientId) throw new PscError('clientId is required', 'invalid_client_options');
    const hasCert = !!(opts.tls?.certPem || opts.tls?.pfx);
    const authMethod: PscClientAuthMethod = opts.authMethod ?? (opts.clientSecret ? 'client_secret_basic' : hasCert ? 'tls_client_auth' : 'client_secret_basic');
    if (authMethod === 'tls_client_auth' && !hasCert) throw new PscError('tls_client_auth needs tls.certPem/keyPem or tls.pfx', 'invalid_client_options');
    if (authMethod !== 'tls_client_auth' && !opts.clientSecret) throw new PscError(`${authMethod} needs clientSecret`, 'invalid_client_options');
    const auth =
      authMethod === 'tls_client_auth' ? oidc.TlsClientAuth() : authMethod === 'client_secret_post' ? oidc.ClientSecretPost(opts.clientSecret) : oidc.ClientSecretBasic(opts.clientSecret);
    const metadata: Partial<oidc.ClientMetadata> = {
      ...(opts.clientSecret ? { client_secret: opts.clientSecret } : {}),
      ...(opts.redirectUri ? { redirect_uris: [opts.redirectUri] } : {}),
      ...(opts.idTokenSignedResponseAlg ? { id_token_signed_response_alg: opts.idTokenSignedResponseAlg } : {}),
      ...(opts.userinfoSignedResponseAlg ? { userinfo_signed_response_alg: opts.userinfoSignedResponseAlg } : {}),
    };
    const headers = { ...(opts.sandbox ? { [SANDBOX_HEADER]: opts.sandbox } : {}), ...(opts.headers ?? {}) };
    const transport = createTransport({ tls: opts.tls, headers });
    try {
      const { config, discoveryUrl } = await discover(opts, metadata, auth, transport);
      // Endpoints come from the metadata: allow plain http only if they are all on localhost.
      const meta = config.serverMetadata();
      const endpoints = [meta.authorization_endpoint, meta.token_endpoint, meta.userinfo_endpoint, meta.end_session_endpoint, meta.revocation_endpoint, meta.introspection_endpoint, meta.backchannel_authentication_endpoint].filter((u): u is string => typeof u === 'string');
      for (const u of endpoints) {
        const url = new URL(u);
        if (url.protocol === 'http:' && !isLocalHttp(url)) throw new PscError(`PSC metadata points to plain http on ${url.host}`, 'insecure_endpoint');
      }
      return new PscClient({ config, discoveryUrl, transport, opts, authMethod });
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** The discovered server metadata. */
  get metadata(): oidc.ServerMetadata {
    return this.config.serverMetadata();
  }

  /** Builds the authorization request (PKCE S256, acr_values, scope, state, nonce, optional login_hint). */
  async authorizationUrl(options: AuthorizationUrlOptions = {}): Promise<AuthorizationRequest> {
    const redirectUri = options.redirectUri ?? this.redirectUri;
    if (!redirectUri) throw new PscError('no redirect URI: give redirectUri to PscClient.create or authorizationUrl', 'invalid_request');
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const codeChallenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
    const state = options.state ?? oidc.randomState();
    const nonce = options.nonce ?? oidc.randomNonce();
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: this.scope,
      acr_values: this.acrValues,
      state,
      nonce,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
      ...(options.loginHint ? { login_hint: options.loginHint } : {}),
      ...(options.extra ?? {}),
    };
    const url = oidc.buildAuthorizationUrl(this.config, params);
    this.#prunePending();
    this.#pending.set(state, { codeVerifier, nonce, redirectUri, createdAt: this.#now() });
    return { url, state, nonce, codeVerifier };
  }

  /**
   * Completes the code flow from the redirect URI the browser landed on (`?code=...&state=...`).
   * The PKCE verifier and nonce are found by state, or given in `checks` (when another process built the URL).
   */
  async handleCallback(callbackUrl: string | URL, checks?: { codeVerifier: string; nonce: string; state: string }): Promise<PscTokenSet> {
    const url = new URL(callbackUrl);
    const state = checks?.state ?? url.searchParams.get('state') ?? '';
    const pending = checks ? { codeVerifier: checks.codeVerifier, nonce: checks.nonce } : this.#pending.get(state);
    if (!pending) throw new PscError('unknown or expired state in the PSC callback', 'invalid_state');
    this.#pending.delete(state);
    try {
      const resp = await oidc.authorizationCodeGrant(this.config, url, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      return this.#install(resp);
    } catch (err) {
      throw toPscError(err, 'PSC authorization code grant failed');
    }
  }

  /** Installs a token response obtained elsewhere in this client (CIBA). */
  adoptTokens(resp: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): PscTokenSet {
    return this.#install(resp);
  }

  #install(resp: oidc.TokenEndpointResponse & Partial<oidc.TokenEndpointResponseHelpers>, previous?: PscTokenSet): PscTokenSet {
    this.#tokens = tokenSetFrom(resp, this.#now(), previous);
    const claims = resp.claims?.();
    if (claims) this.#idClaims = claims;
    this.#schedule();
    return this.#view();
  }

  /** A copy of the current token set (still in memory only; callers must not persist it). */
  #view(): PscTokenSet {
    if (!this.#tokens) throw new PscError('no PSC session', 'no_session');
    return { ...this.#tokens };
  }

  get isAuthenticated(): boolean {
    return !!this.#tokens;
  }

  /** Expiry information, without any token. */
  get expiry(): { accessTokenExpiresAt: number; refreshTokenExpiresAt?: number; hasRefreshToken: boolean } | undefined {
    const t = this.#tokens;
    return t ? { accessTokenExpiresAt: t.expiresAt, refreshTokenExpiresAt: t.refreshExpiresAt, hasRefreshToken: !!t.refreshToken } : undefined;
  }

  /** The ID token claims of the session (sub, acr, auth_time, SubjectNameID when PSC adds it...). */
  get idTokenClaims(): oidc.IDToken | undefined {
    return this.#idClaims;
  }

  /** The current token set; throws `no_session` when not logged in. */
  tokens(): PscTokenSet {
    return this.#view();
  }

  /** A valid access token, refreshed first when it expires within `refreshSkewSeconds`. */
  async accessToken(): Promise<string> {
    const t = this.#tokens;
    if (!t) throw new PscError('no PSC session', 'no_session');
    const skew = (this.#opts.refreshSkewSeconds ?? 30) * 1000;
    if (this.#now() < t.expiresAt - skew) return t.accessToken;
    if (!t.refreshToken) {
      if (this.#now() < t.expiresAt) return t.accessToken;
      this.#end(new PscSessionEndedError('access token expired and no refresh token'));
    }
    return (await this.refresh()).accessToken;
  }

  /** Refresh token grant (single flight). A refused refresh ends the session (CONF.10). */
  refresh(): Promise<PscTokenSet> {
    if (this.#refreshing) return this.#refreshing;
    const current = this.#tokens;
    if (!current) return Promise.reject(new PscError('no PSC session', 'no_session'));
    if (!current.refreshToken) return Promise.reject(new PscError('the PSC session has no refresh token', 'no_refresh_token'));
    if (current.refreshExpiresAt !== undefined && this.#now() >= current.refreshExpiresAt) {
      return Promise.reject(this.#endError(new PscSessionEndedError('refresh token expired')));
    }
    const run = (async () => {
      try {
        const resp = await oidc.refreshTokenGrant(this.config, current.refreshToken!);
        return this.#install(resp, current);
      } catch (err) {
        const e = toPscError(err, 'PSC refresh failed');
        if (e.code === 'invalid_grant' || e.code === 'invalid_token' || e.code === 'unauthorized_client') {
          throw this.#endError(new PscSessionEndedError(e.description ?? e.code, { cause: e }));
        }
        throw e;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    this.#refreshing = run;
    return run;
  }

  /** Userinfo (JSON or JWT, openid-client handles both), checked against the ID token's `sub`. */
  async userinfo(): Promise<PscUserInfo> {
    const at = await this.accessToken();
    const sub = this.#idClaims?.sub;
    try {
      return (await oidc.fetchUserInfo(this.config, at, sub ?? oidc.skipSubjectCheck)) as PscUserInfo;
    } catch (err) {
      throw toPscError(err, 'PSC userinfo failed');
    }
  }

  /** Token introspection (A7): the session's access token by default. */
  async introspect(token?: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<oidc.IntrospectionResponse> {
    const value = token ?? (await this.accessToken());
    try {
      return await oidc.tokenIntrospection(this.config, value, tokenTypeHint ? { token_type_hint: tokenTypeHint } : undefined);
    } catch (err) {
      throw toPscError(err, 'PSC introspection failed');
    }
  }

  /** The RP-initiated logout URL (A8) for the current session, without ending it locally. */
  endSessionUrl(opts: { postLogoutRedirectUri?: string; state?: string } = {}): URL | undefined {
    if (!this.metadata.end_session_endpoint) return undefined;
    const params: Record<string, string> = {};
    const idToken = this.#tokens?.idToken;
    if (idToken) params.id_token_hint = idToken;
    const post = opts.postLogoutRedirectUri ?? this.#opts.postLogoutRedirectUri;
    if (post) params.post_logout_redirect_uri = post;
    if (opts.state) params.state = opts.state;
    return oidc.buildEndSessionUrl(this.config, params);
  }

  /**
   * Logs out: builds the end-session URL (for the browser; `headlessLogout` can call it), revokes the
   * refresh token at the revocation endpoint when PSC advertises one, and forgets the tokens.
   */
  async logout(opts: { postLogoutRedirectUri?: string; state?: string; revoke?: boolean } = {}): Promise<{ endSessionUrl?: URL; revoked: Array<'refresh_token' | 'access_token'> }> {
    const t = this.#tokens;
    const endSessionUrl = this.endSessionUrl(opts);
    const revoked: Array<'refresh_token' | 'access_token'> = [];
    this.#clear();
    if (t && opts.revoke !== false && this.metadata.revocation_endpoint) {
      const targets: Array<['refresh_token' | 'access_token', string | undefined]> = [
        ['refresh_token', t.refreshToken],
        ['access_token', t.accessToken],
      ];
      for (const [hint, value] of targets) {
        if (!value) continue;
        try {
          await oidc.tokenRevocation(this.config, value, { token_type_hint: hint });
          revoked.push(hint);
        } catch (err) {
          throw toPscError(err, `PSC ${hint} revocation failed`);
        }
      }
    }
    return { endSessionUrl, revoked };
  }

  /** Forgets tokens and pending requests and closes the transport's sockets. */
  close(): void {
    this.#clear();
    this.#pending.clear();
    this.#transport.close();
  }

  #clear(): void {
    this.#tokens = undefined;
    this.#idClaims = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #endError(err: PscSessionEndedError): PscSessionEndedError {
    const had = !!this.#tokens;
    this.#clear();
    if (had) this.#opts.onSessionEnded?.(err);
    return err;
  }

  #end(err: PscSessionEndedError): never {
    throw this.#endError(err);
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const t = this.#tokens;
    if (!this.#opts.autoRefresh || !t?.refreshToken) return;
    const skew = (this.#opts.refreshSkewSeconds ?? 30) * 1000;
    const delay = Math.max(0, t.expiresAt - skew - this.#now());
    this.#timer = setTimeout(() => {
      this.refresh().catch(() => {
        /* a refused refresh already ended the session and called onSessionEnded; transient errors retry on demand */
      });
    }, delay);
    this.#timer.unref();
  }

  #prunePending(): void {
    const limit = this.#now() - PENDING_TTL_MS;
    for (const [state, p] of this.#pending) if (p.createdAt < limit) this.#pending.delete(state);
  }

  /** Never serialises a token. */
  toJSON(): Record<string, unknown> {
    return { issuer: this.metadata.issuer, clientId: this.clientId, authenticated: this.isAuthenticated, ...(this.expiry ?? {}) };
  }

  [inspect.custom](): string {
    return `PscClient ${JSON.stringify(this.toJSON())}`;
  }
}
