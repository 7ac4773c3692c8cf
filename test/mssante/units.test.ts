/** Unit tests of the pieces the MSSanté servers stand on: IMAP parser, framer, sequence sets, MIME model, DSN, auth helpers. */
import { describe, expect, it } from 'vitest';
import { parseLogin, parseXoauth2, sandboxOfToken } from '../../simulators/mssante/auth.js';
import { directoryOf } from '../../simulators/mssante/directory.js';
import { sectionContent } from '../../simulators/mssante/imap/commands/fetch.js';
import { matches, parseInternalDate, formatInternalDate } from '../../simulators/mssante/imap/commands/mailboxes.js';
import { CommandFramer } from '../../simulators/mssante/imap/framer.js';
import { ImapParseError, parseCommand, type Token } from '../../simulators/mssante/imap/parser.js';
import { compactSet, resolveSet, SequenceError } from '../../simulators/mssante/imap/sequence.js';
import { toBuffer } from '../../simulators/mssante/imap/values.js';
import { bodyStructure, envelope } from '../../simulators/mssante/mime/imap-structure.js';
import { parseMime } from '../../simulators/mssante/mime/message.js';
import { buildDsn } from '../../simulators/mssante/smtp/dsn.js';
import { traceHeaders } from '../../simulators/mssante/smtp/delivery.js';
import { trustListXml } from '../../simulators/mssante/trust-list.js';
import { world } from './helpers.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const str = (t: Token | undefined) => (t?.type === 'string' ? t.value.toString() : t?.type === 'atom' ? t.value : undefined);

describe('IMAP command parser', () => {
  it('reads tag, command, atoms, quoted strings, literals and lists', () => {
    const cmd = parseCommand(b('a1 LOGIN "jean \\"le\\" doc" {5}\r\nse\\cr'));
    expect(cmd.tag).toBe('a1');
    expect(cmd.command).toBe('LOGIN');
    expect(str(cmd.args[0])).toBe('jean "le" doc');
    expect(cmd.args[1]).toMatchObject({ type: 'string', literal: true });
    expect(str(cmd.args[1])).toBe('se\\cr');
    const st = parseCommand(b('x STATUS INBOX (MESSAGES UIDNEXT)'));
    expect(st.args[1]).toEqual({ type: 'list', value: [{ type: 'atom', value: 'MESSAGES' }, { type: 'atom', value: 'UIDNEXT' }] });
  });

  it('reads the UID forms and FETCH sections with partials', () => {
    const cmd = parseCommand(b('7 uid fetch 1:* (UID BODY.PEEK[HEADER.FIELDS (From Subject)]<0.512> BODY[1.2.MIME] BODY[])'));
    expect(cmd.command).toBe('UID FETCH');
    const items = (cmd.args[1] as Extract<Token, { type: 'list' }>).value;
    expect(items[1]).toMatchObject({ type: 'atom', value: 'BODY.PEEK', partial: [0, 512] });
    expect((items[1] as { section: Token[] }).section[1]).toMatchObject({ type: 'list' });
    expect(items[2]).toMatchObject({ value: 'BODY', section: [{ type: 'atom', value: '1.2.MIME' }] });
    expect(items[3]).toMatchObject({ value: 'BODY', section: [] });
  });

  it('accepts LITERAL+ and nested lists, keeps flags with backslashes', () => {
    const cmd = parseCommand(b('t APPEND Sent (\\Seen $MDNSent) "17-Jul-1996 02:44:25 -0700" {3+}\r\nabc'));
    expect(str(cmd.args[0])).toBe('Sent');
    expect(cmd.args[1]).toEqual({ type: 'list', value: [{ type: 'atom', value: '\\Seen' }, { type: 'atom', value: '$MDNSent' }] });
    expect(str(cmd.args[3])).toBe('abc');
  });

  it.each([
    ['', 'Missing or invalid tag'],
    ['+tag NOOP', 'Missing or invalid tag'],
    ['a1', 'Missing command'],
    ['a1 FETCH (1', 'Unterminated list'],
    ['a1 LOGIN "abc', 'Unterminated quoted string'],
    ['a1 LOGIN {10}\r\nabc', 'Literal shorter than announced'],
    ['a1 FETCH 1 BODY[HEADER', 'Unterminated section'],
    ['a1 NOOP  ', 'Unexpected'],
    ['a1 FETCH 1 )', 'Unexpected'],
    ['a1 SEARCH "a\\x"', 'Invalid escape'],
  ])('refuses %j', (input, message) => {
    let err: unknown;
    try {
      parseCommand(b(input));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImapParseError);
    expect((err as Error).message).toContain(message);
  });

  it('keeps the tag of a bad command for a tagged BAD', () => {
    try {
      parseCommand(b('z9 FETCH (('));
    } catch (e) {
      expect((e as ImapParseError).tag).toBe('z9');
    }
  });
});

