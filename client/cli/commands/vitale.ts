import type { Command } from 'commander';

/** `segur-sim vitale present|remove|show`: the virtual carte Vitale reader (written with the INSi issue). */
export function registerVitale(_program: Command): void {}
