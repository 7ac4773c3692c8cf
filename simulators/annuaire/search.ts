/**
 * FHIR search over the precomputed index: parameter parsing (modifiers, OR with commas, AND with repeats),
 * matching, `_include` / `_revinclude`, `_elements`, paging with opaque `_page?id=` links, and the Bundle.
 * Pure functions: the service feeds them the query and renders the outcome.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_COUNT, MAX_COUNT, type ResourceType } from './constants.js';
import { fold, instant, type AnnuaireIndex, type Coding, type Indexed, type Json } from './resources.js';

export type ParamKind = 'id' | 'string' | 'token' | 'reference' | 'date';

const COMMON: Record<string, ParamKind> = { _id: 'id', _lastUpdated: 'date', active: 'token', 'data-information-system': 'token', identifier: 'token' };

/** The search parameters segur-sim serves, per resource (the live CapabilityStatement, minus the ones below). */
export const SEARCH_PARAMS: Record<ResourceType, Record<string, ParamKind>> = {
  Practitioner: {
    ...COMMON,
    family: 'string',
    given: 'string',
    'identifier-type': 'token',
    'mailbox-mss': 'string',
    name: 'string',
    'number-smartcard': 'string',
    'qualification-code': 'token',
    'type-smartcard': 'token',
  },
  PractitionerRole: { ...COMMON, 'mailbox-mss': 'string', organization: 'reference', practitioner: 'reference', role: 'token' },
  Organization: {
    ...COMMON,
    address: 'string',
    'address-city': 'string',
    'address-line': 'string',
    'address-postalcode': 'string',
    'identifier-type': 'token',
    'mailbox-mss': 'string',
    name: 'string',
    partof: 'reference',
    type: 'token',
  },
};

/** Declared by the live server but not simulated: a clear 400 rather than a silently wrong answer. */
export const NOT_SIMULATED: Record<ResourceType, string[]> = {
  Practitioner: ['data-registration-authority'],
  PractitionerRole: ['data-registration-authority'],
  Organization: ['data-registration-authority', 'pharmacy-licence'],
};

/** Reference targets of reference parameters. */
const REFERENCE_TARGET: Record<string, ResourceType> = { organization: 'Organization', practitioner: 'Practitioner', partof: 'Organization' };

/** `_include` values per resource (uc-call-type.md table and the CapabilityStatement). */
export const INCLUDES: Record<ResourceType, string[]> = {
  Practitioner: [],
  PractitionerRole: ['PractitionerRole:practitioner', 'PractitionerRole:organization', '*'],
  Organization: ['Organization:partof', '*'],
};
/** `_revinclude` values; Device/HealthcareService ones are valid but segur-sim has no such resources. */
export const REVINCLUDES: Record<ResourceType, string[]> = {
  Practitioner: ['PractitionerRole:practitioner'],
  PractitionerRole: [],
  Organization: ['PractitionerRole:organization', 'Organization:partof', 'Device:organization', 'HealthcareService:organization'],
};

const RESULT_PARAMS = new Set(['_count', '_include', '_revinclude', '_elements', '_total', '_format', '_pretty']);
const STRING_MODIFIERS = new Set(['', 'contains', 'exact']);
const TOKEN_MODIFIERS = new Set(['', 'not']);
/** `name:family` / `name:given`, as the ANS documentation writes them (practitioner.md §4.3). */
const ALIASES: Record<string, string> = { 'name:family': 'family', 'name:given': 'given' };

export interface Criterion {
  param: string;
  kind: ParamKind;
  modifier: string;
  /** OR-ed values (already split on unescaped commas). */
  values: string[];
  /** Date criteria only: parsed range tests. */
  dates?: DateTest[];
}

export interface ParamProblem {
  /** `unknown` (not a parameter of this resource), `not-simulated`, `invalid` (bad value or modifier). */
  kind: 'unknown' | 'not-simulated' | 'invalid';
  param: string;
  message: string;
}

export interface SearchRequest {
  type: ResourceType;
  criteria: Criterion[];
  count: number;
  include: string[];
  revinclude: string[];
  elements?: string[];
  total: boolean;
  pretty: boolean;
  /** Parameters actually used, in order, for the self link and the page token. */
  used: [string, string][];
  problems: ParamProblem[];
}

