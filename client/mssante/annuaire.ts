/**
 * "annuaire lookup": the LPS side of the Annuaire Santé FHIR API (v2) — search practitioners, find the
 * MSSanté addresses (BAL) of a professional, a structure or an address fragment, flattened with their type
 * (PER / ORG / APP / CAB) and owner. Plain `fetch`, `ESANTE-API-KEY`, paging through `next` links, 429
 * retried with a bounded backoff, errors as `AnnuaireError` carrying the OperationOutcome text.
 *
 * Works against the real gateway (`https://gateway.api.esante.gouv.fr/fhir/v2`) and segur-sim
 * (`http://127.0.0.1:7080/fhir/v2`). Imports nothing from `simulators/`.
 */

export type BalType = 'PER' | 'ORG' | 'APP' | 'CAB';
export type AnnuaireResourceType = 'Practitioner' | 'PractitionerRole' | 'Organization';

const EMAIL_TYPE_EXT = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type';
const MAILBOX_METADATA_EXT = 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata';
const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
const IDNPS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
const FINESS_SYSTEM = 'https://finess.esante.gouv.fr';
const SIRENE_SYSTEM = 'https://sirene.fr';

export interface AnnuaireClientOptions {
  /** FHIR base, e.g. `https://gateway.api.esante.gouv.fr/fhir/v2` or `http://127.0.0.1:7080/fhir/v2`. */
  baseUrl: string;
  /** The application's key, sent as `ESANTE-API-KEY`. */
  apiKey: string;
  /** Defaults to the global fetch (Node 20+). */
  fetch?: typeof fetch;
  /** segur-sim only: the sandbox, sent as `X-Segur-Sandbox` on every call. */
  sandbox?: string;
  /** Extra headers on every call. */
  headers?: Record<string, string>;
  /** 429 handling: `retries` (default 4) after the first try, exponential from `baseDelayMs` (300) capped at `maxDelayMs` (3000). */
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Injectable wait (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Largest number of pages followed by one search (default 100): a guard, not a feature. */
  maxPages?: number;
  /** `_count` sent on searches (default: the server's, 50). */
  pageSize?: number;
}

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface Identifier {
  use?: string;
  type?: { coding?: Coding[] };
  system?: string;
  value?: string;
}
export interface Extension {
  url: string;
  valueCoding?: Coding;
  valueCodeableConcept?: { coding?: Coding[] };
  valueString?: string;
  valueBoolean?: boolean;
  valueCode?: string;
  extension?: Extension[];
}
export interface ContactPoint {
  system?: string;
  value?: string;
  use?: string;
  rank?: number;
  extension?: Extension[];
}
export interface HumanName {
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
  suffix?: string[];
}
export interface Reference {
  reference?: string;
  display?: string;
}

export interface FhirResource {
  resourceType: string;
  id: string;
  meta?: { lastUpdated?: string; profile?: string[] };
  [key: string]: unknown;
}
export interface Practitioner extends FhirResource {
  resourceType: 'Practitioner';
  identifier?: Identifier[];
  active?: boolean;
  name?: HumanName[];
  telecom?: ContactPoint[];
  qualification?: { code?: { coding?: Coding[] } }[];
}
export interface PractitionerRole extends FhirResource {
  resourceType: 'PractitionerRole';
  identifier?: Identifier[];
  active?: boolean;
  practitioner?: Reference;
  organization?: Reference;
  code?: { coding?: Coding[] }[];
  telecom?: ContactPoint[];
}
export interface Organization extends FhirResource {
  resourceType: 'Organization';
  identifier?: Identifier[];
  active?: boolean;
  name?: string;
  telecom?: ContactPoint[];
  partOf?: Reference;
}

export interface OperationOutcomeIssue {
  severity?: string;
  code?: string;
  diagnostics?: string;
  details?: { text?: string };
}
export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue?: OperationOutcomeIssue[];
}

interface Bundle {
  resourceType: 'Bundle';
  total?: number;
  entry?: { fullUrl?: string; resource?: FhirResource; search?: { mode?: string } }[];
  link?: { relation?: string; url?: string }[];
}

export type AnnuaireErrorCode = 'unauthorized' | 'forbidden' | 'not-found' | 'gone' | 'rate-limited' | 'invalid' | 'server' | 'network' | 'protocol';

