import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'simulators/**/*.test.ts', 'scenarios/**/*.test.ts', 'fixtures/**/*.test.ts', 'client/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/bench/**'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel but keep the pool small so socket tests stay stable.
    pool: 'forks',
    maxWorkers: 2,
  },
});
