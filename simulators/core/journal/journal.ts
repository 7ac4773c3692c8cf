import type { Decision } from '../../../scenarios/engine/types.js';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { captureBody, type BodyCapture } from './body.js';
import { flatHeaders, type PackedHeaders } from './capture.js';

export type Transport = 'http' | 'https' | 'smtp' | 'imap' | 'internal';

export interface Verdict {
  level: 'error' | 'warning' | 'info';
  /** Short id of the check, e.g. `wsa.MessageID.required`, `ctxlps.IDAM.known`. */
  rule: string;
  message: string;
}

export interface JournalDecision {
  channel: Decision['channel'];
  fired: Decision['fired'];
  explain: string;
  latencyMs: number;
  effects: string[];
}

export interface JournalEntry {
  id: string;
  seq: number;
  time: string;
  sandbox: string;
  service: string;
  operation: string;
  transport: Transport;
  durationMs: number;
  request: { method?: string; url?: string; headers: Record<string, string>; body: BodyCapture };
  response: { status?: number; headers: Record<string, string>; body: BodyCapture };
  /** The parsed view a developer reads first (INS searched, CR returned, document ids...). */
  summary: Record<string, unknown>;
  verdicts: Verdict[];
  decision?: JournalDecision;
  client?: { address?: string; certificate?: Record<string, string> };
  /** A failure of the simulator itself while serving (never shown to the client as a stack). */
  error?: string;
}

/** What a simulator hands to the journal: raw references, decoded only when the entry is read. */
export interface JournalRecord {
  sandbox: string;
  service: string;
  operation: string;
  transport: Transport;
  startedAt: number;
  endedAt: number;
  /** Node's header objects are accepted as they are and flattened only when the entry is read. */
  request: { method?: string; url?: string; headers: RawHeaders; body?: Uint8Array | string };
  response: { status?: number; headers: RawHeaders; body?: Uint8Array | string };
  summary?: Record<string, unknown>;
  verdicts?: Verdict[];
  decision?: Decision;
  client?: JournalEntry['client'];
  error?: string;
}

/** Node's header objects, its raw [name, value, ...] list, or headers packed by `packHeaders`. */
export type RawHeaders = PackedHeaders | IncomingHttpHeaders | OutgoingHttpHeaders | Record<string, string> | readonly string[];

export interface JournalFilter {
  service?: string;
  operation?: string;
  /** Only entries after this sequence number (for polling). */
  afterSeq?: number;
  since?: number;
  until?: number;
  status?: number;
  channel?: string;
  /** `error` or `warning`: entries that have at least one verdict of that level. */
  verdict?: 'error' | 'warning';
  /** Free text searched in url, operation, summary. */
  q?: string;
  limit?: number;
}

export interface JournalOptions {
  maxEntries: number;
  maxBodyBytes: number;
  maxSpillBytes: number;
}

/** What the journal keeps per exchange until someone reads it: references, no copies, no decoding. */
interface Stored {
  seq: number;
  id: string;
  record: JournalRecord;
  /** Full sizes of bodies whose stored bytes were cut to the cap. */
  requestSize?: number;
  responseSize?: number;
  requestSpilled?: boolean;
  responseSpilled?: boolean;
  view?: JournalEntry;
}

/**
 * In-memory journal of one sandbox: the last `maxEntries` exchanges. Recording is the hot path of every
 * simulated call, so `add` only keeps references; the readable entry (decoded text, ISO time, decision
 * summary) is built when the entry is read or streamed. Bodies above the cap are cut in the entry and
 * kept whole aside (bounded by `maxSpillBytes`, oldest dropped first).
 */
export class Journal {
  private stored: Stored[] = [];
  private seq = 0;
  private readonly spill = new Map<string, Buffer>();
  private spillBytes = 0;
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  constructor(private readonly opts: JournalOptions) {}

  add(record: JournalRecord): void {
    const seq = ++this.seq;
    const item: Stored = { seq, id: '', record };
    const cap = this.opts.maxBodyBytes;
    const req = record.request.body;
    if (req !== undefined && overCap(req, cap)) {
      const bytes = asBuffer(req);
      item.requestSize = bytes.length;
      item.requestSpilled = this.keep(`${idOf(item)}/request`, bytes);
      record.request.body = Uint8Array.prototype.slice.call(bytes, 0, cap);
    }
    const res = record.response.body;
    if (res !== undefined && overCap(res, cap)) {
      const bytes = asBuffer(res);
      item.responseSize = bytes.length;
      item.responseSpilled = this.keep(`${idOf(item)}/response`, bytes);
      record.response.body = Uint8Array.prototype.slice.call(bytes, 0, cap);
    }
    this.stored.push(item);
    // Trim in batches: an O(1) amortised ring without index arithmetic everywhere.
    if (this.stored.length >= 2 * this.opts.maxEntries) {
      const dropped = this.stored.splice(0, this.stored.length - this.opts.maxEntries);
      for (const old of dropped) this.forget(old);
    }
    if (this.listeners.size) {
      const entry = this.view(item);
      for (const listener of this.listeners) listener(entry);
    }
  }

