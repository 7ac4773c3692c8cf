/** Mail store durability, sandbox isolation and reset, trainer mode. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '../support/host.js';
import { adminGet, alice, bob, imapClient, mailboxOf, port, pscToken, RawClient, ca, smtpTransport, startMailHost, waitFor, xoauth2 } from './helpers.js';

const aliceBox = mailboxOf(alice.id);
const bobBox = mailboxOf(bob.id);

async function sendAs(th: TestHost, sandbox: string, token: string, subject: string, login = `${aliceBox}+${sandbox}`) {
  const t = smtpTransport(th, { user: login, accessToken: token });
  try {
    return await t.sendMail({ from: aliceBox, to: bobBox, subject, text: subject });
  } finally {
    t.close();
  }
}

async function inbox(th: TestHost, sandbox: string, token: string, login = `${bobBox}+${sandbox}`) {
  const c = imapClient(th, { user: login, accessToken: token });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.mailboxOpen('INBOX');
    const msgs = (c.mailbox as { exists: number }).exists ? await c.fetchAll('1:*', { uid: true, flags: true, envelope: true }) : [];
    return { uidValidity: String((c.mailbox as { uidValidity: bigint }).uidValidity), messages: msgs.map((m) => ({ uid: m.uid, subject: m.envelope?.subject, flags: [...(m.flags ?? [])] })) };
  } finally {
    await c.logout();
  }
}

describe('mail store on disk', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'segur-sim-mss-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps messages, UIDs, UIDVALIDITY and flags across a restart', async () => {
    const first = await startMailHost({}, { store: 'file', dataDir });
    let before;
    try {
      const tokenA = await pscToken(first, 'durable', alice.idNat);
      const tokenB = await pscToken(first, 'durable', bob.idNat);
      await sendAs(first, 'durable', tokenA, 'Persistant 1');
      await sendAs(first, 'durable', tokenA, 'Persistant 2');
      const c = imapClient(first, { user: `${bobBox}+durable`, accessToken: tokenB });
      await c.connect();
      await c.mailboxOpen('INBOX');
      await c.messageFlagsAdd('2', ['\\Seen', '$MDNSent'], { uid: true });
      await c.append('Sent', Buffer.from('Subject: brouillon\r\n\r\nx\r\n'), ['\\Seen']);
      await c.logout();
      before = await inbox(first, 'durable', tokenB);
    } finally {
      await first.close();
    }
    const second = await startMailHost({}, { store: 'file', dataDir });
    try {
      // PSC sessions are in memory: a new token after the restart.
      const tokenB = await pscToken(second, 'durable', bob.idNat);
      const after = await inbox(second, 'durable', tokenB);
      expect(after).toEqual(before);
      expect(after.messages.map((m) => m.subject)).toEqual(['Persistant 1', 'Persistant 2']);
      expect(after.messages[1]!.flags.sort()).toEqual(['$MDNSent', '\\Seen']);
      const view = await adminGet<{ mailboxes: { address: string; folders: { name: string; messages: number }[] }[] }>(second, '/_admin/sandboxes/durable/mssante/mailboxes');
      const bobView = view.mailboxes.find((m) => m.address === bobBox)!;
      expect(bobView.folders.find((f) => f.name === 'Sent')?.messages).toBe(1);
      // New messages continue the UID sequence.
      const tokenA = await pscToken(second, 'durable', alice.idNat);
      await sendAs(second, 'durable', tokenA, 'Persistant 3');
      expect((await inbox(second, 'durable', tokenB)).messages.map((m) => m.uid)).toEqual([1, 2, 3]);
    } finally {
      await second.close();
    }
  });
});

describe('sandboxes', () => {
  let th: TestHost;
  beforeAll(async () => {
    th = await startMailHost();
  });
  afterAll(async () => th?.close());

  it('keeps mailboxes of different sandboxes apart', async () => {
    const a1 = await pscToken(th, 'iso-a', alice.idNat);
    const b1 = await pscToken(th, 'iso-a', bob.idNat);
    const b2 = await pscToken(th, 'iso-b', bob.idNat);
    await sendAs(th, 'iso-a', a1, 'Seulement dans A');
    expect((await inbox(th, 'iso-a', b1)).messages.map((m) => m.subject)).toEqual(['Seulement dans A']);
    expect((await inbox(th, 'iso-b', b2)).messages).toEqual([]);
    // A token of sandbox A does not open sandbox B.
    const c = imapClient(th, { user: `${bobBox}+iso-b`, accessToken: b1 });
    c.on('error', () => undefined);
    await expect(c.connect()).rejects.toThrow();
  });

  it('takes the sandbox from the token issuer when the login names none', async () => {
    const a = await pscToken(th, 'iso-path', alice.idNat, true);
    const b = await pscToken(th, 'iso-path', bob.idNat, true);
    await sendAs(th, 'iso-path', a, 'Sandbox du jeton', aliceBox);
    expect((await inbox(th, 'iso-path', b, bobBox)).messages.map((m) => m.subject)).toEqual(['Sandbox du jeton']);
    const journal = await th.admin.journal('iso-path', { service: 'mssante', operation: 'smtp.data' });
    expect(journal.entries).toHaveLength(1);
  });

  it('empties the mailboxes on reset and ends the IMAP sessions of the sandbox', async () => {
    const a = await pscToken(th, 'iso-reset', alice.idNat);
    const b = await pscToken(th, 'iso-reset', bob.idNat);
    await sendAs(th, 'iso-reset', a, 'Avant reset');
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK/m);
    await raw.startTls('r0', ca(th));
    await raw.command('r1', `AUTHENTICATE XOAUTH2 ${xoauth2(`${bobBox}+iso-reset`, b)}`);
    expect(await raw.command('r2', 'SELECT INBOX')).toContain('* 1 EXISTS');
    await th.admin.resetSandbox('iso-reset');
    expect(await raw.until(/\* BYE .*\r\n/)).toContain('reset');
    await waitFor(() => raw.closed || undefined);
    // PSC state is reset too: new tokens.
    const b2 = await pscToken(th, 'iso-reset', bob.idNat);
    expect((await inbox(th, 'iso-reset', b2)).messages).toEqual([]);
  });
});

describe('trainer mode', () => {
  let th: TestHost;
  beforeAll(async () => {
    th = await startMailHost({ SEGUR_SIM_MSSANTE_PLAIN: '1' });
  });
  afterAll(async () => th?.close());

  it('accepts PLAIN/LOGIN with the trainer password on SMTP and IMAP, refuses a wrong one', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+trainer`, pass: 'segur-sim' });
    const info = await t.sendMail({ from: aliceBox, to: bobBox, subject: 'Formation', text: 'x' });
    expect(info.accepted).toEqual([bobBox]);
    t.close();
    const wrong = smtpTransport(th, { user: `${aliceBox}+trainer`, pass: 'nope' });
    const err = (await wrong.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as { responseCode?: number; response?: string };
    expect(err.responseCode).toBe(535);
    expect(err.response).toMatch(/^535 5\.7\.8 /);
    wrong.close();

    const c = imapClient(th, { user: `${bobBox}+trainer`, pass: 'segur-sim' });
    await c.connect();
    await c.mailboxOpen('INBOX');
    expect((c.mailbox as { exists: number }).exists).toBe(1);
    await c.logout();
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK/m);
    await raw.startTls('t0', ca(th));
    expect(await raw.command('tc', 'CAPABILITY')).toMatch(/AUTH=XOAUTH2 AUTH=PLAIN AUTH=LOGIN/);
    expect(await raw.command('t1', `LOGIN ${bobBox}+trainer wrong`)).toMatch(/t1 NO \[AUTHENTICATIONFAILED\]/);
    expect(await raw.command('t2', `LOGIN ${bobBox}+trainer segur-sim`)).toMatch(/t2 OK/);
    raw.close();
    const info2 = await adminGet<{ trainerMode: { enabled: boolean } }>(th, '/mssante');
    expect(info2.trainerMode.enabled).toBe(true);
  });
});

describe('host shutdown', () => {
  it('closes with SMTP and IMAP clients still connected, telling them so', async () => {
    const th = await startMailHost();
    const imap = await RawClient.connect(port(th, 'imap'));
    await imap.until(/^\* OK/m);
    const smtp = await RawClient.connect(port(th, 'smtp'));
    await smtp.until(/^220 /m);
    const started = Date.now();
    await th.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await imap.until(/\* BYE .*\r\n/)).toContain('shutting down');
    expect(await smtp.until(/^421 .*\r\n/m)).toContain('shutting down');
    await waitFor(() => (imap.closed && smtp.closed) || undefined);
  });
});
