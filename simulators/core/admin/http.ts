import type { Context } from 'hono';
import type { z } from 'zod';
import { jsonError } from '../errors/renderers.js';
import { SandboxError } from '../sandbox.js';

/** An admin API failure with its HTTP status; rendered as `{ error: { code, message } }`. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Runs an admin handler, turning every expected failure into a precise JSON error (never a stack). */
export async function admin(fn: () => Promise<Response> | Response): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AdminError) return jsonError({ status: err.status, code: err.code, message: err.message });
    if (err instanceof SandboxError) return jsonError({ status: err.status, code: err.status === 404 ? 'UnknownSandbox' : 'SandboxError', message: err.message });
    if (err instanceof Error && err.name === 'ScenarioError') return jsonError({ status: 400, code: 'InvalidScenario', message: err.message });
    if (err instanceof Error && err.name === 'ScenarioNotFoundError') return jsonError({ status: 404, code: 'UnknownScenario', message: err.message });
    throw err;
  }
}

/** Parses an optional JSON body against a schema; an empty body is `{}`. */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim()) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new AdminError(400, 'InvalidJson', `the body is not valid JSON: ${(err as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message}`);
    throw new AdminError(400, 'InvalidBody', issues.join('; '));
  }
  return parsed.data;
}

/** Reads an integer query parameter, with a clear error when it is not one. */
export function intQuery(c: Context, name: string): number | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new AdminError(400, 'InvalidQuery', `query parameter "${name}" must be an integer (got "${value}")`);
  return n;
}

export function timeQuery(c: Context, name: string): number | undefined {
  const value = c.req.query(name);
  if (value === undefined || value === '') return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(t)) throw new AdminError(400, 'InvalidQuery', `query parameter "${name}" must be an ISO date-time or epoch milliseconds (got "${value}")`);
  return t;
}
