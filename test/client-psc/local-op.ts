/**
 * A small OpenID provider (oidc-provider) on a real socket, shaped like PSC where the client cares
 * (code + PKCE, CIBA poll with `channel`, refresh, revocation, introspection, RP-initiated logout), with
 * an auto-approving interaction driven by `login_hint`. It exercises the client's wire behaviour
 * independently of the segur-sim PSC simulator, which has its own integration test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors, type BackchannelAuthenticationRequest } from 'oidc-provider';
import type { PscUserInfo } from '../../client/psc/index.js';

export const CLIENT = { id: 'lgc-test', secret: 'lgc-test-secret-0123456789abcdef0123456789', redirect: 'http://127.0.0.1/cb', postLogout: 'http://127.0.0.1/bye' };

export interface LocalOp {
  issuer: string;
  users: Map<string, PscUserInfo>;
  /** Pending CIBA requests (auth_req_id → request), filled by triggerAuthenticationDevice. */
  ciba: Map<string, { request: BackchannelAuthenticationRequest; accountId: string; bindingMessage?: string; channel?: string }>;
  approve(authReqId: string): Promise<void>;
  deny(authReqId: string): Promise<void>;
  /** Paths requested, to check which discovery path the client used. */
  paths: string[];
  /** Whether the interaction auto-approves (headless mode). */
  autoApprove: boolean;
  provider: Provider;
  close(): Promise<void>;
}

export async function startLocalOp(users: PscUserInfo[], opts: { walletDiscovery?: boolean; accessTokenTtl?: number } = {}): Promise<LocalOp> {
  const byId = new Map(users.map((u) => [u.SubjectNameID!, u]));
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const ciba: LocalOp['ciba'] = new Map();
  const resolveHint = (hint?: string) => {
    if (!hint) return undefined;
    if (byId.has(hint)) return hint;
    if (/^\d{11}$/.test(hint) && byId.has(`8${hint}`)) return `8${hint}`;
    return undefined;
  };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'local-op' };
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: [CLIENT.redirect],
        post_logout_redirect_uris: [CLIENT.postLogout],
        grant_types: ['authorization_code', 'refresh_token', 'urn:openid:params:grant-type:ciba'],
        token_endpoint_auth_method: 'client_secret_basic',
        backchannel_token_delivery_mode: 'poll',
      },
    ],
    scopes: ['openid', 'scope_all'],
    claims: {
      openid: ['sub'],
      scope_all: ['SubjectNameID', 'preferred_username', 'given_name', 'family_name', 'authMode', 'Secteur_Activite', 'SubjectOrganization', 'SubjectOrganizationID', 'SubjectRole', 'SubjectRefPro'],
    },
    acrValues: ['eidas1', 'eidas3'],
    extraParams: ['channel'],
    pkce: { required: () => true },
    ttl: { AccessToken: opts.accessTokenTtl ?? 120, RefreshToken: 1800, IdToken: 120, Interaction: 600, Session: 14400, Grant: 14400, BackchannelAuthenticationRequest: 120 },
    issueRefreshToken: () => true,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      ciba: {
        enabled: true,
        deliveryModes: ['poll'],
        processLoginHint: (_ctx, hint) => resolveHint(hint),
        validateBindingMessage: (_ctx, msg) => {
          if (msg !== undefined && !/^\d{2}$/.test(msg)) throw new errors.InvalidBindingMessage('binding_message must be two digits');
        },
        validateRequestContext: () => {},
        verifyUserCode: () => {},
        triggerAuthenticationDevice: (ctx, request, account) => {
          ciba.set(request.jti, { request, accountId: account.accountId, bindingMessage: request.params?.binding_message as string | undefined, channel: (ctx.oidc.params as Record<string, unknown>)?.channel as string | undefined });
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const u = byId.get(sub);
      if (!u) return undefined;
      return { accountId: sub, claims: () => ({ ...u, sub }) };
    },
    cookies: { keys: ['local-op-cookie-key'] },
  });
  const callback = provider.callback();
  const state: LocalOp = {
    issuer,
    users: byId,
    ciba,
    paths: [],
    autoApprove: true,
    provider,
    async approve(id) {
      const entry = ciba.get(id);
      if (!entry) throw new Error(`unknown auth_req_id ${id}`);
      const grant = new provider.Grant({ accountId: entry.accountId, clientId: CLIENT.id });
      grant.addOIDCScope('openid scope_all');
      await grant.save();
      await provider.backchannelResult(entry.request, grant, { acr: 'eidas1' });
    },
    async deny(id) {
      const entry = ciba.get(id);
      if (!entry) throw new Error(`unknown auth_req_id ${id}`);
      await provider.backchannelResult(entry.request, new errors.AccessDenied('the user refused'));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  server.on('request', async (req, res) => {
    state.paths.push(req.url ?? '');
    try {
      if (req.url?.startsWith('/.well-known/wallet-openid-configuration')) {
        if (!opts.walletDiscovery) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
          return;
        }
        req.url = '/.well-known/openid-configuration';
      }
      if (req.url?.startsWith('/interaction/')) {
        const details = await provider.interactionDetails(req, res);
        const accountId = resolveHint(details.params.login_hint as string | undefined);
        if (!state.autoApprove || !accountId) {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>Pro Santé Connect - Connexion</title></head><body>login page</body></html>');
          return;
        }
        const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId, acr: 'eidas1' }, consent: { grantId } }, { mergeWithLastSubmission: false });
        return;
      }
      callback(req, res);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  return state;
}
