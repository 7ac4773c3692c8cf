/**
 * The simulated patient: what a citizen does in Mon espace santé's messaging, driven by the admin API and
 * the CLI — list their messages, read one (the MDN the professional asked for goes out: the patient cannot
 * refuse it, notes §1.5), reply (only inside an open conversation), write first (only to an officine).
 * Replies go through the operator's delivery path and are journaled (operation `mes.reply` / `mes.send`).
 */
import { randomBytes } from 'node:crypto';
// mailparser (and its HTML and charset stacks) is loaded on first use, not at host start.
import type { Patient } from '../../../fixtures/index.js';
import type { HostContext } from '../../core/host-context.js';
import type { Sandbox } from '../../core/sandbox.js';
import { MES_MAX_MESSAGE_BYTES, MSSANTE_SERVICE_ID } from '../constants.js';
import { compose, type Attachment } from '../correspondents/compose.js';
import { directoryOf } from '../directory.js';
import { decodedHeader } from '../mime/message.js';
import { mssanteRuntime } from '../runtime.js';
import { deliver, screenSubmission, type DeliveryInput } from '../smtp/delivery.js';
import { sendReadReceipt } from '../receipts/index.js';
import { mailStore, type MailStore, type MessageRecord } from '../store/mail-store.js';
import { citizenChecked } from './hook.js';
import { bareAddress, conversationsOf, MES_REFUSALS, mayPatientSend, type Channel, type Conversations, type MesRefusal, type ProMessage } from './rules.js';

export class CitizenError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Mon espace santé's refusal, when a rule refused the message. */
    readonly refusal?: { rule: string; status: string; text: string; detail: string },
  ) {
    super(message);
  }
}

export interface PatientBox {
  sandbox: Sandbox;
  patient: Patient;
  address: string;
  store: MailStore;
}

/** The patient by INS matricule, patient id or citizen address; must have a Mon espace santé address. */
export async function patientBox(host: HostContext, sandbox: Sandbox, ref: string): Promise<PatientBox> {
  const r = decodeURIComponent(ref).trim().toLowerCase();
  const patient = sandbox.world.patients.find((p) => p.ins?.matricule === r || p.id === r || p.mssPatientAddress === r);
  if (!patient) throw new CitizenError(404, 'UnknownPatient', `no patient with INS, id or address ${r} in the world of sandbox ${sandbox.id}`);
  if (!patient.mssPatientAddress) throw new CitizenError(404, 'NoCitizenMailbox', `patient ${patient.id} has no Mon espace santé address (only patients with a NIR-based INS have one)`);
  return { sandbox, patient, address: patient.mssPatientAddress, store: await mailStore(sandbox, host.clock, host.log) };
}

function channelView(c: Channel | undefined) {
  return c ? { state: c.state, openedBy: c.openedBy, lastUid: c.lastUid, ...(c.closedBy ? { closedBy: c.closedBy } : {}) } : undefined;
}

export async function listPatientMessages(box: PatientBox) {
  const conv = await conversationsOf(box.store, box.address);
  const byUid = new Map(conv.messages.map((m) => [m.uid, m]));
  const folder = box.store.peekAccount(box.address)?.folders.get('INBOX');
  const messages = await Promise.all(
    (folder?.messages ?? []).map(async (m) => {
      const parsed = await box.store.parsed(m.blob);
      const h = (n: string) => (parsed ? decodedHeader(parsed.mime.root, n) : undefined);
      const pro = byUid.get(m.uid);
      const verdict = pro ? mayPatientSend(conv, pro.contact, { replyingTo: pro }) : undefined;
      return {
        uid: m.uid,
        flags: [...m.flags],
        size: m.size,
        from: h('from'),
        subject: h('subject'),
        date: h('date'),
        messageId: h('message-id'),
        kind: pro ? 'professional' : m.meta?.source === 'dsn' ? 'delivery-report' : 'other',
        ...(pro ? { replyTo: pro.contact, fin: pro.fin ?? null, canReply: verdict!.ok, ...(verdict!.ok ? {} : { refusal: verdict!.refusal.code }) } : {}),
        readReceiptRequested: Boolean(h('disposition-notification-to')),
      };
    }),
  );
  return {
    patient: { id: box.patient.id, ins: box.patient.ins?.matricule, name: `${box.patient.firstName} ${box.patient.birthName}` },
    address: box.address,
    conversations: [...conv.channels.values()].map((c) => ({ contact: c.contact, ...channelView(c) })),
    messages,
  };
}

