#!/usr/bin/env node
// Entry point of the `segur-sim` command. Runs the build (made by `npm install` and `npm run build`)
// when it is up to date: the bundle (dist/bundle/, see scripts/bundle.mjs), else the compiled modules
// (dist/); starting from bundled JavaScript is what keeps time-to-ready low. When a source file is
// newer than the build (a developer editing), it runs the TypeScript sources through tsx instead, so
// nobody ever runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'dist', 'bundle', 'main.mjs');
const built = join(root, 'dist', 'client', 'cli', 'main.js');
const stamp = join(root, 'dist', '.tsbuildinfo');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (!existsSync(built) || !existsSync(stamp)) return false;
  const builtAt = statSync(stamp).mtimeMs;
  return ['simulators', 'scenarios', 'fixtures', 'client'].every((dir) => newestSource(join(root, dir)) <= builtAt);
}

if (buildIsFresh()) {
  // The bundle is written before the stamp, so a fresh stamp means a complete bundle when there is one.
  await import(pathToFileURL(existsSync(bundled) ? bundled : built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'client', 'cli', 'main.ts')).href);
}
