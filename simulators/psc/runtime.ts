import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign as rsaSign, verify as rsaVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { exportJWK, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';

/** oidc-provider and Koa load on the first PSC request, not at start: they weigh ~0.4 s of time-to-ready. */
let oidcModule: Promise<typeof import('oidc-provider')> | undefined;
const loadOidc = () => (oidcModule ??= import('oidc-provider'));
import type { World } from '../../fixtures/index.js';
import type { Config } from '../core/config/schema.js';
import type { Exchange } from '../core/exchange.js';
import type { HostContext } from '../core/host-context.js';
import type { Sandbox } from '../core/sandbox.js';
import { SandboxOidcStore } from './adapter.js';
import { findProfessional, idNatOfSubject, OPENID_CLAIMS, otherIds, SCOPE_ALL_CLAIMS, subjectOf, userinfoClaims, type AuthMode } from './claims.js';

/** Realm path, as on PSC's Keycloak. */
export const REALM_PATH = '/auth/realms/esante-wallet';

/** Keycloak endpoint paths under the realm (oidc-provider `routes`). */
export const PSC_ROUTES = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  userinfo: '/protocol/openid-connect/userinfo',
  jwks: '/protocol/openid-connect/certs',
  introspection: '/protocol/openid-connect/token/introspect',
  revocation: '/protocol/openid-connect/revoke',
  end_session: '/protocol/openid-connect/logout',
  backchannel_authentication: '/protocol/openid-connect/ext/ciba/auth',
  pushed_authorization_request: '/protocol/openid-connect/ext/par/request',
} as const;

export const LOGIN_PATH = '/login-actions/authenticate';

/** Per-sandbox settings (admin API `PUT /_admin/sandboxes/:id/psc`). */
export interface PscSettings {
  /** Skip the login page when `login_hint` names a professional; approve CIBA requests at once. */
  autoApprove: boolean;
  /** Authentication means used by autoApprove (and preselected on the page). */
  authMode: AuthMode;
}

export interface PscState {
  settings: PscSettings;
}

export const DEFAULT_SETTINGS: PscSettings = { autoApprove: false, authMode: 'MOBILE' };

/** What the provider's hooks know about the request being served. */
export interface PscRequestContext {
  exchange?: Exchange;
  sandbox: Sandbox;
}

/**
 * The request context rides on the Node request oidc-provider's Koa context wraps (`ctx.req`), not on an
 * AsyncLocalStorage: on Node 20 an active ALS installs promise hooks that slow every request of the host.
 */
export function contextOf(ctx: { req: unknown } | undefined): PscRequestContext | undefined {
  return (ctx?.req as { pscContext?: PscRequestContext } | undefined)?.pscContext;
}

export interface CibaPending {
  authReqId: string;
  clientId: string;
  loginHint: string;
  idNat: string;
  bindingMessage?: string;
  channel: AuthMode;
  scope: string;
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
}

export interface ResolvedClient {
  clientId: string;
  authMethod: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  tlsClientAuthSubjectDn?: string;
  ciba: boolean;
  description?: string;
  metadata: ClientMetadata;
}

type PscConfig = Config['psc'];

/** The clients every host knows unless the configuration lists its own. */
export function defaultClients(): PscConfig['clients'] {
  const loopback = ['http://localhost:*', 'http://127.0.0.1:*', 'https://localhost:*', 'https://127.0.0.1:*'].flatMap((o) => [o, `${o}/*`]);
  return [
    {
      clientId: 'segur-sim-lgc',
      clientSecret: 'segur-sim-lgc-secret',
      authMethod: 'client_secret_basic',
      redirectUris: loopback,
      postLogoutRedirectUris: loopback,
      ciba: true,
      description: 'Default LGC client: secret (Basic), redirect URIs on localhost / 127.0.0.1, any port and path',
    },
    {
      clientId: 'segur-sim-mtls',
      authMethod: 'tls_client_auth',
      tlsClientAuthSubjectDn: 'CN=INSI-AUTO',
      redirectUris: loopback,
      postLogoutRedirectUris: loopback,
      ciba: true,
      description: 'mTLS client (tls_client_auth): the test PKI organisation certificate INSI-AUTO (org/INSI-AUTO.*)',
    },
  ];
}

