/**
 * IMAP4rev1 command parser (RFC 3501 §9 grammar, client side of it): tag, command name and arguments —
 * atoms, quoted strings, literals (`{n}` and LITERAL+ `{n+}`), parenthesised lists, and the section/partial
 * suffix of FETCH items (`BODY.PEEK[HEADER.FIELDS (FROM)]<0.512>`). The input is one whole command as
 * `CommandFramer` delivers it: the text with every literal's bytes inline, without the final CRLF.
 */

export type Token =
  | { type: 'atom'; value: string; section?: Token[]; partial?: [number, number | undefined] }
  | { type: 'string'; value: Buffer; literal: boolean }
  | { type: 'list'; value: Token[] };

export interface ParsedCommand {
  tag: string;
  /** Upper-case command name; `UID FETCH`, `UID STORE`... for the UID forms. */
  command: string;
  args: Token[];
}

export class ImapParseError extends Error {
  constructor(
    message: string,
    /** The tag when it could be read (the BAD reply is then tagged). */
    readonly tag?: string,
  ) {
    super(message);
    this.name = 'ImapParseError';
  }
}

const SP = 0x20;
const LPAREN = 0x28;
const RPAREN = 0x29;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LT = 0x3c;
const CR = 0x0d;
const LF = 0x0a;

/** Characters that end an atom (RFC 3501 atom-specials, minus the list wildcards and `\` that flags use). */
function isAtomChar(c: number): boolean {
  return c > SP && c !== 0x7f && c !== LPAREN && c !== RPAREN && c !== LBRACE && c !== DQUOTE && c !== LBRACKET && c !== RBRACKET;
}

/** Tag characters: ASTRING-CHAR except `+` (RFC 3501 `tag`). */
function isTagChar(c: number): boolean {
  return c > SP && c < 0x7f && c !== LPAREN && c !== RPAREN && c !== LBRACE && c !== DQUOTE && c !== 0x25 && c !== 0x2a && c !== 0x2b && c !== BACKSLASH;
}

const MAX_DEPTH = 32;

export function parseCommand(input: Buffer): ParsedCommand {
  const p = new Parser(input);
  const tag = p.tag();
  if (!tag) throw new ImapParseError('Missing or invalid tag');
  if (!p.space()) throw new ImapParseError('Missing command', tag);
  const name = p.commandName();
  if (!name) throw new ImapParseError('Missing or invalid command name', tag);
  let command = name.toUpperCase();
  try {
    if (command === 'UID') {
      if (!p.space()) throw new ImapParseError('UID needs a command (FETCH, SEARCH, STORE, COPY, MOVE, EXPUNGE)', tag);
      const sub = p.commandName();
      if (!sub) throw new ImapParseError('UID needs a command (FETCH, SEARCH, STORE, COPY, MOVE, EXPUNGE)', tag);
      command = `UID ${sub.toUpperCase()}`;
    }
    const args = p.arguments();
    return { tag, command, args };
  } catch (err) {
    if (err instanceof ImapParseError && !err.tag) throw new ImapParseError(err.message, tag);
    throw err;
  }
}

/** The tag of a command line, or undefined (for a BAD reply to an unparseable command). */
export function peekTag(input: Buffer): string | undefined {
  return new Parser(input).tag() || undefined;
}

class Parser {
  pos = 0;

  constructor(private readonly buf: Buffer) {}

  private get done(): boolean {
    return this.pos >= this.buf.length;
  }

  tag(): string {
    const start = this.pos;
    while (!this.done && isTagChar(this.buf[this.pos]!)) this.pos++;
    return this.buf.toString('latin1', start, this.pos);
  }

  commandName(): string {
    const start = this.pos;
    while (!this.done && /[A-Za-z0-9-]/.test(String.fromCharCode(this.buf[this.pos]!))) this.pos++;
    const name = this.buf.toString('latin1', start, this.pos);
    if (!this.done && this.buf[this.pos] !== SP) throw new ImapParseError(`Invalid character after command name ${JSON.stringify(name)}`);
    return name;
  }

  space(): boolean {
    if (this.buf[this.pos] !== SP) return false;
    this.pos++;
    return true;
  }

  arguments(): Token[] {
    const args: Token[] = [];
    while (!this.done) {
      if (!this.space()) throw new ImapParseError(`Expected a space at position ${this.pos}`);
      if (this.done) throw new ImapParseError('Unexpected trailing space');
      args.push(this.token(0));
    }
    return args;
  }