describe('command framer', () => {
  const frame = (chunks: string[], maxLiteral = 100) => {
    const commands: string[] = [];
    const events: string[] = [];
    const f = new CommandFramer({
      maxLineBytes: 50,
      maxLiteral: () => maxLiteral,
      onContinue: () => events.push('+'),
      onCommand: (c) => commands.push(c.toString('latin1')),
      onReject: (head, reason) => events.push(`reject:${reason}:${head.toString('latin1').split(' ')[0]}`),
    });
    for (const c of chunks) f.push(b(c));
    return { commands, events };
  };

  it('joins literals split over chunks and asks for synchronizing ones', () => {
    const r = frame(['a LOGIN {3}\r', '\nab', 'c {2+}\r\nxy\r\nb NOOP\r\n']);
    expect(r.commands).toEqual(['a LOGIN {3}\r\nabc {2+}\r\nxy', 'b NOOP']);
    expect(r.events).toEqual(['+']);
  });

  it('refuses too long lines and too large literals, then goes on', () => {
    const r = frame([`a ${'x'.repeat(80)}\r\n`, 'b APPEND INBOX {500}\r\n', 'c APPEND INBOX {500+}\r\n', 'y'.repeat(500), '\r\nd NOOP\r\n']);
    expect(r.events).toEqual(['reject:line-too-long:a', 'reject:literal-too-large:b', 'reject:literal-too-large:c']);
    expect(r.commands).toEqual(['d NOOP']);
  });
});

describe('sequence sets', () => {
  const view = [3, 5, 9, 10];
  it('resolves sequence numbers and UIDs', () => {
    expect(resolveSet('2:*', view, false).map((t) => t.uid)).toEqual([5, 9, 10]);
    expect(resolveSet('*:3', view, false).map((t) => t.seq)).toEqual([3, 4]);
    expect(resolveSet('4:9', view, true).map((t) => t.uid)).toEqual([5, 9]);
    expect(resolveSet('20:*', view, true).map((t) => t.uid)).toEqual([10]);
    expect(resolveSet('11:20', view, true)).toEqual([]);
    expect(resolveSet('1:*', [], true)).toEqual([]);
  });
  it('refuses garbage and out-of-range sequence numbers', () => {
    expect(() => resolveSet('5', view, false)).toThrow(SequenceError);
    expect(() => resolveSet('a:b', view, true)).toThrow(SequenceError);
    expect(() => resolveSet('0', view, true)).toThrow(SequenceError);
  });
  it('compacts UID lists', () => {
    expect(compactSet([1, 2, 3, 7, 9, 10])).toBe('1:3,7,9:10');
  });
});

