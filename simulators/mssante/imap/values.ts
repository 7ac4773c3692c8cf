/**
 * IMAP data as the server writes it (RFC 3501 §4): NIL, numbers, atoms, strings (quoted when safe, else a
 * literal), literals of bytes, parenthesised lists.
 */

export interface Atom {
  atom: string;
}

export interface Raw {
  /** Written as is (a section spec such as `BODY[HEADER.FIELDS (FROM)]`). */
  raw: string;
}

export type ImapValue = null | number | string | Buffer | Atom | Raw | ImapValue[];

export const atom = (value: string): Atom => ({ atom: value });
export const raw = (value: string): Raw => ({ raw: value });

/** Longest string sent as a quoted string; longer ones go as literals. */
const MAX_QUOTED = 1024;

/** Serialises a value; strings with CR, LF, NUL, 8-bit bytes or of great length go out as literals. */
export function compile(value: ImapValue, out: Buffer[] = []): Buffer[] {
  if (value === null) out.push(Buffer.from('NIL'));
  else if (typeof value === 'number') out.push(Buffer.from(String(value)));
  else if (typeof value === 'string') out.push(compileString(value));
  else if (Buffer.isBuffer(value)) {
    out.push(Buffer.from(`{${value.length}}\r\n`));
    out.push(value);
  } else if (Array.isArray(value)) {
    out.push(Buffer.from('('));
    value.forEach((v, i) => {
      if (i) out.push(Buffer.from(' '));
      compile(v, out);
    });
    out.push(Buffer.from(')'));
  } else if ('atom' in value) out.push(Buffer.from(value.atom));
  else out.push(Buffer.from(value.raw));
  return out;
}

function compileString(value: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (value.length <= MAX_QUOTED && !/[\r\n\0\x80-\uffff]/.test(value)) return Buffer.from(`"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}

export function toBuffer(value: ImapValue): Buffer {
  return Buffer.concat(compile(value));
}