  private token(depth: number): Token {
    if (depth > MAX_DEPTH) throw new ImapParseError('Lists nested too deeply');
    const c = this.buf[this.pos];
    if (c === undefined) throw new ImapParseError('Unexpected end of command');
    if (c === LPAREN) return this.list(depth, RPAREN);
    if (c === DQUOTE) return this.quoted();
    if (c === LBRACE) return this.literal();
    if (c === 0x7e && this.buf[this.pos + 1] === LBRACE) throw new ImapParseError('literal8 (BINARY) is not supported');
    return this.atom(depth);
  }

  private list(depth: number, close: number): Token {
    this.pos++; // ( or [
    const items: Token[] = [];
    for (;;) {
      if (this.done) throw new ImapParseError(close === RPAREN ? 'Unterminated list: missing ")"' : 'Unterminated section: missing "]"');
      const c = this.buf[this.pos]!;
      if (c === close) {
        this.pos++;
        return { type: 'list', value: items };
      }
      if (c === SP) {
        if (!items.length) throw new ImapParseError('Unexpected space after "("');
        this.pos++;
        continue;
      }
      if (c === RPAREN || c === RBRACKET || c === CR || c === LF) throw new ImapParseError(`Unexpected ${JSON.stringify(String.fromCharCode(c))} at position ${this.pos}`);
      items.push(this.token(depth + 1));
    }
  }

  private quoted(): Token {
    this.pos++;
    const bytes: number[] = [];
    for (;;) {
      if (this.done) throw new ImapParseError('Unterminated quoted string');
      const c = this.buf[this.pos++]!;
      if (c === DQUOTE) return { type: 'string', value: Buffer.from(bytes), literal: false };
      if (c === CR || c === LF) throw new ImapParseError('Line break inside a quoted string');
      if (c === BACKSLASH) {
        const next = this.buf[this.pos++];
        if (next !== DQUOTE && next !== BACKSLASH) throw new ImapParseError('Invalid escape in quoted string (only \\" and \\\\ are allowed)');
        bytes.push(next);
      } else bytes.push(c);
    }
  }

  private literal(): Token {
    const m = /^\{(\d{1,10})(\+?)\}\r\n/.exec(this.buf.toString('latin1', this.pos, Math.min(this.buf.length, this.pos + 16)));
    if (!m) throw new ImapParseError('Invalid literal: expected {n} or {n+} followed by CRLF');
    const size = Number(m[1]);
    const start = this.pos + m[0].length;
    if (start + size > this.buf.length) throw new ImapParseError('Literal shorter than announced');
    this.pos = start + size;
    return { type: 'string', value: this.buf.subarray(start, start + size), literal: true };
  }

  private atom(depth: number): Token {
    const start = this.pos;
    while (!this.done && isAtomChar(this.buf[this.pos]!)) this.pos++;
    if (this.pos === start) throw new ImapParseError(`Unexpected ${JSON.stringify(String.fromCharCode(this.buf[this.pos]!))} at position ${this.pos}`);
    const value = this.buf.toString('utf8', start, this.pos);
    if (this.buf[this.pos] !== LBRACKET) return { type: 'atom', value };
    // FETCH item with a section: BODY[...], BODY.PEEK[...], BINARY[...]
    const section = this.list(depth + 1, RBRACKET) as { type: 'list'; value: Token[] };
    const token: Token = { type: 'atom', value, section: section.value };
    if (this.buf[this.pos] === LT) {
      const m = /^<(\d{1,10})(?:\.(\d{1,10}))?>/.exec(this.buf.toString('latin1', this.pos, Math.min(this.buf.length, this.pos + 24)));
      if (!m) throw new ImapParseError('Invalid partial: expected <offset> or <offset.length>');
      token.partial = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2])];
      this.pos += m[0].length;
    }
    if (!this.done && this.buf[this.pos] !== SP && this.buf[this.pos] !== RPAREN) throw new ImapParseError(`Unexpected character after ${value}[...]`);
    return token;
  }
}

// ---- helpers for handlers ---------------------------------------------------------------------

/** An astring argument (atom, quoted or literal) as text. */
export function text(token: Token | undefined): string | undefined {
  if (!token) return undefined;
  if (token.type === 'atom' && !token.section) return token.value;
  if (token.type === 'string') return token.value.toString('utf8');
  return undefined;
}

export function isAtom(token: Token | undefined, value?: string): token is Extract<Token, { type: 'atom' }> {
  return !!token && token.type === 'atom' && !token.section && (value === undefined || token.value.toUpperCase() === value.toUpperCase());
}