/** Glob with `*` (any characters) → RegExp. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function resolveClients(cfg: PscConfig): ResolvedClient[] {
  const list = cfg.clients.length ? cfg.clients : defaultClients();
  return list.map((c) => {
    const grantTypes = ['authorization_code', 'refresh_token', ...(c.ciba ? ['urn:openid:params:grant-type:ciba'] : [])];
    const placeholder = (uris: string[]) => uris.filter((u) => !u.includes('*'));
    const metadata: ClientMetadata = {
      client_id: c.clientId,
      ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
      token_endpoint_auth_method: c.authMethod,
      ...(c.tlsClientAuthSubjectDn ? { tls_client_auth_subject_dn: c.tlsClientAuthSubjectDn } : {}),
      // oidc-provider validates concrete URIs; wildcard patterns are matched by the redirectUriAllowed override.
      redirect_uris: placeholder(c.redirectUris).length ? placeholder(c.redirectUris) : ['http://localhost/callback'],
      post_logout_redirect_uris: placeholder(c.postLogoutRedirectUris),
      grant_types: grantTypes,
      response_types: ['code'],
      ...(c.ciba ? { backchannel_token_delivery_mode: 'poll' } : {}),
      ...(c.userinfoSignedResponseAlg ? { userinfo_signed_response_alg: c.userinfoSignedResponseAlg } : {}),
      ...(c.idTokenSignedResponseAlg ? { id_token_signed_response_alg: c.idTokenSignedResponseAlg } : {}),
    };
    return {
      clientId: c.clientId,
      authMethod: c.authMethod,
      redirectUris: c.redirectUris,
      postLogoutRedirectUris: c.postLogoutRedirectUris,
      tlsClientAuthSubjectDn: c.tlsClientAuthSubjectDn,
      ciba: c.ciba,
      description: c.description,
      metadata,
    };
  });
}

interface RealmKeys {
  kid: string;
  privateJwk: JWK;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Same kid, another key: tokens "signed with a wrong key" (scenario psc.token bad-signature). */
  rogueKey: KeyObject;
}

async function rsaKey(): Promise<KeyObject> {
  const { privateKey } = await new Promise<{ privateKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _pub, priv) => (err ? reject(err) : resolve({ privateKey: priv }))),
  );
  return privateKey;
}

async function realmKeys(): Promise<RealmKeys> {
  const [privateKey, rogueKey] = await Promise.all([rsaKey(), rsaKey()]);
  const jwk = await exportJWK(privateKey);
  const kid = `psc-sim-${(await exportJWK(createPublicKey(privateKey))).n!.slice(0, 16)}`;
  return { kid, privateJwk: { ...jwk, kid, use: 'sig', alg: 'RS256' }, privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })), publicKey: createPublicKey(privateKey), rogueKey };
}

function epoch(): number {
  return Math.floor(Date.now() / 1000);
}

function acrFor(cfg: PscConfig, mode: AuthMode): string {
  return cfg.acr[mode];
}

function modeOf(amr: unknown): AuthMode {
  return Array.isArray(amr) && amr[0] === 'CARD' ? 'CARD' : 'MOBILE';
}

