import type { Command } from 'commander';
import type { ConfigFlags } from '../../../simulators/core/config/load.js';

interface StartFlags {
  config?: string;
  httpPort?: string;
  httpsPort?: string;
  smtpPort?: string;
  imapPort?: string;
  bind?: string;
  dataDir?: string;
  seed?: string;
  mode?: string;
  memory?: boolean;
  scenario?: string[];
  patients?: string;
  clockStart?: string;
}

/** Flag values are strings; numbers are converted here so the config validator reports bad ones precisely. */
function toFlags(o: StartFlags): ConfigFlags {
  const num = (v: string | undefined) => (v === undefined ? undefined : /^-?\d+$/.test(v) ? Number(v) : v);
  return {
    'ports.http': num(o.httpPort),
    'ports.https': num(o.httpsPort),
    'ports.smtp': num(o.smtpPort),
    'ports.imap': num(o.imapPort),
    bind: o.bind,
    dataDir: o.dataDir,
    seed: num(o.seed),
    mode: o.mode,
    store: o.memory ? 'memory' : undefined,
    'scenarios.startup': o.scenario,
    'world.patients': num(o.patients),
    clockStart: o.clockStart,
  };
}

export function registerStart(program: Command): void {
  program
    .command('start', { isDefault: true })
    .description('start every simulator in one process (HTTP, HTTPS, SMTP, IMAP) with the embedded defaults')
    .option('-c, --config <file>', 'configuration file (default: ./segur-sim.config.yaml when present)')
    .option('--http-port <port>', 'HTTP port (default 7080, env SEGUR_SIM_HTTP_PORT)')
    .option('--https-port <port>', 'HTTPS port (default 7443, env SEGUR_SIM_HTTPS_PORT)')
    .option('--smtp-port <port>', 'SMTP submission port (default 7587, env SEGUR_SIM_SMTP_PORT)')
    .option('--imap-port <port>', 'IMAP port (default 7143, env SEGUR_SIM_IMAP_PORT)')
    .option('--bind <address>', 'address to listen on (default 127.0.0.1, env SEGUR_SIM_BIND)')
    .option('--data-dir <dir>', 'state, PKI and sandboxes (default ./.segur-sim, env SEGUR_SIM_DATA_DIR)')
    .option('--seed <n>', 'seed of the generated world and of random faults (default 1, env SEGUR_SIM_SEED)')
    .option('--mode <mode>', 'strict (reject as production) or lenient (serve and report), env SEGUR_SIM_MODE')
    .option('--memory', 'keep sandbox state in memory only (nothing written but the PKI)')
    .option('--scenario <file-or-name...>', 'startup scenario(s), active in every sandbox at the lowest precedence')
    .option('--patients <n>', 'number of generated patients in the world (default 200)')
    .option('--clock-start <iso>', 'start the clock at this instant (deterministic dates)')
    .action(async (opts: StartFlags) => {
      // Loaded here, not at the top: `segur-sim --help` and the admin commands need none of it.
      const { loadConfig } = await import('../../../simulators/core/config/load.js');
      const { startHost } = await import('../../../simulators/core/host.js');
      const { allServices } = await import('../../../simulators/registry.js');
      const config = loadConfig({ flags: toFlags(opts), configFile: opts.config });
      const host = await startHost({ config, services: allServices });
      const world = host.context.sandboxes.world();
      const http = host.url('http');
      const https = host.url('https');
      const lines = [
        `segur-sim ready in ${Math.round(host.readyMs)} ms — seed ${config.seed}, ${config.mode} mode, ${config.store} store at ${config.dataDir}`,
        `world: ${world.patients.length} patients, ${world.professionals.length} professionals, ${world.structures.length} structures`,
        '',
        '  service            where (also over HTTPS at ' + https + ')',
        ...allServices.filter((s) => s.kind !== 'tool').map((s) => `  ${s.title.padEnd(18)} ${s.mounts.map((m) => http + m).join('  ')}${s.planned ? '  (mounted; simulator not written yet: answers 501)' : ''}`),
        `  MSSanté SMTP       ${host.url('smtp')}  (submission: STARTTLS, XOAUTH2 with a PSC token; login <address>+<sandbox>)`,
        `  MSSanté IMAP       ${host.url('imap')}  (IMAP4rev1: STARTTLS, XOAUTH2 with a PSC token; login <address>+<sandbox>)`,
        `  admin API          ${http}/_admin  (health, ready, status, sandboxes, scenarios, journal, personas, pki)`,
        `  test PKI           ${host.context.pki.dir}  (p12 password: ${host.context.pki.p12Password})`,
        '',
        'Sandboxes: header X-Segur-Sandbox: <id> or path prefix /_sandbox/<id>/. Ctrl-C stops.',
      ];
      console.log(lines.join('\n'));
      const stop = async (signal: string) => {
        console.log(`\n${signal}: stopping segur-sim`);
        await host.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
