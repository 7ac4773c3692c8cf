/**
 * Annuaire Santé simulator: the FHIR R4 API v2 at `/fhir/v2` (Practitioner, PractitionerRole, Organization
 * with the MSSanté telecom extensions) behind a Gravitee-like gateway (`ESANTE-API-KEY`, 17 calls/s), and the
 * public extraction `Extraction_Correspondance_MSSante` at its service.annuaire.sante.fr path. See README.md.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { RequestFacts } from '../../scenarios/engine/types.js';
import { fhirOperationOutcome } from '../core/errors/renderers.js';
import type { Exchange } from '../core/exchange.js';
import type { HostContext } from '../core/host-context.js';
import { rawHeader } from '../core/sandbox-routing.js';
import type { HostEnv, SimulatorService } from '../core/service.js';
import { capabilityStatement } from './capability.js';
import {
  API_KEY_HEADER,
  DEFAULT_API_KEY,
  DEFAULT_RATE_LIMIT,
  DEFAULT_RATE_WINDOW_MS,
  EMPTY_TYPES,
  EXTRACTION_MOUNT,
  EXTRACTION_PATH,
  FHIR_JSON,
  FHIR_MOUNT,
  KNOWN_TYPES_TEXT,
  RESOURCE_TYPES,
  type ResourceType,
} from './constants.js';
import { extractionOf } from './extraction.js';
import { GATEWAY_MESSAGES, gatewayError, outcomeResponse, RateLimiter, type GatewayErrorStyle, type RateDecision } from './gateway.js';
import { annuaireIndex, instant, type AnnuaireIndex } from './resources.js';
import { execute, parseSearch, queryString, readPageToken, renderBundle, type ParamProblem, type SearchRequest } from './search.js';

export interface AnnuaireServiceOptions {
  /**
   * Accepted `ESANTE-API-KEY` values. Default: `SEGUR_SIM_ANNUAIRE_API_KEYS` (comma-separated, read at start),
   * else the documented demo key `segur-sim-annuaire-demo-key`.
   */
  apiKeys?: string[];
  /** Calls allowed per window and key (default 17, `SEGUR_SIM_ANNUAIRE_RATE_LIMIT`; 0 disables the limit). */
  rateLimit?: number;
  /** Window length in ms (default 1000). */
  rateWindowMs?: number;
  /** Body of gateway errors (401, 403, 429): `fhir` OperationOutcome (default) or `gravitee` JSON (`SEGUR_SIM_ANNUAIRE_GATEWAY_ERRORS`). */
  gatewayErrors?: GatewayErrorStyle;
}

const throttleOutcome = z.object({}).strict();

const EMPTY = new Set<string>(EMPTY_TYPES);
const TYPES = new Set<string>(RESOURCE_TYPES);

