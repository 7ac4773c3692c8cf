/** Mailbox commands: SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, STATUS, APPEND. */
import { DELIMITER } from '../../constants.js';
import { canonicalFlag, folderKey, MailStoreError, type Folder } from '../../store/mail-store.js';
import { isAtom, text, type Token } from '../parser.js';
import type { ImapSession, Reply } from '../session.js';
import { atom } from '../values.js';
import { AUTHENTICATED, bad, no, ok, type CommandSpec } from './types.js';

/** Flags clients may set; `\*` lets them create keywords ($MDNSent, $Forwarded...). */
const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];
const COMMON_KEYWORDS = ['$MDNSent', '$Forwarded'];

export const mailboxCommands: Record<string, CommandSpec> = {
  SELECT: { states: AUTHENTICATED, sync: false, handler: (s, cmd) => select(s, cmd.args, false) },
  EXAMINE: { states: AUTHENTICATED, sync: false, handler: (s, cmd) => select(s, cmd.args, true) },

  CREATE: {
    states: AUTHENTICATED,
    async handler(s, cmd) {
      const name = text(cmd.args[0]);
      if (!name || cmd.args.length !== 1) return bad('CREATE takes a mailbox name');
      return storeOp(async () => {
        await s.store!.createFolder(account(s), name);
        return ok('CREATE completed');
      });
    },
  },

  DELETE: {
    states: AUTHENTICATED,
    async handler(s, cmd) {
      const name = text(cmd.args[0]);
      if (!name || cmd.args.length !== 1) return bad('DELETE takes a mailbox name');
      if (s.selected && folderKey(s.selected.name) === folderKey(name)) return no('Cannot delete the selected mailbox; select another first', 'CANNOT');
      return storeOp(async () => {
        await s.store!.deleteFolder(account(s), name);
        return ok('DELETE completed');
      });
    },
  },

  RENAME: {
    states: AUTHENTICATED,
    async handler(s, cmd) {
      const from = text(cmd.args[0]);
      const to = text(cmd.args[1]);
      if (!from || !to || cmd.args.length !== 2) return bad('RENAME takes two mailbox names');
      if (s.selected && folderKey(s.selected.name) === folderKey(from)) return no('Cannot rename the selected mailbox; select another first', 'CANNOT');
      return storeOp(async () => {
        await s.store!.renameFolder(account(s), from, to);
        return ok('RENAME completed');
      });
    },
  },

  SUBSCRIBE: { states: AUTHENTICATED, handler: (s, cmd) => subscribe(s, cmd.args, true) },
  UNSUBSCRIBE: { states: AUTHENTICATED, handler: (s, cmd) => subscribe(s, cmd.args, false) },

  LIST: { states: AUTHENTICATED, handler: (s, cmd) => list(s, cmd.args, 'LIST') },
  LSUB: { states: AUTHENTICATED, handler: (s, cmd) => list(s, cmd.args, 'LSUB') },

  STATUS: {
    states: AUTHENTICATED,
    async handler(s, cmd) {
      const name = text(cmd.args[0]);
      const items = cmd.args[1];
      if (!name || items?.type !== 'list' || cmd.args.length !== 2) return bad('STATUS takes a mailbox name and a list of items');
      const folder = s.folderOf(name);
      if (!folder) return no(`No mailbox ${name}`, 'NONEXISTENT');
      const out: (string | number | { atom: string })[] = [];
      for (const item of items.value) {
        const key = isAtom(item) ? item.value.toUpperCase() : '';
        const value = statusValue(folder, key);
        if (value === undefined) return bad(`Unknown STATUS item ${key || '?'}`);
        out.push(atom(key), value);
      }
      await s.untagged(atom('STATUS'), folder.name, out);
      return ok('STATUS completed');
    },
  },

  APPEND: {
    states: AUTHENTICATED,
    journalBody: (cmd) => {
      const last = cmd.args[cmd.args.length - 1];
      return last?.type === 'string' ? last.value : undefined;
    },
    async handler(s, cmd) {
      const args = [...cmd.args];
      const name = text(args.shift());
      const message = args.pop();
      if (!name || message?.type !== 'string') return bad('APPEND takes a mailbox, optional flags and date, and the message as a literal');
      let flags: string[] = [];
      let date: number | undefined;
      for (const arg of args) {
        if (arg.type === 'list') {
          const parsed = flagList(arg);
          if (!parsed) return bad('Invalid flag list');
          flags = parsed;
        } else if (arg.type === 'string') {
          date = parseInternalDate(arg.value.toString('latin1'));
          if (date === undefined) return bad('Invalid date-time: expected "dd-Mon-yyyy hh:mm:ss +zzzz"');
        } else return bad('Unexpected APPEND argument');
      }
      if (message.value.length > s.deps.settings.maxMessageBytes) return no(`Message larger than ${s.deps.settings.maxMessageBytes} bytes`, 'TOOBIG');
      if (!s.folderOf(name)) return no(`No mailbox ${name}`, 'TRYCREATE');
      return storeOp(async () => {
        const added = await s.store!.addMessage(account(s), name, Buffer.from(message.value), { flags: flags.filter((f) => f.toLowerCase() !== '\\recent'), internalDate: date, meta: { source: 'append' } });
        return ok('APPEND completed', `APPENDUID ${added.uidValidity} ${added.uid}`, { folder: name, uid: added.uid, size: message.value.length });
      });
    },
  },
};

