/** Commands on the selected mailbox: STORE, COPY, MOVE (RFC 6851), EXPUNGE, UID EXPUNGE (UIDPLUS), CLOSE, UNSELECT. */
import { MailStoreError } from '../../store/mail-store.js';
import { text, type Token } from '../parser.js';
import { compactSet, resolveSet, SequenceError, type Target } from '../sequence.js';
import type { ImapSession, Reply } from '../session.js';
import { atom } from '../values.js';
import { flagList } from './mailboxes.js';
import { SELECTED, bad, no, ok, type CommandSpec } from './types.js';

export const selectedCommands: Record<string, CommandSpec> = {
  CLOSE: {
    states: SELECTED,
    sync: false,
    async handler(s) {
      const sel = s.selected!;
      if (!sel.readOnly) await removeDeleted(s, undefined, false);
      s.selected = undefined;
      s.state = 'authenticated';
      return ok('CLOSE completed');
    },
  },

  UNSELECT: {
    states: SELECTED,
    sync: false,
    async handler(s) {
      s.selected = undefined;
      s.state = 'authenticated';
      return ok('UNSELECT completed');
    },
  },

  EXPUNGE: {
    states: SELECTED,
    async handler(s) {
      if (s.selected!.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
      const removed = await removeDeleted(s, undefined, true);
      return ok('EXPUNGE completed', undefined, { expunged: removed });
    },
  },

  'UID EXPUNGE': {
    states: SELECTED,
    async handler(s, cmd) {
      const set = text(cmd.args[0]);
      if (!set || cmd.args.length !== 1) return bad('UID EXPUNGE takes a UID set');
      if (s.selected!.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
      let targets: Target[];
      try {
        targets = resolveSet(set, s.selected!.view, true);
      } catch (err) {
        if (err instanceof SequenceError) return bad(err.message);
        throw err;
      }
      const removed = await removeDeleted(s, new Set(targets.map((t) => t.uid)), true);
      return ok('UID EXPUNGE completed', undefined, { expunged: removed });
    },
  },

  STORE: { states: SELECTED, expungeAllowed: false, handler: (s, cmd) => store(s, cmd.args, false) },
  'UID STORE': { states: SELECTED, handler: (s, cmd) => store(s, cmd.args, true) },
  COPY: { states: SELECTED, handler: (s, cmd) => copy(s, cmd.args, false, false) },
  'UID COPY': { states: SELECTED, handler: (s, cmd) => copy(s, cmd.args, true, false) },
  MOVE: { states: SELECTED, handler: (s, cmd) => copy(s, cmd.args, false, true) },
  'UID MOVE': { states: SELECTED, handler: (s, cmd) => copy(s, cmd.args, true, true) },
};

function targetsOf(s: ImapSession, set: string | undefined, uidMode: boolean): Target[] | Reply {
  if (!set) return bad('Missing sequence set');
  try {
    return resolveSet(set, s.selected!.view, uidMode);
  } catch (err) {
    if (err instanceof SequenceError) return bad(err.message);
    throw err;
  }
}

/** Expunges \Deleted messages (only those in `only` when given); sends EXPUNGE responses when `announce`. */
async function removeDeleted(s: ImapSession, only: Set<number> | undefined, announce: boolean): Promise<number> {
  const sel = s.selected!;
  const folder = s.folderOf(sel.name);
  if (!folder) return 0;
  const gone = folder.messages.filter((m) => m.flags.has('\\Deleted') && (!only || only.has(m.uid))).map((m) => m.uid);
  if (!gone.length) return 0;
  await s.store!.expunge(s.identity!.mailbox.address, sel.name, gone);
  if (announce) await announceExpunged(s, gone);
  return gone.length;
}

/** Sends `* n EXPUNGE` for messages this session removed (highest first, so numbers stay valid) and updates its view. */
async function announceExpunged(s: ImapSession, uids: number[]): Promise<void> {
  const sel = s.selected!;
  const gone = new Set(uids);
  for (let i = sel.view.length - 1; i >= 0; i--) {
    const uid = sel.view[i]!;
    if (!gone.has(uid)) continue;
    sel.view.splice(i, 1);
    sel.known.delete(uid);
    await s.untaggedText(`${i + 1} EXPUNGE`);
  }
}

async function store(s: ImapSession, args: Token[], uidMode: boolean): Promise<Reply> {
  const sel = s.selected!;
  if (args.length < 3) return bad('STORE takes a sequence set, FLAGS/+FLAGS/-FLAGS[.SILENT] and flags');
  if (args[1]?.type === 'list') return bad('STORE modifiers (UNCHANGEDSINCE) are not supported: CONDSTORE is not advertised');
  const action = text(args[1])?.toUpperCase();
  const m = action ? /^([+-]?)FLAGS(\.SILENT)?$/.exec(action) : null;
  if (!m) return bad('Expected FLAGS, +FLAGS or -FLAGS (optionally .SILENT)');
  const flags = args.length === 3 ? flagList(args[2]!) : flagList({ type: 'list', value: args.slice(2) });
  if (!flags) return bad('Invalid flag list');
  if (sel.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
  const targets = targetsOf(s, text(args[0]), uidMode);
  if (!Array.isArray(targets)) return targets;
  const folder = s.folderOf(sel.name);
  if (!folder) return no('The selected mailbox no longer exists');
  const byUid = new Map(folder.messages.map((x) => [x.uid, x]));
  const wanted = flags.filter((f) => f !== '\\Recent');
  const changes = new Map<number, Set<string>>();
  const results: { seq: number; uid: number; flags: Set<string> }[] = [];
  for (const t of targets) {
    const record = byUid.get(t.uid);
    if (!record) continue;
    let next: Set<string>;
    if (m[1] === '+') next = new Set([...record.flags, ...wanted]);
    else if (m[1] === '-') next = new Set([...record.flags].filter((f) => !wanted.some((w) => w.toLowerCase() === f.toLowerCase())));
    else next = new Set(wanted);
    if (!sameFlags(next, record.flags)) changes.set(t.uid, next);
    results.push({ seq: t.seq, uid: t.uid, flags: next });
  }
  await s.store!.setFlags(s.identity!.mailbox.address, sel.name, changes);
  for (const uid of changes.keys()) sel.known.set(uid, byUid.get(uid)!.flagsVersion);
  if (!m[2]) {
    for (const r of results) {
      const data = uidMode ? [atom('UID'), r.uid, atom('FLAGS'), [...r.flags].map((f) => atom(f))] : [atom('FLAGS'), [...r.flags].map((f) => atom(f))];
      await s.untagged(r.seq, atom('FETCH'), data);
    }
  }
  return ok(`${uidMode ? 'UID STORE' : 'STORE'} completed`, undefined, { action, flags, changed: changes.size });
}

function sameFlags(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((f) => b.has(f));
}

async function copy(s: ImapSession, args: Token[], uidMode: boolean, move: boolean): Promise<Reply> {
  const name = move ? 'MOVE' : 'COPY';
  const dest = text(args[1]);
  if (!dest || args.length !== 2) return bad(`${name} takes a sequence set and a mailbox name`);
  const sel = s.selected!;
  if (move && sel.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
  const targets = targetsOf(s, text(args[0]), uidMode);
  if (!Array.isArray(targets)) return targets;
  if (!s.folderOf(dest)) return no(`No mailbox ${dest}`, 'TRYCREATE');
  const account = s.identity!.mailbox.address;
  try {
    const copied = await s.store!.copy(account, sel.name, targets.map((t) => t.uid), dest);
    if (!copied.target.length) return ok(`${name} completed (nothing to ${name.toLowerCase()})`);
    const copyUid = `COPYUID ${copied.uidValidity} ${compactSet(copied.source)} ${compactSet(copied.target)}`;
    if (!move) return ok('COPY completed', copyUid, { to: dest, count: copied.target.length });
    // RFC 6851: COPYUID in an untagged OK, then the EXPUNGEs, then the tagged OK.
    await s.untaggedText(`OK [${copyUid}] Moved`);
    await s.store!.expunge(account, sel.name, copied.source);
    await announceExpunged(s, copied.source);
    return ok('MOVE completed', undefined, { to: dest, count: copied.target.length });
  } catch (err) {
    if (err instanceof MailStoreError) return no(err.message, err.code);
    throw err;
  }
}
