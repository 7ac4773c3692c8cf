import type { IncomingMessage } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import { z } from 'zod';
import { foldForSearch, type Professional } from '../../fixtures/index.js';
import type { RequestFacts } from '../../scenarios/engine/types.js';
import { admin, AdminError, jsonBody } from '../core/admin/http.js';
import { oauthError } from '../core/errors/renderers.js';
import type { HostContext } from '../core/host-context.js';
import { rawHeader } from '../core/sandbox-routing.js';
import type { HostEnv, SimulatorService } from '../core/service.js';
import { findProfessional, subjectOf, type AuthMode } from './claims.js';
import { DEFAULT_SETTINGS, esc, LOGIN_PATH, page, pscRuntime, REALM_PATH, type PscRequestContext, type PscState } from './runtime.js';

const MOUNT = REALM_PATH;

const loginOutcome = z.object({ error: z.enum(['access_denied', 'login_required']) }).strict();
const cibaOutcome = z.object({ decision: z.enum(['approve', 'deny', 'expire']), afterMs: z.number().int().min(0).default(0) }).strict();
const tokenOutcome = z.object({ state: z.enum(['expired', 'revoked', 'bad-signature']) }).strict();
const claimsOutcome = z.object({ drop: z.enum(['exercices']) }).strict();
const settingsBody = z.object({ autoApprove: z.boolean().optional(), authMode: z.enum(['MOBILE', 'CARD']).optional() }).strict();

/** Exchange operation of a realm path (scenario rules match on it). */
function operationOf(path: string): string {
  if (path.startsWith('/.well-known/')) return 'discovery';
  if (path.startsWith(LOGIN_PATH)) return 'login';
  switch (path) {
    case '/protocol/openid-connect/auth':
      return 'authorize';
    case '/protocol/openid-connect/token':
      return 'token';
    case '/protocol/openid-connect/userinfo':
      return 'userinfo';
    case '/protocol/openid-connect/token/introspect':
      return 'introspect';
    case '/protocol/openid-connect/certs':
      return 'certs';
    case '/protocol/openid-connect/logout':
      return 'logout';
    case '/protocol/openid-connect/revoke':
      return 'revoke';
    case '/protocol/openid-connect/ext/ciba/auth':
      return 'ciba';
    case '/protocol/openid-connect/ext/par/request':
      return 'par';
    default:
      return path.startsWith('/protocol/openid-connect/auth/') ? 'authorize' : 'other';
  }
}

