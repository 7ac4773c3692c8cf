/** Every IMAP command the server knows, by upper-case name (`UID FETCH` for the UID forms). */
import { authCommands } from './auth.js';
import { fetchCommands } from './fetch.js';
import { generalCommands } from './general.js';
import { mailboxCommands } from './mailboxes.js';
import { searchCommands } from './search.js';
import { selectedCommands } from './selected.js';
import type { CommandSpec } from './types.js';

export const COMMANDS = new Map<string, CommandSpec>(
  Object.entries({ ...generalCommands, ...authCommands, ...mailboxCommands, ...selectedCommands, ...fetchCommands, ...searchCommands }),
);
