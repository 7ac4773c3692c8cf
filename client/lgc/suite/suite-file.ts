/**
 * Scenario suites: YAML files naming cases to run, each in a fresh sandbox under named scenarios — one of
 * the reference LGC's flows, or a vendor's own test command — with what must happen. Validated with clear
 * `file: path: message` errors, as the scenario files are.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const expectation = z
  .object({
    /** Whether the flow (or command) must succeed. Default true. */
    ok: z.boolean().default(true),
    /** Title (or beginning of the title) of the step the flow must stop at (`ok: false`). */
    stoppedAt: z.string().min(1).optional(),
    /** Text the error must contain (`ok: false`). */
    error: z.string().min(1).optional(),
    /** Per step title (or its beginning): text its detail must contain. */
    steps: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const caseSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** A flow of the reference LGC (`segur-sim flow list`). */
    flow: z.string().min(1).optional(),
    /**
     * Or a command of the vendor's own (run by a shell), with SEGUR_SIM_URL, SEGUR_SIM_SANDBOX and
     * SEGUR_SIM_SANDBOX_URL set to the fresh sandbox.
     */
    command: z.string().min(1).optional(),
    /** Scenarios activated in the sandbox before the case runs: library names, or scenario files (`*.yaml`, relative to the suite file). */
    scenarios: z.array(z.string().min(1)).default([]),
    /** A scenario written inline (same format as a scenario file; its name is optional). */
    scenario: z.record(z.string(), z.unknown()).optional(),
    professional: z.string().optional(),
    patient: z.string().optional(),
    /** Seed of the fresh sandbox's world (default: the host's). */
    seed: z.number().int().nonnegative().optional(),
    /** Per-call timeout of the LGC's clients, ms. */
    timeoutMs: z.number().int().positive().optional(),
    expect: expectation.prefault({}),
  })
  .strict()
  .refine((c) => (c.flow ? 1 : 0) + (c.command ? 1 : 0) === 1, { message: 'give exactly one of "flow" or "command"' });

export const suiteSchema = z
  .object({
    name: z.string().regex(NAME, 'lower-case words joined by "-"'),
    description: z.string().optional(),
    /** Cases run at once (default 2). */
    parallel: z.number().int().min(1).max(16).optional(),
    cases: z.array(caseSchema).min(1, 'at least one case'),
  })
  .strict();

export type SuiteFile = z.infer<typeof suiteSchema> & { source: string };
export type SuiteCase = SuiteFile['cases'][number];

export class SuiteFileError extends Error {
  override name = 'SuiteFileError';
}

export function parseSuite(text: string, source: string): SuiteFile {
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true });
  } catch (err) {
    throw new SuiteFileError(`${source}: not YAML: ${(err as Error).message}`);
  }
  const parsed = suiteSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SuiteFileError(lines.join('\n'));
  }
  const names = new Set<string>();
  for (const c of parsed.data.cases) {
    if (names.has(c.name)) throw new SuiteFileError(`${source}: cases: two cases are named "${c.name}"`);
    names.add(c.name);
  }
  return { ...parsed.data, source };
}

/** A suite file, or every `*.yaml` / `*.yml` of a directory (sorted). */
export async function loadSuites(path: string): Promise<SuiteFile[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new SuiteFileError(`${path}: no such file or directory`);
  const files = info.isDirectory()
    ? (await readdir(path)).filter((f) => ['.yaml', '.yml'].includes(extname(f))).sort().map((f) => join(path, f))
    : [path];
  if (!files.length) throw new SuiteFileError(`${path}: no suite file (*.yaml) in this directory`);
  return Promise.all(files.map(async (f) => parseSuite(await readFile(f, 'utf8'), f)));
}