function findRecord(box: PatientBox, uid: number): MessageRecord {
  const record = box.store.peekAccount(box.address)?.folders.get('INBOX')?.messages.find((m) => m.uid === uid);
  if (!record) throw new CitizenError(404, 'UnknownMessage', `no message with UID ${uid} in the Mon espace santé inbox of ${box.address}`);
  return record;
}

export async function readPatientMessage(host: HostContext, box: PatientBox, uid: number, opts: { receipt?: boolean } = {}) {
  const record = findRecord(box, uid);
  const raw = await box.store.raw(record.blob);
  if (!raw) throw new CitizenError(500, 'MissingBlob', `the bytes of message ${uid} are missing from the store`);
  const wasSeen = record.flags.has('\\Seen');
  if (!wasSeen) await box.store.setFlags(box.address, 'INBOX', new Map([[uid, new Set([...record.flags, '\\Seen'])]]));
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(raw);
  const parsed = await box.store.parsed(record.blob);
  const dnt = bareAddress(parsed ? decodedHeader(parsed.mime.root, 'disposition-notification-to') : undefined);
  let receipt: { status: 'not-requested' | 'sent' | 'already-sent' | 'declined' | 'failed'; to?: string; uid?: number; detail?: string } = { status: 'not-requested' };
  if (dnt) {
    if (opts.receipt === false) receipt = { status: 'declined', to: dnt, detail: 'receipt: false (Mon espace santé itself never lets the patient refuse it)' };
    else if (record.flags.has('$MDNSent')) receipt = { status: 'already-sent', to: dnt };
    else {
      try {
        const directory = directoryOf(box.sandbox.world, mssanteRuntime(host).extraApp);
        const sent = await sendReadReceipt(box.store, raw, box.address, { userAgent: 'Mon espace santé (segur-sim)', date: new Date(host.clock.now()), deliverable: (a) => Boolean(directory.get(a)) });
        if (sent.sent) {
          const now = findRecord(box, uid);
          await box.store.setFlags(box.address, 'INBOX', new Map([[uid, new Set([...now.flags, '$MDNSent'])]]));
          receipt = { status: 'sent', to: sent.to, uid: sent.uid };
        } else receipt = { status: 'failed', to: dnt, detail: sent.reason };
      } catch (err) {
        host.log(`MSSanté citizen: read receipt failed: ${(err as Error).stack ?? err}`);
        receipt = { status: 'failed', to: dnt, detail: (err as Error).message };
      }
    }
  }
  const after = findRecord(box, uid);
  return {
    uid,
    flags: [...after.flags],
    wasSeen,
    from: mail.from?.text,
    to: Array.isArray(mail.to) ? mail.to.map((t) => t.text).join(', ') : mail.to?.text,
    subject: mail.subject,
    date: mail.date?.toISOString(),
    messageId: mail.messageId,
    text: mail.text ?? '',
    attachments: mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size })),
    mss: { mes: mail.headers.get('x-mss-mes') ?? null, ins: mail.headers.get('x-mss-ins') ?? null, codeCda: mail.headers.get('x-mss-codecda') ?? null },
    receipt,
  };
}

export interface PatientSendInput {
  text: string;
  subject?: string;
  attachments?: { filename: string; contentType?: string; contentBase64: string }[];
}

function refuse(refusal: MesRefusal, detail: string): never {
  throw new CitizenError(refusal.code === MES_REFUSALS.tooBig.code ? 413 : refusal.code === MES_REFUSALS.unknownRecipient.code ? 404 : 409, refusal.code, `${refusal.text} (${detail})`, { rule: refusal.code, status: refusal.status, text: refusal.text, detail });
}

/** Replies to a professional's message (UID in the patient's INBOX). */
export async function replyAsPatient(host: HostContext, sandbox: Sandbox, box: PatientBox, uid: number, input: PatientSendInput) {
  findRecord(box, uid);
  const conv = await conversationsOf(box.store, box.address);
  const pro = conv.messages.find((m) => m.uid === uid);
  if (!pro) throw new CitizenError(409, 'NotAProfessionalMessage', `message ${uid} was not written by a professional (delivery report or other): there is nobody to reply to`);
  const verdict = mayPatientSend(conv, pro.contact, { replyingTo: pro });
  if (!verdict.ok) refuse(verdict.refusal, verdict.detail);
  const subject = input.subject ?? (/^re:/i.test(pro.subject) ? pro.subject : `Re: ${pro.subject}`);
  return sendAsPatient(host, sandbox, box, conv, pro.contact, subject, input, pro);
}