function settingsOf(sandbox: Sandbox): PscSettings {
  try {
    return { ...DEFAULT_SETTINGS, ...(sandbox.state<PscState | undefined>('psc')?.settings ?? {}) };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

/** Subject DN "CN=INSI-AUTO, OU=x" matched attribute by attribute against the client certificate. */
function subjectMatches(certSubject: Record<string, string> | undefined, expected: string): boolean {
  if (!certSubject) return false;
  return expected
    .split(/\s*,\s*(?=[A-Za-z.0-9]+=)/)
    .filter(Boolean)
    .every((pair) => {
      const i = pair.indexOf('=');
      const key = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      return certSubject[key] === value;
    });
}

function peerSubject(socket: TLSSocket): Record<string, string> | undefined {
  const cert = socket.getPeerCertificate?.(false);
  if (!cert || !cert.raw) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(cert.subject ?? {})) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

type AnyToken = { [k: string]: unknown; accountId?: string; clientId?: string; amr?: string[]; acr?: string; authTime?: number; sessionUid?: string; sid?: string; nonce?: string; scope?: string; jti: string; iat?: number; exp?: number };

/** The Pro Santé Connect simulator of one host: realm keys, clients, and one provider set per sandbox. */
export class PscHostRuntime {
  readonly clients: ResolvedClient[];
  private keysPromise: Promise<RealmKeys> | undefined;
  readonly cookieKeys = [randomBytes(32).toString('base64url')];
  private readonly sandboxes = new Map<string, SandboxPsc>();

  constructor(readonly host: HostContext) {
    this.clients = resolveClients(host.config.psc);
  }

  get config(): PscConfig {
    return this.host.config.psc;
  }

  keys(): Promise<RealmKeys> {
    return (this.keysPromise ??= realmKeys());
  }

  sandbox(sandbox: Sandbox): SandboxPsc {
    let rt = this.sandboxes.get(sandbox.id);
    // A new Sandbox object (deleted and re-created) or replaced store data (reset): start from scratch.
    if (!rt || rt.sandbox !== sandbox || rt.data !== (sandbox.store as { data?: unknown } | undefined)?.data) {
      rt?.dispose();
      rt = new SandboxPsc(this, sandbox);
      this.sandboxes.set(sandbox.id, rt);
    }
    return rt;
  }

  /** The issuer a client sees by default (for in-process token checks before any PSC request). */
  defaultIssuer(sandboxId?: string): string {
    const http = this.host.runtime.listeners.find((l) => l.name === 'http')?.url ?? 'http://localhost';
    const base = http.replace(/\/$/, '');
    return `${base}${sandboxId && sandboxId !== 'default' ? `/_sandbox/${encodeURIComponent(sandboxId)}` : ''}${REALM_PATH}`;
  }

  /** Verifies a PSC access token's signature and returns its payload (undefined: not ours, or tampered). */
  async verifyJwt(token: string): Promise<Record<string, unknown> | undefined> {
    const { publicKey } = await this.keys();
    return verifyRs256(token, publicKey);
  }
}

/** RS256 compact JWS, signed with node:crypto directly (jose's WebCrypto path costs more per token). */
export function signRs256(payload: Record<string, unknown>, key: KeyObject, kid: string): string {
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const input = `${head}.${body}`;
  return `${input}.${rsaSign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

export function verifyRs256(token: string, key: KeyObject): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined;
  const a = token.indexOf('.');
  const b = token.indexOf('.', a + 1);
  if (a < 1 || b < 0 || token.indexOf('.', b + 1) !== -1) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, a), 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return undefined;
    if (!rsaVerify('RSA-SHA256', Buffer.from(token.slice(0, b)), key, Buffer.from(token.slice(b + 1), 'base64url'))) return undefined;
    return JSON.parse(Buffer.from(token.slice(a + 1, b), 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const runtimes = new WeakMap<HostContext, PscHostRuntime>();

export function pscRuntime(host: HostContext): PscHostRuntime {
  let rt = runtimes.get(host);
  if (!rt) runtimes.set(host, (rt = new PscHostRuntime(host)));
  return rt;
}

interface ProviderEntry {
  provider: Provider;
  callback: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** One sandbox: its storage, its providers (one per issuer the clients use), its pending CIBA requests. */
export class SandboxPsc {
  readonly store = new SandboxOidcStore();
  /** The sandbox store's data object when this runtime was made (a reset replaces it). */
  readonly data: unknown;
  private readonly providers = new Map<string, Promise<ProviderEntry>>();
  readonly ciba = new Map<string, CibaPending>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly host: PscHostRuntime,
    readonly sandbox: Sandbox,
  ) {
    this.data = (sandbox.store as { data?: unknown } | undefined)?.data;
  }

  get world(): World {
    return this.sandbox.world;
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.store.clear();
    this.ciba.clear();
  }

  provider(issuer: string): Promise<ProviderEntry> {
    let entry = this.providers.get(issuer);
    if (!entry) {
      entry = this.createProvider(issuer);
      this.providers.set(issuer, entry);
      entry.catch(() => this.providers.delete(issuer));
    }
    return entry;
  }

  /** Any provider of the sandbox (they share the storage); creates one at the default issuer if none yet. */
  async anyProvider(): Promise<Provider> {
    const first = this.providers.values().next();
    if (!first.done) return (await first.value).provider;
    return (await this.provider(this.host.defaultIssuer(this.sandbox.id))).provider;
  }

  settings(): PscSettings {
    return settingsOf(this.sandbox);
  }

  later(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn().catch(() => {});
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  /** The professional approves a pending CIBA request (admin API, scenario, autoApprove). */
  async cibaDecide(authReqId: string, decision: 'approve' | 'deny' | 'expire', authMode?: AuthMode): Promise<CibaPending | undefined> {
    const provider = await this.anyProvider();
    const request = (await provider.BackchannelAuthenticationRequest.find(authReqId, { ignoreExpiration: true })) as unknown as AnyToken & {
      save(): Promise<string>;
      error?: string;
      errorDescription?: string;
      grantId?: string;
    };
    const pending = this.ciba.get(authReqId);
    if (!request) return undefined;
    const mode = authMode ?? pending?.channel ?? this.settings().authMode;
    if (decision === 'approve') {
      const grant = new provider.Grant({ accountId: request.accountId!, clientId: request.clientId! });
      grant.addOIDCScope(request.scope ?? 'openid');
      await grant.save();
      request.grantId = grant.jti;
      request.acr = acrFor(this.host.config, mode);
      request.amr = [mode];
      request.authTime = epoch();
    } else if (decision === 'deny') {
      request.error = 'access_denied';
      request.errorDescription = "l'utilisateur a refusé la demande d'authentification";
    } else {
      request.exp = epoch() - 1;
    }
    await request.save();
    if (pending) pending.status = decision === 'approve' ? 'approved' : decision === 'deny' ? 'denied' : 'expired';
    return pending;
  }

  private async createProvider(issuer: string): Promise<ProviderEntry> {
    const { default: Provider, errors } = await loadOidc();
    const hostRt = this.host;
    const cfg = hostRt.config;
    const keys = await hostRt.keys();
    const store = this.store;
    const sandboxRt = this;
    const issuerPath = new URL(issuer).pathname;
    const patterns = new Map(hostRt.clients.map((c) => [c.clientId, { redirect: c.redirectUris.map(globToRegExp), logout: c.postLogoutRedirectUris.map(globToRegExp) }]));

    const findAccount: Configuration['findAccount'] = async (ctx, sub, token) => {
      const p = findProfessional(sandboxRt.world, sub);
      if (!p) return undefined;
      const t = token as unknown as AnyToken | undefined;
      const fromAt = (t?.extra as { authMode?: AuthMode } | undefined)?.authMode;
      const mode = fromAt ?? modeOf(t?.amr ?? (ctx.oidc?.session as unknown as AnyToken | undefined)?.amr);
      return {
        accountId: subjectOf(p),
        claims: () => {
          const rc = contextOf(ctx);
          const drop = rc?.exchange?.outcome<{ drop: string }>('psc.claims')?.drop === 'exercices';
          return userinfoClaims(sandboxRt.world, p, { authMode: mode, dropExercices: drop }) as { sub: string };
        },
      };
    };

    /** oidc-provider's request context of a token being issued (set by extraTokenClaims, read when signing). */
    const tokenContexts = new WeakMap<object, KoaContextWithOIDC>();

    const configuration: Configuration = {
      adapter: (name: string) => store.adapterFor(name),
      clients: hostRt.clients.map((c) => c.metadata),
      jwks: { keys: [keys.privateJwk as never] },
      cookies: { keys: hostRt.cookieKeys, long: { signed: true }, short: { signed: true } },
      routes: PSC_ROUTES,
      pkce: { methods: ['S256'], required: () => true },
      responseTypes: ['code'],
      scopes: ['openid', 'offline_access', 'scope_all', 'eidas1', 'eidas2', 'rpps', 'referentiel', 'identity', 'interop', 'scope_1', 'scope_2', 'profile', 'email', 'roles', 'web-origins', 'microprofile-jwt', 'basic', 'phone', 'address'],
      claims: {
        openid: OPENID_CLAIMS,
        scope_all: SCOPE_ALL_CLAIMS,
        profile: ['given_name', 'family_name', 'preferred_username'],
        email: ['email_verified'],
      },
      conformIdTokenClaims: false,
      acrValues: ['eidas1', 'eidas2', 'eidas3'],
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'tls_client_auth', 'client_secret_jwt', 'private_key_jwt'],
      extraParams: {
        // PSC's CIBA `channel` (CARD|MOBILE); also the hook that applies `psc.login` and the headless login.
        channel: async (ctx: KoaContextWithOIDC, value: string | undefined) => {
          if (value !== undefined && value !== 'CARD' && value !== 'MOBILE') throw new errors.InvalidRequest('channel must be CARD or MOBILE');
          if (ctx.oidc.route === 'authorization') await headlessLogin(ctx);
        },
        kc_idp_hint: null as never,
        acr: null as never,
      },
      findAccount,
      async extraTokenClaims(ctx, token) {
        const t = token as unknown as AnyToken;
        tokenContexts.set(token, ctx);
        if (!t.accountId) return undefined;
        const p = findProfessional(sandboxRt.world, t.accountId);
        // The access token model keeps no authentication context: take it from what the grant consumed.
        const e = ctx.oidc.entities as Record<string, AnyToken | undefined>;
        const src = e.AuthorizationCode ?? e.RefreshToken ?? e.BackchannelAuthenticationRequest ?? t;
        const mode = modeOf(src.amr);
        return {
          typ: 'Bearer',
          azp: t.clientId,
          auth_time: src.authTime,
          session_state: t.sessionUid,
          acr: src.acr,
          ...(src.nonce ? { nonce: src.nonce } : {}),
          ...(t.sid ? { sid: t.sid } : {}),
          authMode: mode,
          ...(p ? { otherIds: otherIds(p), preferred_username: p.idNat, SubjectNameID: p.idNat } : {}),
        };
      },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      async loadExistingGrant(ctx) {
        const session = ctx.oidc.session!;
        const clientId = ctx.oidc.client!.clientId;
        const grantId = (ctx.oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? session.grantIdFor(clientId);
        let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
        if (!grant || grant.accountId !== session.accountId) grant = new ctx.oidc.provider.Grant({ clientId, accountId: session.accountId! });
        // Keycloak without a consent screen: what the client asks for is granted.
        grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
        const claims = [...(ctx.oidc.requestParamClaims ?? [])];
        if (claims.length) grant.addOIDCClaims(claims);
        await grant.save();
        return grant;
      },
      interactions: {
        url: (_ctx, interaction) => `${issuerPath}${LOGIN_PATH}/${interaction.uid}`,
      },
      ttl: {
        AccessToken: cfg.accessTokenTtl,
        RefreshToken: cfg.refreshTokenTtl,
        AuthorizationCode: cfg.codeTtl,
        BackchannelAuthenticationRequest: cfg.cibaTtl,
        IdToken: Math.max(cfg.accessTokenTtl, 300),
        Interaction: 3600,
        Session: cfg.sessionTtl,
        Grant: cfg.sessionTtl,
      },
      features: {
        devInteractions: { enabled: false },
        introspection: { enabled: true },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        jwtUserinfo: { enabled: true },
        claimsParameter: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: async (ctx, form) => {
            ctx.type = 'html';
            ctx.body = page('Déconnexion', `<p>Voulez-vous vous déconnecter de Pro Santé Connect (simulateur) ?</p>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Se déconnecter</button> <button type="submit" form="op.logoutForm">Rester connecté</button>`);
          },
          postLogoutSuccessSource: async (ctx) => {
            ctx.type = 'html';
            ctx.body = page('Déconnecté', '<p>Vous êtes déconnecté de Pro Santé Connect (simulateur).</p>');
          },
        },
        ciba: {
          enabled: true,
          deliveryModes: ['poll'],
          async processLoginHint(_ctx, loginHint) {
            const p = findProfessional(sandboxRt.world, loginHint);
            if (!p) throw new errors.InvalidRequest('login_hint does not identify a known professional (idNat or RPPS)');
            return subjectOf(p);
          },
          async validateBindingMessage(_ctx, bindingMessage) {
            if (bindingMessage !== undefined && !/^[\p{L}\p{N} .,:;!?'-]{1,64}$/u.test(bindingMessage)) throw new errors.InvalidBindingMessage('binding_message must be 1 to 64 plain characters');
          },
          async validateRequestContext() {},
          async verifyUserCode() {},
          async triggerAuthenticationDevice(ctx, request) {
            const r = request as unknown as AnyToken;
            const channel = (ctx.oidc.params?.channel as AuthMode | undefined) ?? sandboxRt.settings().authMode;
            const pending: CibaPending = {
              authReqId: r.jti,
              clientId: r.clientId!,
              loginHint: String(ctx.oidc.params?.login_hint ?? ''),
              idNat: idNatOfSubject(r.accountId ?? ''),
              bindingMessage: ctx.oidc.params?.binding_message as string | undefined,
              channel,
              scope: r.scope ?? '',
              createdAt: new Date().toISOString(),
              expiresAt: new Date((r.exp ?? epoch() + cfg.cibaTtl) * 1000).toISOString(),
              status: 'pending',
            };
            sandboxRt.ciba.set(r.jti, pending);
            if (sandboxRt.ciba.size > 1000) sandboxRt.ciba.delete(sandboxRt.ciba.keys().next().value!);
            const scripted = contextOf(ctx)?.exchange?.outcome<{ decision: 'approve' | 'deny' | 'expire'; afterMs?: number }>('psc.ciba');
            if (scripted) sandboxRt.later(scripted.afterMs ?? 0, async () => void (await sandboxRt.cibaDecide(r.jti, scripted.decision, channel)));
            else if (sandboxRt.settings().autoApprove) sandboxRt.later(0, async () => void (await sandboxRt.cibaDecide(r.jti, 'approve', channel)));
          },
        },
        mTLS: {
          enabled: true,
          tlsClientAuth: true,
          certificateBoundAccessTokens: false,
          getCertificate(ctx) {
            const socket = ctx.req.socket as TLSSocket;
            if (!socket.encrypted) return undefined;
            const cert = socket.getPeerCertificate?.(false);
            return cert?.raw ? new X509Certificate(cert.raw) : undefined;
          },
          certificateAuthorized: (ctx) => (ctx.req.socket as TLSSocket).authorized === true,
          certificateSubjectMatches(ctx, property, expected) {
            if (property !== 'tls_client_auth_subject_dn') return false;
            return subjectMatches(peerSubject(ctx.req.socket as TLSSocket), expected);
          },
        },
      },
      discovery: {
        backchannel_token_delivery_modes_supported: ['poll'],
        acr_values_supported: ['eidas1', 'eidas2', 'eidas3'],
      },
      clientDefaults: { grant_types: ['authorization_code', 'refresh_token'], id_token_signed_response_alg: 'RS256', response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
      async renderError(ctx, out, error) {
        ctx.type = 'html';
        const e = out as { error: string; error_description?: string };
        ctx.body = page('Erreur', `<p role="alert"><strong>${esc(e.error)}</strong></p><p>${esc(e.error_description ?? (error as Error).message ?? '')}</p>`);
      },
      clockTolerance: 5,
    };

    /** Headless mode (sandbox autoApprove + login_hint), and the `psc.login` refusal. */
    async function headlessLogin(ctx: KoaContextWithOIDC): Promise<void> {
      const rc = contextOf(ctx);
      const refuse = rc?.exchange?.outcome<{ error: 'access_denied' | 'login_required' }>('psc.login');
      if (refuse?.error === 'login_required') throw new errors.LoginRequired('authentication refused by the simulated PSC (scenario)');
      if (refuse) throw new errors.AccessDenied('authentication refused by the simulated PSC (scenario)');
      const settings = sandboxRt.settings();
      if (!settings.autoApprove) return;
      const p = findProfessional(sandboxRt.world, ctx.oidc.params!.login_hint as string | undefined);
      if (!p) return;
      const session = ctx.oidc.session!;
      if (session.accountId === subjectOf(p) && !ctx.oidc.prompts.has('login')) return;
      session.loginAccount({ accountId: subjectOf(p), acr: acrFor(cfg, settings.authMode), amr: [settings.authMode], loginTs: epoch() });
      ctx.oidc.prompts.delete('login');
    }

    const provider = new Provider(issuer, configuration);
    provider.proxy = false;

    // Client redirect URIs with `*` wildcards (BAS allows them; production does not).
    const Client = provider.Client as unknown as { prototype: { clientId: string; redirectUriAllowed(u: string): boolean; postLogoutRedirectUriAllowed(u: string): boolean } };
    const redirectAllowed = Client.prototype.redirectUriAllowed;
    Client.prototype.redirectUriAllowed = function (uri: string) {
      return redirectAllowed.call(this, uri) || !!patterns.get(this.clientId)?.redirect.some((r) => r.test(uri));
    };
    const logoutAllowed = Client.prototype.postLogoutRedirectUriAllowed;
    Client.prototype.postLogoutRedirectUriAllowed = function (uri: string) {
      return logoutAllowed.call(this, uri) || !!patterns.get(this.clientId)?.logout.some((r) => r.test(uri));
    };

    // Access tokens: stored by oidc-provider as usual, handed out as the RS256 JWT PSC issues (jti = stored id).
    const AccessToken = provider.AccessToken as unknown as {
      prototype: { getValueAndPayload(this: AnyToken): Promise<{ value: string; payload?: Record<string, unknown> }> };
      find(value: string, opts?: unknown): Promise<unknown>;
    };
    const toRevoke = new WeakSet<object>();
    const opaqueValue = AccessToken.prototype.getValueAndPayload;
    AccessToken.prototype.getValueAndPayload = async function (this: AnyToken) {
      const { value: jti, payload } = await opaqueValue.call(this);
      const state = contextOf(tokenContexts.get(this))?.exchange?.outcome<{ state: 'expired' | 'revoked' | 'bad-signature' }>('psc.token')?.state;
      if (state === 'expired' && payload) {
        // Stored and signed already expired: introspection says inactive, the JWT's exp is in the past.
        payload.iat = epoch() - cfg.accessTokenTtl - 60;
        payload.exp = epoch() - 60;
      }
      if (state === 'revoked') toRevoke.add(this);
      const extra = (payload?.extra ?? {}) as Record<string, unknown>;
      const claims = {
        exp: payload?.exp,
        iat: payload?.iat,
        auth_time: extra.auth_time,
        jti,
        iss: issuer,
        sub: this.accountId,
        typ: 'Bearer',
        azp: this.clientId,
        nonce: extra.nonce ?? '',
        session_state: extra.session_state,
        acr: extra.acr,
        scope: this.scope,
        sid: extra.sid ?? extra.session_state,
        authMode: extra.authMode,
        otherIds: extra.otherIds,
        preferred_username: extra.preferred_username,
        SubjectNameID: extra.SubjectNameID,
      };
      const key = state === 'bad-signature' ? keys.rogueKey : keys.privateKey;
      const value = signRs256(claims, key, keys.kid);
      return { value, payload };
    };
    const findStored = AccessToken.find;
    AccessToken.find = async function (this: unknown, value: string, opts?: unknown) {
      if (typeof value !== 'string') return undefined;
      const claims = await hostRt.verifyJwt(value);
      if (!claims || typeof claims.jti !== 'string') return undefined;
      return findStored.call(this, claims.jti, opts);
    };
    provider.on('access_token.saved', (token: { destroy(): Promise<void> }) => {
      if (toRevoke.has(token)) void token.destroy();
    });

    // Keycloak's extra members of the token and CIBA responses.
    provider.use(async (ctx, next) => {
      await next();
      const route = (ctx as unknown as KoaContextWithOIDC).oidc?.route;
      const body = ctx.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || ctx.status !== 200) return;
      if (route === 'token' && body.access_token) {
        body.refresh_expires_in = body.refresh_token ? cfg.refreshTokenTtl : 0;
        body['not-before-policy'] = 0;
        const at = (ctx as unknown as KoaContextWithOIDC).oidc.entities.AccessToken as unknown as AnyToken | undefined;
        if (at?.sessionUid) body.session_state = at.sessionUid;
      } else if (route === 'backchannel_authentication' && body.auth_req_id) {
        body.interval = cfg.cibaInterval;
      }
    });

    return { provider, callback: provider.callback() as unknown as ProviderEntry['callback'] };
  }
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A plain, accessible, asset-free HTML page in French. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} — Pro Santé Connect (simulateur)</title><style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e;line-height:1.5}
header{border-bottom:3px solid #000091;margin-bottom:1rem}h1{color:#000091;font-size:1.5rem}
.warn{background:#fff4e5;border-left:4px solid #b34000;padding:.5rem 1rem}
fieldset{border:1px solid #ccc;margin:1rem 0;padding:.5rem 1rem}legend{font-weight:600}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left}
button{background:#000091;color:#fff;border:0;padding:.5rem 1rem;font-size:1rem;cursor:pointer}button.secondary{background:#fff;color:#000091;border:1px solid #000091}
input[type=search]{padding:.4rem;font-size:1rem;width:60%}:focus{outline:3px solid #0a76f6;outline-offset:2px}
</style></head><body><header><h1>${esc(title)}</h1><p class="warn">Simulateur segur-sim — identités fictives, ne pas utiliser en production.</p></header><main>${body}</main></body></html>`;
}

