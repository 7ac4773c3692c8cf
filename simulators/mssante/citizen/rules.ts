/**
 * Mon espace santé (MES) conversation rules over the mail store (notes §3 "Patient (MSS citoyenne / MES)"):
 *
 * - only professionals open a conversation: a message from a professional mailbox delivered to a patient
 *   address opens the channel towards that professional (towards its `Reply-To` when it carries an MSSanté
 *   address: that address, not the From, becomes the patient's contact);
 * - the patient may only reply on an open channel (exception: a patient may write first to an officine);
 * - `X-MSS-MES: FIN` on a professional's message (that message cannot be answered) or a message whose
 *   subject carries `[FIN]` closes the channel; a later ordinary message from the professional opens it again;
 * - Mon espace santé takes at most 25 Mo.
 *
 * The state is not stored on its own: it is derived from the patient's INBOX (the mail store's events,
 * replayed at open), so it survives restarts and follows sandbox resets.
 */
import { MSS_PATIENT_DOMAIN } from '../../../fixtures/patients.js';
import { MES_MAX_MESSAGE_BYTES } from '../constants.js';
import { decodedHeader } from '../mime/message.js';
import type { MailStore, MessageRecord } from '../store/mail-store.js';

export const MES_DOMAIN = MSS_PATIENT_DOMAIN;

/** Texts and status codes of Mon espace santé's refusals ("Message non distribué", notes §3). */
export const MES_REFUSALS = {
  notOpened: {
    code: 'MesConversationNotOpened',
    status: '5.7.1',
    text: "Message non distribué : dans Mon espace santé, seul un professionnel peut ouvrir une conversation ; l'usager ne peut répondre qu'à un professionnel qui lui a écrit",
  },
  closed: {
    code: 'MesConversationClosed',
    status: '5.7.1',
    text: 'Message non distribué : le professionnel a clos la conversation (X-MSS-MES: FIN ou [FIN]) ; l\'usager ne peut plus y répondre',
  },
  noReply: {
    code: 'MesNoReplyAllowed',
    status: '5.7.1',
    text: "Message non distribué : ce message a été envoyé avec X-MSS-MES: FIN, le professionnel n'attend pas de réponse",
  },
  tooBig: {
    code: 'MesMessageTooBig',
    status: '5.3.4',
    text: `Message size exceeds fixed limit: Mon espace santé accepts at most ${MES_MAX_MESSAGE_BYTES} bytes`,
  },
  unknownRecipient: {
    code: 'MesRecipientUnknown',
    status: '5.1.1',
    text: "Message non distribué : adresse invalide ou inconnue de l'espace de confiance",
  },
} as const;

export type MesRefusal = (typeof MES_REFUSALS)[keyof typeof MES_REFUSALS];

export function isPatientAddress(address: string): boolean {
  return address.toLowerCase().endsWith(`@${MES_DOMAIN}`);
}

/** `Dr X <a@b>` → `a@b` (first address of a list), lower-case. */
export function bareAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const first = value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0] ?? '';
  const m = /<([^>]+)>/.exec(first);
  const addr = (m ? m[1]! : first).trim().toLowerCase();
  return addr.includes('@') ? addr : undefined;
}

export interface ProMessage {
  uid: number;
  from: string;
  replyTo?: string;
  /** Where the patient's reply goes: the Reply-To when it is an MSSanté address, else the From. */
  contact: string;
  subject: string;
  messageId?: string;
  references?: string;
  fin: 'header' | 'subject' | undefined;
  record: MessageRecord;
}

export interface Channel {
  contact: string;
  state: 'open' | 'closed';
  openedBy: number;
  /** UID of the last professional message on this channel. */
  lastUid: number;
  closedBy?: { uid: number; how: 'X-MSS-MES: FIN' | '[FIN]' };
}

export interface Conversations {
  patient: string;
  messages: ProMessage[];
  channels: Map<string, Channel>;
}

const FIN_SUBJECT = /\[FIN\]/i;

/** Reads a patient's INBOX: professional messages in UID order and the channel each opened or closed. */
export async function conversationsOf(store: MailStore, patient: string): Promise<Conversations> {
  const folder = store.peekAccount(patient)?.folders.get('INBOX');
  const messages: ProMessage[] = [];
  const channels = new Map<string, Channel>();
  for (const record of folder?.messages ?? []) {
    // DSNs, MDNs and other operator-generated mail are not professionals writing.
    if (record.meta?.source !== 'smtp' || !record.meta.mailFrom) continue;
    const parsed = await store.parsed(record.blob);
    if (!parsed) continue;
    const h = (n: string) => decodedHeader(parsed.mime.root, n);
    const from = bareAddress(h('from')) ?? record.meta.mailFrom.toLowerCase();
    if (isPatientAddress(from)) continue;
    const replyTo = bareAddress(h('reply-to'));
    const contact = replyTo && !isPatientAddress(replyTo) ? replyTo : from;
    const subject = h('subject') ?? '';
    const mes = (h('x-mss-mes') ?? '').trim().toUpperCase();
    const fin = mes === 'FIN' ? 'header' : FIN_SUBJECT.test(subject) ? 'subject' : undefined;
    const msg: ProMessage = { uid: record.uid, from, replyTo, contact, subject, messageId: h('message-id')?.trim(), references: h('references')?.trim(), fin, record };
    messages.push(msg);
    for (const c of new Set([contact, from])) {
      if (fin) {
        const prev = channels.get(c);
        channels.set(c, { contact: c, state: 'closed', openedBy: prev?.openedBy ?? record.uid, lastUid: record.uid, closedBy: { uid: record.uid, how: fin === 'header' ? 'X-MSS-MES: FIN' : '[FIN]' } });
      } else if (c === contact) {
        const prev = channels.get(c);
        channels.set(c, { contact: c, state: 'open', openedBy: prev?.state === 'open' ? prev.openedBy : record.uid, lastUid: record.uid });
      }
    }
  }
  return { patient, messages, channels };
}

export type Verdict = { ok: true; contact: string; channel?: Channel } | { ok: false; refusal: MesRefusal; detail: string; channel?: Channel };

/**
 * May the patient send to `to`? `replyingTo` names the professional message answered (UID in the
 * patient's INBOX); `officine` says the recipient belongs to an officine (the patient may write first).
 */
export function mayPatientSend(conv: Conversations, to: string, opts: { replyingTo?: ProMessage; officine?: boolean } = {}): Verdict {
  const contact = to.toLowerCase();
  const channel = conv.channels.get(contact);
  if (opts.replyingTo?.fin === 'header') return { ok: false, refusal: MES_REFUSALS.noReply, detail: `message ${opts.replyingTo.uid} from ${opts.replyingTo.from} carries X-MSS-MES: FIN`, channel };
  if (channel?.state === 'open') return { ok: true, contact, channel };
  if (channel?.state === 'closed') return { ok: false, refusal: MES_REFUSALS.closed, detail: `${contact} closed the conversation with ${channel.closedBy?.how} (message ${channel.closedBy?.uid})`, channel };
  if (opts.officine) return { ok: true, contact };
  return { ok: false, refusal: MES_REFUSALS.notOpened, detail: `${contact} never wrote to ${conv.patient}` };
}