/** A new message from the patient: only to an open conversation's contact, or to an officine. */
export async function writeAsPatient(host: HostContext, sandbox: Sandbox, box: PatientBox, to: string, input: PatientSendInput) {
  const contact = to.trim().toLowerCase();
  const conv = await conversationsOf(box.store, box.address);
  const directory = directoryOf(sandbox.world, mssanteRuntime(host).extraApp);
  const entry = directory.get(contact);
  const officine = Boolean(entry?.structureId && sandbox.world.structures.find((s) => s.id === entry.structureId)?.type === 'OFFICINE');
  const verdict = mayPatientSend(conv, contact, { officine });
  if (!verdict.ok) refuse(verdict.refusal, verdict.detail);
  return sendAsPatient(host, sandbox, box, conv, contact, input.subject ?? 'Message de votre patient', input);
}

async function sendAsPatient(host: HostContext, sandbox: Sandbox, box: PatientBox, _conv: Conversations, to: string, subject: string, input: PatientSendInput, answering?: ProMessage) {
  const startedAt = host.clock.now();
  const directory = directoryOf(sandbox.world, mssanteRuntime(host).extraApp);
  if (!directory.get(to) || directory.get(to)?.type === 'PAT') refuse(MES_REFUSALS.unknownRecipient, `${to} is not a professional mailbox of the simulated espace de confiance`);
  const attachments: Attachment[] = (input.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType ?? 'application/octet-stream', content: Buffer.from(a.contentBase64, 'base64') }));
  const now = new Date(host.clock.now());
  const messageId = `<${randomBytes(8).toString('hex')}.mes@${box.address.split('@')[1]}>`;
  const headers: [string, string][] = [];
  if (answering?.messageId) headers.push(['In-Reply-To', answering.messageId], ['References', `${answering.references ? `${answering.references} ` : ''}${answering.messageId}`]);
  const raw = compose({ from: { address: box.address, name: `${box.patient.firstName} ${box.patient.birthName}` }, to: [to], subject, date: now, messageId, headers, text: input.text, attachments });
  if (raw.length > MES_MAX_MESSAGE_BYTES) refuse(MES_REFUSALS.tooBig, `${raw.length} bytes`);
  const screening = screenSubmission(raw, { mode: host.config.mode, recipients: [{ address: to, type: directory.get(to)?.type }] });
  if (screening.refusal) throw new CitizenError(422, 'RefusedByValidation', `the operator refused the message: ${screening.refusal.code} ${screening.refusal.enhanced} ${screening.refusal.text}`);
  const transaction = randomBytes(5).toString('hex').toUpperCase();
  const delivery: DeliveryInput = {
    store: box.store,
    raw,
    mailFrom: box.address,
    envelopeDsn: {},
    recipients: [{ address: to }],
    transaction,
    client: { helo: 'mon-espace-sante.simu.mssante.test', address: '127.0.0.1', login: box.address, tls: 'TLSv1.3' },
    arrival: now,
  };
  citizenChecked.add(delivery);
  const outcome = await deliver(delivery);
  // Mon espace santé keeps what the patient sent.
  const sent = await box.store.addMessage(box.address, 'Sent', outcome.stored, { flags: ['\\Seen'], internalDate: now.getTime(), meta: { source: 'append', transaction } });
  if (answering) {
    const rec = findRecord(box, answering.uid);
    await box.store.setFlags(box.address, 'INBOX', new Map([[answering.uid, new Set([...rec.flags, '\\Answered', '\\Seen'])]]));
  }
  const operation = answering ? 'mes.reply' : 'mes.send';
  sandbox.journal.add({
    sandbox: sandbox.id,
    service: MSSANTE_SERVICE_ID,
    operation,
    transport: 'internal',
    startedAt,
    endedAt: host.clock.now(),
    request: { method: answering ? 'REPLY' : 'SEND', headers: { 'mail-from': box.address, 'rcpt-to': to }, body: raw },
    response: { status: 250, headers: { reply: `2.0.0 Ok: queued as ${transaction}` } },
    summary: { patient: box.patient.id, from: box.address, to: outcome.results, subject, messageId, transaction, ...(answering ? { inReplyTo: answering.uid } : {}), validation: screening.validation },
    verdicts: screening.verdicts,
  });
  return { sandbox: sandbox.id, from: box.address, to, subject, messageId, transaction, size: raw.length, sentUid: sent.uid, delivery: outcome.results };
}