function basicClientId(authorization: string | undefined): string | undefined {
  if (!authorization?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  try {
    return decodeURIComponent(i === -1 ? decoded : decoded.slice(0, i));
  } catch {
    return undefined;
  }
}

interface Located {
  /** Request URL with the sandbox prefix, as received. */
  url: string;
  /** Path inside the realm, with the query. */
  rest: string;
  path: string;
  query: string;
  issuer: string;
}

function locate(c: Context<HostEnv>): Located {
  const incoming = c.env.incoming;
  const url = incoming.url ?? '/';
  const idx = url.indexOf(MOUNT);
  const rest = url.slice(idx + MOUNT.length) || '/';
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const exchange = c.get('exchange');
  const host = rawHeader(incoming.rawHeaders, 'host') ?? 'localhost';
  return { url, rest, path, query: q === -1 ? '' : rest.slice(q), issuer: `${exchange.transport}://${host}${url.slice(0, idx)}${MOUNT}` };
}

function addFact(facts: RequestFacts, name: string, value: unknown): void {
  if (typeof value === 'string' && value) facts[name] = value;
}

function professionalFacts(facts: RequestFacts, p: Professional | undefined): void {
  if (!p) return;
  facts.rpps = p.rpps;
  facts.idNat = p.idNat;
}

/** Hands the request to the sandbox's oidc-provider (a Koa app) inside the Hono pipeline. */
async function serveOidc(c: Context<HostEnv>, host: HostContext): Promise<Response> {
  const exchange = c.get('exchange');
  const loc = locate(c);
  const incoming = c.env.incoming as IncomingMessage & { body?: unknown; originalUrl?: string; pscContext?: PscRequestContext };
  const method = c.req.method;
  let body: Buffer | undefined;
  let form: URLSearchParams | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    body = Buffer.from(await c.req.arrayBuffer());
    if ((rawHeader(incoming.rawHeaders, 'content-type') ?? '').includes('application/x-www-form-urlencoded')) form = new URLSearchParams(body.toString('utf8'));
  }
  const query = loc.query ? new URLSearchParams(loc.query) : undefined;
  const param = (name: string) => form?.get(name) ?? query?.get(name) ?? undefined;
  const sandboxRt = pscRuntime(host).sandbox(exchange.sandbox);
  const facts: RequestFacts = {};
  addFact(facts, 'clientId', param('client_id') ?? basicClientId(rawHeader(incoming.rawHeaders, 'authorization')));
  addFact(facts, 'loginHint', param('login_hint'));
  addFact(facts, 'grantType', param('grant_type'));
  addFact(facts, 'authMode', param('channel') ?? (loc.path === '/protocol/openid-connect/auth' ? sandboxRt.settings().authMode : undefined));
  professionalFacts(facts, findProfessional(exchange.sandbox.world, param('login_hint')));
  const operation = operationOf(loc.path);
  const forced = await exchange.enter(operation, facts);
  if (forced) return forced;

  const { callback } = await sandboxRt.provider(loc.issuer);
  let rest = loc.rest;
  if (loc.path === '/.well-known/wallet-openid-configuration') rest = `/.well-known/openid-configuration${loc.query}`;
  if (body) incoming.body = body;
  // As express mounting does: originalUrl keeps the prefix, url is the path inside the realm.
  incoming.originalUrl = loc.url.slice(0, loc.url.length - loc.rest.length) + rest;
  incoming.url = rest;
  try {
    incoming.pscContext = { exchange, sandbox: exchange.sandbox };
    await callback(incoming, c.env.outgoing);
  } finally {
    incoming.url = loc.url;
  }
  exchange.summary = { operation, status: c.env.outgoing.statusCode, ...facts };
  return RESPONSE_ALREADY_SENT;
}

function searchProfessionals(list: Professional[], q: string): Professional[] {
  const needle = foldForSearch(q.trim());
  if (!needle) return list.slice(0, 50);
  return list.filter((p) => p.rpps.includes(q.trim()) || p.idNat.includes(q.trim()) || foldForSearch(`${p.firstName} ${p.lastName} ${p.lastName} ${p.firstName}`).includes(needle)).slice(0, 50);
}