/** A failed call: HTTP status, a code, and the text of the OperationOutcome (or of the gateway's JSON). */
export class AnnuaireError extends Error {
  constructor(
    message: string,
    readonly code: AnnuaireErrorCode,
    readonly status: number | undefined,
    readonly url: string,
    /** The server's OperationOutcome, when it sent one. */
    readonly outcome?: OperationOutcome,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AnnuaireError';
  }

  /** Every issue's diagnostics (or details text). */
  get diagnostics(): string[] {
    return (this.outcome?.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? '').filter(Boolean);
  }
}

/** Wrong arguments given to a client method. */
export class AnnuaireInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnnuaireInputError';
  }
}

export interface SearchResult<T extends FhirResource = FhirResource> {
  /** The matches of every page, in server order. */
  matches: T[];
  /** `_include` / `_revinclude` resources, each once. */
  included: FhirResource[];
  /** `Bundle.total` of the first page, when the server gave one. */
  total?: number;
  pages: number;
}

/** One MSSanté address as published in the Annuaire, with who it belongs to. */
export interface MssMailbox {
  address: string;
  /** TRE_R257 type from the `as-ext-mailbox-mss-metadata` extension (undefined if the server omits it). */
  type?: BalType;
  description?: string;
  /** The "dématérialisation" flag (`digitization`). */
  digitization?: boolean;
  /** The resource that carries the telecom entry. */
  source: { resourceType: AnnuaireResourceType; id: string };
  /** The person (PER, CAB) or the structure (ORG, APP) it belongs to. */
  owner: {
    kind: 'practitioner' | 'organization';
    id: string;
    name?: string;
    rpps?: string;
    idNat?: string;
    finess?: string;
    siret?: string;
  };
  /** The structure of the activity, for a box published on a PractitionerRole (or the owner structure). */
  organization?: { id: string; name?: string };
}

export interface PractitionerQuery {
  /** `name` (any part, starts-with, case- and accent-insensitive). */
  name?: string;
  family?: string;
  given?: string;
  /** RPPS (11 digits), idNat_PS (`8` + RPPS), or `system|value`. */
  identifier?: string;
  /**
   * A full MSS address (exact, as the live server compares) or a fragment (`:contains`). Looks on the
   * Practitioner and on its PractitionerRoles (where structure-registered boxes live).
   */
  mailbox?: string;
  active?: boolean;
}

export interface MailboxQuery {
  /** Professional: RPPS, idNat_PS or `system|value`. */
  identifier?: string;
  /** Professional name (`name` search). */
  name?: string;
  /** Address or fragment (`mailbox-mss:contains`; a full address is compared exactly). */
  mailbox?: string;
  /** Structure: FINESS, SIRET, idNat_Struct or `system|value` — its ORG/APP boxes and its staff's boxes. */
  organization?: string;
  /** Keep only these BAL types. */
  types?: BalType[];
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isFullAddress(value: string): boolean {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value);
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function refId(ref: Reference | undefined): string | undefined {
  const r = ref?.reference;
  return r ? r.slice(r.lastIndexOf('/') + 1) : undefined;
}

function identifierValue(ids: Identifier[] | undefined, system: string, typeCode?: string): string | undefined {
  return ids?.find((i) => i.system === system && (!typeCode || i.type?.coding?.some((c) => c.code === typeCode)))?.value;
}

export function practitionerName(p: Practitioner | undefined): string | undefined {
  const n = p?.name?.[0];
  if (!n) return undefined;
  return [...(n.given ?? []), n.family].filter(Boolean).join(' ') || n.text;
}

/** The MSSanté entries of a telecom list (email + `fr-core-contact-point-email-type` = MSSANTE). */
export function mssTelecoms(telecom: ContactPoint[] | undefined): { address: string; type?: BalType; description?: string; digitization?: boolean; listeRouge?: boolean }[] {
  const out: { address: string; type?: BalType; description?: string; digitization?: boolean; listeRouge?: boolean }[] = [];
  for (const t of telecom ?? []) {
    if (t.system !== 'email' || !t.value) continue;
    const emailType = t.extension?.find((e) => e.url === EMAIL_TYPE_EXT)?.valueCoding?.code;
    if (emailType !== 'MSSANTE') continue;
    const meta = t.extension?.find((e) => e.url === MAILBOX_METADATA_EXT)?.extension ?? [];
    const sub = (url: string) => meta.find((e) => e.url === url);
    const type = sub('type')?.valueCodeableConcept?.coding?.[0]?.code;
    out.push({
      address: t.value,
      type: type === 'PER' || type === 'ORG' || type === 'APP' || type === 'CAB' ? type : undefined,
      description: sub('description')?.valueString,
      digitization: sub('digitization')?.valueBoolean,
      listeRouge: sub('listeRouge')?.valueBoolean,
    });
  }
  return out;
}

export class AnnuaireClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retries: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly maxPages: number;

