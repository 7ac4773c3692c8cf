/** IMAP4rev1 over real sockets: imapflow (STARTTLS + XOAUTH2) for what clients do, a raw client for the wire. */
import { readFileSync } from 'node:fs';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '../support/host.js';
import { alice, bob, ca, imapClient, mailboxOf, must, port, pscToken, RawClient, smtpTransport, startMailHost, xoauth2 } from './helpers.js';

const SB = 'imap-main';

describe('IMAP server', () => {
  let th: TestHost;
  let aliceToken: string;
  let bobToken: string;
  const aliceBox = mailboxOf(alice.id);
  const bobBox = mailboxOf(bob.id);
  const clients: ImapFlow[] = [];

  const bobClient = async () => {
    const c = imapClient(th, { user: `${bobBox}+${SB}`, accessToken: bobToken });
    c.on('error', () => undefined);
    clients.push(c);
    await c.connect();
    return c;
  };

  const send = async (subject: string, extra: Record<string, unknown> = {}) => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    await t.sendMail({ from: `Dr Alice <${aliceBox}>`, to: bobBox, subject, text: `Texte de ${subject}`, ...extra });
    t.close();
  };

  beforeAll(async () => {
    // Lenient: the IMAP tests carry a stand-in attachment that the content validation (strict) would refuse.
    th = await startMailHost({}, { mode: 'lenient' });
    aliceToken = await pscToken(th, SB, alice.idNat);
    bobToken = await pscToken(th, SB, bob.idNat);
    await send('Premier message');
    await send('Compte rendu avec pièce jointe', {
      html: '<p>Bonjour <b>confrère</b></p>',
      attachments: [{ filename: 'IHE_XDM.zip', content: Buffer.from('PK\u0003\u0004 fake zip'), contentType: 'application/zip' }],
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.logout().catch(() => c.close());
    await th?.close();
  });

  it('offers only STARTTLS before TLS, XOAUTH2 after; LOGIN and AUTHENTICATE need TLS', async () => {
    const raw = await RawClient.connect(port(th, 'imap'));
    const greeting = await raw.until(/^\* OK .*\r\n/m);
    expect(greeting).toMatch(/\[CAPABILITY IMAP4rev1 .*STARTTLS LOGINDISABLED/);
    expect(greeting).not.toContain('AUTH=');
    expect(await raw.command('a1', `LOGIN ${bobBox} x`)).toMatch(/a1 NO \[PRIVACYREQUIRED\]/);
    expect(await raw.command('a2', 'SELECT INBOX')).toMatch(/a2 BAD SELECT is not allowed before authentication/);
    await raw.startTls('a3', ca(th));
    const caps = await raw.command('a4', 'CAPABILITY');
    expect(caps).toMatch(/\* CAPABILITY IMAP4rev1 .*AUTH=XOAUTH2/);
    expect(caps).not.toContain('STARTTLS');
    expect(caps).toContain('LOGINDISABLED');
    // A refused token: the JSON error challenge, then NO [AUTHENTICATIONFAILED] once the client answers.
    raw.write(`a5 AUTHENTICATE XOAUTH2 ${xoauth2(`${bobBox}+${SB}`, 'bogus')}\r\n`);
    const challenge = await raw.until(/^\+ \S+\r\n/m);
    expect(JSON.parse(Buffer.from(/^\+ (\S+)/m.exec(challenge)![1]!, 'base64').toString())).toMatchObject({ status: '401' });
    raw.write('\r\n');
    expect(await raw.until(/a5 .*\r\n/)).toMatch(/a5 NO \[AUTHENTICATIONFAILED\]/);
    // Another professional's token for this mailbox.
    raw.write(`a6 AUTHENTICATE XOAUTH2 ${xoauth2(`${bobBox}+${SB}`, aliceToken)}\r\n`);
    await raw.until(/^\+ \S+\r\n/m);
    raw.write('\r\n');
    expect(await raw.until(/a6 .*\r\n/)).toMatch(/a6 NO \[AUTHENTICATIONFAILED\] Authentication failed \(.*another professional/);
    // The right one, with SASL-IR.
    expect(await raw.command('a7', `AUTHENTICATE XOAUTH2 ${xoauth2(`${bobBox}+${SB}`, bobToken)}`)).toMatch(/a7 OK \[CAPABILITY IMAP4rev1 [^\]]*\] Logged in/);
    expect(await raw.command('a8', 'LOGOUT')).toMatch(/\* BYE .*\r\na8 OK/);
    raw.close();
  });

  it('logs in with imapflow (STARTTLS + XOAUTH2), lists the special-use folders and reads STATUS', async () => {
    const c = await bobClient();
    expect(c.authenticated).toBeTruthy();
    const list = await c.list();
    expect(list.map((m) => [m.path, m.specialUse ?? null]).sort()).toEqual([
      ['Drafts', '\\Drafts'],
      ['INBOX', '\\Inbox'],
      ['Sent', '\\Sent'],
      ['Trash', '\\Trash'],
    ]);
    const status = must(await c.status('INBOX', { messages: true, unseen: true, uidNext: true, uidValidity: true }));
    expect(status).toMatchObject({ messages: 2, unseen: 2, uidNext: 3 });
    expect(Number(status.uidValidity)).toBeGreaterThan(0);
  });

  it('SELECTs INBOX and FETCHes envelope, bodystructure, flags, UID and BODY[] / parts', async () => {
    const c = await bobClient();
    const box = await c.mailboxOpen('INBOX');
    expect(box.exists).toBe(2);
    const all = await c.fetchAll('1:*', { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true });
    expect(all.map((m) => m.uid)).toEqual([1, 2]);
    const second = all[1]!;
    expect(second.envelope?.subject).toBe('Compte rendu avec pièce jointe');
    expect(second.envelope?.from?.[0]).toMatchObject({ name: 'Dr Alice', address: aliceBox });
    expect(second.envelope?.to?.[0]?.address).toBe(bobBox);
    expect(second.flags?.size).toBe(0);
    expect(second.bodyStructure?.type).toBe('multipart/mixed');
    const parts = second.bodyStructure!.childNodes!;
    expect(parts.map((p) => p.type)).toEqual(['multipart/alternative', 'application/zip']);
    expect(parts[1]).toMatchObject({ part: '2', disposition: 'attachment', dispositionParameters: { filename: 'IHE_XDM.zip' } });
    const full = must(await c.fetchOne('2', { source: true, headers: ['subject'], bodyParts: ['1.1', '2'] }));
    expect(full.source!.toString()).toContain('Subject: =?UTF-8?');
    expect(full.headers!.toString()).toMatch(/^Subject: /i);
    expect(full.bodyParts!.get('1.1')!.toString()).toContain('Texte de Compte rendu');
    const zip = await c.download('2', '2');
    const chunks: Buffer[] = [];
    for await (const chunk of must(zip.content)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('latin1')).toContain('fake zip');
    // BODY.PEEK did not set \Seen.
    expect(must(await c.fetchOne('2', { flags: true })).flags?.size).toBe(0);
  });

  it('sets \\Seen on a non-PEEK BODY[] fetch, STOREs flags (UID forms), SEARCHes', async () => {
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK/m);
    await raw.startTls('s0', ca(th));
    await raw.command('s1', `AUTHENTICATE XOAUTH2 ${xoauth2(`${bobBox}+${SB}`, bobToken)}`);
    expect(await raw.command('s2', 'SELECT INBOX')).toMatch(/\* 2 EXISTS[\s\S]*\* OK \[UIDVALIDITY \d+\][\s\S]*\* OK \[UIDNEXT 3\][\s\S]*s2 OK \[READ-WRITE\]/);
    const fetched = await raw.command('s3', 'FETCH 1 (BODY[TEXT])');
    expect(fetched).toMatch(/\* 1 FETCH \(BODY\[TEXT\] \{\d+\}\r\n/);
    expect(fetched).toMatch(/FLAGS \(\\Seen\)\)/);
    expect(await raw.command('s4', 'UID STORE 2 +FLAGS (\\Flagged $MDNSent)')).toMatch(/\* 2 FETCH \(UID 2 FLAGS \(\\Flagged \$MDNSent\)\)/);
    expect(await raw.command('s5', 'UID SEARCH UNSEEN')).toMatch(/\* SEARCH 2\r\n/);
    expect(await raw.command('s6', 'SEARCH SEEN NOT FLAGGED')).toMatch(/\* SEARCH 1\r\n/);
    expect(await raw.command('s7', 'SEARCH SUBJECT "compte rendu"')).toMatch(/\* SEARCH 2\r\n/);
    // 8-bit text in a quoted string is not IMAP4rev1, but clients send it: read as UTF-8.
    expect(await raw.command('s8', 'SEARCH BODY "confrère"')).toMatch(/\* SEARCH 2\r\n/);
    expect(await raw.command('s9', 'SEARCH CHARSET UTF-8 BODY {9}\r\nconfrère')).toMatch(/\* SEARCH 2\r\n/);
    expect(await raw.command('s10', `SEARCH FROM "${aliceBox}" KEYWORD $MDNSent`)).toMatch(/\* SEARCH 2\r\n/);
    expect(await raw.command('s11', 'SEARCH OR UID 1 LARGER 100000 SINCE 1-Jan-2000')).toMatch(/\* SEARCH 1\r\n/);
    expect(await raw.command('s12', 'SEARCH CHARSET KOI8-R ALL')).toMatch(/s12 NO \[BADCHARSET/);
    expect(await raw.command('s13', 'STORE 1 -FLAGS.SILENT (\\Seen)')).not.toMatch(/\* 1 FETCH/);
    expect(await raw.command('s14', 'FETCH 1:2 (UID FLAGS)')).toMatch(/\* 1 FETCH \(UID 1 FLAGS \(\)\)\r\n\* 2 FETCH \(UID 2 FLAGS \(\\Flagged \$MDNSent\)\)/);
    expect(await raw.command('s15', 'UID STORE 2 FLAGS ()')).toMatch(/s15 OK/);
    expect(await raw.command('s16', 'FETCH 9 FLAGS')).toMatch(/s16 BAD Invalid message sequence number/);
    expect(await raw.command('s17', 'EXAMINE INBOX')).toMatch(/s17 OK \[READ-ONLY\]/);
    expect(await raw.command('s18', 'STORE 1 +FLAGS (\\Deleted)')).toMatch(/s18 NO \[READ-ONLY\]/);
    await raw.command('s19', 'LOGOUT');
    raw.close();
  });

  it('COPY, MOVE (UIDPLUS), APPEND to Sent, EXPUNGE, folder management', async () => {
    const c = await bobClient();
    await c.mailboxOpen('INBOX');
    const copied = must(await c.messageCopy('1', 'Trash', { uid: true }));
    expect(copied).toMatchObject({ path: 'INBOX', destination: 'Trash' });
    expect([...copied.uidMap!.entries()]).toEqual([[1, 1]]);
    const moved = must(await c.messageMove('2', 'Drafts', { uid: true }));
    expect([...moved.uidMap!.entries()]).toEqual([[2, 1]]);
    expect(c.mailbox && (c.mailbox as { exists: number }).exists).toBe(1);
    const raw = Buffer.from(`From: ${bobBox}\r\nTo: ${aliceBox}\r\nSubject: Réponse\r\nMessage-ID: <sent-1@x.test>\r\n\r\nMerci\r\n`);
    const appended = await c.append('Sent', raw, ['\\Seen'], new Date('2025-06-30T10:00:00Z'));
    expect(appended).toMatchObject({ destination: 'Sent', uid: 1 });
    expect(await c.status('Sent', { messages: true, unseen: true })).toMatchObject({ messages: 1, unseen: 0 });
    await c.mailboxOpen('Trash');
    await c.messageFlagsAdd('1', ['\\Deleted'], { uid: true });
    expect(await c.messageDelete('1', { uid: true })).toBe(true);
    expect((c.mailbox as { exists: number }).exists).toBe(0);
    await c.mailboxCreate('Patients/Dupont');
    await c.mailboxRename('Patients/Dupont', 'Patients/Durand');
    const paths = (await c.list()).map((m) => m.path);
    expect(paths).toEqual(expect.arrayContaining(['Patients', 'Patients/Durand']));
    await c.mailboxDelete('Patients/Durand');
    expect((await c.list()).map((m) => m.path)).not.toContain('Patients/Durand');
    // ALREADYEXISTS: imapflow reports it as "not created".
    expect(await c.mailboxCreate('INBOX')).toMatchObject({ created: false });
    expect(must(await c.status('Drafts', { messages: true })).messages).toBe(1);
  });

  it('IDLE sees a new message and another session\'s changes', async () => {
    const c = await bobClient();
    await c.mailboxOpen('INBOX');
    const before = (c.mailbox as { exists: number }).exists;
    const exists = new Promise<number>((resolve) => c.on('exists', (e: { count: number }) => resolve(e.count)));
    const idling = c.idle();
    await new Promise((r) => setTimeout(r, 100));
    await send('Arrivé pendant IDLE');
    expect(await exists).toBe(before + 1);
    await c.noop();
    await idling.catch(() => undefined);
    const last = must(await c.fetchOne('*', { envelope: true }));
    expect(last.envelope?.subject).toBe('Arrivé pendant IDLE');
  });

  it('answers garbage with BAD and stays up', async () => {
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK/m);
    raw.write('\r\n');
    expect(await raw.until(/\r\n/)).toMatch(/^\* BAD /);
    expect(await raw.command('g1', 'FROBNICATE now')).toMatch(/g1 BAD Unknown command FROBNICATE/);
    expect(await raw.command('g2', 'FETCH (((')).toMatch(/g2 BAD/);
    raw.write(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0d, 0x0a]));
    expect(await raw.until(/BAD.*\r\n/)).toMatch(/\* BAD/);
    raw.write(`g3 LOGIN ${'x'.repeat(70_000)}\r\n`);
    expect(await raw.until(/g3 BAD.*\r\n/)).toMatch(/g3 BAD Command line too long/);
    raw.write('g4 LOGIN {99999999}\r\n');
    expect(await raw.until(/g4 BAD.*\r\n/)).toMatch(/Literal of 99999999 bytes is too large/);
    expect(await raw.command('g5', 'NOOP')).toMatch(/g5 OK NOOP completed/);
    raw.close();
    // A fresh connection still works.
    const c = await bobClient();
    expect(must(await c.status('INBOX', { messages: true })).messages).toBeGreaterThan(0);
    const journal = await th.admin.journal('default', { service: 'mssante', operation: 'imap.bad' });
    expect(journal.entries.length).toBeGreaterThan(0);
  });

  it('journals IMAP commands in the sandbox of the login', async () => {
    const entries = (await th.admin.journal(SB, { service: 'mssante' })).entries;
    const ops = new Set(entries.map((e) => e.operation));
    for (const op of ['imap.authenticate', 'imap.select', 'imap.fetch', 'imap.uid-store', 'imap.uid-copy', 'imap.uid-move', 'imap.append', 'imap.idle', 'imap.list', 'imap.status']) expect(ops).toContain(op);
    const auth = entries.find((e) => e.operation === 'imap.authenticate' && (e.summary as { status?: string }).status === 'OK')!;
    expect(auth.request.method).toMatch(/AUTHENTICATE XOAUTH2 \*\*\*/);
    expect(JSON.stringify(auth)).not.toContain(bobToken);
  });

  it('lets an applicative mailbox log in with its client certificate (EXTERNAL / cert-bound LOGIN)', async () => {
    const app = th.host.context.pki.orgClients['MSS-APP'];
    const appBox = app.subject.CN!;
    const tlsOpts = { key: readFileSync(app.keyPath), cert: readFileSync(app.chainPath) };
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK/m);
    await raw.startTls('x0', ca(th), tlsOpts);
    expect(await raw.command('x1', 'CAPABILITY')).toMatch(/AUTH=EXTERNAL/);
    expect(await raw.command('x2', 'AUTHENTICATE EXTERNAL =')).toMatch(/x2 OK \[CAPABILITY/);
    expect(await raw.command('x3', 'SELECT INBOX')).toMatch(/x3 OK/);
    raw.close();
    const c = imapClient(th, { user: appBox, pass: 'ignored' }, tlsOpts);
    clients.push(c);
    await c.connect();
    expect(c.authenticated).toBeTruthy();
    // Without the certificate, the same login is refused (no trainer mode).
    const noCert = imapClient(th, { user: appBox, pass: 'ignored' });
    noCert.on('error', () => undefined);
    await expect(noCert.connect()).rejects.toThrow();
  });

  it('lets a scenario answer an IMAP command with NO', async () => {
    await th.admin.uploadScenario(
      ['name: imap-select-down', 'rules:', '  - id: no-select', '    match: { service: mssante, operation: imap.select }', '    times: 1', '    effects:', '      - outcome: { name: mssante.imap-reply, with: { status: "NO", code: UNAVAILABLE, text: Maintenance } }'].join('\n'),
      true,
    );
    await th.admin.activate('imap-select-down', SB);
    const c = await bobClient();
    const err = (await c.mailboxOpen('INBOX').catch((e: unknown) => e)) as Error & { responseText?: string; serverResponseCode?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.serverResponseCode).toBe('UNAVAILABLE');
    expect((await c.mailboxOpen('INBOX')).exists).toBeGreaterThan(0);
    await th.admin.deactivate('imap-select-down', SB);
  });
});
