/** SMTP submission over real sockets: nodemailer (STARTTLS + XOAUTH2, mTLS) and a raw client for the wire details. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSS_PATIENT_DOMAIN } from '../../fixtures/patients.js';
import type { TestHost } from '../support/host.js';
import { adminGet, alice, bob, mailboxOf, port, pscToken, RawClient, smtpTransport, startMailHost, waitFor, world, xoauth2, ca } from './helpers.js';

const SB = 'smtp-main';

interface MessagesView {
  messages: { uid: number; subject?: string; from?: string; flags: string[]; contentType?: string; delivery?: { mailFrom?: string; dsn?: { ret?: string; envid?: string; notify?: string[]; orcpt?: string }; source: string } }[];
}

function messages(th: TestHost, sandbox: string, address: string, folder = 'INBOX') {
  return adminGet<MessagesView>(th, `/_admin/sandboxes/${sandbox}/mssante/mailboxes/${encodeURIComponent(address)}/messages?folder=${folder}`);
}

describe('SMTP submission', () => {
  let th: TestHost;
  let aliceToken: string;
  const aliceBox = mailboxOf(alice.id);
  const bobBox = mailboxOf(bob.id);

  beforeAll(async () => {
    th = await startMailHost();
    aliceToken = await pscToken(th, SB, alice.idNat);
  });
  afterAll(async () => th?.close());

  it('advertises STARTTLS in clear, then AUTH XOAUTH2, SIZE, DSN and ENHANCEDSTATUSCODES over TLS; no AUTH in clear', async () => {
    const raw = await RawClient.connect(port(th, 'smtp'));
    expect(await raw.until(/^220 .*\r\n/m)).toMatch(/^220 /);
    raw.write('EHLO lgc.test\r\n');
    const plain = await raw.until(/^250 .*\r\n/m);
    expect(plain).toContain('STARTTLS');
    expect(plain).not.toContain('AUTH');
    raw.write('AUTH XOAUTH2 abc\r\n');
    expect(await raw.until(/^5\d\d .*\r\n/m)).toMatch(/^5\d\d 5\.\d\.\d /m);
    raw.close();
  });

  it('delivers a message sent with STARTTLS + XOAUTH2 into the recipient INBOX, with trace headers', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const info = await t.sendMail({ from: aliceBox, to: bobBox, subject: 'CR consultation', text: 'Bonjour confrère', headers: { 'X-MSS-NIL': 'NIL-TEST-1' } });
    expect(info.response).toMatch(/^250 2\.6\.0 Ok: queued as [0-9A-F]{10}$/);
    expect(info.accepted).toEqual([bobBox]);
    const view = await messages(th, SB, bobBox);
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0]).toMatchObject({ uid: 1, subject: 'CR consultation', flags: [], delivery: { source: 'smtp', mailFrom: aliceBox } });
    const rawMsg = await (await fetch(`${th.http}/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(bobBox)}/messages/1`)).text();
    expect(rawMsg).toMatch(/^Return-Path: <[^>]+>\r\nReceived: from /);
    expect(rawMsg).toMatch(/^X-MSS-NIL: NIL-TEST-1$/im);
    const journal = await th.admin.journal(SB, { service: 'mssante' });
    const ops = journal.entries.map((e) => e.operation);
    expect(ops).toContain('smtp.auth');
    expect(ops).toContain('smtp.data');
    const data = journal.entries.find((e) => e.operation === 'smtp.data')!;
    expect(data.transport).toBe('smtp');
    expect(data.response.status).toBe(250);
    expect(data.summary).toMatchObject({ from: aliceBox, subject: 'CR consultation', mss: { nil: 'NIL-TEST-1' } });
    t.close();
  });

  it('journals DATA cut in the entry and whole on demand, read back from the mailbox it was delivered to', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const lines = Array.from({ length: 2000 }, (_, i) => `ligne ${i} du compte rendu, accentuée`);
    const raw = Buffer.from([`From: <${aliceBox}>`, `To: <${bobBox}>`, 'Subject: gros message', 'Message-ID: <gros-1@lgc.test>', 'Date: Mon, 02 Nov 2026 10:00:00 +0100', 'X-MSS-NIL: NIL-TEST-2', 'Content-Type: text/plain; charset=utf-8', '', ...lines, ''].join('\r\n'));
    const info = await t.sendMail({ envelope: { from: aliceBox, to: [bobBox] }, raw });
    expect(info.response).toMatch(/^250 /);
    t.close();
    const data = (await th.admin.journal(SB, { service: 'mssante', operation: 'smtp.data' })).entries.at(-1)!;
    expect(data.summary).toMatchObject({ subject: 'gros message' });
    expect(data.request.body).toMatchObject({ size: raw.length, truncated: true, spilled: true });
    expect(data.request.body.text).toBe(raw.subarray(0, 64 * 1024).toString('utf8'));
    const whole = await fetch(`${th.http}/_admin/sandboxes/${SB}/journal/entries/${data.id}/request`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(raw)).toBe(true);
  });

  it('refuses a wrong token with the XOAUTH2 JSON challenge then 535 5.7.8', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: 'not-a-token' });
    const err = (await t.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as { responseCode?: number; response?: string };
    expect(err.responseCode).toBe(535);
    expect(err.response).toContain('5.7.8');
    t.close();

    const raw = await RawClient.connect(port(th, 'smtp'));
    await raw.until(/^220 /m);
    raw.write('EHLO lgc\r\n');
    await raw.until(/^250 .*\r\n/m);
    raw.write('STARTTLS\r\n');
    await raw.until(/^220 .*\r\n/m);
    const tlsRaw = raw.socket;
    const { connect } = await import('node:tls');
    tlsRaw.removeAllListeners('data');
    const secure = connect({ socket: tlsRaw, ca: ca(th), servername: 'localhost' });
    await new Promise((r) => secure.once('secureConnect', r));
    let buf = '';
    secure.setEncoding('latin1');
    secure.on('data', (d: string) => (buf += d));
    secure.write('EHLO lgc\r\n');
    await waitFor(() => /^250 /m.test(buf));
    buf = '';
    secure.write(`AUTH XOAUTH2 ${xoauth2(`${aliceBox}+${SB}`, 'bad.token.here')}\r\n`);
    await waitFor(() => /^334 /m.test(buf));
    const challenge = JSON.parse(Buffer.from(/^334 (\S+)/m.exec(buf)![1]!, 'base64').toString());
    expect(challenge).toMatchObject({ status: '401', schemes: 'bearer' });
    buf = '';
    secure.write('\r\n');
    await waitFor(() => /^535 /m.test(buf));
    expect(buf).toMatch(/^535 5\.7\.8 /m);
    secure.destroy();
  });

  it("refuses a token for another professional's mailbox, and a token of another sandbox", async () => {
    const t = smtpTransport(th, { user: `${bobBox}+${SB}`, accessToken: aliceToken });
    const err = (await t.sendMail({ from: bobBox, to: aliceBox, text: 'x' }).catch((e: unknown) => e)) as { responseCode?: number };
    expect(err.responseCode).toBe(535);
    t.close();
    const elsewhere = smtpTransport(th, { user: `${aliceBox}+smtp-other`, accessToken: aliceToken });
    const err2 = (await elsewhere.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as { responseCode?: number };
    expect(err2.responseCode).toBe(535);
    elsewhere.close();
    const failures = (await th.admin.journal(SB, { service: 'mssante', operation: 'smtp.auth' })).entries.filter((e) => e.response.status === 535);
    expect(failures.some((e) => /personal mailbox of another professional/.test(JSON.stringify(e.summary)))).toBe(true);
  });

  it('refuses recipients outside the trust space (550 5.7.1) and unknown local mailboxes (550 5.1.1)', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const err = (await t.sendMail({ from: aliceBox, to: ['someone@gmail.com'], text: 'x' }).catch((e: unknown) => e)) as { responseCode?: number; response?: string };
    expect(err.responseCode).toBe(550);
    expect(err.response).toMatch(/^550 5\.7\.1 <someone@gmail\.com>: .*trust space/);
    const err2 = (await t.sendMail({ from: aliceBox, to: [`nobody@${world.structures[0]!.mssDomain}`], text: 'x' }).catch((e: unknown) => e)) as { response?: string };
    expect(err2.response).toMatch(/^550 5\.1\.1 /);
    // Partial acceptance: the good recipient gets it, the bad one is reported.
    const info = await t.sendMail({ from: aliceBox, to: [bobBox, 'x@example.org'], subject: 'partial', text: 'x' });
    expect(info.accepted).toEqual([bobBox]);
    expect(info.rejected).toEqual(['x@example.org']);
    t.close();
  });

  it('refuses a sender address the login does not own (553 5.7.1), accepts an ORG mailbox of its structure', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const err = (await t.sendMail({ from: bobBox, to: aliceBox, text: 'x' }).catch((e: unknown) => e)) as { response?: string };
    expect(err.response).toMatch(/^553 5\.7\.1 /);
    const org = world.mailboxes.find((m) => m.type === 'ORG' && m.structureId === 'st-001')!.address;
    const info = await t.sendMail({ envelope: { from: org, to: [bobBox] }, from: org, to: bobBox, subject: 'from ORG', text: 'x' });
    expect(info.accepted).toEqual([bobBox]);
    t.close();
  });

  it('accepts then bounces the mss-bounce mailbox: a multipart/report DSN lands in the sender INBOX', async () => {
    const bouncing = world.mailboxes.find((m) => m.magic?.includes('mss-bounce'))!.address;
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const before = (await messages(th, SB, aliceBox)).messages.length;
    const info = await t.sendMail({ from: aliceBox, to: bouncing, subject: 'will bounce', text: 'x', dsn: { id: 'ENV-1', return: 'headers', notify: ['failure'], recipient: aliceBox } });
    expect(info.accepted).toEqual([bouncing]);
    const inbox = await messages(th, SB, aliceBox);
    expect(inbox.messages).toHaveLength(before + 1);
    const dsn = inbox.messages[inbox.messages.length - 1]!;
    expect(dsn).toMatchObject({ subject: 'Undelivered Mail Returned to Sender', contentType: 'multipart/report', delivery: { source: 'dsn' } });
    const raw = await (await fetch(`${th.http}/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(aliceBox)}/messages/${dsn.uid}`)).text();
    expect(raw).toContain('Original-Envelope-Id: ENV-1');
    expect(raw).toContain(`Final-Recipient: rfc822; ${bouncing}`);
    expect(raw).toContain('Status: 5.1.1');
    expect(raw).toContain('Content-Type: text/rfc822-headers');
    expect((await messages(th, SB, bouncing)).messages).toHaveLength(0);
    // Accepted RCPTs are not journaled one by one: the DATA entry carries their decisions.
    const data = (await th.admin.journal(SB, { service: 'mssante', operation: 'smtp.data' })).entries.at(-1)!;
    expect(data.summary).toMatchObject({ recipientDecisions: [{ address: bouncing, channel: 'magic' }], to: [{ address: bouncing, status: 'bounced' }], report: { kind: 'failure' } });
    t.close();
  });

  it('keeps DSN parameters with the message and sends a success report for NOTIFY=SUCCESS', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    await t.sendMail({ from: aliceBox, to: bobBox, subject: 'with receipt', text: 'x', dsn: { id: 'ENV-2', return: 'full', notify: ['success', 'failure'], recipient: bobBox } });
    const stored = (await messages(th, SB, bobBox)).messages.find((m) => m.subject === 'with receipt')!;
    expect(stored.delivery?.dsn).toMatchObject({ ret: 'FULL', envid: 'ENV-2', notify: ['SUCCESS', 'FAILURE'], orcpt: `rfc822;${bobBox}` });
    const report = (await messages(th, SB, aliceBox)).messages.find((m) => m.subject === 'Successful Mail Delivery Report');
    expect(report).toBeTruthy();
    t.close();
  });

  it('bounces a message over 25 Mo sent to a Mon espace santé address (5.3.4)', async () => {
    const patient = world.patients.find((p) => p.mssPatientAddress && !p.magic?.length)!.mssPatientAddress!;
    expect(patient.endsWith(MSS_PATIENT_DOMAIN)).toBe(true);
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const big = Buffer.alloc(26 * 1024 * 1024 + 10, 'A');
    await t.sendMail({ from: aliceBox, to: patient, subject: 'too big for MES', text: 'x', attachments: [{ filename: 'big.bin', content: big, contentTransferEncoding: '7bit' }] });
    const report = (await messages(th, SB, aliceBox)).messages.find((m) => m.subject === 'Undelivered Mail Returned to Sender' && m.uid > 2);
    expect(report).toBeTruthy();
    expect((await messages(th, SB, patient)).messages).toHaveLength(0);
    t.close();
  }, 60_000);

  it('refuses PLAIN outside trainer mode', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, pass: 'segur-sim' });
    const err = (await t.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    t.close();
  });

  it('authenticates an applicative mailbox by its client certificate (mTLS, no AUTH), and refuses MAIL without either', async () => {
    const pki = th.host.context.pki;
    const app = pki.orgClients['MSS-APP'];
    const appBox = app.subject.CN!;
    const t = smtpTransport(th, undefined, { key: readFileSync(app.keyPath), cert: readFileSync(app.chainPath) });
    const info = await t.sendMail({ from: appBox, to: bobBox, subject: 'from the DPI robot', text: 'x' });
    expect(info.accepted).toEqual([bobBox]);
    t.close();
    const anonymous = smtpTransport(th, undefined);
    const err = (await anonymous.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as { response?: string };
    expect(err.response).toMatch(/^530 5\.7\.0 /);
    anonymous.close();
    // The APP mailbox of the certificate in the default sandbox (no login names another).
    expect((await messages(th, 'default', bobBox)).messages.some((m) => m.subject === 'from the DPI robot')).toBe(true);
  });

  it('lets a scenario answer a stage with an SMTP reply, or reset the connection', async () => {
    await th.admin.uploadScenario(
      [
        'name: smtp-faults',
        'rules:',
        '  - id: rcpt-temp',
        '    match: { service: mssante, operation: smtp.rcpt }',
        '    times: 1',
        '    effects:',
        '      - outcome: { name: mssante.smtp-reply, with: { code: 451, enhanced: "4.3.0", message: "Try again later" } }',
        '  - id: data-reset',
        '    match: { service: mssante, operation: smtp.data }',
        '    times: 1',
        '    effects:',
        '      - transport: connection-reset',
      ].join('\n'),
      true,
    );
    await th.admin.activate('smtp-faults', SB);
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const err = (await t.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as { response?: string };
    expect(err.response).toBe('451 4.3.0 Try again later');
    const err2 = (await t.sendMail({ from: aliceBox, to: bobBox, text: 'x' }).catch((e: unknown) => e)) as { code?: string };
    expect(err2).toBeInstanceOf(Error);
    const info = await t.sendMail({ from: aliceBox, to: bobBox, subject: 'after recovery', text: 'x' });
    expect(info.accepted).toEqual([bobBox]);
    await th.admin.deactivate('smtp-faults', SB);
    const entries = (await th.admin.journal(SB, { service: 'mssante', channel: 'sandbox' })).entries;
    expect(entries.map((e) => e.operation)).toEqual(expect.arrayContaining(['smtp.rcpt', 'smtp.data']));
    t.close();
  });

  it('serves the trust list XML under /mssante', async () => {
    const res = await fetch(`${th.http}/mssante/listeblanchemssante.xml`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/xml');
    const xml = await res.text();
    expect(xml).toContain('xmlns="https://listeblanche.mssante.fr/schema"');
    expect(xml).toContain(`<Domaine><Nom>${world.structures[0]!.mssDomain}</Nom></Domaine>`);
    const info = await adminGet<{ trainerMode: { enabled: boolean } }>(th, '/mssante');
    expect(info.trainerMode.enabled).toBe(false);
  });
});

describe('SMTP size limit', () => {
  let th: TestHost;
  beforeAll(async () => {
    th = await startMailHost({ SEGUR_SIM_MSSANTE_MAX_SIZE: '20000' });
  });
  afterAll(async () => th?.close());

  it('refuses a message over the limit with 552 5.3.4 and advertises SIZE', async () => {
    const token = await pscToken(th, 'size', alice.idNat);
    const from = mailboxOf(alice.id);
    const t = smtpTransport(th, { user: `${from}+size`, accessToken: token });
    const err = (await t.sendMail({ from, to: mailboxOf(bob.id), text: 'x'.repeat(40_000) }).catch((e: unknown) => e)) as { responseCode?: number; response?: string };
    expect(err.responseCode).toBe(552);
    expect(err.response).toMatch(/^552 5\.3\.4 /);
    const ok = await t.sendMail({ from, to: mailboxOf(bob.id), text: 'small' });
    expect(ok.accepted).toHaveLength(1);
    t.close();
    const raw = await RawClient.connect(port(th, 'smtp'));
    await raw.until(/^220 /m);
    raw.write('EHLO lgc\r\n');
    expect(await raw.until(/^250 .*\r\n/m)).toContain('SIZE 20000');
    raw.close();
  });
});
