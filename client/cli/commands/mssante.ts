import type { Command } from 'commander';

/** `segur-sim mssante ...`: simulated patients and correspondents of the MSSanté simulator. */
export function registerMssante(_program: Command): void {}