describe('mailbox names and dates', () => {
  it('matches LIST wildcards', () => {
    expect(matches('*', 'a/b')).toBe(true);
    expect(matches('%', 'a/b')).toBe(false);
    expect(matches('a/%', 'a/b')).toBe(true);
    expect(matches('inbox', 'INBOX')).toBe(true);
    expect(matches('Se%', 'Sent')).toBe(true);
  });
  it('parses and formats INTERNALDATE', () => {
    const ms = parseInternalDate('17-Jul-1996 02:44:25 -0700')!;
    expect(new Date(ms).toISOString()).toBe('1996-07-17T09:44:25.000Z');
    expect(formatInternalDate(ms)).toBe('17-Jul-1996 09:44:25 +0000');
    expect(parseInternalDate('1996-07-17')).toBeUndefined();
  });
});

const MULTIPART = [
  'From: "Dr =?utf-8?q?J=C3=A9r=C3=B4me?= Martin" <jerome.martin@medecin.simu.mssante.test>',
  'To: a@x.test, Group: b@x.test, c@x.test;',
  'Subject: =?utf-8?q?Compte_rendu?=',
  'Date: Tue, 01 Jul 2025 10:00:00 +0200',
  'Message-ID: <m1@x.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="OUT"',
  '',
  'preamble',
  '--OUT',
  'Content-Type: multipart/alternative; boundary=IN',
  '',
  '--IN',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Bonjour =C3=A0 vous',
  '--IN',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Bonjour</p>',
  '--IN--',
  '',
  '--OUT',
  'Content-Type: application/zip; name="IHE_XDM.zip"',
  'Content-Disposition: attachment; filename="IHE_XDM.zip"',
  'Content-Transfer-Encoding: base64',
  '',
  'UEsDBA==',
  '--OUT',
  'Content-Type: message/rfc822',
  '',
  'Subject: inner',
  'From: x@y.test',
  '',
  'inner body',
  '--OUT--',
  '',
].join('\r\n');

describe('MIME model', () => {
  it('builds ENVELOPE and BODYSTRUCTURE with exact offsets', async () => {
    const raw = Buffer.from(MULTIPART);
    const mime = parseMime(raw);
    const env = toBuffer(envelope(mime)).toString();
    expect(env).toContain('"Tue, 01 Jul 2025 10:00:00 +0200" "=?utf-8?q?Compte_rendu?="');
    expect(env).toContain('(("Dr =?utf-8?q?J=C3=A9r=C3=B4me?= Martin" NIL "jerome.martin" "medecin.simu.mssante.test"))');
    expect(env).toContain('(NIL NIL "Group" NIL)');
    const bs = toBuffer(bodyStructure(mime, raw, true)).toString();
    expect(bs).toMatch(/^\(\(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "QUOTED-PRINTABLE" 19 1 NIL NIL NIL NIL\)/);
    expect(bs).toContain('"ALTERNATIVE" ("BOUNDARY" "IN")');
    expect(bs).toContain('("APPLICATION" "ZIP" ("NAME" "IHE_XDM.zip") NIL NIL "BASE64" 8 NIL ("ATTACHMENT" ("FILENAME" "IHE_XDM.zip")) NIL NIL)');
    expect(bs).toContain('("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 44 (NIL "inner"');
    expect(bs).toMatch(/"MIXED" \("BOUNDARY" "OUT"\) NIL NIL NIL\)$/);

    const section = (path: number[], spec: string, fields?: string[]) => sectionContent({ raw, mime }, { path, spec, fields })?.toString();
    expect(section([1, 1], '')).toBe('Bonjour =C3=A0 vous');
    expect(section([1, 2], 'MIME')).toBe('Content-Type: text/html; charset=utf-8\r\n\r\n');
    expect(section([1], '')).toBe('--IN\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nBonjour =C3=A0 vous\r\n--IN\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour</p>\r\n--IN--\r\n');
    expect(section([2], '')).toBe('UEsDBA==');
    expect(section([3], 'HEADER')).toBe('Subject: inner\r\nFrom: x@y.test\r\n\r\n');
    expect(section([3], 'TEXT')).toBe('inner body');
    expect(section([3, 1], '')).toBe('inner body');
    expect(section([], 'HEADER.FIELDS', ['subject', 'MESSAGE-ID'])).toBe('Subject: =?utf-8?q?Compte_rendu?=\r\nMessage-ID: <m1@x.test>\r\n\r\n');
    expect(section([9], '')).toBeUndefined(); // NIL
  });

  it('serves a single-part message and garbage without throwing', async () => {
    const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    const mime = parseMime(raw);
    expect(toBuffer(bodyStructure(mime, raw, false)).toString()).toBe('("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" 6 1)');
    expect(sectionContent({ raw, mime }, { path: [1], spec: '' })?.toString()).toBe('body\r\n');
    const junk = Buffer.from([0, 1, 2, 255, 10, 13, 10, 0x2d, 0x2d]);
    expect(parseMime(junk).root.bodyEnd).toBe(junk.length);
  });
});