function envList(name: string): string[] | undefined {
  const v = process.env[name];
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

interface Ctx {
  keys: Set<string>;
  style: GatewayErrorStyle;
  limiter: RateLimiter;
  host: HostContext;
}

interface Located {
  base: string;
  /** Path inside `/fhir/v2`, split. */
  segments: string[];
  query: string;
}

function locate(c: Context<HostEnv>, exchange: Exchange): Located {
  const incoming = c.env?.incoming;
  const rawHeaders = incoming?.rawHeaders ?? [];
  let url = incoming?.url;
  let host = rawHeader(rawHeaders, 'host');
  if (!url || !host) {
    const parsed = new URL(c.req.url);
    url ??= parsed.pathname + parsed.search;
    host ??= parsed.host;
  }
  const q = url.indexOf('?');
  const pathWithPrefix = q === -1 ? url : url.slice(0, q);
  const idx = pathWithPrefix.indexOf(FHIR_MOUNT);
  const prefix = idx > 0 ? pathWithPrefix.slice(0, idx) : '';
  const rest = c.req.path.slice(FHIR_MOUNT.length);
  return {
    base: `${exchange.transport}://${host}${prefix}${FHIR_MOUNT}`,
    segments: rest.split('/').filter(Boolean).map(safeDecode),
    query: q === -1 ? '' : url.slice(q + 1),
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function paramsOf(query: string): [string, string][] {
  return query ? [...new URLSearchParams(query)] : [];
}

/** Scenario facts of a search: the values an LPS looks people up by. */
function searchFacts(type: string, params: [string, string][]): RequestFacts {
  const facts: RequestFacts = { resource: type };
  for (const [name, value] of params) {
    const base = name.split(':')[0]!;
    if (base === 'mailbox-mss') facts.mailbox = value;
    else if (base === 'identifier') {
      facts.identifier = value;
      const id = value.slice(value.indexOf('|') + 1);
      if (/^\d{11}$/.test(id)) facts.rpps = id;
      else if (/^8\d{11}$/.test(id)) facts.rpps = id.slice(1);
    } else if (base === 'name' || base === 'family') facts.name = value;
    else if (base === '_id') facts.id = value;
  }
  return facts;
}

function maskKey(key: string): string {
  return key.length <= 6 ? '***' : `${key.slice(0, 4)}…${key.slice(-2)}`;
}

function fhirBody(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': FHIR_JSON, ...headers } });
}

/** OperationOutcome listing every problem of a search request (HTTP 400). */
function problemsResponse(problems: ParamProblem[], headers: Record<string, string>): Response {
  const issue = problems.map((p) => ({ severity: 'error', code: p.kind === 'not-simulated' ? 'not-supported' : 'processing', diagnostics: p.message }));
  return fhirBody(JSON.stringify({ resourceType: 'OperationOutcome', issue }), 400, headers);
}

async function serveFhir(c: Context<HostEnv>, ctx: Ctx): Promise<Response> {
  const exchange = c.get('exchange');
  const loc = locate(c, exchange);
  const method = c.req.method;
  const [first, second, ...more] = loc.segments;
  let params = paramsOf(loc.query);

  // What the request is, for the scenario engine and the journal.
  let operation: string;
  let facts: RequestFacts = {};
  if (first === undefined) operation = 'root';
  else if (first === 'metadata' && second === undefined) operation = 'metadata';
  else if (first === '_page' && second === undefined) {
    operation = 'page';
    const state = readPageToken(new URLSearchParams(loc.query).get('id') ?? '');
    if (state) facts = searchFacts(state.type, state.params);
  } else if (second === undefined || (second === '_search' && more.length === 0)) {
    operation = 'search';
    if (second === '_search' && method === 'POST') {
      const form = await c.req.text();
      if (form.trim()) params = [...params, ...new URLSearchParams(form)];
    }
    facts = searchFacts(first, params);
  } else if (more.length === 0) {
    operation = 'read';
    facts = { resource: first, id: second };
  } else operation = 'unsupported';

  const forced = await exchange.enter(operation, facts);
  if (forced) return forced;

  // The gateway: API key, then the plan's rate limit.
  const rawHeaders = c.env?.incoming?.rawHeaders ?? [];
  const key = rawHeader(rawHeaders, API_KEY_HEADER)?.trim();
  exchange.summary = { operation, ...facts };
  if (!key) {
    exchange.verdict('error', 'annuaire.api-key.missing', `no ${API_KEY_HEADER.toUpperCase()} header`);
    exchange.summary.gateway = 'missing-key';
    return gatewayError(ctx.style, 401, 'login', GATEWAY_MESSAGES.missingKey, 'En-tête ESANTE-API-KEY absent : obtenez une clé sur le portail Gravitee de l\'ANS (segur-sim : voir simulators/annuaire/README.md).');
  }
  exchange.summary.apiKey = maskKey(key);
  if (!ctx.keys.has(key)) {
    exchange.verdict('error', 'annuaire.api-key.invalid', `ESANTE-API-KEY ${maskKey(key)} is not an accepted key`);
    exchange.summary.gateway = 'invalid-key';
    return gatewayError(ctx.style, 401, 'security', GATEWAY_MESSAGES.invalidKey, 'Clé ESANTE-API-KEY inconnue ou révoquée.');
  }
  // `annuaire.throttle` (a scenario) refuses like an exhausted plan, without counting the call.
  const throttled = exchange.outcome('annuaire.throttle') !== undefined;
  const rate: RateDecision | undefined = ctx.limiter.enabled && !throttled ? ctx.limiter.hit(exchange.sandbox, key) : undefined;
  if (throttled || (rate && !rate.allowed)) {
    exchange.summary.gateway = 'rate-limited';
    const limit = ctx.limiter.limit || DEFAULT_RATE_LIMIT;
    const decision = rate ?? { allowed: false, limit, remaining: 0, reset: ctx.host.clock.now() + ctx.limiter.windowMs };
    return gatewayError(
      ctx.style,
      429,
      'throttled',
      GATEWAY_MESSAGES.rateLimited(limit, ctx.limiter.windowMs),
      `Plus de ${limit} appels en ${ctx.limiter.windowMs} ms pour cette clé (plan de l'API Annuaire Santé).`,
      RateLimiter.headers(decision),
    );
  }
  const headers = rate ? RateLimiter.headers(rate) : {};

  if (method !== 'GET' && method !== 'HEAD' && !(method === 'POST' && second === '_search')) {
    exchange.verdict('error', 'annuaire.method', `${method} ${c.req.path} is not allowed (GET, or POST on [type]/_search)`);
    return gatewayError(ctx.style, 403, 'forbidden', `Method ${method} is not allowed on ${c.req.path}`, "L'API n'accepte que GET, et POST sur [type]/_search ; PUT et DELETE sont interdits.", headers);
  }

  const index = annuaireIndex(exchange.sandbox.world);
  switch (operation) {
    case 'metadata':
      return fhirBody(JSON.stringify(capabilityStatement(loc.base, instant(ctx.host.clock.now()))), 200, headers);
    case 'page':
      return servePage(exchange, index, loc, headers);
    case 'search':
      return serveSearch(exchange, index, loc, first!, params, headers, rawHeaders);
    case 'read':
      return serveRead(exchange, index, first!, second!, headers);
    case 'root':
      return outcomeResponse(400, 'not-supported', 'Les recherches multi-ressources (_type), les batch et les transactions ne sont pas pris en charge : interrogez [base]/Practitioner, [base]/PractitionerRole ou [base]/Organization.', { headers });
    default:
      return outcomeResponse(400, 'not-supported', `Opération non prise en charge : ${c.req.path}`, { headers });
  }
}

function unknownType(type: string, headers: Record<string, string>): Response {
  return outcomeResponse(404, 'processing', `HAPI-0302: Unknown resource type '${type}' - Server knows how to handle: ${KNOWN_TYPES_TEXT}`, { headers });
}

function serveRead(exchange: Exchange, index: AnnuaireIndex, type: string, id: string, headers: Record<string, string>): Response {
  if (!TYPES.has(type) && !EMPTY.has(type)) return unknownType(type, headers);
  const r = TYPES.has(type) ? index.byId[type as ResourceType].get(id) : undefined;
  if (!r) {
    exchange.summary.found = false;
    return outcomeResponse(404, 'processing', `HAPI-2001: Resource ${type}/${id} is not known`, { headers });
  }
  exchange.summary.found = true;
  exchange.summary.mailboxes = r.mailboxes.map((m) => m.address);
  return fhirBody(r.json, 200, { ...headers, etag: 'W/"1"', 'last-modified': new Date(r.lastUpdated).toUTCString() });
}

function serveSearch(exchange: Exchange, index: AnnuaireIndex, loc: Located, type: string, params: [string, string][], headers: Record<string, string>, rawHeaders: readonly string[]): Response {
  if (EMPTY.has(type)) {
    exchange.summary.total = 0;
    const self = `${loc.base}/${type}${loc.query ? `?${loc.query}` : ''}`;
    return fhirBody(JSON.stringify({ resourceType: 'Bundle', type: 'searchset', total: 0, link: [{ relation: 'self', url: self }] }), 200, headers);
  }
  if (!TYPES.has(type)) return unknownType(type, headers);
  const req = parseSearch(type as ResourceType, params);
  if (req.problems.length) {
    // FHIR R4: `Prefer: handling=lenient` asks the server to ignore what it does not understand.
    const lenient = /handling\s*=\s*lenient/i.test(rawHeader(rawHeaders, 'prefer') ?? '');
    for (const p of req.problems) exchange.verdict(lenient ? 'warning' : 'error', `annuaire.param.${p.kind}`, p.message);
    if (exchange.rejects) {
      exchange.summary.rejected = req.problems.map((p) => p.param);
      return problemsResponse(req.problems, headers);
    }
  }
  const self = `${loc.base}/${type}${req.used.length ? `?${queryString(req.used)}` : ''}`;
  return searchResponse(exchange, index, req, 0, self, loc.base, headers);
}

function servePage(exchange: Exchange, index: AnnuaireIndex, loc: Located, headers: Record<string, string>): Response {
  const id = new URLSearchParams(loc.query).get('id') ?? '';
  const state = readPageToken(id);
  const req = state ? parseSearch(state.type, state.params) : undefined;
  if (!state || !req || req.problems.length) {
    exchange.verdict('error', 'annuaire.page', 'unknown or malformed _page id');
    return outcomeResponse(410, 'processing', `Search id '${id.slice(0, 64)}' does not exist and may have expired`, { headers });
  }
  exchange.summary.offset = state.offset;
  return searchResponse(exchange, index, req, state.offset, `${loc.base}/_page?id=${id}`, loc.base, headers);
}

function searchResponse(exchange: Exchange, index: AnnuaireIndex, req: SearchRequest, offset: number, self: string, base: string, headers: Record<string, string>): Response {
  const matches = execute(index, req);
  const out = renderBundle(index, { base, req, matches, offset, self });
  Object.assign(exchange.summary, {
    params: Object.fromEntries(req.used),
    total: matches.length,
    returned: out.returned,
    included: out.included,
    mailboxes: matches.slice(offset, offset + Math.min(req.count, 20)).flatMap((r) => r.mailboxes.map((m) => m.address)),
  });
  return fhirBody(out.body, 200, headers);
}

async function serveExtraction(c: Context<HostEnv>): Promise<Response> {
  const exchange = c.get('exchange');
  const path = c.req.path;
  const text = path === `${EXTRACTION_PATH}.txt`;
  const forced = await exchange.enter('extraction', { file: text ? 'txt' : 'zip' });
  if (forced) return forced;
  if (path !== EXTRACTION_PATH && !text) {
    return new Response(`Extraction inconnue : ${path}\n`, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    return new Response('Méthode non autorisée\n', { status: 405, headers: { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' } });
  }
  const e = extractionOf(exchange.sandbox.world);
  exchange.summary = { file: text ? `${e.baseName}.txt` : `${e.baseName}.zip`, rows: e.rows };
  if (text) {
    return new Response(e.text, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `attachment; filename=${e.baseName}.txt` } });
  }
  return new Response(new Uint8Array(e.zip), { status: 200, headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename=${e.baseName}.zip` } });
}

export function createAnnuaireService(options: AnnuaireServiceOptions = {}): SimulatorService {
  const keys = new Set(options.apiKeys ?? envList('SEGUR_SIM_ANNUAIRE_API_KEYS') ?? [DEFAULT_API_KEY]);
  const limit = options.rateLimit ?? envInt('SEGUR_SIM_ANNUAIRE_RATE_LIMIT') ?? DEFAULT_RATE_LIMIT;
  const windowMs = options.rateWindowMs ?? DEFAULT_RATE_WINDOW_MS;
  const style: GatewayErrorStyle = options.gatewayErrors ?? (process.env.SEGUR_SIM_ANNUAIRE_GATEWAY_ERRORS === 'gravitee' ? 'gravitee' : 'fhir');
  return {
    id: 'annuaire',
    title: 'Annuaire Santé',
    mounts: [FHIR_MOUNT, EXTRACTION_MOUNT],
    kind: 'national',
    outcomes: [
      {
        name: 'annuaire.throttle',
        service: 'annuaire',
        description: 'The gateway answers 429 (rate limit exceeded) whatever the call count, as when the 17 calls/s plan is exhausted.',
        params: throttleOutcome,
        outage: true,
      },
    ],
    renderError: fhirOperationOutcome,
    routes(app, host) {
      const ctx: Ctx = { keys, style, limiter: new RateLimiter(limit, windowMs, host.clock), host };
      app.all(`${FHIR_MOUNT}/*`, (c) => serveFhir(c, ctx));
      app.all(`${EXTRACTION_MOUNT}/*`, (c) => serveExtraction(c));
    },
  };
}

/** Annuaire Santé FHIR R4 API v2 and the MSSanté extraction. */
export const annuaireService: SimulatorService = createAnnuaireService();