function account(s: ImapSession): string {
  return s.identity!.mailbox.address;
}

async function storeOp(fn: () => Promise<Reply>): Promise<Reply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MailStoreError) return no(err.message, err.code);
    throw err;
  }
}

async function select(s: ImapSession, args: Token[], readOnly: boolean): Promise<Reply> {
  const name = text(args[0]);
  if (!name || args.length !== 1) return bad(`${readOnly ? 'EXAMINE' : 'SELECT'} takes a mailbox name`);
  const wasSelected = !!s.selected;
  s.selected = undefined;
  s.state = 'authenticated';
  if (wasSelected) await s.untaggedText('OK [CLOSED] Previous mailbox closed');
  const folder = s.folderOf(name);
  if (!folder) return no(`No mailbox ${name}`, 'NONEXISTENT');
  const keywords = new Set(COMMON_KEYWORDS);
  for (const m of folder.messages) for (const f of m.flags) if (!f.startsWith('\\')) keywords.add(f);
  const flags = [...SYSTEM_FLAGS, ...keywords];
  await s.untaggedText(`FLAGS (${flags.join(' ')})`);
  await s.untaggedText(`OK [PERMANENTFLAGS (${readOnly ? '' : `${flags.join(' ')} \\*`})] ${readOnly ? 'No permanent flags permitted' : 'Flags permitted'}`);
  await s.untaggedText(`${folder.messages.length} EXISTS`);
  await s.untaggedText('0 RECENT');
  const firstUnseen = folder.messages.findIndex((m) => !m.flags.has('\\Seen'));
  if (firstUnseen >= 0) await s.untaggedText(`OK [UNSEEN ${firstUnseen + 1}] First unseen`);
  await s.untaggedText(`OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`);
  await s.untaggedText(`OK [UIDNEXT ${folder.uidNext}] Predicted next UID`);
  s.selected = {
    name: folder.name,
    readOnly,
    uidValidity: folder.uidValidity,
    view: folder.messages.map((m) => m.uid),
    lastUid: folder.messages.length ? folder.messages[folder.messages.length - 1]!.uid : 0,
    known: new Map(folder.messages.map((m) => [m.uid, m.flagsVersion])),
  };
  s.state = 'selected';
  return ok(`${readOnly ? 'EXAMINE' : 'SELECT'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE', { folder: folder.name, exists: folder.messages.length });
}

async function subscribe(s: ImapSession, args: Token[], on: boolean): Promise<Reply> {
  const name = text(args[0]);
  if (!name || args.length !== 1) return bad(`${on ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} takes a mailbox name`);
  return storeOp(async () => {
    await s.store!.subscribe(account(s), name, on);
    return ok(`${on ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} completed`);
  });
}

/**
 * LIST / LSUB, with the LIST-EXTENDED forms clients may send anyway: selection options in front,
 * several patterns, `RETURN (SUBSCRIBED CHILDREN SPECIAL-USE)`.
 */
async function list(s: ImapSession, rawArgs: Token[], command: 'LIST' | 'LSUB'): Promise<Reply> {
  const args = [...rawArgs];
  const selection = new Set<string>();
  if (command === 'LIST' && args[0]?.type === 'list') for (const o of args.shift()!.value as Token[]) if (isAtom(o)) selection.add(o.value.toUpperCase());
  const reference = text(args.shift());
  const patternArg = args.shift();
  if (reference === undefined || !patternArg) return bad(`${command} takes a reference and a mailbox pattern`);
  const patterns = patternArg.type === 'list' ? patternArg.value.map((t) => text(t) ?? '') : [text(patternArg) ?? ''];
  const returns = new Set<string>();
  if (isAtom(args[0], 'RETURN') && args[1]?.type === 'list') {
    for (const o of args[1].value) if (isAtom(o)) returns.add(o.value.toUpperCase());
    args.splice(0, 2);
  }
  if (args.length) return bad(`Unexpected ${command} arguments`);
  if (patterns.length === 1 && patterns[0] === '') {
    await s.untaggedText(`${command} (\\Noselect) "${DELIMITER}" ""`);
    return ok(`${command} completed`);
  }
  const folders = [...(s.store!.peekAccount(account(s))?.folders.values() ?? [])];
  const names = folders.map((f) => f.name);
  const subscribedOnly = command === 'LSUB' || selection.has('SUBSCRIBED');
  let count = 0;
  for (const folder of sortFolders(folders)) {
    if (subscribedOnly && !folder.subscribed) continue;
    if (!patterns.some((p) => matches(reference + p, folder.name))) continue;
    const attrs: string[] = [];
    const hasChildren = names.some((n) => n.startsWith(`${folder.name}${DELIMITER}`));
    attrs.push(hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (folder.specialUse) attrs.push(folder.specialUse);
    if (folder.subscribed && (returns.has('SUBSCRIBED') || selection.has('SUBSCRIBED'))) attrs.push('\\Subscribed');
    await s.untagged(atom(command), attrs.map((a) => atom(a)), DELIMITER, folder.name);
    count++;
  }
  return ok(`${command} completed`, undefined, { patterns, count });
}

function sortFolders(folders: Folder[]): Folder[] {
  return [...folders].sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name.localeCompare(b.name)));
}

/** IMAP list wildcards: `*` matches anything, `%` anything but the hierarchy delimiter. INBOX is case-insensitive. */
export function matches(pattern: string, name: string): boolean {
  let re = '^';
  for (const c of pattern) re += c === '*' ? '.*' : c === '%' ? `[^${DELIMITER}]*` : c.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  re += '$';
  if (name === 'INBOX' && new RegExp(re, 'i').test(name)) return true;
  return new RegExp(re).test(name);
}

function statusValue(folder: Folder, key: string): number | undefined {
  switch (key) {
    case 'MESSAGES':
      return folder.messages.length;
    case 'RECENT':
      return 0;
    case 'UIDNEXT':
      return folder.uidNext;
    case 'UIDVALIDITY':
      return folder.uidValidity;
    case 'UNSEEN':
      return folder.messages.filter((m) => !m.flags.has('\\Seen')).length;
    case 'SIZE':
      return folder.messages.reduce((n, m) => n + m.size, 0);
    default:
      return undefined;
  }
}

/** A parenthesised flag list, canonicalised (`\seen` → `\Seen`); undefined when an item is not a flag atom. */
export function flagList(token: Token): string[] | undefined {
  const items = token.type === 'list' ? token.value : [token];
  const out: string[] = [];
  for (const t of items) {
    if (!isAtom(t) || !/^\\?[^\s()\\{"%*\]]+$/.test(t.value)) return undefined;
    out.push(canonicalFlag(t.value));
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `17-Jul-1996 02:44:25 -0700` → ms since epoch. */
export function parseInternalDate(value: string): number | undefined {
  const m = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(value);
  if (!m) return undefined;
  const month = MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase());
  if (month < 0) return undefined;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - offset;
}

export function formatInternalDate(ms: number): string {
  const d = new Date(ms);
  const dd = String(d.getUTCDate()).padStart(2, '0');
  const time = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${dd}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${time} +0000`;
}
