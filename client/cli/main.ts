import { Command, CommanderError } from 'commander';
import { AdminApiError } from '../admin.js';
import { registerJournal, registerSandbox, registerScenario, registerStatus } from './commands/admin-commands.js';
import { registerFixtures } from './commands/fixtures.js';
import { registerLgc } from './commands/lgc.js';
import { registerMssante } from './commands/mssante.js';
import { registerStart } from './commands/start.js';
import { registerVitale } from './commands/vitale.js';

const program = new Command('segur-sim')
  .description('Simulator of the French national e-health services (INSi, DMP, MSSanté, ePrescription, Pro Santé Connect)')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

registerStart(program);
registerScenario(program);
registerSandbox(program);
registerJournal(program);
registerFixtures(program);
registerStatus(program);
registerVitale(program);
registerMssante(program);
registerLgc(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Expected failures print one clear message, never a stack trace.
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof AdminApiError || (err instanceof Error && (err.name === 'ConfigError' || err.name === 'LgcError' || err.name === 'SuiteFileError'))) {
    console.error(`segur-sim: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof Error && (err.name === 'ScenarioError' || err.message.startsWith('cannot listen'))) {
    console.error(`segur-sim: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