function splitOr(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) {
      cur += value[++i];
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

// ---- dates -----------------------------------------------------------------------------------------------

export interface DateTest {
  prefix: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';
  start: number;
  /** Exclusive end of the value's precision range. */
  end: number;
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** `ge2024-08-30`, `gt2020`, `lt2022-12-15T15:00:00` (no zone: UTC, as the docs say "GMT"). */
export function parseDateTest(raw: string): DateTest | undefined {
  const m = /^(eq|ne|gt|lt|ge|le|sa|eb)?(.*)$/.exec(raw)!;
  const prefix = (m[1] ?? 'eq') as DateTest['prefix'];
  const d = DATE.exec(m[2]!);
  if (!d) return undefined;
  const [, y, mo, da, h, mi, s, frac, zone] = d;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = da ? Number(da) : 1;
  if (month > 11 || day < 1 || day > 31) return undefined;
  let start: number;
  let end: number;
  if (h === undefined) {
    start = Date.UTC(year, month, day);
    end = da ? Date.UTC(year, month, day + 1) : mo ? Date.UTC(year, month + 1, 1) : Date.UTC(year + 1, 0, 1);
  } else {
    const offset = !zone || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
    start = Date.UTC(year, month, day, Number(h), Number(mi), s ? Number(s) : 0, ms) - offset;
    end = start + (frac ? 1 : s ? 1000 : 60_000);
  }
  if (Number.isNaN(start)) return undefined;
  return { prefix, start, end };
}

function matchDate(t: DateTest, value: number): boolean {
  switch (t.prefix) {
    case 'eq':
      return value >= t.start && value < t.end;
    case 'ne':
      return value < t.start || value >= t.end;
    case 'gt':
    case 'sa':
      return value >= t.end;
    case 'ge':
      return value >= t.start;
    case 'lt':
    case 'eb':
      return value < t.start;
    case 'le':
      return value < t.end;
  }
}

// ---- parsing ---------------------------------------------------------------------------------------------

/** Parses a search query (GET query or POST `_search` form) for one resource type. */
export function parseSearch(type: ResourceType, params: [string, string][]): SearchRequest {
  const defs = SEARCH_PARAMS[type];
  const req: SearchRequest = { type, criteria: [], count: DEFAULT_COUNT, include: [], revinclude: [], total: true, pretty: false, used: [], problems: [] };
  const invalid = (param: string, message: string) => req.problems.push({ kind: 'invalid', param, message });
  for (const [rawName, value] of params) {
    const aliased = ALIASES[rawName] ?? rawName;
    const colon = aliased.indexOf(':');
    const name = colon === -1 ? aliased : aliased.slice(0, colon);
    const modifier = colon === -1 ? '' : aliased.slice(colon + 1);
    if (RESULT_PARAMS.has(name)) {
      if (modifier) {
        invalid(rawName, `Le paramètre ${name} n'accepte pas de modificateur (:${modifier}).`);
        continue;
      }
      if (!resultParam(req, name, value, invalid)) continue;
      req.used.push([rawName, value]);
      continue;
    }
    const kind = defs[name];
    if (!kind) {
      if (NOT_SIMULATED[type].includes(name)) {
        req.problems.push({ kind: 'not-simulated', param: rawName, message: `segur-sim ne simule pas le paramètre de recherche "${name}" de ${type} (il existe sur l'API réelle).` });
      } else {
        req.problems.push({
          kind: 'unknown',
          param: rawName,
          message: `Parameter ${name} not found. Valid search parameters for ${type}: [${Object.keys(defs).sort().join(', ')}]`,
        });
      }
      continue;
    }
    const allowed = kind === 'string' ? STRING_MODIFIERS : kind === 'token' || kind === 'id' ? TOKEN_MODIFIERS : new Set(['']);
    if (!allowed.has(modifier)) {
      invalid(rawName, `Le modificateur ":${modifier}" n'est pas pris en charge pour le paramètre ${name} (${kind}).`);
      continue;
    }
    const values = splitOr(value);
    if (values.some((v) => v === '')) {
      invalid(rawName, `Valeur vide pour le paramètre ${name}.`);
      continue;
    }
    const criterion: Criterion = { param: name, kind, modifier, values };
    if (kind === 'date') {
      if (values.length > 1) {
        invalid(rawName, `Le paramètre ${name} n'accepte qu'une date par occurrence (répétez le paramètre pour encadrer).`);
        continue;
      }
      const test = parseDateTest(value);
      if (!test) {
        invalid(rawName, `Date invalide pour ${name} : "${value}" (attendu : [eq|ne|gt|lt|ge|le]AAAA[-MM[-JJ[Thh:mm[:ss]]]]).`);
        continue;
      }
      criterion.dates = [test];
    }
    if (name === 'active' && values.some((v) => v !== 'true' && v !== 'false')) {
      invalid(rawName, `Valeur booléenne attendue pour active : "${value}".`);
      continue;
    }
    req.criteria.push(criterion);
    req.used.push([rawName, value]);
  }
  return req;
}

function resultParam(req: SearchRequest, name: string, value: string, invalid: (param: string, message: string) => void): boolean {
  switch (name) {
    case '_count': {
      if (!/^\d+$/.test(value)) {
        invalid(name, `_count doit être un entier positif ou nul (reçu "${value}").`);
        return false;
      }
      req.count = Math.min(Number(value), MAX_COUNT);
      return true;
    }
    case '_include':
    case '_revinclude': {
      const allowed = (name === '_include' ? INCLUDES : REVINCLUDES)[req.type];
      const clean = value.replace(/:iterate$/, '');
      if (!allowed.includes(clean)) {
        invalid(name, `${name}=${value} n'est pas pris en charge pour ${req.type} (valeurs possibles : ${allowed.join(', ') || 'aucune'}).`);
        return false;
      }
      (name === '_include' ? req.include : req.revinclude).push(clean);
      return true;
    }
    case '_elements':
      req.elements = [...(req.elements ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
      return true;
    case '_total':
      if (!['none', 'estimate', 'accurate'].includes(value)) {
        invalid(name, `_total accepte none, estimate ou accurate (reçu "${value}").`);
        return false;
      }
      req.total = value !== 'none';
      return true;
    case '_format':
      if (!['json', 'application/json', 'application/fhir+json'].includes(value)) {
        invalid(name, `segur-sim ne sert que du JSON (_format=${value}).`);
        return false;
      }
      return true;
    case '_pretty':
      req.pretty = value === 'true';
      return true;
    default:
      return false;
  }
}

// ---- matching --------------------------------------------------------------------------------------------

function matchToken(codings: Coding[], value: string): boolean {
  const bar = value.indexOf('|');
  if (bar === -1) return codings.some((c) => c.code === value);
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  if (!system) return codings.some((c) => !c.system && c.code === code);
  if (!code) return codings.some((c) => c.system === system);
  return codings.some((c) => c.system === system && c.code === code);
}

function matchString(r: Indexed, param: string, modifier: string, value: string): boolean {
  if (modifier === 'exact') return (r.str[param] ?? []).includes(value);
  const folded = r.fold[param] ?? [];
  const needle = fold(value);
  if (modifier === 'contains') return folded.some((x) => x.includes(needle));
  // Without modifier the live `mailbox-mss` compares whole addresses (observed, notes §4.1); FHIR strings start-with.
  if (param === 'mailbox-mss') return folded.some((x) => x === needle);
  return folded.some((x) => x.startsWith(needle));
}

function referenceId(value: string, target: ResourceType): string | undefined {
  const parts = value.split('/').filter(Boolean);
  const id = parts.pop();
  const type = parts.pop();
  if (type && type !== target) return undefined;
  return id;
}

function matches(r: Indexed, c: Criterion): boolean {
  switch (c.kind) {
    case 'id':
      return c.modifier === 'not' ? !c.values.includes(r.id) : c.values.includes(r.id);
    case 'date':
      return c.dates!.every((t) => matchDate(t, r.lastUpdated));
    case 'string':
      return c.values.some((v) => matchString(r, c.param, c.modifier, v));
    case 'token': {
      const codings = r.tok[c.param] ?? [];
      const any = c.values.some((v) => matchToken(codings, v));
      return c.modifier === 'not' ? !any : any;
    }
    case 'reference': {
      const target = REFERENCE_TARGET[c.param]!;
      const ids = r.ref[c.param] ?? [];
      return c.values.some((v) => {
        const id = referenceId(v, target);
        return id !== undefined && ids.includes(id);
      });
    }
  }
}

/** The matches of a search, in the index's stable order. */
export function execute(index: AnnuaireIndex, req: SearchRequest): Indexed[] {
  let pool = index.all[req.type];
  // `_id` and `identifier` are the usual unit lookups: narrow with the id map first.
  const byId = req.criteria.find((c) => c.kind === 'id' && c.modifier === '');
  if (byId) pool = byId.values.map((id) => index.byId[req.type].get(id)).filter((r): r is Indexed => r !== undefined);
  if (req.criteria.length === 0) return pool;
  return pool.filter((r) => req.criteria.every((c) => matches(r, c)));
}

/** `_include` / `_revinclude` resources for a page of matches (each resource once, matches excluded). */
export function includes(index: AnnuaireIndex, req: SearchRequest, page: Indexed[]): Indexed[] {
  if (!req.include.length && !req.revinclude.length) return [];
  const seen = new Set(page.map((r) => `${r.type}/${r.id}`));
  const out: Indexed[] = [];
  const add = (r: Indexed | undefined) => {
    if (!r) return;
    const key = `${r.type}/${r.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(r);
  };
  const all = req.include.includes('*');
  for (const r of page) {
    if (r.type === 'PractitionerRole') {
      if (all || req.include.includes('PractitionerRole:practitioner')) for (const id of r.ref.practitioner ?? []) add(index.byId.Practitioner.get(id));
      if (all || req.include.includes('PractitionerRole:organization')) for (const id of r.ref.organization ?? []) add(index.byId.Organization.get(id));
    }
    if (r.type === 'Organization') {
      if (all || req.include.includes('Organization:partof')) for (const id of r.ref.partof ?? []) add(index.byId.Organization.get(id));
      if (req.revinclude.includes('PractitionerRole:organization')) for (const role of index.rolesByOrganization.get(r.id) ?? []) add(role);
      if (req.revinclude.includes('Organization:partof')) for (const part of index.partsByOrganization.get(r.id) ?? []) add(part);
    }
    if (r.type === 'Practitioner' && req.revinclude.includes('PractitionerRole:practitioner')) for (const role of index.rolesByPractitioner.get(r.id) ?? []) add(role);
  }
  return out;
}

// ---- paging ----------------------------------------------------------------------------------------------

export interface PageState {
  type: ResourceType;
  params: [string, string][];
  offset: number;
}

/** Opaque `_page?id=` token: the query and the offset, base64url (stateless, valid for the same world). */
export function pageToken(state: PageState): string {
  return Buffer.from(JSON.stringify([state.type, state.params, state.offset])).toString('base64url');
}

export function readPageToken(token: string): PageState | undefined {
  try {
    const [type, params, offset] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [ResourceType, [string, string][], number];
    if (!(type in SEARCH_PARAMS) || !Array.isArray(params) || !Number.isInteger(offset) || offset < 0) return undefined;
    if (!params.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')) return undefined;
    return { type, params, offset };
  } catch {
    return undefined;
  }
}

// ---- rendering -------------------------------------------------------------------------------------------

const ALWAYS = new Set(['resourceType', 'id', 'meta']);

/** `_elements`: the listed top-level elements, plus the mandatory ones, tagged SUBSETTED (modifying-search-results.md). */
export function subset(resource: Json, elements: string[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(resource)) {
    if (ALWAYS.has(k) || elements.includes(k)) out[k] = v;
  }
  out.meta = { ...(resource.meta as Json), tag: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'Resource encoded in summary mode' }] };
  return out;
}

export interface BundleInput {
  base: string;
  req: SearchRequest;
  matches: Indexed[];
  offset: number;
  /** Self link of this page (the query URL, or the `_page` URL for later pages). */
  self: string;
}

/** Renders the searchset Bundle by concatenating the resources' cached JSON. */
export function renderBundle(index: AnnuaireIndex, input: BundleInput): { body: string; returned: number; included: number; next?: string } {
  const { base, req, matches, offset } = input;
  const page = matches.slice(offset, offset + req.count);
  const extra = includes(index, req, page);
  const entries: string[] = [];
  for (const r of page) {
    const json = req.elements ? JSON.stringify(subset(r.resource, req.elements)) : r.json;
    entries.push(`{"fullUrl":${JSON.stringify(`${base}/${r.type}/${r.id}`)},"resource":${json},"search":{"mode":"match"}}`);
  }
  for (const r of extra) entries.push(`{"fullUrl":${JSON.stringify(`${base}/${r.type}/${r.id}`)},"resource":${r.json},"search":{"mode":"include"}}`);
  const next = offset + req.count < matches.length && req.count > 0 ? `${base}/_page?id=${pageToken({ type: req.type, params: req.used, offset: offset + req.count })}` : undefined;
  const id = bundleId(input.self);
  let body = `{"resourceType":"Bundle","type":"searchset","id":"${id}"`;
  if (req.total) body += `,"total":${matches.length}`;
  if (entries.length) body += `,"entry":[${entries.join(',')}]`;
  const links = [...(next ? [{ relation: 'next', url: next }] : []), { relation: 'self', url: input.self }];
  body += `,"link":${JSON.stringify(links)}}`;
  if (req.pretty) body = JSON.stringify(JSON.parse(body), null, 2);
  return { body, returned: page.length, included: extra.length, next };
}

/** A stable Bundle id for a given page (replays give the same bytes). */
function bundleId(self: string): string {
  const h = createHash('sha1').update(self).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Query string of the parameters used, for the self link. */
export function queryString(params: [string, string][]): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export { instant };