describe('MIME splitting', () => {
  const tree = (raw: Buffer, part = parseMime(raw).root): unknown => ({
    type: part.contentType.value,
    body: raw.subarray(part.bodyStart, part.bodyEnd).toString('latin1'),
    ...(part.children.length ? { children: part.children.map((c) => tree(raw, c)) } : {}),
  });
  const NESTED = ['Content-Type: multipart/mixed; boundary="OUT"', '', 'preamble --OUT', '--OUT', 'Content-Type: multipart/alternative; boundary=IN', '', '--IN', '', 'texte --IN not a delimiter', '--INx is not one either', '--IN \t', 'Content-Type: text/html', '', '<p>', '--IN--', '--OUT', 'Content-Type: text/plain', '--OUT--', 'epilogue', '--OUT', 'after the close delimiter', ''];

  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
  ])('splits nested multiparts with %s line endings: preamble and epilogue dropped, delimiters only at line starts, padding allowed', (_, eol) => {
    const raw = b(NESTED.join(eol));
    expect(tree(raw)).toEqual({
      type: 'multipart/mixed',
      body: raw.toString('latin1').slice(raw.indexOf(`${eol}${eol}`) + 2 * eol.length),
      children: [
        {
          type: 'multipart/alternative',
          body: ['--IN', '', 'texte --IN not a delimiter', '--INx is not one either', '--IN \t', 'Content-Type: text/html', '', '<p>', '--IN--'].join(eol),
          children: [
            { type: 'text/plain', body: ['texte --IN not a delimiter', '--INx is not one either'].join(eol) },
            { type: 'text/html', body: '<p>' },
          ],
        },
        // A part with a header and no empty line: all header, empty body.
        { type: 'text/plain', body: '' },
      ],
    });
  });

  it('stops splitting at 5000 parts and 64 levels of nesting, leaving the rest opaque', () => {
    const many = parseMime(b(`Content-Type: multipart/mixed; boundary=B\r\n\r\n${'--B\r\n\r\nz\r\n'.repeat(6000)}--B--\r\n`));
    expect(many.root.children.length).toBe(4999);
    let deep = '';
    for (let i = 0; i < 100; i++) deep += `--D${i}\r\nContent-Type: multipart/mixed; boundary=D${i + 1}\r\n\r\n`;
    let part = parseMime(b(`Content-Type: multipart/mixed; boundary=D0\r\n\r\n${deep}`)).root;
    let depth = 0;
    while (part.children[0]) [part, depth] = [part.children[0], depth + 1];
    expect(depth).toBe(64);
    expect(part.contentType.value).toBe('multipart/mixed');
  });

  it('ends an unclosed multipart at the end of the message, and a part with no header at its first line', () => {
    const raw = b('Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n\r\nsans en-tête\r\n--B\r\nContent-Type: text/csv\r\n\r\na;b\r\n');
    expect(tree(raw)).toMatchObject({ children: [{ type: 'text/plain', body: 'sans en-tête' }, { type: 'text/csv', body: 'a;b\r\n' }] });
  });
});

