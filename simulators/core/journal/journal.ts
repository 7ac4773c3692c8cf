import type { Decision } from '../../../scenarios/engine/types.js';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { captureBody, StoredBody, type BodyCapture } from './body.js';
import { flatHeaders, type PackedHeaders } from './capture.js';

export { StoredBody } from './body.js';

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
  request: { method?: string; url?: string; headers: RawHeaders; body?: JournalBody };
  response: { status?: number; headers: RawHeaders; body?: JournalBody };
  summary?: Record<string, unknown>;
  verdicts?: Verdict[];
  decision?: Decision;
  client?: JournalEntry['client'];
  error?: string;
}

/** A body as recorded: held by reference, or (`StoredBody`) a head copy and a way to read the whole back. */
export type JournalBody = Uint8Array | string | StoredBody;

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
  /** Bodies are shown cut to this size in an entry (the whole body stays retrievable while kept). */
  maxBodyBytes: number;
  /** Memory for whole bodies: the newest are kept, the oldest entries lose theirs first. */
  maxBodyMemory: number;
}

/** What the journal keeps per exchange until someone reads it: references, no copies, no decoding. */
interface Stored {
  seq: number;
  id: string;
  record: JournalRecord;
  /** Memory the two bodies hold (0 once dropped). */
  bodyBytes: number;
  /** Byte sizes of bodies dropped to stay within `maxBodyMemory`. */
  requestDropped?: number;
  responseDropped?: number;
  view?: JournalEntry;
}

/**
 * In-memory journal of one sandbox: the last `maxEntries` exchanges. Recording is the hot path of every
 * simulated call, so `add` only keeps references: bodies are neither copied nor encoded, and the readable
 * entry (decoded text cut to `maxBodyBytes`, ISO time, decision summary) is built when the entry is read
 * or streamed. Whole bodies are kept within `maxBodyMemory`, the oldest entries losing theirs first.
 *
 * Why no copies: copying every large body into a capped buffer (and a whole one aside) made each big
 * exchange allocate hundreds of KB outside the JS heap, and that allocation rate set off a full garbage
 * collection every few hundred requests: with 100 000 DMP documents in memory, 1 s of slow answers each time.
 */
export class Journal {
  private stored: Stored[] = [];
  private seq = 0;
  private bodyBytes = 0;
  /** Index in `stored` of the oldest entry that may still hold bodies. */
  private keepFrom = 0;
  private readonly listeners = new Set<(entry: JournalEntry) => void>();

  constructor(private readonly opts: JournalOptions) {}

  add(record: JournalRecord): void {
    for (const body of [record.request.body, record.response.body]) if (body instanceof StoredBody) body.keepHead(this.opts.maxBodyBytes);
    const seq = ++this.seq;
    const item: Stored = { seq, id: '', record, bodyBytes: memoryOf(record.request.body) + memoryOf(record.response.body) };
    this.stored.push(item);
    this.bodyBytes += item.bodyBytes;
    // Trim in batches: an O(1) amortised ring without index arithmetic everywhere.
    if (this.stored.length >= 2 * this.opts.maxEntries) {
      const dropped = this.stored.splice(0, this.stored.length - this.opts.maxEntries);
      for (const old of dropped) this.bodyBytes -= old.bodyBytes;
      this.keepFrom = Math.max(0, this.keepFrom - dropped.length);
    }
    while (this.bodyBytes > this.opts.maxBodyMemory && this.keepFrom < this.stored.length) this.dropBodies(this.stored[this.keepFrom++]!);
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

  /** The whole body of an entry, even when the entry shows it cut; undefined once dropped (or gone from its store). */
  async body(id: string, part: 'request' | 'response'): Promise<Buffer | undefined> {
    const item = this.live().find((e) => idOf(e) === id);
    if (!item || item[part === 'request' ? 'requestDropped' : 'responseDropped'] !== undefined) return undefined;
    const body = item.record[part].body;
    if (body instanceof StoredBody) {
      const whole = await body.load();
      return whole && Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength);
    }
    return body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  }

  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.stored = [];
    this.bodyBytes = 0;
    this.keepFrom = 0;
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
    const request = captureBody(r.request.body, requestHeaders['content-type'], cap, item.requestDropped);
    const response = captureBody(r.response.body, responseHeaders['content-type'], cap, item.responseDropped);
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

  /** Releases an entry's bodies (memory budget), keeping their sizes for the entry. */
  private dropBodies(item: Stored): void {
    if (item.bodyBytes === 0) return;
    const { request, response } = item.record;
    if (request.body !== undefined) {
      item.requestDropped = byteLength(request.body);
      request.body = undefined;
    }
    if (response.body !== undefined) {
      item.responseDropped = byteLength(response.body);
      response.body = undefined;
    }
    this.bodyBytes -= item.bodyBytes;
    item.bodyBytes = 0;
    item.view = undefined; // a view already built holds the cut text
  }
}

/** Entry ids are built when first needed: most entries are never read. */
function idOf(item: Stored): string {
  return (item.id ||= `${item.record.sandbox}-${item.seq}`);
}

/** Memory a body holds (a string's length: V8 keeps Latin-1 text one byte per character). */
function memoryOf(body: JournalBody | undefined): number {
  return body === undefined ? 0 : typeof body === 'string' ? body.length : body instanceof StoredBody ? body.head.length : body.byteLength;
}

function byteLength(body: JournalBody): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body instanceof StoredBody ? body.size : body.byteLength;
}
