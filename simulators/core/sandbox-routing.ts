import type { IncomingMessage } from 'node:http';
import { DEFAULT_SANDBOX } from './sandbox.js';

export const SANDBOX_HEADER = 'x-segur-sandbox';
export const SCENARIO_HEADER = 'x-segur-scenario';
const PREFIX = /^\/_sandbox\/([^/?#]+)(?=[/?#]|$)/;

/**
 * The path a service sees: `/_sandbox/<id>/lps` is served as `/lps`, for clients that cannot add a header
 * but can be given a base URL.
 */
export function pathWithoutSandbox(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.search(/[?#]/);
  const path = url.slice(start, end === -1 ? undefined : end);
  const stripped = path.replace(PREFIX, '');
  return stripped === '' ? '/' : stripped;
}

/** Which sandbox a request belongs to: path prefix first, then the header, else the default sandbox. */
export function sandboxOf(url: string, headers: IncomingMessage['headers'] | Headers): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const match = PREFIX.exec(url.slice(start));
  if (match) return decodeURIComponent(match[1]!);
  const header = headers instanceof Headers ? headers.get(SANDBOX_HEADER) : headers[SANDBOX_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || DEFAULT_SANDBOX;
}

/** Scenario names given in `X-Segur-Scenario` (comma-separated, first has precedence). */
export function headerScenarios(value: string | undefined | null): string[] | undefined {
  if (!value) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  return names.length ? names : undefined;
}