describe('delivery helpers', () => {
  it('adds trace headers and a missing Message-ID / Date', () => {
    const out = traceHeaders(Buffer.from('Subject: x\r\n\r\nbody'), { mailFrom: 'a@b.test', transaction: 'ABC', client: { helo: 'lgc', address: '127.0.0.1' }, arrival: new Date('2025-01-01T00:00:00Z') }).toString();
    expect(out).toMatch(/^Return-Path: <a@b\.test>\r\nReceived: from lgc \(\[127\.0\.0\.1\]\)/);
    expect(out).toContain('Subject: x\r\nMessage-ID: <ABC@');
    expect(out).toContain('Date: Wed, 01 Jan 2025 00:00:00 +0000\r\n\r\nbody');
  });

  it('builds an RFC 3464 report', async () => {
    const dsn = buildDsn({ to: 'a@b.test', envid: 'E1', ret: 'HDRS', arrivalDate: new Date(), recipients: [{ address: 'x@y.test', orcpt: 'rfc822;x@y.test', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 nope' }], original: Buffer.from('Subject: s\r\n\r\nbody') });
    const mime = parseMime(dsn);
    expect(mime.root.contentType).toMatchObject({ value: 'multipart/report', params: { 'report-type': 'delivery-status' } });
    expect(mime.root.children.map((c) => c.contentType.value)).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    const text = dsn.toString();
    expect(text).toContain('Original-Envelope-Id: E1');
    expect(text).toContain('Final-Recipient: rfc822; x@y.test\r\nOriginal-Recipient: rfc822;x@y.test\r\nAction: failed\r\nStatus: 5.1.1');
    expect(text).not.toContain('body');
  });
});

describe('auth helpers and directory', () => {
  it('splits the sandbox off the login', () => {
    expect(parseLogin('Jean@X.test+ci-42')).toEqual({ address: 'jean@x.test', sandbox: 'ci-42' });
    expect(parseLogin('jean+tag@x.test')).toEqual({ address: 'jean+tag@x.test' });
  });
  it('parses XOAUTH2 and reads the sandbox of a token issuer', () => {
    expect(parseXoauth2('user=a@b\x01auth=Bearer tok.en\x01\x01')).toEqual({ user: 'a@b', token: 'tok.en' });
    expect(parseXoauth2('user=a@b\x01\x01')).toBeUndefined();
    const jwt = `x.${Buffer.from(JSON.stringify({ iss: 'http://h/_sandbox/ci-7/auth/realms/esante-wallet' })).toString('base64url')}.y`;
    expect(sandboxOfToken(jwt)).toBe('ci-7');
    expect(sandboxOfToken('garbage')).toBeUndefined();
  });
  it('applies the ownership and delegation rule', () => {
    const dir = directoryOf(world);
    const [p1, p2] = world.professionals;
    const per = world.mailboxes.find((m) => m.ownerId === p1!.id && m.type === 'PER')!.address;
    expect(dir.access(p1!.idNat, per)).toEqual({ ok: true, role: 'owner' });
    expect(dir.access(p2!.idNat, per).ok).toBe(false);
    const org = world.mailboxes.find((m) => m.type === 'ORG' && m.structureId === 'st-001')!.address;
    expect(dir.access(p1!.idNat, org)).toEqual({ ok: true, role: 'delegate' });
    const app = world.mailboxes.find((m) => m.type === 'APP')!.address;
    expect(dir.access(p1!.idNat, app).ok).toBe(false);
    const patient = world.patients.find((p) => p.mssPatientAddress)!.mssPatientAddress!;
    expect(dir.get(patient)?.type).toBe('PAT');
    expect(dir.access(p1!.idNat, patient).ok).toBe(false);
  });
  it('lists every served domain in the trust list', () => {
    const xml = trustListXml(directoryOf(world), new Date());
    expect(xml).toContain('<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema">');
    expect(xml).toContain('<Domaine><Nom>patient.simu.mssante.test</Nom></Domaine>');
    for (const s of world.structures) expect(xml).toContain(`<Nom>${s.mssDomain}</Nom>`);
  });
});
