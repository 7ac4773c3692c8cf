/**
 * Suite reports: JUnit XML (what CI servers — GitLab, Jenkins, GitHub test reporters — read: one
 * `testsuite` per suite file, one `testcase` per case, the steps in `system-out`) and the full JSON.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { escapeXml } from '../../../simulators/core/xml/escape.js';
import type { CaseResult, SuiteReport } from './runner.js';

const seconds = (ms: number) => (ms / 1000).toFixed(3);
// XML 1.0 forbids most control characters, which a command's output may contain.
const clean = (s: string) => escapeXml(s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?'));

function testcase(c: CaseResult): string {
  const attrs = `classname="${clean(c.suite)}" name="${clean(c.name)}" time="${seconds(c.ms)}"`;
  const failure = c.passed ? '' : `<failure message="${clean(c.failures[0] ?? 'failed')}" type="expectation">${clean(c.failures.join('\n'))}</failure>`;
  const out = [`sandbox ${c.sandbox}${c.keptSandbox ? ' (kept: read its journal with segur-sim journal list -s ' + c.sandbox + ')' : ''}`, `scenarios: ${c.scenarios.join(', ') || 'none'}`, ...c.output].join('\n');
  return `    <testcase ${attrs}>${failure}<system-out>${clean(out)}</system-out></testcase>`;
}

export function junitXml(report: SuiteReport): string {
  const total = report.passed + report.failed;
  const suites = report.suites.map((s) => {
    const failures = s.cases.filter((c) => !c.passed).length;
    return `  <testsuite name="${clean(s.name)}" tests="${s.cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(s.ms)}" timestamp="${report.startedAt.slice(0, 19)}" file="${clean(s.source)}">\n${s.cases.map(testcase).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="segur-sim" tests="${total}" failures="${report.failed}" errors="0" time="${seconds(report.ms)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export async function writeReport(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** One line per case as it ends, then a summary. */
export function caseLine(c: CaseResult): string {
  return `${c.passed ? '✔' : '✖'} ${c.suite} › ${c.name} (${(c.ms / 1000).toFixed(1)} s)${c.passed ? '' : `\n    ${c.failures.join('\n    ')}\n    sandbox kept: ${c.sandbox}`}`;
}
