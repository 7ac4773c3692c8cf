// Second half of `npm run build` (after tsc): bundles the compiled CLI and its dependencies into
// dist/bundle/. Node 20 resolves, reads and links ES modules one by one; the simulator's start loads
// ~500 of them (zod, jose and hono alone are ~170 files), which took longer than everything the host
// does. A bundle is a handful of files and starts in half the time. Commands imported lazily by the CLI
// (flows, suites, reports) become chunks of their own, still loaded only when used.
// The bin runs the bundle when it is fresher than the sources, dist/ otherwise (see bin/segur-sim.mjs).
import { build } from 'esbuild';
import { rmSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'dist', 'client', 'cli', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // imapflow's logger (pino) starts worker threads from files beside its own sources: kept as a package.
  external: ['imapflow'],
  // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as segurSimCreateRequire } from 'node:module'; const require = segurSimCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// The stamp the bin compares with the sources: written last, once dist/ and the bundle are complete.
const stamp = join(root, 'dist', '.tsbuildinfo');
utimesSync(stamp, new Date(), new Date());
