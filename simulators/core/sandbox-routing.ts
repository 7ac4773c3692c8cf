import { DEFAULT_SANDBOX } from './sandbox.js';

export const SANDBOX_HEADER = 'x-segur-sandbox';
export const SCENARIO_HEADER = 'x-segur-scenario';
const PREFIX = /^\/_sandbox\/([^/?#]+)(?=[/?#]|$)/;

/**
 * The path a service sees: `/_sandbox/<id>/lps` is served as `/lps`, for clients that cannot add a header
 * but can be given a base URL.
 */
export function pathWithoutSandbox(url: string): string {
  // Runs on every request (it is the app's getPath): plain index scans, a regular expression only for
  // the rare prefixed path.
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const query = url.indexOf('?', start);
  const hash = url.indexOf('#', start);
  const end = query === -1 ? hash : hash === -1 ? query : Math.min(query, hash);
  const path = url.slice(start, end === -1 ? undefined : end);
  if (!path.startsWith('/_sandbox/')) return path === '' ? '/' : path;
  const stripped = path.replace(PREFIX, '');
  return stripped === '' ? '/' : stripped;
}

/**
 * A header from Node's raw [name, value, name, value...] list. Reading `IncomingMessage.headers` makes
 * Node build and lower-case the whole header object, a cost on every simulated call that this avoids.
 */
export function rawHeader(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return raw[i + 1];
  }
  return undefined;
}

/** Which sandbox a request belongs to: path prefix first, then the header, else the default sandbox. */
export function sandboxOf(url: string, rawHeaders: readonly string[]): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (url.startsWith('/_sandbox/', start)) {
    const match = PREFIX.exec(url.slice(start));
    if (match) return decodeURIComponent(match[1]!);
  }
  return rawHeader(rawHeaders, SANDBOX_HEADER)?.trim() || DEFAULT_SANDBOX;
}

/** Scenario names given in `X-Segur-Scenario` (comma-separated, first has precedence). */
export function headerScenarios(value: string | undefined | null): string[] | undefined {
  if (!value) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  return names.length ? names : undefined;
}
