/**
 * Scenario effects on the MSSanté SMTP/IMAP listeners, over real sockets (nodemailer, imapflow, a raw client),
 * activated through the admin API. Each test checks what the client sees, the journal entry naming the rule that
 * fired, and that the server serves the next clean session. The ready-made files are loaded from
 * `scenarios/mssante-*.yaml` (generic effects) and `scenarios/mssante-outcomes/*.yaml` (MSSanté outcomes).
 *
 * | ready-made scenario | effect |
 * |---|---|
 * | mssante-smtp-down | greeting `421 4.3.2` for 2 minutes |
 * | mssante-smtp-temp-fail | `451 4.3.0` at RCPT for the next 3 transactions |
 * | mssante-smtp-perm-fail | `554 5.7.1` after DATA, once |
 * | mssante-slow-accept | log-normal latency at the greeting, after DATA, and on IMAP SELECT/FETCH |
 * | mssante-imap-flaky | ~10 % of FETCH/SELECT/IDLE reset, ~5 % of connections hang at the greeting |
 * | mssante-imap-bye | the 3rd FETCH gets `* BYE [UNAVAILABLE]` and the connection closes |
 * | mssante-token-expired | 5th IMAP command after login: `* BYE Session invalidated - AccessTokenExpired`; SMTP MAIL: `530 5.7.0` |
 * | mssante-token-exp | honour the PSC token's real `exp` on long sessions |
 * | mssante-mailbox-full | RCPT `452 4.2.2`, IMAP APPEND/COPY/MOVE `NO [OVERQUOTA]` |
 * | mssante-bounce | next recipient accepted (250) then bounced with a DSN 5.1.1 |
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntryView } from '../../client/admin.js';
import type { TestHost } from '../support/host.js';
import { adminGet, alice, bob, ca, imapClient, mailboxOf, port, pscToken, RawClient, smtpTransport, startMailHost, waitFor, xoauth2 } from './helpers.js';

const SB = 'mss-scen';
const PASS = 'segur-sim';
const OUTCOME_DIR = 'scenarios/mssante-outcomes';

function scenarioText(name: string): string {
  const top = join('scenarios', `${name}.yaml`);
  try {
    return readFileSync(top, 'utf8');
  } catch {
    return readFileSync(join(OUTCOME_DIR, `${name}.yaml`), 'utf8');
  }
}

interface MessagesView {
  messages: { uid: number; subject?: string; contentType?: string }[];
}

describe('MSSanté scenario effects', () => {
  let th: TestHost;
  const aliceBox = mailboxOf(alice.id);
  const bobBox = mailboxOf(bob.id);
  const active = new Map<string, string>();
  const clients: ImapFlow[] = [];

  /**
   * Uploads and activates a scenario. The SMTP greeting and the IMAP greeting come before the login that names
   * the sandbox, so `smtp.connect` / `imap.connect` rules are decided in the `default` sandbox (see scenarios.md).
   */
  const activate = async (name: string, yaml?: string, sandbox = SB) => {
    await th.admin.uploadScenario(yaml ?? scenarioText(name), true);
    await th.admin.activate(name, sandbox);
    active.set(name, sandbox);
  };
  const inline = (name: string, rules: string[], sandbox = SB) => activate(name, [`name: ${name}`, 'rules:', ...rules].join('\n'), sandbox);
  const smtp = (user = aliceBox) => smtpTransport(th, { user: `${user}+${SB}`, pass: PASS });
  const imap = async (user = bobBox) => {
    const c = imapClient(th, { user: `${user}+${SB}`, pass: PASS });
    c.on('error', () => undefined);
    clients.push(c);
    await c.connect();
    return c;
  };
  const send = async (subject: string) => {
    const t = smtp();
    try {
      return await t.sendMail({ from: aliceBox, to: bobBox, subject, text: 'x' });
    } finally {
      t.close();
    }
  };
  const fail = async (subject: string) => {
    const t = smtp();
    try {
      return (await t.sendMail({ from: aliceBox, to: bobBox, subject, text: 'x' }).then(
        () => {
          throw new Error('expected the submission to fail');
        },
        (e: unknown) => e,
      )) as Error & { responseCode?: number; response?: string; code?: string };
    } finally {
      t.close();
    }
  };
  /** Journal entries of the sandbox decided by a sandbox scenario rule. */
  const decided = async (operation: string, rule: string, sandbox = SB): Promise<JournalEntryView[]> => {
    const { entries } = await th.admin.journal(sandbox, { service: 'mssante', operation, channel: 'sandbox' });
    return entries.filter((e) => e.decision?.fired.some((f) => f.rule === rule));
  };
  const rawImapLogin = async (user = bobBox) => {
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK .*\r\n/m);
    await raw.startTls('t0', ca(th));
    expect(await raw.command('t1', `LOGIN ${user}+${SB} ${PASS}`)).toMatch(/^t1 OK/m);
    return raw;
  };

  beforeAll(async () => {
    th = await startMailHost({ SEGUR_SIM_MSSANTE_PLAIN: '1' }, { 'psc.accessTokenTtl': 2 } as never);
    await send('seed 1');
    await send('seed 2');
    await send('seed 3');
  });
  afterEach(async () => {
    for (const [name, sandbox] of active) await th.admin.deactivate(name, sandbox).catch(() => undefined);
    active.clear();
    for (const c of clients.splice(0)) await c.logout().catch(() => c.close());
  });
  afterAll(async () => th?.close());

  it('loads every ready-made MSSanté scenario through the admin API', async () => {
    const files = [...readdirSync('scenarios').filter((f) => /^mssante-.*\.yaml$/.test(f)), ...readdirSync(OUTCOME_DIR).map((f) => `mssante-outcomes/${f}`)];
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const { name } = await th.admin.uploadScenario(readFileSync(join('scenarios', f), 'utf8'), true);
      expect(`${name}.yaml`).toBe(f.replace(/^mssante-outcomes\//, ''));
    }
  });

  it('refuses the greeting with 421 (mssante-smtp-down), then serves the next session once deactivated', async () => {
    await activate('mssante-smtp-down', undefined, 'default');
    const err = await fail('during outage');
    expect(err.responseCode).toBe(421);
    // The greeting comes before EHLO: no enhanced status code there (RFC 2034 §3), the text of the params only.
    expect(err.response).toBe('421 Service not available, closing transmission channel');
    // No login happened: the refused greeting is journaled in the default sandbox.
    await waitFor(async () => ((await decided('smtp.connect', 'greeting-421', 'default')).length ? true : undefined));
    await th.admin.deactivate('mssante-smtp-down', 'default');
    expect((await send('after outage')).accepted).toEqual([bobBox]);
  });

  it('refuses the greeting with 554 (permanent) from an inline rule', async () => {
    await inline('mss-greet-554', ['  - id: g554', '    match: { service: mssante, operation: smtp.connect }', '    times: 1', '    effects:', '      - outcome: { name: mssante.smtp-reply, with: { code: 554, enhanced: "5.3.2", message: No SMTP service here } }'], 'default');
    const raw = await RawClient.connect(port(th, 'smtp'));
    expect(await raw.until(/^554 .*\r\n/m)).toMatch(/^554 No SMTP service here\r\n/m);
    await waitFor(() => raw.closed);
    raw.close();
    expect((await send('after 554 greeting')).accepted).toEqual([bobBox]);
  });

  it('answers MAIL FROM with 4xx then 5xx, with the code and text of the params', async () => {
    await inline('mss-mail-codes', [
      '  - id: mail-450',
      '    match: { service: mssante, operation: smtp.mail }',
      '    times: 1',
      '    effects:',
      '      - outcome: { name: mssante.smtp-reply, with: { code: 450, enhanced: "4.7.1", message: Sender temporarily blocked } }',
      '  - id: mail-550',
      '    match: { service: mssante, operation: smtp.mail }',
      '    after: 1',
      '    times: 1',
      '    effects:',
      '      - outcome: { name: mssante.smtp-reply, with: { code: 550, enhanced: "5.7.1", message: Sender blocked } }',
    ]);
    expect((await fail('mail 450')).response).toBe('450 4.7.1 Sender temporarily blocked');
    expect((await fail('mail 550')).response).toBe('550 5.7.1 Sender blocked');
    expect((await send('mail ok')).accepted).toEqual([bobBox]);
    expect(await decided('smtp.mail', 'mail-450')).toHaveLength(1);
    expect(await decided('smtp.mail', 'mail-550')).toHaveLength(1);
  });

  it('answers RCPT TO with 451 three times (mssante-smtp-temp-fail), then recovers', async () => {
    await activate('mssante-smtp-temp-fail');
    for (let i = 0; i < 3; i++) expect((await fail(`rcpt ${i}`)).response).toBe('451 4.3.0 Temporary local problem - please try later');
    expect((await send('rcpt ok')).accepted).toEqual([bobBox]);
    const entries = await decided('smtp.rcpt', 'rcpt-451');
    expect(entries).toHaveLength(3);
    expect(entries[0]!.response.status).toBe(451);
    expect(entries[0]!.decision?.explain).toMatch(/mssante-smtp-temp-fail.*rcpt-451/);
  });

  it('refuses after DATA with 554 5.7.1 (mssante-smtp-perm-fail), nothing is delivered, the next message is', async () => {
    await activate('mssante-smtp-perm-fail');
    const before = (await adminGet<MessagesView>(th, `/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(bobBox)}/messages`)).messages.length;
    expect((await fail('data refused')).response).toBe("554 5.7.1 Message rejected by the operator's policy");
    expect((await send('data ok')).accepted).toEqual([bobBox]);
    const after = (await adminGet<MessagesView>(th, `/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(bobBox)}/messages`)).messages;
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)!.subject).toBe('data ok');
    expect(await decided('smtp.data', 'data-554')).toHaveLength(1);
  });

  it('delays the greeting, DATA and IMAP SELECT with fixed and log-normal latencies (slow accept)', async () => {
    await inline('mss-slow', [
      '  - id: slow-data',
      '    match: { service: mssante, operation: smtp.data }',
      '    effects: [{ latency: { lognormal: { median: 100ms, sigma: 0.5, max: 400ms } } }]',
      '  - id: slow-select',
      '    match: { service: mssante, operation: imap.select }',
      '    effects: [{ latency: 120ms }]',
    ]);
    await inline('mss-slow-greeting', ['  - id: slow-connect', '    match: { service: mssante, operation: smtp.connect }', '    effects: [{ latency: 150ms }]'], 'default');
    expect((await send('slow')).accepted).toEqual([bobBox]);
    const [connect] = await decided('smtp.connect', 'slow-connect');
    expect(connect!.decision!.latencyMs).toBe(150);
    expect(connect!.response.status).toBe(220);
    const [data] = await decided('smtp.data', 'slow-data');
    expect(data!.decision!.latencyMs).toBeGreaterThan(0);
    expect(data!.decision!.latencyMs).toBeLessThanOrEqual(400);
    expect(data!.response.status).toBe(250);
    const c = await imap();
    await c.mailboxOpen('INBOX');
    const [select] = await decided('imap.select', 'slow-select');
    expect(select!.decision!.latencyMs).toBe(120);
  });

  it('mssante-slow-accept loads and delays the greeting with its log-normal draw', async () => {
    await activate('mssante-slow-accept', undefined, 'default');
    const raw = await RawClient.connect(port(th, 'smtp'));
    await raw.until(/^220 .*\r\n/m, 10_000);
    raw.close();
    const entries = await waitFor(async () => {
      const e = await decided('smtp.connect', 'slow-greeting', 'default');
      return e.length ? e : undefined;
    });
    expect(entries[0]!.decision!.latencyMs).toBeGreaterThan(0);
    expect(entries[0]!.decision!.latencyMs).toBeLessThanOrEqual(8000);
  }, 15_000);

  it('ends an IMAP session with * BYE at the 3rd FETCH (mssante-imap-bye), then serves a new session', async () => {
    await activate('mssante-imap-bye');
    const raw = await rawImapLogin();
    await raw.command('s', 'SELECT INBOX');
    expect(await raw.command('f1', 'FETCH 1 (UID FLAGS)')).toMatch(/^f1 OK/m);
    expect(await raw.command('f2', 'UID FETCH 1:* (UID)')).toMatch(/^f2 OK/m);
    raw.write('f3 FETCH 1 (ENVELOPE)\r\n');
    expect(await raw.until(/^\* BYE .*\r\n/m)).toMatch(/^\* BYE \[UNAVAILABLE\] Server shutting down\r\n/m);
    await waitFor(() => raw.closed);
    raw.close();
    expect(await decided('imap.fetch', 'bye-at-fetch')).toHaveLength(1);
    const c = await imap();
    expect((await c.mailboxOpen('INBOX')).exists).toBeGreaterThan(0);
  });

  it('resets the connection at a chosen IMAP command (transport connection-reset), imapflow sees the close', async () => {
    await inline('mss-imap-reset', ['  - id: reset-select', '    match: { service: mssante, operation: imap.select }', '    times: 1', '    effects: [{ transport: connection-reset }]']);
    const c = await imap();
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    await expect(c.mailboxOpen('INBOX')).rejects.toThrow();
    await closed;
    expect(await decided('imap.select', 'reset-select')).toHaveLength(1);
    const again = await imap();
    expect((await again.mailboxOpen('INBOX')).exists).toBeGreaterThan(0);
  });

  it('mssante-imap-flaky loads; its reset applies to FETCH', async () => {
    await activate('mssante-imap-flaky');
    // Probability 0.1: drive enough FETCHes to see a reset (seeded: the same run draws the same values).
    let resets = 0;
    for (let i = 0; i < 40 && resets === 0; i++) {
      const raw = await rawImapLogin();
      await raw.command('s', 'EXAMINE INBOX').catch(() => '');
      for (let j = 0; j < 5 && !raw.closed; j++) {
        raw.write(`f${j} FETCH 1 (UID)\r\n`);
        await raw.until(new RegExp(`^f${j} OK`, 'm'), 3000).catch(() => '');
      }
      if (raw.closed) resets++;
      raw.close();
    }
    expect(resets).toBeGreaterThan(0);
    const { entries } = await th.admin.journal(SB, { service: 'mssante', channel: 'sandbox' });
    expect(entries.some((e) => e.decision?.fired.some((f) => f.rule === 'reset-mid-session') && /reset by scenario/.test(e.error ?? ''))).toBe(true);
  }, 30_000);

  it('token expiry mid-session (mssante-token-expired): IMAP * BYE AccessTokenExpired, SMTP 530 at MAIL', async () => {
    await activate('mssante-token-expired');
    const raw = await rawImapLogin();
    let seen = '';
    for (let i = 0; i < 8 && !raw.closed; i++) {
      raw.write(`n${i} NOOP\r\n`);
      seen += await raw.until(new RegExp(`^(n${i} OK|\\* BYE).*\\r\\n`, 'm')).catch(() => '');
    }
    expect(seen).toMatch(/^\* BYE Session invalidated - AccessTokenExpired\r\n/m);
    expect(seen.match(/^n\d OK/gm)).toHaveLength(4);
    await waitFor(() => raw.closed);
    raw.close();
    expect(await decided('imap.noop', 'imap-expired')).toHaveLength(1);

    const err = await fail('expired smtp');
    expect(err.response).toBe('530 5.7.0 Authentication required: access token expired');
    expect(await decided('smtp.mail', 'smtp-expired')).toHaveLength(1);
    expect((await send('after expiry')).accepted).toEqual([bobBox]);
  });

  it('token expiry with imap: no answers NO [AUTHENTICATIONFAILED] and lets the client log in again', async () => {
    await inline('mss-token-no', ['  - id: expire-select', '    match: { service: mssante, operation: imap.select }', '    times: 1', '    effects:', '      - outcome: { name: mssante.token-expired, with: { imap: "no", text: Token expired } }']);
    const raw = await rawImapLogin();
    expect(await raw.command('s1', 'SELECT INBOX')).toMatch(/^s1 NO \[AUTHENTICATIONFAILED\] Token expired\r\n/m);
    expect(await raw.command('s2', 'SELECT INBOX')).toMatch(/^s2 BAD SELECT is not allowed before authentication/m);
    expect(await raw.command('l2', `LOGIN ${bobBox}+${SB} ${PASS}`)).toMatch(/^l2 OK/m);
    expect(await raw.command('s3', 'SELECT INBOX')).toMatch(/^s3 OK/m);
    raw.close();
  });

  it("honours the PSC token's real exp on a long IMAP session (mssante-token-exp)", async () => {
    await activate('mssante-token-exp');
    const token = await pscToken(th, SB, bob.idNat); // psc.accessTokenTtl = 2 s on this host
    const raw = await RawClient.connect(port(th, 'imap'));
    await raw.until(/^\* OK .*\r\n/m);
    await raw.startTls('t0', ca(th));
    expect(await raw.command('a', `AUTHENTICATE XOAUTH2 ${xoauth2(`${bobBox}+${SB}`, token)}`)).toMatch(/^a OK/m);
    expect(await raw.command('n1', 'NOOP')).toMatch(/^n1 OK/m);
    await new Promise((r) => setTimeout(r, 2300));
    raw.write('n2 NOOP\r\n');
    expect(await raw.until(/^\* BYE .*\r\n/m)).toMatch(/AccessTokenExpired/);
    raw.close();
    // Trainer-mode sessions carry no token: never expired that way.
    const trainer = await rawImapLogin();
    expect(await trainer.command('n3', 'NOOP')).toMatch(/^n3 OK/m);
    trainer.close();
  });

  it('mailbox full (mssante-mailbox-full): RCPT 452 4.2.2, IMAP APPEND NO [OVERQUOTA]; fine once deactivated', async () => {
    await activate('mssante-mailbox-full');
    expect((await fail('to a full box')).response).toBe(`452 4.2.2 <${bobBox}>: Recipient address rejected: Mailbox full (quota exceeded)`);
    const c = await imap(aliceBox);
    const err = (await c.append('Sent', 'Subject: x\r\n\r\nbody\r\n').catch((e: unknown) => e)) as Error & { serverResponseCode?: string };
    // imapflow resolves APPEND failures to false on some versions, throws on others: accept both, check the journal.
    if (err instanceof Error) expect(err.serverResponseCode).toBe('OVERQUOTA');
    const [append] = await decided('imap.append', 'append-overquota');
    expect(append!.response.headers.reply ?? '').toMatch(/NO \[OVERQUOTA\]/);
    expect(await decided('smtp.rcpt', 'rcpt-full')).toHaveLength(1);
    await th.admin.deactivate('mssante-mailbox-full', SB);
    expect((await send('room again')).accepted).toEqual([bobBox]);
    expect(await c.append('Sent', 'Subject: y\r\n\r\nbody\r\n')).toBeTruthy();
  });

  it('bounces after acceptance (mssante-bounce): 250 for the client, a DSN 5.1.1 in the sender INBOX', async () => {
    await activate('mssante-bounce');
    const inbox = () => adminGet<MessagesView>(th, `/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(aliceBox)}/messages`);
    const before = (await inbox()).messages.length;
    const info = await send('will bounce');
    expect(info.accepted).toEqual([bobBox]);
    expect(info.response).toMatch(/^250 /);
    const after = await waitFor(async () => {
      const v = await inbox();
      return v.messages.length > before ? v : undefined;
    });
    const dsn = after.messages.at(-1)!;
    expect(dsn.subject).toBe('Undelivered Mail Returned to Sender');
    const rawDsn = await (await fetch(`${th.http}/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(aliceBox)}/messages/${dsn.uid}`)).text();
    expect(rawDsn).toMatch(/^Status: 5\.1\.1/m);
    const { entries } = await th.admin.journal(SB, { service: 'mssante', operation: 'smtp.data' });
    const data = entries.find((e) => (e.summary as { subject?: string }).subject === 'will bounce')!;
    expect(data.summary).toMatchObject({ recipientDecisions: [{ address: bobBox, channel: 'sandbox' }], to: [{ address: bobBox, status: 'bounced' }] });
    expect((await send('not bounced')).accepted).toEqual([bobBox]);
  });
});
