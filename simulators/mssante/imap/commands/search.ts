/**
 * SEARCH and UID SEARCH (RFC 3501 §6.4.4): every search key of IMAP4rev1, CHARSET UTF-8/US-ASCII.
 * Header keys match the decoded header (RFC 2047) case-insensitively; BODY and TEXT match the decoded
 * text of the message as mailparser reads it.
 */
// mailparser (and its HTML and charset stacks) is loaded on first use, not at host start.
import { decodedHeader, decodeWords, headerValues } from '../../mime/message.js';
import type { MessageRecord, MailStore } from '../../store/mail-store.js';
import { isAtom, text, type Token } from '../parser.js';
import { resolveSet, SequenceError } from '../sequence.js';
import type { ImapSession, Reply } from '../session.js';
import { parseInternalDate } from './mailboxes.js';
import { SELECTED, bad, no, ok, type CommandSpec } from './types.js';

export const searchCommands: Record<string, CommandSpec> = {
  SEARCH: { states: SELECTED, expungeAllowed: false, handler: (s, cmd) => search(s, cmd.args, false) },
  'UID SEARCH': { states: SELECTED, handler: (s, cmd) => search(s, cmd.args, true) },
};

type Key =
  | { op: 'all' }
  | { op: 'and'; keys: Key[] }
  | { op: 'or'; a: Key; b: Key }
  | { op: 'not'; key: Key }
  | { op: 'flag'; flag: string; set: boolean }
  | { op: 'new' }
  | { op: 'seq'; set: string; uid: boolean }
  | { op: 'size'; larger: boolean; n: number }
  | { op: 'date'; sent: boolean; cmp: 'before' | 'on' | 'since'; day: number }
  | { op: 'header'; name: string; value: string }
  | { op: 'body'; value: string; withHeaders: boolean };

class SearchSyntaxError extends Error {}

async function search(s: ImapSession, args: Token[], uidMode: boolean): Promise<Reply> {
  const tokens = [...args];
  if (isAtom(tokens[0], 'RETURN')) return bad('ESEARCH (SEARCH RETURN) is not supported');
  if (isAtom(tokens[0], 'CHARSET')) {
    const charset = text(tokens[1])?.toUpperCase();
    if (!charset) return bad('CHARSET needs a name');
    if (charset !== 'UTF-8' && charset !== 'US-ASCII') return no(`Unsupported charset ${charset}`, 'BADCHARSET (UTF-8 US-ASCII)');
    tokens.splice(0, 2);
  }
  if (!tokens.length) return bad('SEARCH needs at least one search key');
  let key: Key;
  try {
    const parser = new KeyParser(tokens);
    key = { op: 'and', keys: parser.all() };
  } catch (err) {
    if (err instanceof SearchSyntaxError || err instanceof SequenceError) return bad(err.message);
    throw err;
  }
  const sel = s.selected!;
  const folder = s.folderOf(sel.name);
  if (!folder) return no('The selected mailbox no longer exists');
  const byUid = new Map(folder.messages.map((m) => [m.uid, m]));
  const hits: number[] = [];
  try {
    for (let i = 0; i < sel.view.length; i++) {
      const record = byUid.get(sel.view[i]!);
      if (!record) continue;
      const ctx = new MatchContext(s.store!, record, i + 1, sel.view);
      if (await evaluate(key, ctx)) hits.push(uidMode ? record.uid : i + 1);
    }
  } catch (err) {
    if (err instanceof SequenceError) return bad(err.message);
    throw err;
  }
  await s.untaggedText(`SEARCH${hits.length ? ` ${hits.join(' ')}` : ''}`);
  return ok(`${uidMode ? 'UID SEARCH' : 'SEARCH'} completed`, undefined, { hits: hits.length });
}

class KeyParser {
  private i = 0;

  constructor(private readonly tokens: Token[]) {}

  all(): Key[] {
    const keys: Key[] = [];
    while (this.i < this.tokens.length) keys.push(this.key());
    return keys;
  }