  query(filter: JournalFilter = {}): JournalEntry[] {
    const q = filter.q?.toLowerCase();
    const out: JournalEntry[] = [];
    for (const item of this.live()) {
      const r = item.record;
      if (filter.service && r.service !== filter.service) continue;
      if (filter.operation && r.operation !== filter.operation) continue;
      if (filter.afterSeq !== undefined && item.seq <= filter.afterSeq) continue;
      if (filter.since !== undefined && r.startedAt < filter.since) continue;
      if (filter.until !== undefined && r.startedAt > filter.until) continue;
      if (filter.status !== undefined && r.response.status !== filter.status) continue;
      if (filter.channel && (r.decision?.channel ?? 'default') !== filter.channel) continue;
      if (filter.verdict === 'error' && !r.verdicts?.some((v) => v.level === 'error')) continue;
      if (filter.verdict === 'warning' && !r.verdicts?.some((v) => v.level !== 'info')) continue;
      if (q && !`${r.request.url ?? ''} ${r.operation} ${JSON.stringify(r.summary ?? {})}`.toLowerCase().includes(q)) continue;
      out.push(this.view(item));
    }
    return filter.limit !== undefined ? out.slice(-filter.limit) : out;
  }

  get(id: string): JournalEntry | undefined {
    const item = this.live().find((e) => idOf(e) === id);
    return item && this.view(item);
  }

  /** The whole body of an entry, even when the entry shows it cut. */
  body(id: string, part: 'request' | 'response'): Buffer | undefined {
    const kept = this.spill.get(`${id}/${part}`);
    if (kept) return kept;
    const item = this.live().find((e) => idOf(e) === id);
    if (!item || item[part === 'request' ? 'requestSize' : 'responseSize'] !== undefined) return undefined;
    const body = item.record[part].body;
    return body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  }

  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.stored = [];
    this.spill.clear();
    this.spillBytes = 0;
  }

  get size(): number {
    return Math.min(this.stored.length, this.opts.maxEntries);
  }

  get lastSeq(): number {
    return this.seq;
  }

  private live(): Stored[] {
    const extra = this.stored.length - this.opts.maxEntries;
    return extra > 0 ? this.stored.slice(extra) : this.stored;
  }

  private view(item: Stored): JournalEntry {
    if (item.view) return item.view;
    const r = item.record;
    const cap = this.opts.maxBodyBytes;
    const requestHeaders = flatHeaders(r.request.headers);
    const responseHeaders = flatHeaders(r.response.headers);
    const request = captureBody(r.request.body, requestHeaders['content-type'], cap);
    const response = captureBody(r.response.body, responseHeaders['content-type'], cap);
    if (item.requestSize !== undefined) Object.assign(request, { size: item.requestSize, truncated: true, spilled: item.requestSpilled });
    if (item.responseSize !== undefined) Object.assign(response, { size: item.responseSize, truncated: true, spilled: item.responseSpilled });
    item.view = {
      id: idOf(item),
      seq: item.seq,
      time: new Date(r.startedAt).toISOString(),
      sandbox: r.sandbox,
      service: r.service,
      operation: r.operation,
      transport: r.transport,
      durationMs: r.endedAt - r.startedAt,
      request: { method: r.request.method, url: r.request.url, headers: requestHeaders, body: request },
      response: { status: r.response.status, headers: responseHeaders, body: response },
      summary: r.summary ?? {},
      verdicts: r.verdicts ?? [],
      decision: r.decision && {
        channel: r.decision.channel,
        fired: r.decision.fired,
        explain: r.decision.explain,
        latencyMs: r.decision.latencyMs,
        effects: r.decision.effects.map((e) => (e.kind === 'outcome' ? `outcome ${e.name}` : e.kind === 'transport' ? `transport ${e.fault.type}` : e.kind)),
      },
      client: r.client,
      error: r.error,
    };
    return item.view;
  }

  /** Keeps a whole body aside (no copy: request and response bodies are owned, never reused). */
  private keep(key: string, buf: Buffer): boolean {
    if (buf.length > this.opts.maxSpillBytes) return false;
    this.spill.set(key, buf);
    this.spillBytes += buf.length;
    for (const [k, v] of this.spill) {
      if (this.spillBytes <= this.opts.maxSpillBytes) break;
      this.spill.delete(k);
      this.spillBytes -= v.length;
    }
    return this.spill.has(key);
  }

  private forget(item: Stored): void {
    for (const part of ['request', 'response'] as const) {
      if (!item.id) continue; // never spilled: bodies are kept aside only after an id was given
      const key = `${item.id}/${part}`;
      const buf = this.spill.get(key);
      if (buf) {
        this.spillBytes -= buf.length;
        this.spill.delete(key);
      }
    }
  }
}

/** Entry ids are built when first needed: most entries are never read. */
function idOf(item: Stored): string {
  return (item.id ||= `${item.record.sandbox}-${item.seq}`);
}

/** Whether a body exceeds the cap, without measuring UTF-8 when the string is short enough to fit anyway. */
function overCap(body: Uint8Array | string, cap: number): boolean {
  if (typeof body === 'string' && body.length * 3 <= cap) return false;
  return byteLength(body) > cap;
}

function byteLength(body: Uint8Array | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/** The body's bytes, encoded once for a string, a view (no copy) for bytes. */
function asBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