  constructor(private readonly options: AnnuaireClientOptions) {
    if (!options.baseUrl) throw new AnnuaireInputError('baseUrl is required');
    if (!options.apiKey) throw new AnnuaireInputError('apiKey is required (ESANTE-API-KEY)');
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? defaultSleep;
    this.retries = Math.max(0, options.retry?.retries ?? 4);
    this.baseDelay = Math.max(0, options.retry?.baseDelayMs ?? 300);
    this.maxDelay = Math.max(this.baseDelay, options.retry?.maxDelayMs ?? 3000);
    this.maxPages = Math.max(1, options.maxPages ?? 100);
  }

  /** One GET with the key, the sandbox header and the 429 backoff; the parsed JSON body. */
  async get<T = unknown>(url: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/fhir+json', ...this.options.headers, 'ESANTE-API-KEY': this.options.apiKey };
    if (this.options.sandbox) headers['X-Segur-Sandbox'] = this.options.sandbox;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.doFetch(url, { headers });
      } catch (err) {
        throw new AnnuaireError(`Annuaire Santé unreachable (${url}): ${(err as Error).message}`, 'network', undefined, url, undefined, { cause: err });
      }
      if (res.status === 429 && attempt < this.retries) {
        await res.arrayBuffer().catch(() => undefined);
        await this.sleep(this.backoff(attempt, res.headers.get('retry-after')));
        continue;
      }
      const text = await res.text();
      if (!res.ok) throw this.errorOf(res.status, url, text);
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new AnnuaireError(`Annuaire Santé answered ${res.status} with a body that is not JSON (${url})`, 'protocol', res.status, url, undefined, { cause: err });
      }
    }
  }

  /** Delay before retry n (0-based): `Retry-After` when given (bounded), else base × 2ⁿ capped, with a little jitter. */
  private backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter !== null ? Number(retryAfter) : NaN;
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, this.maxDelay);
    const exp = Math.min(this.maxDelay, this.baseDelay * 2 ** attempt);
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  private errorOf(status: number, url: string, text: string): AnnuaireError {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const code: AnnuaireErrorCode =
      status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 404 ? 'not-found' : status === 410 ? 'gone' : status === 429 ? 'rate-limited' : status >= 500 ? 'server' : 'invalid';
    const b = body as { resourceType?: string; message?: unknown } | undefined;
    if (b?.resourceType === 'OperationOutcome') {
      const outcome = body as OperationOutcome;
      const texts = (outcome.issue ?? []).map((i) => i.diagnostics ?? i.details?.text).filter(Boolean);
      return new AnnuaireError(`Annuaire Santé ${status}: ${texts.join(' | ') || 'OperationOutcome without diagnostics'}`, code, status, url, outcome);
    }
    // Gravitee's own error body: {"message": "...", "http_status_code": 429}.
    if (typeof b?.message === 'string') return new AnnuaireError(`Annuaire Santé ${status}: ${b.message}`, code, status, url);
    return new AnnuaireError(`Annuaire Santé ${status}: ${text.slice(0, 200) || 'empty body'}`, code, status, url);
  }

  /** `GET [base]/[type]/[id]`. */
  read<T extends FhirResource = FhirResource>(type: AnnuaireResourceType, id: string): Promise<T> {
    return this.get<T>(`${this.base}/${type}/${encodeURIComponent(id)}`);
  }

  /** A search with every page followed (`link[next]`), matches and includes separated. */
  async search<T extends FhirResource = FhirResource>(type: AnnuaireResourceType, params: [string, string][] | Record<string, string>): Promise<SearchResult<T>> {
    const list = Array.isArray(params) ? [...params] : Object.entries(params);
    if (this.options.pageSize !== undefined && !list.some(([k]) => k === '_count')) list.push(['_count', String(this.options.pageSize)]);
    const query = new URLSearchParams(list).toString();
    let url: string | undefined = `${this.base}/${type}${query ? `?${query}` : ''}`;
    const matches: T[] = [];
    const included = new Map<string, FhirResource>();
    let total: number | undefined;
    let pages = 0;
    while (url) {
      if (pages >= this.maxPages) throw new AnnuaireError(`Annuaire Santé search stopped after ${this.maxPages} pages (maxPages)`, 'protocol', undefined, url);
      const bundle: Bundle = await this.get<Bundle>(url);
      if (bundle?.resourceType !== 'Bundle') throw new AnnuaireError(`Annuaire Santé answered a ${String((bundle as { resourceType?: unknown })?.resourceType)} instead of a Bundle`, 'protocol', 200, url);
      if (pages === 0) total = bundle.total;
      pages++;
      for (const e of bundle.entry ?? []) {
        if (!e.resource) continue;
        if (e.search?.mode === 'include' || e.resource.resourceType !== type) included.set(`${e.resource.resourceType}/${e.resource.id}`, e.resource);
        else matches.push(e.resource as T);
      }
      const next: string | undefined = bundle.link?.find((l) => l.relation === 'next')?.url;
      url = next ? new URL(next, `${this.base}/`).href : undefined;
    }
    return { matches, included: [...included.values()], total, pages };
  }

  /** Practitioners by name, identifier (RPPS / idNat) or MSS address. At least one criterion. */
  async searchPractitioners(query: PractitionerQuery): Promise<Practitioner[]> {
    const params: [string, string][] = [];
    if (query.name) params.push(['name', query.name]);
    if (query.family) params.push(['family', query.family]);
    if (query.given) params.push(['given', query.given]);
    if (query.identifier) params.push(['identifier', query.identifier]);
    if (query.active !== undefined) params.push(['active', String(query.active)]);
    if (!params.length && !query.mailbox) throw new AnnuaireInputError('searchPractitioners needs name, family, given, identifier or mailbox');
    if (!query.mailbox) return (await this.search<Practitioner>('Practitioner', params)).matches;

    const mailboxParam: [string, string] = isFullAddress(query.mailbox) ? ['mailbox-mss', query.mailbox] : ['mailbox-mss:contains', query.mailbox];
    const direct = await this.search<Practitioner>('Practitioner', [...params, mailboxParam]);
    // Boxes registered with a structure are on the PractitionerRole: take their practitioners too.
    const viaRoles = await this.search<PractitionerRole>('PractitionerRole', [mailboxParam, ['_include', 'PractitionerRole:practitioner']]);
    const byId = new Map(direct.matches.map((p) => [p.id, p]));
    const included = new Map(viaRoles.included.filter((r): r is Practitioner => r.resourceType === 'Practitioner').map((p) => [p.id, p]));
    for (const role of viaRoles.matches) {
      const p = included.get(refId(role.practitioner) ?? '');
      if (p && !byId.has(p.id) && this.practitionerMatches(p, query)) byId.set(p.id, p);
    }
    return [...byId.values()];
  }

  /** Client-side check of the non-mailbox criteria for practitioners reached through roles. */
  private practitionerMatches(p: Practitioner, q: PractitionerQuery): boolean {
    const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    const n = p.name?.[0];
    const parts = [n?.family, ...(n?.given ?? []), ...(n?.prefix ?? []), ...(n?.suffix ?? []), n?.text].filter((x): x is string => !!x).map(fold);
    if (q.name && !parts.some((x) => x.startsWith(fold(q.name!)))) return false;
    if (q.family && !fold(n?.family ?? '').startsWith(fold(q.family))) return false;
    if (q.given && !(n?.given ?? []).some((g) => fold(g).startsWith(fold(q.given!)))) return false;
    if (q.active !== undefined && p.active !== q.active) return false;
    if (q.identifier) {
      const wanted = q.identifier.slice(q.identifier.indexOf('|') + 1);
      if (!(p.identifier ?? []).some((i) => i.value === wanted)) return false;
    }
    return true;
  }

  /**
   * MSSanté addresses, flattened: of a professional (`identifier` / `name`: the Practitioner's boxes and
   * those of its PractitionerRoles), of a structure (`organization`: its ORG/APP boxes and its staff's
   * structure-registered boxes), or matching an address fragment (`mailbox`) on all three resources.
   */
  async findMailboxes(query: MailboxQuery): Promise<MssMailbox[]> {
    if (!query.identifier && !query.name && !query.mailbox && !query.organization) throw new AnnuaireInputError('findMailboxes needs identifier, name, mailbox or organization');
    const out: MssMailbox[] = [];
    const practitioners = new Map<string, Practitioner>();
    const organizations = new Map<string, Organization>();
    const roles = new Map<string, PractitionerRole>();
    const keep = (r: FhirResource) => {
      if (r.resourceType === 'Practitioner') practitioners.set(r.id, r as Practitioner);
      else if (r.resourceType === 'Organization') organizations.set(r.id, r as Organization);
      else if (r.resourceType === 'PractitionerRole') roles.set(r.id, r as PractitionerRole);
    };
    /** Resources whose telecom is flattened (the others only give owner/organization names). */
    const sources: FhirResource[] = [];

    if (query.mailbox) {
      const param: [string, string] = isFullAddress(query.mailbox) ? ['mailbox-mss', query.mailbox] : ['mailbox-mss:contains', query.mailbox];
      const [p, r, o] = await Promise.all([
        this.search('Practitioner', [param]),
        this.search('PractitionerRole', [param, ['_include', '*']]),
        this.search('Organization', [param]),
      ]);
      for (const res of [p, r, o]) {
        res.matches.forEach(keep);
        res.included.forEach(keep);
        sources.push(...res.matches);
      }
    }
    if (query.identifier || query.name) {
      const params: [string, string][] = [];
      if (query.identifier) params.push(['identifier', query.identifier]);
      if (query.name) params.push(['name', query.name]);
      const found = await this.search<Practitioner>('Practitioner', params);
      found.matches.forEach(keep);
      sources.push(...found.matches);
      for (const ids of chunks(found.matches.map((p) => p.id), 20)) {
        const r = await this.search<PractitionerRole>('PractitionerRole', [['practitioner', ids.join(',')], ['_include', 'PractitionerRole:organization']]);
        r.matches.forEach(keep);
        r.included.forEach(keep);
        sources.push(...r.matches);
      }
    }
    if (query.organization) {
      const found = await this.search<Organization>('Organization', [['identifier', query.organization]]);
      found.matches.forEach(keep);
      sources.push(...found.matches);
      for (const ids of chunks(found.matches.map((o) => o.id), 20)) {
        const r = await this.search<PractitionerRole>('PractitionerRole', [['organization', ids.join(',')], ['_include', 'PractitionerRole:practitioner']]);
        r.matches.forEach(keep);
        r.included.forEach(keep);
        sources.push(...r.matches);
      }
    }

    const seen = new Set<string>();
    const needle = query.mailbox && !isFullAddress(query.mailbox) ? query.mailbox.toLowerCase() : undefined;
    for (const source of sources) {
      const key = `${source.resourceType}/${source.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const box of mssTelecoms((source as { telecom?: ContactPoint[] }).telecom)) {
        if (box.listeRouge) continue;
        if (needle && !box.address.toLowerCase().includes(needle)) continue;
        if (query.mailbox && !needle && box.address.toLowerCase() !== query.mailbox.toLowerCase()) continue;
        if (query.types && (!box.type || !query.types.includes(box.type))) continue;
        out.push(this.flatten(box, source, practitioners, organizations));
      }
    }
    return out;
  }

  private flatten(
    box: ReturnType<typeof mssTelecoms>[number],
    source: FhirResource,
    practitioners: Map<string, Practitioner>,
    organizations: Map<string, Organization>,
  ): MssMailbox {
    const base = { address: box.address, type: box.type, description: box.description, digitization: box.digitization, source: { resourceType: source.resourceType as AnnuaireResourceType, id: source.id } };
    const personOwner = (p: Practitioner | undefined, id: string): MssMailbox['owner'] => ({
      kind: 'practitioner',
      id,
      name: practitionerName(p),
      rpps: identifierValue(p?.identifier, RPPS_SYSTEM),
      idNat: identifierValue(p?.identifier, IDNPS_SYSTEM),
    });
    const orgView = (o: Organization | undefined, id: string) => ({ id, name: o?.name });
    if (source.resourceType === 'Practitioner') return { ...base, owner: personOwner(source as Practitioner, source.id) };
    if (source.resourceType === 'PractitionerRole') {
      const role = source as PractitionerRole;
      const pid = refId(role.practitioner) ?? '';
      const oid = refId(role.organization);
      return { ...base, owner: personOwner(practitioners.get(pid), pid), ...(oid ? { organization: orgView(organizations.get(oid), oid) } : {}) };
    }
    const o = source as Organization;
    return {
      ...base,
      owner: { kind: 'organization', id: o.id, name: o.name, finess: identifierValue(o.identifier, FINESS_SYSTEM), siret: identifierValue(o.identifier, SIRENE_SYSTEM, 'SIRET') },
      organization: orgView(o, o.id),
    };
  }
}
