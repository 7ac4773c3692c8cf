import type { Command } from 'commander';
import { AdminClient } from '../../admin.js';
import { common, print, type Common } from './admin-commands.js';

const enc = encodeURIComponent;

interface PatientMessage {
  uid: number;
  flags: string[];
  from?: string;
  subject?: string;
  date?: string;
  kind: string;
  canReply?: boolean;
  refusal?: string;
  fin?: string | null;
}
interface PatientInbox {
  sandbox: string;
  patient: { id: string; ins?: string; name: string };
  address: string;
  conversations: { contact: string; state: string; closedBy?: { uid: number; how: string } }[];
  messages: PatientMessage[];
}
interface ReadView {
  uid: number;
  from?: string;
  subject?: string;
  date?: string;
  text: string;
  attachments: { filename?: string; contentType: string; size: number }[];
  receipt: { status: string; to?: string; detail?: string };
}
interface SendView {
  from: string | { id: string; address: string; label: string };
  to: string;
  subject: string;
  messageId: string;
  delivery: { address: string; status: string; uid?: number; diagnostic?: string }[];
  action?: string;
  document?: { uniqueId: string; version: number; replaces?: string };
  patient?: { id: string; ins: string };
}

function patientPath(sandbox: string, ins: string): string {
  return `/_admin/sandboxes/${enc(sandbox)}/mssante/patients/${enc(ins)}/messages`;
}

function describeInbox(v: PatientInbox): string {
  const lines = [`Mon espace santé of ${v.patient.name} (${v.address}), sandbox ${v.sandbox}`];
  if (!v.messages.length) lines.push('  no message');
  for (const m of v.messages) {
    const seen = m.flags.includes('\\Seen') ? ' ' : '●';
    const reply = m.kind !== 'professional' ? '' : m.canReply ? '  [can reply]' : `  [no reply: ${m.refusal}]`;
    lines.push(`${seen} ${String(m.uid).padStart(3)}  ${(m.date ?? '').slice(0, 31).padEnd(31)}  ${(m.from ?? '').padEnd(40)}  ${m.subject ?? ''}${reply}`);
  }
  if (v.conversations.length) {
    lines.push('conversations:');
    for (const c of v.conversations) lines.push(`  ${c.state.padEnd(6)} ${c.contact}${c.closedBy ? `  (closed by ${c.closedBy.how}, message ${c.closedBy.uid})` : ''}`);
  }
  return lines.join('\n');
}

function describeSend(v: SendView): string {
  const from = typeof v.from === 'string' ? v.from : `${v.from.label} <${v.from.address}>`;
  const head = [`${from} → ${v.to}`, `subject  ${v.subject}`, `message  ${v.messageId}`];
  if (v.document) head.push(`document ${v.document.uniqueId} (version ${v.document.version}${v.document.replaces ? `, replaces ${v.document.replaces}` : ''})${v.action && v.action !== 'new' ? `  [${v.action}]` : ''}`);
  if (v.patient) head.push(`patient  ${v.patient.id}  INS ${v.patient.ins}`);
  for (const d of v.delivery) head.push(`${d.status.padEnd(9)} ${d.address}${d.uid ? `  UID ${d.uid}` : ''}${d.diagnostic ? `  ${d.diagnostic}` : ''}`);
  return head.join('\n');
}