  private next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new SearchSyntaxError(`Missing ${what}`);
    return t;
  }

  private str(what: string): string {
    const v = text(this.next(what));
    if (v === undefined) throw new SearchSyntaxError(`Invalid ${what}`);
    return v;
  }

  private num(what: string): number {
    const v = this.str(what);
    if (!/^\d+$/.test(v)) throw new SearchSyntaxError(`Invalid ${what}: ${v}`);
    return Number(v);
  }

  private date(): number {
    const v = this.str('date');
    const ms = parseInternalDate(`${v.padStart(11, '0')} 00:00:00 +0000`);
    if (ms === undefined) throw new SearchSyntaxError(`Invalid date ${v}: expected dd-Mon-yyyy`);
    return ms;
  }

  key(): Key {
    const t = this.next('search key');
    if (t.type === 'list') {
      const inner = new KeyParser(t.value);
      return { op: 'and', keys: inner.all() };
    }
    const word = text(t);
    if (word === undefined || t.type !== 'atom') throw new SearchSyntaxError('Invalid search key');
    if (/^[\d*:,]+$/.test(word)) return { op: 'seq', set: word, uid: false };
    const flag = (f: string, set: boolean): Key => ({ op: 'flag', flag: f, set });
    switch (word.toUpperCase()) {
      case 'ALL':
        return { op: 'all' };
      case 'ANSWERED':
        return flag('\\Answered', true);
      case 'UNANSWERED':
        return flag('\\Answered', false);
      case 'DELETED':
        return flag('\\Deleted', true);
      case 'UNDELETED':
        return flag('\\Deleted', false);
      case 'DRAFT':
        return flag('\\Draft', true);
      case 'UNDRAFT':
        return flag('\\Draft', false);
      case 'FLAGGED':
        return flag('\\Flagged', true);
      case 'UNFLAGGED':
        return flag('\\Flagged', false);
      case 'SEEN':
        return flag('\\Seen', true);
      case 'UNSEEN':
        return flag('\\Seen', false);
      case 'KEYWORD':
        return flag(this.str('keyword'), true);
      case 'UNKEYWORD':
        return flag(this.str('keyword'), false);
      case 'NEW':
        return { op: 'new' };
      case 'RECENT':
        return { op: 'new' };
      case 'OLD':
        return { op: 'not', key: { op: 'new' } };
      case 'LARGER':
        return { op: 'size', larger: true, n: this.num('size') };
      case 'SMALLER':
        return { op: 'size', larger: false, n: this.num('size') };
      case 'BEFORE':
        return { op: 'date', sent: false, cmp: 'before', day: this.date() };
      case 'ON':
        return { op: 'date', sent: false, cmp: 'on', day: this.date() };
      case 'SINCE':
        return { op: 'date', sent: false, cmp: 'since', day: this.date() };
      case 'SENTBEFORE':
        return { op: 'date', sent: true, cmp: 'before', day: this.date() };
      case 'SENTON':
        return { op: 'date', sent: true, cmp: 'on', day: this.date() };
      case 'SENTSINCE':
        return { op: 'date', sent: true, cmp: 'since', day: this.date() };
      case 'FROM':
      case 'TO':
      case 'CC':
      case 'BCC':
      case 'SUBJECT':
        return { op: 'header', name: word.toLowerCase(), value: this.str('search string') };
      case 'HEADER':
        return { op: 'header', name: this.str('header name').toLowerCase(), value: this.str('search string') };
      case 'BODY':
        return { op: 'body', value: this.str('search string'), withHeaders: false };
      case 'TEXT':
        return { op: 'body', value: this.str('search string'), withHeaders: true };
      case 'UID':
        return { op: 'seq', set: this.str('UID set'), uid: true };
      case 'NOT':
        return { op: 'not', key: this.key() };
      case 'OR': {
        const a = this.key();
        const b = this.key();
        return { op: 'or', a, b };
      }
      default:
        throw new SearchSyntaxError(`Unknown search key ${word.slice(0, 40)}`);
    }
  }
}

class MatchContext {
  private parsed: Promise<Awaited<ReturnType<MailStore['parsed']>>> | undefined;

  constructor(
    readonly store: MailStore,
    readonly record: MessageRecord,
    readonly seq: number,
    readonly view: number[],
  ) {}

  message() {
    return (this.parsed ??= this.store.parsed(this.record.blob));
  }
}

const DAY = 86_400_000;

async function evaluate(key: Key, ctx: MatchContext): Promise<boolean> {
  switch (key.op) {
    case 'all':
      return true;
    case 'and':
      for (const k of key.keys) if (!(await evaluate(k, ctx))) return false;
      return true;
    case 'or':
      return (await evaluate(key.a, ctx)) || (await evaluate(key.b, ctx));
    case 'not':
      return !(await evaluate(key.key, ctx));
    case 'flag': {
      const has = [...ctx.record.flags].some((f) => f.toLowerCase() === key.flag.toLowerCase());
      return has === key.set;
    }
    case 'new':
      return false; // \Recent is not kept (RECENT is always 0)
    case 'seq': {
      const targets = resolveSet(key.set, ctx.view, key.uid);
      return targets.some((t) => t.seq === ctx.seq);
    }
    case 'size':
      return key.larger ? ctx.record.size > key.n : ctx.record.size < key.n;
    case 'date': {
      let ms = ctx.record.internalDate;
      if (key.sent) {
        const parsed = await ctx.message();
        const date = parsed ? decodedHeader(parsed.mime.root, 'date') : undefined;
        const t = date ? Date.parse(date) : NaN;
        if (Number.isNaN(t)) return false;
        ms = t;
      }
      const day = Math.floor(ms / DAY) * DAY;
      return key.cmp === 'before' ? day < key.day : key.cmp === 'on' ? day === key.day : day >= key.day;
    }
    case 'header': {
      const parsed = await ctx.message();
      if (!parsed) return false;
      const root = parsed.mime.root;
      const needle = key.value.toLowerCase();
      const raws = headerValues(root, key.name);
      if (!raws.length) return false;
      if (!needle) return true;
      return raws.some((v) => v.toLowerCase().includes(needle) || decodeWords(v).toLowerCase().includes(needle));
    }
    case 'body': {
      const textContent = await searchableText(ctx);
      const needle = key.value.toLowerCase();
      if (textContent.body.includes(needle)) return true;
      return key.withHeaders && textContent.headers.includes(needle);
    }
  }
}

const textCache = new Map<string, Promise<{ headers: string; body: string }>>();

function searchableText(ctx: MatchContext): Promise<{ headers: string; body: string }> {
  let found = textCache.get(ctx.record.blob);
  if (!found) {
    found = (async () => {
      const parsed = await ctx.message();
      if (!parsed) return { headers: '', body: '' };
      const { simpleParser } = await import('mailparser');
      const mail = await simpleParser(parsed.raw, { skipHtmlToText: false, skipTextLinks: true });
      const headers = parsed.mime.root.headers.map(([k, v]) => `${k}: ${v}`).join('\n') + '\n' + [...mail.headers.entries()].map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n');
      const body = `${mail.text ?? ''}\n${typeof mail.html === 'string' ? mail.html.replace(/<[^>]+>/g, ' ') : ''}`;
      return { headers: headers.toLowerCase(), body: body.toLowerCase() };
    })();
    textCache.set(ctx.record.blob, found);
    if (textCache.size > 500) textCache.delete(textCache.keys().next().value!);
  }
  return found;
}
