import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'segur-sim.config.yaml';

/** A configuration that cannot be used; `problems` are one line each, naming where the bad value came from. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Values given on the command line, already named as config paths (see client/cli). */
export type ConfigFlags = Record<string, unknown>;

/** Environment variables and the config path each one sets. */
export const ENV_VARS: Record<string, { path: string[]; kind: 'number' | 'string' }> = {
  SEGUR_SIM_HTTP_PORT: { path: ['ports', 'http'], kind: 'number' },
  SEGUR_SIM_HTTPS_PORT: { path: ['ports', 'https'], kind: 'number' },
  SEGUR_SIM_SMTP_PORT: { path: ['ports', 'smtp'], kind: 'number' },
  SEGUR_SIM_IMAP_PORT: { path: ['ports', 'imap'], kind: 'number' },
  SEGUR_SIM_BIND: { path: ['bind'], kind: 'string' },
  SEGUR_SIM_DATA_DIR: { path: ['dataDir'], kind: 'string' },
  SEGUR_SIM_SEED: { path: ['seed'], kind: 'number' },
  SEGUR_SIM_MODE: { path: ['mode'], kind: 'string' },
  SEGUR_SIM_STORE: { path: ['store'], kind: 'string' },
};

interface Origin {
  describe(path: (string | number)[]): string;
}

/**
 * Merges defaults < config file < environment < flags and validates the result.
 * Throws ConfigError with every problem found, each naming its source (file:line, variable or flag).
 */
export function loadConfig(opts: { flags?: ConfigFlags; env?: NodeJS.ProcessEnv; cwd?: string; configFile?: string } = {}): Config & { configFile?: string } {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const origins = new Map<string, string>();
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];

  const explicit = opts.configFile ?? env.SEGUR_SIM_CONFIG;
  const configFile = explicit ? resolve(cwd, explicit) : resolve(cwd, DEFAULT_CONFIG_FILE);
  let fileOrigin: Origin | undefined;
  let usedFile: string | undefined;
  if (existsSync(configFile)) {
    usedFile = configFile;
    const text = readFileSync(configFile, 'utf8');
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      problems.push(`${configFile}${pos ? `:${pos.line}:${pos.col}` : ''}: ${err.message.split('\n')[0]}`);
    }
    if (problems.length) throw new ConfigError(problems);
    const value = doc.toJS() as unknown;
    if (value !== null && value !== undefined) {
      if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError([`${configFile}: must be a mapping of settings`]);
      Object.assign(raw, value);
    }
    fileOrigin = {
      describe(path) {
        let node: unknown = doc.getIn(path, true);
        // Point at the closest existing parent when the bad field itself is missing.
        for (let n = path.length; (node === undefined || node === null) && n > 0; n--) node = doc.getIn(path.slice(0, n - 1), true);
        const range = (node as Node | undefined)?.range;
        if (!range) return configFile;
        const pos = lines.linePos(range[0]);
        return `${configFile}:${pos.line}:${pos.col}`;
      },
    };
  } else if (explicit) {
    throw new ConfigError([`config file not found: ${configFile}`]);
  }

  for (const [name, spec] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setIn(raw, spec.path, spec.kind === 'number' ? toNumber(value) : value);
    origins.set(spec.path.join('.'), `environment variable ${name}`);
  }
  for (const [path, value] of Object.entries(opts.flags ?? {})) {
    if (value === undefined) continue;
    setIn(raw, path.split('.'), value);
    origins.set(path, `flag --${flagName(path)}`);
  }

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(describeIssue(issue, raw, origins, fileOrigin));
    throw new ConfigError(problems);
  }
  const config = parsed.data;
  config.dataDir = resolve(cwd, config.dataDir);
  return { ...config, configFile: usedFile };
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>, origins: Map<string, string>, file?: Origin): string {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  let field = path.join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    field = [...path, ...issue.keys].join('.');
    message = `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  const got = getIn(raw, path);
  const shown = got === undefined || typeof got === 'object' ? '' : ` (got ${JSON.stringify(got)})`;
  const where = origins.get(path.join('.')) ?? (file ? file.describe(issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]!] : path) : 'defaults');
  return `${where}: ${field || '(root)'}: ${message}${shown}`;
}

function toNumber(text: string): number | string {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function flagName(path: string): string {
  const known: Record<string, string> = {
    'ports.http': 'http-port', 'ports.https': 'https-port', 'ports.smtp': 'smtp-port', 'ports.imap': 'imap-port',
    dataDir: 'data-dir', bind: 'bind', seed: 'seed', mode: 'mode', store: 'store', 'scenarios.startup': 'scenario',
    'world.patients': 'patients', clockStart: 'clock-start',
  };
  return known[path] ?? path;
}

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function getIn(target: unknown, path: (string | number)[]): unknown {
  let node = target;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

