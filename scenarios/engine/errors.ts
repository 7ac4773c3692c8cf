/** Errors the engine reports to people: always a precise message, never a stack trace to read. */

export interface ScenarioIssue {
  /** File path, 'admin-api', 'magic:insi'... */
  source: string;
  /** 1-based position in the source text, when the scenario came from text. */
  line?: number;
  column?: number;
  /** Field path such as `rules[0].effects[1].outcome.name`; empty for the whole document. */
  path: string;
  message: string;
}

export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.line !== undefined ? `${issue.source}:${issue.line}:${issue.column ?? 1}` : issue.source;
  return `${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** A scenario that cannot be loaded; `message` holds one line per issue, the first being the most useful. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(readonly issues: ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

/** A scenario named (in a header, the admin API or the startup list) that is not loaded. */
export class ScenarioNotFoundError extends Error {
  override readonly name = 'ScenarioNotFoundError';
  constructor(
    readonly scenario: string,
    known: readonly string[],
  ) {
    super(`unknown scenario "${scenario}" (loaded: ${known.length ? known.join(', ') : 'none'})`);
  }
}

/** `rules[0].effects[1].outcome.name` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}