function loginForm(opts: { action: string; professionals: Professional[]; selected?: string; authMode: AuthMode; q: string; clientId: string; error?: string; searchAction: string }): string {
  const rows = opts.professionals
    .map((p) => {
      const id = `ps-${p.idNat}`;
      const checked = p.idNat === opts.selected || p.rpps === opts.selected ? ' checked' : '';
      const spec = p.specialty ? ` — ${esc(p.specialty.label)}` : '';
      return `<tr><td><input type="radio" name="idNat" id="${id}" value="${esc(p.idNat)}" required${checked}></td><td><label for="${id}">${p.title ? 'Dr ' : ''}${esc(p.lastName.toUpperCase())} ${esc(p.firstName)}</label></td><td>${esc(p.profession.label)}${spec}</td><td>${esc(p.rpps)}</td></tr>`;
    })
    .join('');
  const mode = (m: AuthMode, label: string) => `<div><input type="radio" name="authMode" id="mode-${m}" value="${m}"${opts.authMode === m ? ' checked' : ''}><label for="mode-${m}"> ${label}</label></div>`;
  return `<p>Application : <strong>${esc(opts.clientId)}</strong> demande votre authentification.</p>
${opts.error ? `<p role="alert" class="warn">${esc(opts.error)}</p>` : ''}
<form method="get" action="${esc(opts.searchAction)}" role="search"><label for="q">Rechercher un professionnel (nom ou RPPS)</label><br><input type="search" id="q" name="q" value="${esc(opts.q)}"> <button type="submit" class="secondary">Rechercher</button></form>
<form method="post" action="${esc(opts.action)}">
<fieldset><legend>Professionnel de santé</legend>
${rows ? `<table><thead><tr><th scope="col"><span class="sr">Choix</span></th><th scope="col">Nom</th><th scope="col">Profession</th><th scope="col">RPPS</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>Aucun professionnel ne correspond à la recherche.</p>'}
</fieldset>
<fieldset><legend>Moyen d'identification</legend>${mode('MOBILE', 'e-CPS (application mobile)')}${mode('CARD', 'Carte CPS (lecteur de carte)')}</fieldset>
<button type="submit" name="action" value="login">Se connecter</button> <button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Annuler</button>
</form>`;
}

/** The login page (trainers): pick a professional and the authentication means. */
async function loginPage(c: Context<HostEnv>, host: HostContext): Promise<Response> {
  const exchange = c.get('exchange');
  const loc = locate(c);
  const incoming = c.env.incoming;
  const isPost = c.req.method === 'POST';
  const form = isPost ? new URLSearchParams(await c.req.text()) : undefined;
  const sandboxRt = pscRuntime(host).sandbox(exchange.sandbox);
  const world = exchange.sandbox.world;
  const chosen = form ? findProfessional(world, form.get('idNat') ?? undefined) : undefined;
  const authMode: AuthMode = form?.get('authMode') === 'CARD' ? 'CARD' : form?.get('authMode') === 'MOBILE' ? 'MOBILE' : sandboxRt.settings().authMode;
  const facts: RequestFacts = {};
  professionalFacts(facts, chosen);
  if (isPost) facts.authMode = authMode;
  const forced = await exchange.enter('login', facts);
  if (forced) return forced;

  const { provider } = await sandboxRt.provider(loc.issuer);
  let details;
  try {
    details = await provider.interactionDetails(incoming, c.env.outgoing);
  } catch (err) {
    exchange.verdict('error', 'psc.interaction', (err as Error).message);
    return c.html(page('Session expirée', `<p role="alert">La demande d'authentification est introuvable ou expirée (${esc((err as Error).message)}). Recommencez depuis l'application.</p>`), 400);
  }
  const clientId = String(details.params.client_id ?? '');
  const action = `${loc.url.split('?')[0]}`;
  if (isPost) {
    if (form!.get('action') === 'cancel') {
      const to = await provider.interactionResult(incoming, c.env.outgoing, { error: 'access_denied', error_description: "authentification annulée par l'utilisateur" }, { mergeWithLastSubmission: false });
      exchange.summary = { result: 'cancelled', clientId };
      return c.redirect(to, 303);
    }
    if (!chosen) {
      const list = searchProfessionals(world.professionals, '');
      return c.html(page('Connexion Pro Santé Connect', loginForm({ action, searchAction: action, professionals: list, authMode, q: '', clientId, error: 'Choisissez un professionnel dans la liste.' })), 400);
    }
    const cfg = host.config.psc;
    const to = await provider.interactionResult(incoming, c.env.outgoing, { login: { accountId: subjectOf(chosen), acr: cfg.acr[authMode], amr: [authMode], remember: true } }, { mergeWithLastSubmission: false });
    exchange.summary = { result: 'login', clientId, idNat: chosen.idNat, authMode };
    return c.redirect(to, 303);
  }
  const q = c.req.query('q') ?? '';
  const hint = details.params.login_hint as string | undefined;
  const list = searchProfessionals(world.professionals, q || (hint && findProfessional(world, hint) ? '' : ''));
  const selected = hint ? findProfessional(world, hint)?.idNat : undefined;
  exchange.summary = { page: 'login', clientId };
  return c.html(page('Connexion Pro Santé Connect', loginForm({ action, searchAction: action, professionals: list, selected, authMode, q, clientId })));
}

/**
 * Pro Santé Connect: OpenID Connect on the Keycloak realm `esante-wallet`, built on oidc-provider
 * (one provider per sandbox and issuer). See simulators/psc/README.md.
 */
export const pscService: SimulatorService = {
  id: 'psc',
  title: 'Pro Santé Connect',
  mounts: [MOUNT],
  outcomes: [
    { name: 'psc.login', service: 'psc', description: 'The authorization request is refused (redirect with error=access_denied or login_required).', params: loginOutcome },
    { name: 'psc.ciba', service: 'psc', description: 'The professional approves, denies or lets expire the CIBA request, after afterMs.', params: cibaOutcome },
    { name: 'psc.token', service: 'psc', description: 'Access tokens issued are already expired, revoked at once, or signed with a wrong key.', params: tokenOutcome },
    { name: 'psc.claims', service: 'psc', description: 'Userinfo / ID token without the professional exercices (SubjectRefPro.exercices empty).', params: claimsOutcome },
  ],
  initialState: (): PscState => ({ settings: { ...DEFAULT_SETTINGS } }),
  renderError: oauthError,
  routes(app, host) {
    app.get(`${MOUNT}${LOGIN_PATH}/:uid`, (c) => loginPage(c, host));
    app.post(`${MOUNT}${LOGIN_PATH}/:uid`, (c) => loginPage(c, host));
    app.all(`${MOUNT}/*`, (c) => serveOidc(c, host));
    app.get(MOUNT, (c) => {
      const loc = locate(c);
      return c.json({ realm: 'esante-wallet', 'token-service': `${loc.issuer}/protocol/openid-connect`, 'account-service': `${loc.issuer}/account`, 'tokens-not-before': 0 });
    });

    // Admin API (PSC part).
    app.get('/_admin/psc/clients', (c) =>
      c.json({
        clients: pscRuntime(host).clients.map((cl) => ({
          clientId: cl.clientId,
          authMethod: cl.authMethod,
          clientSecret: cl.metadata.client_secret,
          tlsClientAuthSubjectDn: cl.tlsClientAuthSubjectDn,
          redirectUris: cl.redirectUris,
          postLogoutRedirectUris: cl.postLogoutRedirectUris,
          grantTypes: cl.metadata.grant_types,
          description: cl.description,
        })),
      }),
    );
    app.get('/_admin/sandboxes/:id/psc', (c) =>
      admin(async () => {
        const sandbox = await host.sandboxes.resolve(c.req.param('id'));
        return c.json({ settings: pscRuntime(host).sandbox(sandbox).settings() });
      }),
    );
    app.put('/_admin/sandboxes/:id/psc', (c) =>
      admin(async () => {
        const body = await jsonBody(c, settingsBody);
        const sandbox = await host.sandboxes.resolve(c.req.param('id'));
        const settings = { ...pscRuntime(host).sandbox(sandbox).settings(), ...body };
        await sandbox.store.update((data) => {
          data.services.psc = { ...((data.services.psc as PscState | undefined) ?? {}), settings };
        });
        return c.json({ settings });
      }),
    );
    app.get('/_admin/sandboxes/:id/psc/ciba', (c) =>
      admin(async () => {
        const sandbox = await host.sandboxes.resolve(c.req.param('id'));
        const all = [...pscRuntime(host).sandbox(sandbox).ciba.values()];
        const status = c.req.query('status');
        return c.json({ requests: status === 'all' ? all : all.filter((r) => r.status === 'pending') });
      }),
    );
    app.post('/_admin/sandboxes/:id/psc/ciba/:authReqId/:decision', (c) =>
      admin(async () => {
        const decision = c.req.param('decision');
        if (decision !== 'approve' && decision !== 'deny' && decision !== 'expire') throw new AdminError(404, 'NotFound', 'decision must be approve, deny or expire');
        const sandbox = await host.sandboxes.resolve(c.req.param('id'));
        const text = await c.req.text();
        let authMode: AuthMode | undefined;
        if (text.trim()) {
          const parsed = z.object({ authMode: z.enum(['MOBILE', 'CARD']).optional() }).safeParse(JSON.parse(text));
          if (parsed.success) authMode = parsed.data.authMode;
        }
        const done = await pscRuntime(host).sandbox(sandbox).cibaDecide(c.req.param('authReqId'), decision, authMode);
        if (!done) throw new AdminError(404, 'UnknownAuthReq', `no CIBA request ${c.req.param('authReqId')} in sandbox ${sandbox.id}`);
        return c.json(done);
      }),
    );
  },
};
