/** Mon espace santé conversation rules over real sockets: professionals write by SMTP, the simulated patient answers through the admin API. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver } from '../../simulators/mssante/smtp/delivery.js';
import { mailStore } from '../../simulators/mssante/store/mail-store.js';
import type { TestHost } from '../support/host.js';
import { runCli } from '../support/process.js';
import { alice, bob, imapClient, mailboxOf, pscToken, smtpTransport, startMailHost, world } from './helpers.js';

const SB = 'citizen-main';
const patient = world.patients.find((p) => p.mssPatientAddress && p.identity.status === 'QUAL' && !p.magic?.length)!;
const other = world.patients.find((p) => p.mssPatientAddress && p !== patient && !p.magic?.length)!;
const PAT = patient.mssPatientAddress!;
const INS = patient.ins!.matricule;

interface Inbox {
  address: string;
  conversations: { contact: string; state: string; closedBy?: { uid: number; how: string } }[];
  messages: { uid: number; subject?: string; kind: string; canReply?: boolean; refusal?: string; flags: string[]; replyTo?: string }[];
}

async function call<T = Record<string, unknown>>(th: TestHost, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${th.http}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

const base = (ins = INS, sb = SB) => `/_admin/sandboxes/${sb}/mssante/patients/${ins}/messages`;

describe('Mon espace santé (citizen mailboxes)', () => {
  let th: TestHost;
  let aliceToken: string;
  const aliceBox = mailboxOf(alice.id);
  const bobBox = mailboxOf(bob.id);

  beforeAll(async () => {
    th = await startMailHost();
    aliceToken = await pscToken(th, SB, alice.idNat);
  });
  afterAll(async () => th?.close());

  async function aliceSends(mail: { to?: string; subject: string; text?: string; headers?: Record<string, string>; replyTo?: string }) {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    const info = await t.sendMail({ from: aliceBox, to: mail.to ?? PAT, subject: mail.subject, text: mail.text ?? 'Bonjour', headers: mail.headers, ...(mail.replyTo ? { replyTo: mail.replyTo } : {}) });
    t.close();
    return info;
  }

  async function inbox(): Promise<Inbox> {
    const r = await call<Inbox>(th, 'GET', base());
    expect(r.status).toBe(200);
    return r.json;
  }

  it('a professional writing to a patient opens the conversation; the patient reads and replies; the reply is in the professional INBOX (IMAP)', async () => {
    await aliceSends({ subject: 'Vos résultats', text: 'Bonjour, vos résultats sont normaux.', headers: { 'Disposition-Notification-To': aliceBox } });
    const view = await inbox();
    expect(view.address).toBe(PAT);
    expect(view.messages).toHaveLength(1);
    expect(view.messages[0]).toMatchObject({ uid: 1, subject: 'Vos résultats', kind: 'professional', canReply: true, flags: [] });
    expect(view.conversations).toEqual([expect.objectContaining({ contact: aliceBox, state: 'open' })]);

    const read = await call<{ flags: string[]; text: string; receipt: { status: string; to?: string } }>(th, 'POST', `${base()}/1/read`);
    expect(read.status).toBe(200);
    expect(read.json.flags).toContain('\\Seen');
    expect(read.json.text).toContain('vos résultats sont normaux');
    expect(read.json.receipt).toMatchObject({ status: 'sent', to: aliceBox });
    expect(read.json.flags).toContain('$MDNSent');

    const reply = await call<{ to: string; subject: string; delivery: { status: string }[] }>(th, 'POST', `${base()}/1/reply`, { text: 'Merci docteur, à bientôt.' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ to: aliceBox, subject: 'Re: Vos résultats', delivery: [{ status: 'delivered' }] });

    const imap = imapClient(th, { user: `${aliceBox}+${SB}`, accessToken: aliceToken });
    await imap.connect();
    try {
      await imap.mailboxOpen('INBOX');
      const found: { from?: string; subject?: string; inReplyTo?: string }[] = [];
      for await (const m of imap.fetch('1:*', { envelope: true })) found.push({ from: m.envelope?.from?.[0]?.address, subject: m.envelope?.subject, inReplyTo: m.envelope?.inReplyTo });
      expect(found.some((m) => m.from === PAT && /Vos résultats/.test(m.subject ?? '') && m.subject !== 'Re: Vos résultats')).toBe(true); // the MDN
      const r = found.find((m) => m.subject === 'Re: Vos résultats');
      expect(r).toBeDefined();
      expect(r!.from).toBe(PAT);
      expect(r!.inReplyTo).toMatch(/^<.+>$/);
    } finally {
      await imap.logout();
    }
    const after = await inbox();
    expect(after.messages[0]!.flags).toEqual(expect.arrayContaining(['\\Seen', '\\Answered']));
    const journal = await th.admin.journal(SB, { service: 'mssante', operation: 'mes.reply' });
    expect(journal.entries).toHaveLength(1);
  });

  it('the patient cannot write first to a professional who never wrote (JSON refusal, nothing delivered)', async () => {
    const r = await call<{ error: { code: string; message: string; status: string; text: string } }>(th, 'POST', base(), { to: bobBox, text: 'Bonjour docteur' });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('MesConversationNotOpened');
    expect(r.json.error.status).toBe('5.7.1');
    expect(r.json.error.text).toMatch(/^Message non distribué/);
    const bobView = await call<{ messages: unknown[] }>(th, 'GET', `/_admin/sandboxes/${SB}/mssante/mailboxes/${encodeURIComponent(bobBox)}/messages`);
    expect(bobView.json.messages).toHaveLength(0);
  });

  it('X-MSS-MES: FIN closes the conversation: that message and earlier ones can no longer be answered', async () => {
    await aliceSends({ subject: 'Information', text: 'Pas de réponse attendue.', headers: { 'X-MSS-MES': 'FIN' } });
    const view = await inbox();
    const fin = view.messages.find((m) => m.subject === 'Information')!;
    expect(fin).toMatchObject({ canReply: false, refusal: 'MesNoReplyAllowed' });
    expect(view.conversations.find((c) => c.contact === aliceBox)).toMatchObject({ state: 'closed', closedBy: { uid: fin.uid, how: 'X-MSS-MES: FIN' } });
    const r1 = await call<{ error: { code: string } }>(th, 'POST', `${base()}/${fin.uid}/reply`, { text: 'Merci' });
    expect(r1.status).toBe(409);
    expect(r1.json.error.code).toBe('MesNoReplyAllowed');
    const r2 = await call<{ error: { code: string; detail: string } }>(th, 'POST', `${base()}/1/reply`, { text: 'Encore une question' });
    expect(r2.status).toBe(409);
    expect(r2.json.error.code).toBe('MesConversationClosed');
    expect(r2.json.error.detail).toContain('X-MSS-MES: FIN');
  });

  it('a new message reopens it; a [FIN] subject closes it again', async () => {
    await aliceSends({ subject: 'Nouveau rendez-vous' });
    let view = await inbox();
    const uid = view.messages.find((m) => m.subject === 'Nouveau rendez-vous')!.uid;
    expect(view.conversations.find((c) => c.contact === aliceBox)?.state).toBe('open');
    expect((await call(th, 'POST', `${base()}/${uid}/reply`, { text: 'OK pour mardi' })).status).toBe(200);
    await aliceSends({ subject: '[FIN]', text: 'Fin de la conversation' });
    view = await inbox();
    expect(view.conversations.find((c) => c.contact === aliceBox)).toMatchObject({ state: 'closed', closedBy: { how: '[FIN]' } });
    const r = await call<{ error: { code: string } }>(th, 'POST', `${base()}/${uid}/reply`, { text: 'Et encore' });
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('MesConversationClosed');
  });

  it('a Reply-To with an MSSanté address becomes the contact, not the From', async () => {
    const secretariat = world.mailboxes.find((m) => m.type === 'ORG' && m.structureId === alice.exercices[0]!.activities[0]!.structureId)!.address;
    await aliceSends({ to: other.mssPatientAddress!, subject: 'Convocation', replyTo: secretariat });
    const view = (await call<Inbox>(th, 'GET', base(other.ins!.matricule))).json;
    expect(view.messages[0]).toMatchObject({ replyTo: secretariat, canReply: true });
    const r = await call<{ to: string }>(th, 'POST', `${base(other.ins!.matricule)}/${view.messages[0]!.uid}/reply`, { text: 'Je confirme' });
    expect(r.status).toBe(200);
    expect(r.json.to).toBe(secretariat);
    const direct = await call<{ error: { code: string } }>(th, 'POST', base(other.ins!.matricule), { to: aliceBox, text: 'Docteur ?' });
    expect(direct.json.error.code).toBe('MesConversationNotOpened');
  });

  it('Mon espace santé takes at most 25 Mo: a bigger reply is refused', async () => {
    await aliceSends({ to: other.mssPatientAddress!, subject: 'Document volumineux attendu' });
    const view = (await call<Inbox>(th, 'GET', base(other.ins!.matricule))).json;
    const uid = view.messages.find((m) => m.subject === 'Document volumineux attendu')!.uid;
    const big = Buffer.alloc(19 * 1024 * 1024, 1).toString('base64');
    const r = await call<{ error: { code: string; status: string } }>(th, 'POST', `${base(other.ins!.matricule)}/${uid}/reply`, { text: 'Voici', attachments: [{ filename: 'scan.bin', contentBase64: big }] });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatchObject({ code: 'MesMessageTooBig', status: '5.3.4' });
  });

  it('the delivery hook applies the rules on every path: a patient message outside a conversation bounces with MES text (DSN to the patient)', async () => {
    const sandbox = await th.host.context.sandboxes.resolve(SB);
    const store = await mailStore(sandbox, th.host.context.clock);
    const raw = Buffer.from(`From: <${PAT}>\r\nTo: <${bobBox}>\r\nSubject: Bonjour\r\n\r\nBonjour docteur\r\n`);
    const out = await deliver({ store, raw, mailFrom: PAT, recipients: [{ address: bobBox }], transaction: 'HOOKTEST01', client: {}, arrival: new Date() });
    expect(out.results).toEqual([expect.objectContaining({ address: bobBox, status: 'bounced', diagnostic: expect.stringContaining('Message non distribué') })]);
    expect(out.dsn).toMatchObject({ to: PAT, kind: 'failure' });
    const view = await inbox();
    expect(view.messages.find((m) => m.uid === out.dsn!.uid)).toMatchObject({ kind: 'delivery-report' });
    // The DSN opens nothing.
    expect(view.conversations.map((c) => c.contact)).not.toContain('mailer-daemon@segur-sim.simu.mssante.test');
  });

  it('unknown patients and UIDs are precise 404s', async () => {
    expect((await call<{ error: { code: string } }>(th, 'GET', base('000000000000000'))).json.error.code).toBe('UnknownPatient');
    expect((await call<{ error: { code: string } }>(th, 'POST', `${base()}/999/reply`, { text: 'x' })).json.error.code).toBe('UnknownMessage');
    const nia = world.patients.find((p) => p.ins?.type === 'NIA');
    if (nia) expect((await call<{ error: { code: string } }>(th, 'GET', base(nia.ins!.matricule))).json.error.code).toBe('NoCitizenMailbox');
  });

  it('CLI: segur-sim mssante patient inbox / read / reply', async () => {
    await aliceSends({ subject: 'Question CLI' });
    const common = ['--url', th.http, '-s', SB];
    const list = await runCli(['mssante', 'patient', 'inbox', INS, ...common]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('Question CLI');
    expect(list.stdout).toContain('[can reply]');
    const uid = String((await inbox()).messages.find((m) => m.subject === 'Question CLI')!.uid);
    const read = await runCli(['mssante', 'patient', 'read', INS, uid, ...common]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain('Subject: Question CLI');
    const reply = await runCli(['mssante', 'patient', 'reply', INS, uid, '--text', 'Réponse CLI', ...common, '--json']);
    expect(reply.code, reply.stderr).toBe(0);
    expect(JSON.parse(reply.stdout)).toMatchObject({ to: aliceBox, subject: 'Re: Question CLI' });
    const refused = await runCli(['mssante', 'patient', 'write', INS, bobBox, '--text', 'Bonjour', ...common]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Message non distribué');
  });
});
