/**
 * The reference LGC from the command line: `segur-sim flow <name>` runs a Ségur flow step by step against a
 * running simulator; `segur-sim report` prints the dashboard figures from the LGC's records.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { common, print, type Common } from './admin-commands.js';

// The LGC pulls in every client module (SMTP, IMAP, OIDC, QR code...): loaded when one of these commands
// runs, not on every start of the CLI (`segur-sim start` must be ready fast).
const lgc = async () => {
  const [environment, flows, records, report, reports, runner, suiteFile, documents] = await Promise.all([
    import('../../lgc/environment.js'),
    import('../../lgc/flows/index.js'),
    import('../../lgc/records.js'),
    import('../../lgc/report.js'),
    import('../../lgc/suite/reports.js'),
    import('../../lgc/suite/runner.js'),
    import('../../lgc/suite/suite-file.js'),
    import('../../../fixtures/documents/index.js'),
  ]);
  return { ...environment, ...flows, ...records, ...report, ...reports, ...runner, ...suiteFile, lookupCode: documents.lookupCode };
};

interface LgcOptions extends Common {
  lgcDir: string;
  memory?: boolean;
}

function lgcDir(cmd: Command): Command {
  return cmd
    .option('--lgc-dir <dir>', "where the reference LGC keeps its records (env SEGUR_SIM_LGC_DIR)", process.env.SEGUR_SIM_LGC_DIR ?? join('.segur-sim', 'lgc'))
    .option('--memory', 'keep no records on disk (the report then only sees this run)');
}

export function registerLgc(program: Command): void {
  const flow = program.command('flow').description('run a Ségur flow of the reference practice software (LGC) against the running simulator');
  flow
    .command('list')
    .description('the flows')
    .option('--json', 'print JSON instead of text')
    .action(async (o: { json?: boolean }) => {
      const { FLOWS } = await lgc();
      print(o.json, FLOWS.map(({ name, title, description }) => ({ name, title, description })), () => FLOWS.map((f) => `${f.name.padEnd(14)} ${f.description}`).join('\n'));
    });

  lgcDir(common(flow.command('run <name>', { isDefault: true }).description('run one flow (`segur-sim flow consultation`)')))
    .option('--professional <id>', 'log in as this professional (id, RPPS or idNat; default: the main médecin traitant)')
    .option('--patient <id>', 'with this patient (id or INS; default: a patient with a carte Vitale and an open DMP)')
    .option('--scenario <name>', 'a library scenario applied to this run only (X-Segur-Scenario)')
    .action(async (name: string, o: LgcOptions & { professional?: string; patient?: string; scenario?: string }) => {
      const { LgcEnvironment, LgcRecords, runFlow } = await lgc();
      const env = await LgcEnvironment.connect({ url: o.url, sandbox: o.sandbox });
      const records = await LgcRecords.open(o.memory ? undefined : o.lgcDir, env.sandbox);
      const result = await runFlow(name, { env, records, professional: o.professional, patient: o.patient, scenario: o.scenario, out: o.json ? undefined : (l) => console.log(l) });
      if (o.json) console.log(JSON.stringify(result, null, 2));
      if (!result.ok) process.exitCode = 1;
    });

  common(program.command('suite <path>').description('run scenario suites (a YAML file or a directory of them) in fresh sandboxes; non-zero exit when a case fails'), false)
    .option('--junit <path>', 'write a JUnit XML report there')
    .option('--json-report <path>', 'write the full JSON report there')
    .option('--parallel <n>', 'cases at once when a suite does not say (default 2)', (v) => Number(v))
    .option('--keep-sandboxes', 'keep every sandbox (default: only those of failed cases)')
    .action(async (path: string, o: Common & { junit?: string; jsonReport?: string; parallel?: number; keepSandboxes?: boolean }) => {
      const { loadSuites, runSuites, caseLine, junitXml, writeReport } = await lgc();
      const suites = await loadSuites(path);
      const cases = suites.reduce((n, s) => n + s.cases.length, 0);
      if (!o.json) console.log(`${cases} case(s) in ${suites.length} suite(s) against ${o.url}`);
      const report = await runSuites(suites, { url: o.url, parallel: o.parallel, keepSandboxes: o.keepSandboxes, onCase: o.json ? undefined : (c) => console.log(caseLine(c)) });
      if (o.junit) await writeReport(o.junit, junitXml(report));
      if (o.jsonReport) await writeReport(o.jsonReport, `${JSON.stringify(report, null, 2)}\n`);
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else console.log(`${report.failed ? '✖' : '✔'} ${report.passed} passed, ${report.failed} failed in ${(report.ms / 1000).toFixed(1)} s${o.junit ? ` — JUnit: ${o.junit}` : ''}`);
      if (report.failed) process.exitCode = 1;
    });

  lgcDir(common(program.command('report').description('dashboard figures of the reference LGC (LGC.MDV.07, TBB.INS.01/02) from its records')))
    .option('--rpps <rpps>', 'one professional only')
    .option('--since <date>', 'activity from this date (YYYY-MM-DD)')
    .action(async (o: LgcOptions & { rpps?: string; since?: string }) => {
      const { LgcRecords, computeReport, formatReport, lookupCode } = await lgc();
      const records = await LgcRecords.open(o.lgcDir, o.sandbox);
      const report = computeReport(records, { rpps: o.rpps, since: o.since });
      print(o.json, report, () => formatReport(report, (code) => lookupCode('typeCode', code)?.display ?? ''));
    });
}