/** `segur-sim mssante ...`: simulated patients and correspondents of the MSSanté simulator. */
export function registerMssante(program: Command): void {
  const mss = program.command('mssante').description('MSSanté: the simulated patient (Mon espace santé) and simulated correspondents (lab, imaging)');
  const patient = mss.command('patient').description("a patient's Mon espace santé messaging: list, read, reply (only to a professional who wrote first)");

  common(patient.command('inbox <ins>').description("the patient's messages (INS matricule, patient id or citizen address)")).action(async (ins: string, o: Common) => {
    const v = await new AdminClient(o.url).request<PatientInbox>('GET', patientPath(o.sandbox, ins));
    print(o.json, v, () => describeInbox(v));
  });

  common(
    patient
      .command('read <ins> <uid>')
      .description('read a message (marks it seen; sends the read receipt the professional asked for)')
      .option('--no-receipt', 'do not send the requested read receipt (Mon espace santé itself always sends it)'),
  ).action(async (ins: string, uid: string, o: Common & { receipt: boolean }) => {
    const v = await new AdminClient(o.url).request<ReadView>('POST', `${patientPath(o.sandbox, ins)}/${enc(uid)}/read`, o.receipt ? {} : { receipt: false });
    print(o.json, v, () =>
      [
        `From:    ${v.from ?? ''}`,
        `Subject: ${v.subject ?? ''}`,
        `Date:    ${v.date ?? ''}`,
        ...v.attachments.map((a) => `Attached: ${a.filename ?? '(no name)'} (${a.contentType}, ${a.size} bytes)`),
        `Read receipt: ${v.receipt.status}${v.receipt.to ? ` → ${v.receipt.to}` : ''}`,
        '',
        v.text.trimEnd(),
      ].join('\n'),
    );
  });

  common(
    patient
      .command('reply <ins> <uid>')
      .description("reply to a professional's message (refused when the conversation is closed or was never opened)")
      .requiredOption('--text <text>', 'the reply')
      .option('--subject <subject>', 'default: "Re: <subject>"'),
  ).action(async (ins: string, uid: string, o: Common & { text: string; subject?: string }) => {
    const v = await new AdminClient(o.url).request<SendView>('POST', `${patientPath(o.sandbox, ins)}/${enc(uid)}/reply`, { text: o.text, ...(o.subject ? { subject: o.subject } : {}) });
    print(o.json, v, () => describeSend(v));
  });

  common(
    patient
      .command('write <ins> <to>')
      .description('write first (Mon espace santé only allows it towards an officine or an open conversation)')
      .requiredOption('--text <text>', 'the message')
      .option('--subject <subject>', 'subject'),
  ).action(async (ins: string, to: string, o: Common & { text: string; subject?: string }) => {
    const v = await new AdminClient(o.url).request<SendView>('POST', patientPath(o.sandbox, ins), { to, text: o.text, ...(o.subject ? { subject: o.subject } : {}) });
    print(o.json, v, () => describeSend(v));
  });

  common(
    mss
      .command('send-result')
      .description("a simulated correspondent sends a result (CR de biologie / CR d'imagerie in IHE_XDM.zip) to a mailbox")
      .requiredOption('--to <address>', 'recipient mailbox (a practice mailbox of the world)')
      .option('--from <who>', 'lab | imaging', undefined)
      .option('--patient <id>', 'patient id, INS or citizen address (default: the first qualified patient)')
      .option('--kind <kind>', 'cr-bio | cr-imagerie (default: the correspondent\'s)')
      .option('--replace <uniqueId>', 'send a new version (RPLC) of this document ("last": the last one sent to --to)')
      .option('--delete <uniqueId>', 'send a deletion request for this document ("last" as above)')
      .option('--read-receipt', 'ask for a read receipt (Disposition-Notification-To)'),
  ).action(async (o: Common & { to: string; from?: string; patient?: string; kind?: string; replace?: string; delete?: string; readReceipt?: boolean }) => {
    const body = {
      to: o.to,
      ...(o.from ? { from: o.from } : {}),
      ...(o.patient ? { patientId: o.patient } : {}),
      ...(o.kind ? { kind: o.kind } : {}),
      ...(o.replace ? { replace: o.replace } : {}),
      ...(o.delete ? { delete: o.delete } : {}),
      ...(o.readReceipt ? { readReceipt: true } : {}),
    };
    const v = await new AdminClient(o.url).request<SendView>('POST', `/_admin/sandboxes/${enc(o.sandbox)}/mssante/correspondents/send`, body);
    print(o.json, v, () => describeSend(v));
  });
}
