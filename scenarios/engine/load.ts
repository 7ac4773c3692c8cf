/**
 * Loading scenarios from YAML (or JSON, a YAML subset) text, files and directories. Zod issue paths
 * are mapped back to the YAML nodes so every error reads `file:line:col: field: message`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { describeKind } from './durations.js';
import { ScenarioError, formatPath, type ScenarioIssue } from './errors.js';
import type { OutcomeRegistry } from './outcomes.js';
import { scenarioSchema } from './schema.js';
import type { Scenario } from './types.js';

interface Located {
  node: YamlNode | undefined;
  /** How many leading path segments were found in the document. */
  depth: number;
}

/** Follows a zod path through the YAML tree; `atKey` returns the key node of the last segment. */
function locate(root: unknown, path: readonly PropertyKey[], atKey: boolean): Located {
  let node = root as YamlNode | undefined;
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    let next: YamlNode | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const last = i === path.length - 1;
      // A key with no value (`latency:`) has no value node: point at the key instead.
      next = (last && atKey) || pair.value == null ? (pair.key as YamlNode) : (pair.value as YamlNode);
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg] as YamlNode | undefined;
    }
    if (!next) break;
    node = next;
    depth = i + 1;
  }
  return { node, depth };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

/** Zod's default wording is generic; say what was expected and what the file holds instead. */
function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    const actual = valueAt(value, issue.path);
    if (actual === undefined) return 'required field is missing';
    if (issue.message.startsWith('Invalid input')) return `expected ${issue.expected}, got ${describeKind(actual)}`;
  }
  return issue.message;
}

/** One ScenarioIssue per problem (an unknown-keys issue becomes one issue per key). */
function toIssues(zodIssues: readonly z.core.$ZodIssue[], value: unknown, source: string, doc?: { contents: unknown; lines: LineCounter }): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  for (const issue of zodIssues) {
    const expanded: { path: PropertyKey[]; atKey: boolean; message: string }[] =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => ({ path: [...issue.path, k], atKey: true, message: `unknown key "${k}"` }))
        : [{ path: [...issue.path], atKey: Boolean((issue as { params?: { atKey?: boolean } }).params?.atKey), message: issueMessage(issue, value) }];
    for (const e of expanded) {
      const entry: ScenarioIssue = { source, path: formatPath(e.path), message: e.message };
      if (doc) {
        const { node } = locate(doc.contents, e.path, e.atKey);
        const offset = node?.range?.[0] ?? 0;
        const pos = doc.lines.linePos(offset);
        entry.line = pos.line;
        entry.column = pos.col;
      }
      out.push(entry);
    }
  }
  // Document order reads best: the first line points at the first problem in the file.
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

function validate(value: unknown, source: string, outcomes: OutcomeRegistry, doc?: { contents: unknown; lines: LineCounter }): Scenario {
  const r = scenarioSchema(outcomes).safeParse(value);
  if (!r.success) throw new ScenarioError(toIssues(r.error.issues, value, source, doc));
  return { ...r.data, source };
}

/** Parses and validates one scenario written in YAML (or JSON). Throws ScenarioError. */
export function loadScenarioText(text: string, source: string, outcomes: OutcomeRegistry): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        // The yaml package's messages end with " at line X, column Y" when pretty; keep only the sentence.
        return { source, line: pos.line, column: pos.col, path: '', message: `YAML syntax error: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  if (doc.contents === null) throw new ScenarioError([{ source, line: 1, column: 1, path: '', message: 'empty scenario: expected a mapping with name and rules' }]);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ScenarioError([{ source, line: 1, column: 1, path: '', message: `YAML error: ${(e as Error).message}` }]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScenarioError([{ source, line: 1, column: 1, path: '', message: `expected a mapping with name and rules, got ${describeKind(value)}` }]);
  }
  return validate(value, source, outcomes, { contents: doc.contents, lines });
}

/** Validates a scenario given as a JS value (an admin API JSON body). Errors name the field, without lines. */
export function parseScenario(value: unknown, source: string, outcomes: OutcomeRegistry): Scenario {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScenarioError([{ source, path: '', message: `expected an object with name and rules, got ${describeKind(value)}` }]);
  }
  return validate(value, source, outcomes);
}

/** Reads one scenario file (synchronous: scenarios are loaded once, at start or on an admin call). */
export function loadScenarioFile(path: string, outcomes: OutcomeRegistry): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ source: path, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return loadScenarioText(text, path, outcomes);
}

function lineOfTopKey(text: string, key: string): number {
  const i = text.split(/\r?\n/).findIndex((l) => l.startsWith(`${key}:`));
  return i < 0 ? 1 : i + 1;
}

/**
 * Loads every *.yaml / *.yml file of a directory (not recursive), in name order. Reports the issues
 * of all files at once, and scenario names used twice.
 */
export function loadScenarioDir(dir: string, outcomes: OutcomeRegistry): Scenario[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (e) {
    throw new ScenarioError([{ source: dir, path: '', message: `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  const scenarios: Scenario[] = [];
  const issues: ScenarioIssue[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    try {
      const scenario = loadScenarioFile(file, outcomes);
      const first = seen.get(scenario.name);
      if (first) {
        const line = lineOfTopKey(readFileSync(file, 'utf8'), 'name');
        issues.push({ source: file, line, column: 1, path: 'name', message: `scenario "${scenario.name}" is already defined in ${first}` });
        continue;
      }
      seen.set(scenario.name, file);
      scenarios.push(scenario);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      issues.push(...e.issues);
    }
  }
  if (issues.length) throw new ScenarioError(issues);
  return scenarios;
}
