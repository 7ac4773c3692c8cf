import type { JournalEntry } from '../simulators/core/journal/journal.js';
import { segurJson } from './segur-http.js';

/**
 * Client of the segur-sim admin API, used by the CLI, the test suites and vendors' own CI scripts.
 * Every failure is an AdminApiError carrying the server's `{ error: { code, message } }`.
 */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

export function defaultAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.SEGUR_SIM_URL ?? `http://127.0.0.1:${env.SEGUR_SIM_HTTP_PORT ?? 7080}`;
}

export class AdminClient {
  readonly baseUrl: string;

  constructor(baseUrl: string = defaultAdminUrl()) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    return segurJson<T>(
      `${this.baseUrl}${path}`,
      {
        method,
        headers: body === undefined ? headers : { 'content-type': typeof body === 'string' ? 'application/yaml' : 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      },
      (status, code, message) => new AdminApiError(status, code, message),
      (cause) => `cannot reach segur-sim at ${this.baseUrl}${cause}: is it started? (npm start, or set --url / SEGUR_SIM_URL)`,
    );
  }

  health() {
    return this.request<{ status: string }>('GET', '/_admin/health');
  }
  ready() {
    return this.request<{ ready: boolean; listeners: { name: string; url: string; port: number }[] }>('GET', '/_admin/ready');
  }
  status(sandbox = 'default') {
    return this.request<{ sandbox: string; services: { id: string; title: string; state: string; reasons: string[] }[] }>('GET', `/_admin/status?sandbox=${encodeURIComponent(sandbox)}`);
  }
  sandboxes() {
    return this.request<{ sandboxes: SandboxInfo[] }>('GET', '/_admin/sandboxes');
  }
  createSandbox(id?: string, seed?: number) {
    return this.request<SandboxInfo>('POST', '/_admin/sandboxes', { ...(id ? { id } : {}), ...(seed !== undefined ? { seed } : {}) });
  }
  resetSandbox(id: string) {
    return this.request<SandboxInfo>('POST', `/_admin/sandboxes/${encodeURIComponent(id)}/reset`);
  }
  deleteSandbox(id: string) {
    return this.request<void>('DELETE', `/_admin/sandboxes/${encodeURIComponent(id)}`);
  }
  scenarios() {
    return this.request<{ scenarios: { name: string; description?: string; source: string; rules: number }[] }>('GET', '/_admin/scenarios');
  }
  uploadScenario(yaml: string, replace = false) {
    return this.request<{ name: string }>('POST', `/_admin/scenarios${replace ? '?replace=true' : ''}`, yaml);
  }
  activeScenarios(sandbox = 'default') {
    return this.request<{ active: { name: string; activatedAt: number }[] }>('GET', `/_admin/sandboxes/${encodeURIComponent(sandbox)}/scenarios`);
  }
  activate(name: string, sandbox = 'default') {
    return this.request<{ active: { name: string }[] }>('POST', `/_admin/sandboxes/${encodeURIComponent(sandbox)}/scenarios/${encodeURIComponent(name)}`);
  }
  deactivate(name: string, sandbox = 'default') {
    return this.request<{ active: { name: string }[] }>('DELETE', `/_admin/sandboxes/${encodeURIComponent(sandbox)}/scenarios/${encodeURIComponent(name)}`);
  }
  journal(sandbox = 'default', query: Record<string, string | number | undefined> = {}) {
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return this.request<{ count: number; lastSeq: number; entries: JournalEntryView[] }>('GET', `/_admin/sandboxes/${encodeURIComponent(sandbox)}/journal${qs ? `?${qs}` : ''}`);
  }
  personas(query: { q?: string; kind?: string; sandbox?: string; limit?: number } = {}) {
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return this.request<{ count: number; results: unknown[] }>('GET', `/_admin/personas${qs ? `?${qs}` : ''}`);
  }

  /** Follows the live journal (SSE); calls `onEntry` for each new entry until `signal` aborts. */
  async tail(sandbox: string, onEntry: (entry: JournalEntryView) => void, opts: { service?: string; signal?: AbortSignal } = {}): Promise<void> {
    const qs = opts.service ? `?service=${encodeURIComponent(opts.service)}` : '';
    const response = await fetch(`${this.baseUrl}/_admin/sandboxes/${encodeURIComponent(sandbox)}/journal/stream${qs}`, { signal: opts.signal }).catch((err) => {
      if (opts.signal?.aborted) return undefined;
      throw new AdminApiError(0, 'Unreachable', `cannot reach segur-sim at ${this.baseUrl}: ${(err as Error).message}`);
    });
    if (!response) return;
    if (!response.ok || !response.body) throw new AdminApiError(response.status, 'StreamFailed', await response.text());
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (event === 'entry' && data) onEntry(JSON.parse(data) as JournalEntryView);
        }
      }
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
    }
  }

  /** What is in the virtual carte Vitale reader of a sandbox (`card` is null when the reader is empty). */
  vitale(sandbox = 'default') {
    return this.request<import('./vitale.js').VitaleReaderInfo>('GET', `/_admin/sandboxes/${encodeURIComponent(sandbox)}/vitale`);
  }
  /** Puts in the reader the carte Vitale (or ApCV) holding this patient: patient id, INS matricule, card id or serial. */
  vitalePresent(patient?: string, opts: { kind?: 'carte' | 'apcv'; sandbox?: string } = {}) {
    return this.request<import('./vitale.js').VitaleReaderInfo>('POST', `/_admin/sandboxes/${encodeURIComponent(opts.sandbox ?? 'default')}/vitale`, {
      ...(patient !== undefined ? { patient } : {}),
      ...(opts.kind ? { kind: opts.kind } : {}),
    });
  }
  /** Takes the card out of the reader (AdminApiError NoCard when it is empty). */
  vitaleRemove(sandbox = 'default') {
    return this.request<{ sandbox: string; removed: import('./vitale.js').InsertedVitaleCard }>('DELETE', `/_admin/sandboxes/${encodeURIComponent(sandbox)}/vitale`);
  }
}

export interface SandboxInfo {
  id: string;
  seed: number;
  createdAt: string;
  activeScenarios: { name: string; activatedAt: number }[];
  journalEntries: number;
}

/** A journal entry as the admin API returns it. */
export type JournalEntryView = JournalEntry;
