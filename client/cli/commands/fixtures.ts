import { InvalidArgumentError, type Command } from 'commander';

export function intArg(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min} (got "${value}")`);
    return n;
  };
}

export function registerFixtures(program: Command): void {
  program
    .command('fixtures')
    .description('print a generated synthetic world as JSON (same seed ⇒ byte-identical output); needs no running simulator')
    .option('--seed <n>', 'seed', intArg('--seed'), 1)
    .option('--count <k>', 'number of patients', intArg('--count', 1), 200)
    .option('--professionals <n>', 'number of professionals', intArg('--professionals', 1), 30)
    .option('--structures <n>', 'number of structures', intArg('--structures', 1), 5)
    .action(async (opts: { seed: number; count: number; professionals: number; structures: number }) => {
      const { generateWorld } = await import('../../../fixtures/index.js');
      const world = generateWorld({ seed: opts.seed, patients: opts.count, professionals: opts.professionals, structures: opts.structures });
      process.stdout.write(`${JSON.stringify(world, null, 2)}\n`);
    });
}
