import type { ParsedCommand } from '../parser.js';
import type { ImapSession, Reply, SessionState } from '../session.js';

export interface CommandSpec {
  /** States the command is valid in (RFC 3501 §6). */
  states: SessionState[];
  handler(session: ImapSession, cmd: ParsedCommand): Promise<Reply>;
  /** Tell the client about mailbox changes before the tagged reply (default true). */
  sync?: boolean;
  /** EXPUNGE responses may go out with this command's reply (false for FETCH, STORE, SEARCH). */
  expungeAllowed?: boolean;
  /** Body kept in the journal entry (APPEND: the message). */
  journalBody?(cmd: ParsedCommand): Buffer | undefined;
}

export const ANY: SessionState[] = ['not-authenticated', 'authenticated', 'selected'];
export const AUTHENTICATED: SessionState[] = ['authenticated', 'selected'];
export const SELECTED: SessionState[] = ['selected'];
export const NOT_AUTHENTICATED: SessionState[] = ['not-authenticated'];

export const ok = (text: string, code?: string, summary?: Record<string, unknown>): Reply => ({ status: 'OK', text, code, summary });
export const no = (text: string, code?: string, summary?: Record<string, unknown>): Reply => ({ status: 'NO', text, code, summary });
export const bad = (text: string): Reply => ({ status: 'BAD', text });
