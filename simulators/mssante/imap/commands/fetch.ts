/**
 * FETCH and UID FETCH: FLAGS, UID, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, RFC822,
 * RFC822.HEADER, RFC822.TEXT, BODY[section]<partial> and BODY.PEEK[...]; the macros ALL, FAST, FULL.
 * A non-PEEK body fetch sets \Seen in a read-write mailbox.
 */
import { bodyStructure, envelope } from '../../mime/imap-structure.js';
import { resolvePart, type MimeMessage } from '../../mime/message.js';
import type { MessageRecord, ParsedMessage } from '../../store/mail-store.js';
import { isAtom, text, type Token } from '../parser.js';
import { resolveSet, SequenceError } from '../sequence.js';
import type { ImapSession, Reply } from '../session.js';
import { atom, compile, raw, type ImapValue } from '../values.js';
import { formatInternalDate } from './mailboxes.js';
import { SELECTED, bad, ok, type CommandSpec } from './types.js';

interface Section {
  path: number[];
  /** '', HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME */
  spec: string;
  fields?: string[];
}

type Item =
  | { kind: 'simple'; name: 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' }
  | { kind: 'rfc822'; name: 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' }
  | { kind: 'section'; peek: boolean; section: Section; partial?: [number, number | undefined]; label: string };

export const fetchCommands: Record<string, CommandSpec> = {
  FETCH: { states: SELECTED, expungeAllowed: false, handler: (s, cmd) => fetch(s, cmd.args, false) },
  'UID FETCH': { states: SELECTED, handler: (s, cmd) => fetch(s, cmd.args, true) },
};

async function fetch(s: ImapSession, args: Token[], uidMode: boolean): Promise<Reply> {
  const set = text(args[0]);
  if (!set || !args[1]) return bad('FETCH takes a sequence set and data items');
  if (args.length > 2) return bad('FETCH modifiers (CHANGEDSINCE...) are not supported: CONDSTORE is not advertised');
  let items: Item[];
  try {
    items = parseItems(args[1]);
  } catch (err) {
    return bad((err as Error).message);
  }
  if (uidMode && !items.some((i) => i.kind === 'simple' && i.name === 'UID')) items.unshift({ kind: 'simple', name: 'UID' });
  const sel = s.selected!;
  let targets;
  try {
    targets = resolveSet(set, sel.view, uidMode);
  } catch (err) {
    if (err instanceof SequenceError) return bad(err.message);
    throw err;
  }
  const folder = s.folderOf(sel.name);
  if (!folder) return { status: 'NO', text: 'The selected mailbox no longer exists' };
  const byUid = new Map(folder.messages.map((m) => [m.uid, m]));
  const setsSeen = !sel.readOnly && items.some((i) => (i.kind === 'section' && !i.peek) || (i.kind === 'rfc822' && i.name !== 'RFC822.HEADER'));
  const needsParse = items.some((i) => i.kind === 'section' || i.kind === 'rfc822' || (i.kind === 'simple' && (i.name === 'ENVELOPE' || i.name === 'BODY' || i.name === 'BODYSTRUCTURE')));
  const seenChanges = new Map<number, Set<string>>();
  let count = 0;
  for (const { seq, uid } of targets) {
    const record = byUid.get(uid);
    if (!record) continue; // expunged by another session, not yet reported: nothing to send
    let flagsChanged = false;
    if (setsSeen && !record.flags.has('\\Seen')) {
      seenChanges.set(uid, new Set([...record.flags, '\\Seen']));
      flagsChanged = true;
    }
    const parsed = needsParse ? await s.store!.parsed(record.blob) : undefined;
    if (needsParse && !parsed) continue;
    const flags = flagsChanged ? new Set([...record.flags, '\\Seen']) : record.flags;
    const out: ImapValue[] = [];
    for (const item of items) out.push(...renderItem(item, record, flags, parsed));
    if (flagsChanged && !items.some((i) => i.kind === 'simple' && i.name === 'FLAGS')) out.push(atom('FLAGS'), flagAtoms(flags));
    const bytes: Buffer[] = [Buffer.from(`* ${seq} FETCH `)];
    compile(out, bytes);
    bytes.push(Buffer.from('\r\n'));
    await s.write(Buffer.concat(bytes));
    count++;
  }
  if (seenChanges.size) {
    await s.store!.setFlags(s.identity!.mailbox.address, sel.name, seenChanges);
    // The client already got the new flags in this answer.
    for (const uid of seenChanges.keys()) {
      const m = folder.messages.find((x) => x.uid === uid);
      if (m) sel.known.set(uid, m.flagsVersion);
    }
  }
  return ok(`${uidMode ? 'UID FETCH' : 'FETCH'} completed`, undefined, { set, messages: count, items: items.map(itemName) });
}

function itemName(i: Item): string {
  return i.kind === 'section' ? i.label : i.name;
}

function flagAtoms(flags: Iterable<string>): ImapValue {
  return [...flags].map((f) => atom(f));
}

function renderItem(item: Item, record: MessageRecord, flags: Set<string>, parsed: ParsedMessage | undefined): ImapValue[] {
  switch (item.kind) {
    case 'simple':
      switch (item.name) {
        case 'UID':
          return [atom('UID'), record.uid];
        case 'FLAGS':
          return [atom('FLAGS'), flagAtoms(flags)];
        case 'INTERNALDATE':
          return [atom('INTERNALDATE'), formatInternalDate(record.internalDate)];
        case 'RFC822.SIZE':
          return [atom('RFC822.SIZE'), record.size];
        case 'ENVELOPE':
          return [atom('ENVELOPE'), envelope(parsed!.mime)];
        case 'BODY':
          return [atom('BODY'), bodyStructure(parsed!.mime, parsed!.raw, false)];
        case 'BODYSTRUCTURE':
          return [atom('BODYSTRUCTURE'), bodyStructure(parsed!.mime, parsed!.raw, true)];
      }
      break;
    case 'rfc822': {
      const { raw: bytes, mime } = parsed!;
      const root = mime.root;
      if (item.name === 'RFC822') return [atom('RFC822'), bytes];
      if (item.name === 'RFC822.HEADER') return [atom('RFC822.HEADER'), bytes.subarray(root.headerStart, root.bodyStart)];
      return [atom('RFC822.TEXT'), bytes.subarray(root.bodyStart, root.bodyEnd)];
    }
    case 'section': {
      const content = sectionContent(parsed!, item.section);
      let value: Buffer | null = content;
      let origin = '';
      if (item.partial && content) {
        const [start, length] = item.partial;
        value = content.subarray(start, length === undefined ? undefined : start + length);
        origin = `<${start}>`;
      }
      return [raw(`BODY[${item.label}]${origin}`), value];
    }
  }
  return [];
}

/** The bytes a section designates, or null (NIL) for a part that does not exist. */
export function sectionContent(parsed: ParsedMessage, section: Section): Buffer | null {
  const { raw: bytes, mime } = parsed;
  if (!section.path.length && !section.spec) return bytes;
  const found = resolvePart(mime, section.path);
  if (!found) return null;
  const { part } = found;
  if (section.spec === '') return bytes.subarray(part.bodyStart, part.bodyEnd);
  if (section.spec === 'MIME') return bytes.subarray(part.headerStart, part.bodyStart);
  // HEADER / TEXT / HEADER.FIELDS address a message: the top one, or the one inside a message/rfc822 part.
  let message: MimeMessage | undefined;
  if (!section.path.length) message = mime;
  else message = part.message;
  if (!message) return Buffer.alloc(0);
  const root = message.root;
  if (section.spec === 'TEXT') return bytes.subarray(root.bodyStart, root.bodyEnd);
  const header = bytes.subarray(root.headerStart, root.bodyStart);
  if (section.spec === 'HEADER') return header;
  return filterHeader(header, section.fields ?? [], section.spec === 'HEADER.FIELDS.NOT');
}

/** The header fields named (or, with `not`, all others), as written, followed by the empty line. */
function filterHeader(header: Buffer, names: string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const textHeader = header.toString('latin1');
  const fields: string[] = [];
  for (const line of textHeader.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else if (line.trim()) fields.push(line);
  }
  const kept = fields.filter((f) => {
    const name = f.slice(0, f.indexOf(':')).trim().toLowerCase();
    return wanted.has(name) !== not;
  });
  return Buffer.from(`${kept.map((f) => (f.endsWith('\n') ? f.replace(/\r?\n$/, '\r\n') : `${f}\r\n`)).join('')}\r\n`, 'latin1');
}

// ---- item parsing -----------------------------------------------------------------------------

function parseItems(token: Token): Item[] {
  if (isAtom(token)) {
    const macro = token.value.toUpperCase();
    if (macro === 'ALL') return ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'].map(simple);
    if (macro === 'FAST') return ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'].map(simple);
    if (macro === 'FULL') return ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'].map(simple);
  }
  const list = token.type === 'list' ? token.value : [token];
  if (!list.length) throw new Error('Empty FETCH item list');
  return list.map(parseItem);
}

function simple(name: string): Item {
  return { kind: 'simple', name: name as Extract<Item, { kind: 'simple' }>['name'] };
}

function parseItem(token: Token): Item {
  if (token.type !== 'atom') throw new Error('Invalid FETCH item');
  const name = token.value.toUpperCase();
  if (token.section) {
    if (name !== 'BODY' && name !== 'BODY.PEEK') throw new Error(`Unsupported FETCH item ${name}[...]${name.startsWith('BINARY') ? ' (BINARY is not advertised)' : ''}`);
    const section = parseSection(token.section);
    return { kind: 'section', peek: name === 'BODY.PEEK', section, partial: token.partial, label: sectionLabel(section) };
  }
  switch (name) {
    case 'UID':
    case 'FLAGS':
    case 'INTERNALDATE':
    case 'RFC822.SIZE':
    case 'ENVELOPE':
    case 'BODY':
    case 'BODYSTRUCTURE':
      return simple(name);
    case 'RFC822':
    case 'RFC822.HEADER':
    case 'RFC822.TEXT':
      return { kind: 'rfc822', name };
    default:
      throw new Error(`Unknown FETCH item ${token.value.slice(0, 40)}`);
  }
}

function parseSection(tokens: Token[]): Section {
  if (!tokens.length) return { path: [], spec: '' };
  const first = tokens[0]!;
  if (first.type !== 'atom' || first.section) throw new Error('Invalid section');
  const parts = first.value.toUpperCase().split('.');
  const path: number[] = [];
  while (parts.length && /^\d+$/.test(parts[0]!)) {
    const n = Number(parts.shift());
    if (n === 0) throw new Error('Section part numbers start at 1');
    path.push(n);
  }
  const spec = parts.join('.');
  if (!['', 'HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME'].includes(spec)) throw new Error(`Invalid section ${first.value}`);
  if (spec === 'MIME' && !path.length) throw new Error('MIME needs a part number');
  if (spec.startsWith('HEADER.FIELDS')) {
    const list = tokens[1];
    if (tokens.length !== 2 || list?.type !== 'list' || !list.value.length) throw new Error(`${spec} needs a list of header field names`);
    const fields = list.value.map((t) => text(t));
    if (fields.some((f) => !f)) throw new Error('Invalid header field name');
    return { path, spec, fields: fields as string[] };
  }
  if (tokens.length !== 1) throw new Error('Invalid section');
  return { path, spec };
}

function sectionLabel(section: Section): string {
  const head = [...section.path.map(String), ...(section.spec ? [section.spec] : [])].join('.');
  return section.fields ? `${head} (${section.fields.map((f) => f.toUpperCase()).join(' ')})` : head;
}
