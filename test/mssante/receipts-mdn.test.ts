/** Receipts over real sockets: DSN (NOTIFY=SUCCESS, RET), MDN read receipts and integration errors 900–906 read back with imapflow. */
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTEGRATION_ERRORS, sendIntegrationError, sendReadReceipt } from '../../simulators/mssante/receipts/index.js';
import { mailStore, type MailStore } from '../../simulators/mssante/store/mail-store.js';
import type { TestHost } from '../support/host.js';
import { alice, bob, imapClient, mailboxOf, pscToken, smtpTransport, startMailHost, world } from './helpers.js';
import { documentMail } from './validation-fixtures.js';

const SB = 'receipts';
const INS = '188101234567890';

interface Found {
  uid: number;
  subject: string;
  source: string;
  bodyStructure: { type: string; parameters?: Record<string, string>; childNodes?: { type: string; parameters?: Record<string, string>; dispositionParameters?: Record<string, string> }[] };
}

describe('MSSanté receipts', () => {
  let th: TestHost;
  let token: string;
  let store: MailStore;
  let imap: ImapFlow;
  const aliceBox = mailboxOf(alice.id);
  const bobBox = mailboxOf(bob.id);

  async function send(opts: Parameters<ReturnType<typeof smtpTransport>['sendMail']>[0]) {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: token });
    try {
      return await t.sendMail(opts);
    } finally {
      t.close();
    }
  }

  /** The newest message of alice's INBOX whose subject matches. */
  async function newest(match: (subject: string) => boolean): Promise<Found> {
    const lock = await imap.getMailboxLock('INBOX');
    try {
      await imap.noop(); // new messages are announced (EXISTS) on the next command
      let found: Found | undefined;
      const seen: unknown[] = [];
      for await (const m of imap.fetch('1:*', { uid: true, envelope: true, source: true, bodyStructure: true })) {
        const subject = m.envelope?.subject ?? '';
        seen.push([subject, (m.bodyStructure as unknown as Found['bodyStructure']).childNodes?.map((c) => c.type)]);
        if (match(subject)) found = { uid: m.uid, subject, source: m.source!.toString('utf8'), bodyStructure: m.bodyStructure as unknown as Found['bodyStructure'] };
      }
      if (!found) throw new Error(`no such message in INBOX: ${JSON.stringify(seen)}`);
      return found;
    } finally {
      lock.release();
    }
  }

  async function bobRaw(subject: string): Promise<Buffer> {
    const folder = await store.folder(bobBox, 'INBOX');
    for (const m of [...(folder?.messages ?? [])].reverse()) {
      const raw = await store.raw(m.blob);
      if (raw?.toString('utf8').includes(subject)) return raw;
    }
    throw new Error(`bob has no message ${subject}`);
  }

  beforeAll(async () => {
    th = await startMailHost();
    token = await pscToken(th, SB, alice.idNat);
    store = await mailStore(await th.host.context.sandboxes.resolve(SB), th.host.context.clock);
    imap = imapClient(th, { user: `${aliceBox}+${SB}`, accessToken: token });
    await imap.connect();
  });
  afterAll(async () => {
    await imap?.logout().catch(() => undefined);
    await th?.close();
  });

  it('DSN: NOTIFY=SUCCESS brings a delivery-status report; RET=HDRS returns the header only', async () => {
    await send({ from: aliceBox, to: bobBox, subject: 'dsn success hdrs', text: 'x', headers: { 'X-MSS-NIL': 'NIL-1' }, dsn: { id: 'ENV-S1', return: 'headers', notify: ['success'], recipient: bobBox } });
    const dsn = await newest((s) => s === 'Successful Mail Delivery Report');
    expect(dsn.bodyStructure.type).toBe('multipart/report');
    expect(dsn.bodyStructure.parameters?.['report-type']).toBe('delivery-status');
    expect(dsn.bodyStructure.childNodes!.map((c) => c.type)).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    expect(dsn.source).toContain('Original-Envelope-Id: ENV-S1');
    expect(dsn.source).toContain(`Final-Recipient: rfc822; ${bobBox}`);
    expect(dsn.source).toMatch(/Action: delivered\r\nStatus: 2\.0\.0/);
    expect(dsn.source).toMatch(/^Return-Path: <>/);
    expect(dsn.source).not.toContain('\r\n\r\nx\r\n--');
  });

  it('DSN: RET=FULL returns the whole message; NOTIFY=SUCCESS alone sends no failure report for a bounce', async () => {
    await send({ from: aliceBox, to: bobBox, subject: 'dsn success full', text: 'corps complet', dsn: { id: 'ENV-S2', return: 'full', notify: ['success'], recipient: bobBox } });
    const dsn = await newest((s) => s === 'Successful Mail Delivery Report');
    expect(dsn.bodyStructure.childNodes!.map((c) => c.type)).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(dsn.source).toContain('corps complet');

    const bouncing = world.mailboxes.find((m) => m.magic?.includes('mss-bounce'))!.address;
    const before = (await store.folder(aliceBox, 'INBOX'))!.messages.length;
    await send({ from: aliceBox, to: bouncing, subject: 'bounce without failure notify', text: 'x', dsn: { notify: ['success'], recipient: bouncing } });
    expect((await store.folder(aliceBox, 'INBOX'))!.messages.length).toBe(before);
  });

  it('MDN: a simulated reader sends a read receipt (RFC 8098) to Disposition-Notification-To', async () => {
    const info = await send(documentMail(INS, { from: aliceBox, to: bobBox, dnt: aliceBox, subject: 'XDM/1.0/DDM+CR de consultation CORSE FIGATELLIX 12/10/1988' }));
    const original = await bobRaw('CR de consultation CORSE');
    const result = await sendReadReceipt(store, original, bobBox);
    expect(result).toMatchObject({ sent: true, kind: 'mdn', to: aliceBox });
    const mdn = await newest((s) => s === 'XDM/1.0/DDM+CR de consultation CORSE FIGATELLIX 12/10/1988' && true);
    expect(mdn.bodyStructure.type).toBe('multipart/report');
    expect(mdn.bodyStructure.parameters?.['report-type']).toBe('disposition-notification');
    expect(mdn.bodyStructure.childNodes!.map((c) => c.type)).toEqual(['text/plain', 'message/disposition-notification', 'message/rfc822']);
    expect(mdn.source).toContain(`Final-Recipient: rfc822;${bobBox}`);
    expect(mdn.source).toContain(`Original-Message-ID: ${info.messageId}`);
    expect(mdn.source).toContain('Disposition: automatic-action/MDN-sent-automatically; displayed');
    expect(mdn.source).toContain(`In-Reply-To: ${info.messageId}`);
    expect(mdn.source).toMatch(/^Return-Path: <>/);

    // No Disposition-Notification-To: nothing is sent.
    await send({ from: aliceBox, to: bobBox, subject: 'no receipt asked', text: 'x' });
    expect(await sendReadReceipt(store, await bobRaw('no receipt asked'), bobBox)).toMatchObject({ sent: false });
  });

  it.each([900, 901, 902, 903, 904, 905, 906] as const)('error MDN %i: [KO Intégration système !][code] subject, processed/Error: code^label, the original whole', async (code) => {
    const subject = `XDM/1.0/DDM+CR ${code} CORSE FIGATELLIX 12/10/1988`;
    await send(documentMail(INS, { from: aliceBox, to: bobBox, dnt: aliceBox, subject }));
    const result = await sendIntegrationError(store, await bobRaw(`CR ${code} CORSE`), code, { reader: bobBox });
    expect(result).toMatchObject({ sent: true, kind: 'mdn', to: aliceBox });
    const mdn = await newest((s) => s === `[KO Intégration système !][${code}] ${subject}`);
    expect(mdn.bodyStructure.parameters?.['report-type']).toBe('disposition-notification');
    expect(mdn.bodyStructure.childNodes!.map((c) => c.type)).toEqual(['text/plain', 'message/disposition-notification', 'message/rfc822']);
    expect(mdn.source).toContain(`Disposition: automatic-action/MDN-sent-automatically; processed/Error: ${code}^${INTEGRATION_ERRORS[code]}`);
    expect(mdn.source).toContain(`Code erreur : ${code}`);
    expect(mdn.source).toContain('filename=IHE_XDM.zip');
  });

  it('without Disposition-Notification-To the error goes as a standard mail to From, with the original and its attachments', async () => {
    const subject = 'XDM/1.0/DDM+CR standard CORSE FIGATELLIX 12/10/1988';
    await send(documentMail(INS, { from: aliceBox, to: bobBox, subject }));
    const result = await sendIntegrationError(store, await bobRaw('CR standard CORSE'), 902);
    expect(result).toMatchObject({ sent: true, kind: 'standard', to: aliceBox });
    const mail = await newest((s) => s === `[KO Intégration système !][902] ${subject}`);
    expect(mail.bodyStructure.type).toBe('multipart/mixed');
    expect(mail.bodyStructure.childNodes!.map((c) => c.type)).toEqual(['text/plain', 'message/rfc822', 'application/zip', 'application/pdf']);
    expect(mail.source).toContain('Identifiant patient inconnu');
    expect(await sendIntegrationError(store, await bobRaw('CR standard CORSE'), 907)).toMatchObject({ sent: false });
  });
});
