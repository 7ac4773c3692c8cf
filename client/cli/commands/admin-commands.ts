import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AdminClient, defaultAdminUrl, type JournalEntryView } from '../../admin.js';
import { intArg } from './fixtures.js';

export interface Common {
  url: string;
  sandbox: string;
  json?: boolean;
}

/** Options every command that talks to a running simulator shares. */
export function common(cmd: Command, withSandbox = true): Command {
  cmd.option('--url <url>', 'admin API of the running simulator (env SEGUR_SIM_URL)', defaultAdminUrl());
  if (withSandbox) cmd.option('-s, --sandbox <id>', 'sandbox', 'default');
  return cmd.option('--json', 'print JSON instead of text');
}

export function print(json: boolean | undefined, value: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text());
}

export function registerScenario(program: Command): void {
  const scenario = program.command('scenario').description('list, load, activate and deactivate scenarios');
  common(scenario.command('list').description('scenarios in the library, and which are active in the sandbox')).action(async (o: Common) => {
    const client = new AdminClient(o.url);
    const [library, active] = await Promise.all([client.scenarios(), client.activeScenarios(o.sandbox)]);
    const on = new Set(active.active.map((a) => a.name));
    print(o.json, { library: library.scenarios, active: active.active }, () =>
      library.scenarios.map((s) => `${on.has(s.name) ? '●' : '○'} ${s.name.padEnd(28)} ${String(s.rules).padStart(2)} rule(s)  ${s.description ?? ''}`).join('\n') || 'no scenario loaded',
    );
  });
  common(scenario.command('activate <name>').description('activate a library scenario in a sandbox')).action(async (name: string, o: Common) => {
    const result = await new AdminClient(o.url).activate(name, o.sandbox);
    print(o.json, result, () => `activated ${name} in sandbox ${o.sandbox}; active now: ${result.active.map((a) => a.name).join(', ')}`);
  });
  common(scenario.command('deactivate <name>').description('deactivate a scenario in a sandbox')).action(async (name: string, o: Common) => {
    const result = await new AdminClient(o.url).deactivate(name, o.sandbox);
    print(o.json, result, () => `deactivated ${name} in sandbox ${o.sandbox}; active now: ${result.active.map((a) => a.name).join(', ') || 'none'}`);
  });
  common(scenario.command('load <file>').description('validate a YAML scenario file and add it to the library').option('--replace', 'replace a scenario of the same name'), false).action(
    async (file: string, o: Common & { replace?: boolean }) => {
      const result = await new AdminClient(o.url).uploadScenario(await readFile(file, 'utf8'), o.replace);
      print(o.json, result, () => `loaded scenario ${result.name}`);
    },
  );
}

export function registerSandbox(program: Command): void {
  const sandbox = program.command('sandbox').description('create, reset, delete and list sandboxes');
  common(sandbox.command('list').description('every sandbox with its active scenarios'), false).action(async (o: Common) => {
    const { sandboxes } = await new AdminClient(o.url).sandboxes();
    print(o.json, sandboxes, () => sandboxes.map((s) => `${s.id.padEnd(24)} seed ${s.seed}  ${s.journalEntries} journal entries  active: ${s.activeScenarios.map((a) => a.name).join(', ') || '-'}`).join('\n'));
  });
  common(sandbox.command('create [id]').description('create a sandbox (a random id when none is given)').option('--seed <n>', 'seed of its world', intArg('--seed')), false).action(
    async (id: string | undefined, o: Common & { seed?: number }) => {
      const created = await new AdminClient(o.url).createSandbox(id, o.seed);
      print(o.json, created, () => created.id);
    },
  );
  common(sandbox.command('reset <id>').description('back to the seeded world: state, scenarios, journal'), false).action(async (id: string, o: Common) => {
    const reset = await new AdminClient(o.url).resetSandbox(id);
    print(o.json, reset, () => `sandbox ${id} reset`);
  });
  common(sandbox.command('delete <id>').description('delete a sandbox and its stored state'), false).action(async (id: string, o: Common) => {
    await new AdminClient(o.url).deleteSandbox(id);
    print(o.json, { deleted: id }, () => `sandbox ${id} deleted`);
  });
}

function line(e: JournalEntryView): string {
  const errors = e.verdicts.filter((v) => v.level === 'error').length;
  const decided = e.decision && e.decision.channel !== 'default' ? `  [${e.decision.channel}] ${e.decision.explain}` : '';
  return `${e.time}  ${e.service.padEnd(13)} ${e.operation.padEnd(34)} ${String(e.response.status ?? '-').padStart(3)}  ${Math.round(e.durationMs)} ms${errors ? `  ${errors} error verdict(s)` : ''}${decided}`;
}

export function registerJournal(program: Command): void {
  const journal = program.command('journal').description('read the exchange journal of a sandbox');
  common(journal.command('tail').description('follow new exchanges live (Ctrl-C stops)').option('--service <id>', 'only this service')).action(
    async (o: Common & { service?: string }) => {
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      console.error(`following the journal of sandbox ${o.sandbox} at ${o.url} (Ctrl-C stops)`);
      await new AdminClient(o.url).tail(o.sandbox, (e) => console.log(o.json ? JSON.stringify(e) : line(e)), { service: o.service, signal: controller.signal });
    },
  );
  common(journal.command('list').description('past exchanges').option('--service <id>', 'only this service').option('--limit <n>', 'last N entries', intArg('--limit', 1), 50)).action(
    async (o: Common & { service?: string; limit: number }) => {
      const result = await new AdminClient(o.url).journal(o.sandbox, { service: o.service, limit: o.limit });
      print(o.json, result.entries, () => result.entries.map(line).join('\n') || 'journal empty');
    },
  );
}

export function registerStatus(program: Command): void {
  common(program.command('status').description('météo des services: each service up, degraded or down')).action(async (o: Common) => {
    const status = await new AdminClient(o.url).status(o.sandbox);
    const icon: Record<string, string> = { up: '☀ up', degraded: '☁ degraded', down: '⛈ down' };
    print(o.json, status, () => status.services.map((s) => `${s.title.padEnd(18)} ${icon[s.state] ?? s.state}${s.reasons.length ? `  — ${s.reasons.join('; ')}` : ''}`).join('\n'));
  });
}
