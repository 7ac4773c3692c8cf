/**
 * The MSSanté client over real sockets against segur-sim: nodemailer (STARTTLS + XOAUTH2 with a PSC token)
 * sends XDM documents, imapflow (STARTTLS + XOAUTH2) reads them as the recipient, the worklist files them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replacementOf } from '../../fixtures/index.js';
import {
  citizenAddress,
  MssanteImapError,
  MssanteReader,
  MssanteSender,
  MssanteSmtpError,
  SEGUR_SIM_CITIZEN_DOMAIN,
  Worklist,
  type ReceivedMessage,
} from '../../client/mssante/index.js';
import { validateMessage } from '../../simulators/mssante/validation/index.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { ids, localPatients, mssPatient, patient, perMailbox, port, professional, pscToken, vsmFor, waitFor, withoutIns } from './helpers.js';

const SB = 'client-mss';
const sender = professional('ps-003'); // centre de santé
const recipient = professional('ps-001'); // hospital practitioner
const senderBox = perMailbox(sender.id);
const recipientBox = perMailbox(recipient.id);
const NIL = 'NIL-SEGUR-SIM-TEST';

describe('MSSanté client over SMTP and IMAP', () => {
  let th: TestHost;
  let out: MssanteSender;
  let reader: MssanteReader;
  let senderToken: string;
  let recipientToken: string;
  const worklist = new Worklist({ patients: localPatients });

  const tls = () => ({ ca: th.host.context.pki.caCertsPem, servername: 'localhost' });
  const newSender = (auth: { accessToken?: string; password?: string } = { accessToken: senderToken }) =>
    new MssanteSender({ smtp: { host: '127.0.0.1', port: port(th, 'smtp') }, tls: tls(), auth: { user: senderBox, sandbox: SB, ...auth }, nil: NIL, application: { name: 'segur-sim LGC', version: '0.1' } });

  /** The recipient's next unseen message, fetched and parsed. */
  async function nextMessage(): Promise<ReceivedMessage> {
    const fresh = await waitFor(async () => {
      const list = await reader.listNew();
      return list.length ? list : undefined;
    });
    const m = await reader.fetch(fresh[0]!.uid);
    await reader.markSeen(m.uid);
    return m;
  }

  /** What we sent passes the operator's content validation (segur-sim's validator, strict rules) without errors. */
  async function expectConformant(m: ReceivedMessage): Promise<void> {
    const report = validateMessage(Buffer.from(m.raw), { recipients: m.to.map((address) => ({ address, type: address.endsWith(SEGUR_SIM_CITIZEN_DOMAIN) ? 'PAT' : 'PER' })) });
    expect(report.verdicts.filter((v) => v.level !== 'info')).toEqual([]);
    expect(report.healthDocument).toBe(true);
  }

  beforeAll(async () => {
    th = await startTestHost();
    senderToken = await pscToken(th, SB, sender.idNat);
    recipientToken = await pscToken(th, SB, recipient.idNat);
    out = newSender();
    reader = new MssanteReader({ imap: { host: '127.0.0.1', port: port(th, 'imap') }, tls: tls(), auth: { user: recipientBox, sandbox: SB, accessToken: recipientToken } });
    await reader.connect();
  });
  afterAll(async () => {
    out?.close();
    await reader?.close();
    await th?.close();
  });

  it('sends a VSM in IHE_XDM.zip with XOAUTH2; the recipient reads it and the worklist matches the patient by INS', async () => {
    const p = patient('pat-00002');
    const { doc, ss } = vsmFor(p, sender);
    const sent = await out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(p), documents: [doc], submissionSet: ss, body: 'Bonjour, ci-joint la synthèse.', requestReadReceipt: true, dsn: { notify: ['FAILURE'], envid: 'ENV-1' } });
    expect(sent.accepted).toEqual([recipientBox]);
    expect(sent.response).toMatch(/^250 2\.6\.0 Ok: queued as /);
    expect(sent.subject).toBe('XDM/1.0/DDM+Synthèse COLIN BERTRAND 17/05/2002');

    const m = await nextMessage();
    expect(m).toMatchObject({ subject: sent.subject, from: senderBox, to: [recipientBox], messageId: sent.messageId, kind: 'documents', dispositionNotificationTo: senderBox });
    expect(m.mss).toEqual({ nil: NIL, ins: 'O', codeCda: ['SYNTH'], mes: undefined });
    expect(m.text).toContain('ci-joint la synthèse');
    expect(m.attachments.map((a) => a.filename)).toEqual(['IHE_XDM.zip', '20250314_Synthese_COLIN_BERTRAND.pdf']);
    expect(m.attachments[1]!.content.subarray(0, 5)).toEqual(new TextEncoder().encode('%PDF-'));
    expect(m.xdm?.problems).toEqual([]);
    expect(m.xdm?.submissionSet?.intendedRecipients).toEqual([recipientBox]);
    expect(m.xdm?.documents[0]!.bytes).toEqual(doc.content);

    await expectConformant(m);
    const [item] = worklist.receive(m);
    expect(item!.match).toEqual({ kind: 'ins', patientId: 'pat-00002', ins: p.ins!.matricule, source: 'metadata' });
    expect(worklist.integrate(item!.id).status).toBe('integrated');
    expect((await reader.listNew()).length).toBe(0);

    // Both logins were SASL XOAUTH2 in this sandbox (journal of the simulator).
    const journal = await th.admin.journal(SB, { service: 'mssante' });
    const auths = journal.entries.filter((e) => e.operation === 'smtp.auth' || e.operation === 'imap.authenticate');
    expect(auths.some((e) => e.operation === 'smtp.auth' && (e.summary as { method?: string }).method === 'XOAUTH2' && e.response.status === 235)).toBe(true);
    expect(auths.some((e) => e.operation === 'imap.authenticate' && (e.summary as { method?: string }).method === 'XOAUTH2')).toBe(true);
  });

  it('without INS: matched by traits, and an ambiguous homonym gives the candidate list (X-MSS-INS: N)', async () => {
    const unique = vsmFor(patient('pat-00005'), sender, 'cr-bio');
    const u = withoutIns(unique.doc, unique.ss, 'IPP-0005');
    await out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(patient('pat-00005'), false), documents: [u.doc], submissionSet: u.ss, body: 'CR de biologie' });
    const m1 = await nextMessage();
    expect(m1.mss).toMatchObject({ ins: 'N', codeCda: ['11502-2'] });
    await expectConformant(m1);
    const [i1] = worklist.receive(m1);
    expect(i1!.match).toEqual({ kind: 'traits', patientId: 'pat-00005' });

    const homonym = vsmFor(patient('pat-00001'), sender);
    const h = withoutIns(homonym.doc, homonym.ss, 'IPP-0001');
    await out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(patient('pat-00001'), false), documents: [h.doc], submissionSet: h.ss, body: 'Synthèse' });
    const [i2] = worklist.receive(await nextMessage());
    expect(i2!.match).toEqual({ kind: 'ambiguous', candidates: ['pat-00001', 'pat-00002'] });
    expect(worklist.integrate(i2!.id, { patientId: 'pat-00001' }).patientId).toBe('pat-00001');
  });

  it('applies an update (RPLC, "annule et remplace") then a deletion request to the integrated document, and files the mails', async () => {
    const p = patient('pat-00003');
    const v1 = vsmFor(p, sender);
    const first = await out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(p), documents: [v1.doc], submissionSet: v1.ss, body: 'v1' });
    const m1 = await nextMessage();
    worklist.integrate(worklist.receive(m1)[0]!.id);

    const v2 = replacementOf(v1.doc, { uniqueId: ids.next() });
    const ss2 = { ...v1.ss, uniqueId: ids.next() };
    const upd = await out.sendUpdate({ from: senderBox, to: [recipientBox], patient: mssPatient(p), document: v2, submissionSet: ss2, body: 'Version corrigée', originalMessageId: first.messageId });
    expect(upd.subject).toMatch(/^XDM\/1\.0\/DDM\+\[Annule et remplace\] Synthèse LOUIS /);
    const m2 = await nextMessage();
    expect(m2).toMatchObject({ kind: 'replacement', inReplyTo: first.messageId, references: [first.messageId] });
    await expectConformant(m2);
    const rep = worklist.receive(m2)[0]!;
    expect(rep.action).toBe('replace');
    worklist.integrate(rep.id);
    expect(worklist.integratedDocument(v1.doc.metadata.uniqueId)).toMatchObject({ status: 'deprecated', replacedBy: v2.metadata.uniqueId });
    expect(worklist.documentsOf('pat-00003').map((d) => d.version)).toEqual([2]);

    await out.sendDeletion({ from: senderBox, to: [recipientBox], patient: mssPatient(p), document: v2, submissionSet: { ...ss2, uniqueId: ids.next() }, originalMessageId: upd.messageId });
    const m3 = await nextMessage();
    expect(m3.kind).toBe('deletion');
    expect(m3.subject).toMatch(/^XDM\/1\.0\/DDM\+\[Demande de suppression\] /);
    expect(m3.text).toMatch(/doit être supprimé/);
    await expectConformant(m3);
    const del = worklist.receive(m3)[0]!;
    worklist.integrate(del.id);
    expect(worklist.integratedDocument(v2.metadata.uniqueId)?.status).toBe('deleted');
    expect(worklist.documentsOf('pat-00003')).toEqual([]);

    // File the handled mails in a folder (created on first use).
    const newUid = await reader.move(m3.uid, 'Integres');
    expect(newUid).toBeGreaterThan(0);
    expect((await reader.list('Integres')).map((s) => s.subject)).toEqual([m3.subject]);
    expect((await reader.list()).some((s) => s.uid === m3.uid)).toBe(false);
  });

  it('watches the INBOX with IDLE: the unseen message already there, then each new arrival', async () => {
    const p = patient('pat-00004');
    const before = vsmFor(p, sender);
    const waiting = await out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(p), documents: [before.doc], submissionSet: before.ss, body: 'déjà là' });
    await waitFor(async () => ((await reader.listNew()).length ? true : undefined));
    const got: ReceivedMessage[] = [];
    const errors: unknown[] = [];
    const stop = await reader.watch((m) => void got.push(m), { includeExisting: true, onError: (e) => errors.push(e) });
    await waitFor(() => got.find((x) => x.messageId === waiting.messageId));
    const { doc, ss } = vsmFor(p, sender);
    const sent = await out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(p), documents: [doc], submissionSet: ss, body: 'watch' });
    const m = await waitFor(() => got.find((x) => x.messageId === sent.messageId), 10_000);
    expect(m.xdm?.documents[0]!.metadata.uniqueId).toBe(doc.metadata.uniqueId);
    await stop();
    expect(got.map((x) => x.messageId)).toEqual([waiting.messageId, sent.messageId]);
    expect(errors).toEqual([]);
    const journal = await th.admin.journal(SB, { service: 'mssante', operation: 'imap.idle' });
    expect(journal.entries.length).toBeGreaterThan(0);
    for (const x of got) await reader.markSeen(x.uid);
  });

  it('sends to a citizen address generated from a world patient INS', async () => {
    const p = patient('pat-00002');
    const address = citizenAddress(p.ins!.matricule, { domain: SEGUR_SIM_CITIZEN_DOMAIN, oid: p.ins!.oid, qualified: true });
    expect(address).toBe(p.mssPatientAddress);
    const { doc, ss } = vsmFor(p, sender);
    const sent = await out.sendDocuments({ from: senderBox, to: [address], patient: mssPatient(p), documents: [doc], submissionSet: ss, body: 'Votre synthèse', closeConversation: true });
    expect(sent.accepted).toEqual([address]);
    expect(sent.headers['X-MSS-MES']).toBe('FIN');
  });

  it('types SMTP refusals: untrusted domain (550 5.7.1), unknown mailbox (5.1.1), partial refusal, bad token (535)', async () => {
    const p = patient('pat-00002');
    const { doc, ss } = vsmFor(p, sender);
    const base = { from: senderBox, patient: mssPatient(p), documents: [doc], submissionSet: ss, body: 'x' };
    const untrusted = (await out.sendDocuments({ ...base, to: ['dr.house@gmail.com'] }).catch((e: unknown) => e)) as MssanteSmtpError;
    expect(untrusted).toBeInstanceOf(MssanteSmtpError);
    expect(untrusted).toMatchObject({ stage: 'rcpt', code: 550, enhanced: '5.7.1', retryable: false });
    expect(untrusted.recipients).toMatchObject([{ address: 'dr.house@gmail.com', code: 550, enhanced: '5.7.1' }]);
    expect(untrusted.response).toMatch(/liste blanche/);

    const unknown = `nobody@${recipientBox.split('@')[1]}`;
    const partial = await out.sendDocuments({ ...base, to: [recipientBox, unknown] });
    expect(partial.accepted).toEqual([recipientBox]);
    expect(partial.rejected).toMatchObject([{ address: unknown, code: 550, enhanced: '5.1.1' }]);
    await nextMessage();

    const bad = newSender({ accessToken: 'not-a-token' });
    const err = (await bad.sendDocuments({ ...base, to: [recipientBox] }).catch((e: unknown) => e)) as MssanteSmtpError;
    expect(err).toBeInstanceOf(MssanteSmtpError);
    expect(err).toMatchObject({ stage: 'auth', code: 535, enhanced: '5.7.8', isAuthFailure: true });
    bad.close();

    // Another professional's token does not open the recipient's mailbox over IMAP either.
    const intruder = new MssanteReader({ imap: { host: '127.0.0.1', port: port(th, 'imap') }, tls: tls(), auth: { user: recipientBox, sandbox: SB, accessToken: senderToken } });
    const imapErr = (await intruder.connect().catch((e: unknown) => e)) as MssanteImapError;
    expect(imapErr).toBeInstanceOf(MssanteImapError);
    expect(imapErr.kind).toBe('auth');
  });

  it('refuses to put two patients in one message before connecting', async () => {
    const a = vsmFor(patient('pat-00002'), sender);
    const b = vsmFor(patient('pat-00003'), sender);
    await expect(out.sendDocuments({ from: senderBox, to: [recipientBox], patient: mssPatient(patient('pat-00002')), documents: [a.doc, b.doc], submissionSet: a.ss, body: 'x' })).rejects.toThrow(/one patient per message/);
  });
});
