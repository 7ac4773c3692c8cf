/**
 * A simulated correspondent (lab, imaging centre) sends a result to a mailbox of the simulated espace de
 * confiance: a CDA (`buildDocument`), packaged as `IHE_XDM.zip` (`client/mssante/xdm.ts`) with a PDF copy,
 * the X-MSS-* headers and the `XDM/1.0/DDM+…` subject (notes §1.4, §2.1), a new version (RPLC) or a
 * deletion request (notes §2.4) of a document it sent before. The message goes through the operator's
 * delivery path (`smtp/delivery.ts`: citizen rules, trace headers, bounces, DSN) and is journaled
 * (operation `correspondents.send`).
 */
import { randomBytes } from 'node:crypto';
import { buildXdm, XDM_ZIP_NAME } from '../../../client/mssante/xdm.js';
import { buildDocument, buildPdf, joinOid, patientIdOf, submissionSetFor, type BuiltDocument, type Patient } from '../../../fixtures/index.js';
import type { HostContext } from '../../core/host-context.js';
import type { Sandbox } from '../../core/sandbox.js';
import type { Decision } from '../../../scenarios/engine/types.js';
import { MSSANTE_SERVICE_ID, OPERATOR_HOSTNAME } from '../constants.js';
import { directoryOf, domainOf, normalizeAddress } from '../directory.js';
import { mssanteRuntime } from '../runtime.js';
import { deliver, screenSubmission } from '../smtp/delivery.js';
import { mailStore } from '../store/mail-store.js';
import { correspondent, defaultPatient, findPatient, type CorrespondentId, type ResultKind } from './cast.js';
import { compose } from './compose.js';
import { correspondentLedger, type SentDocument } from './ledger.js';

export interface SendRequest {
  from?: CorrespondentId;
  to: string;
  /** Patient id, INS matricule or citizen address; default: the world's first qualified patient. */
  patientId?: string;
  kind?: ResultKind;
  /** uniqueId of a document sent earlier: send its next version (RPLC). */
  replace?: string;
  /** uniqueId of a document sent earlier: send a deletion request. */
  delete?: string;
  /** Ask for a read receipt (Disposition-Notification-To: the correspondent). */
  readReceipt?: boolean;
}

export interface SendResult {
  sandbox: string;
  from: { id: CorrespondentId; address: string; label: string };
  to: string;
  action: 'new' | 'replace' | 'delete';
  kind: ResultKind;
  patient: { id: string; ins: string };
  document: { uniqueId: string; setId: string; version: number; replaces?: string };
  subject: string;
  messageId: string;
  transaction: string;
  size: number;
  delivery: { address: string; status: 'delivered' | 'bounced'; uid?: number; diagnostic?: string }[];
}

export class CorrespondentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Root of the uniqueIds correspondents give their documents (segur-sim's arc, "correspondents" branch). */
export const CORRESPONDENT_OID_ROOT = '1.2.250.1.999.7301.20';
/** sourceId of the correspondents' submission sets. */
export const CORRESPONDENT_SOURCE_ID = '1.2.250.1.999.7301.21';

const KIND_TEXT: Record<ResultKind, { label: string; file: string; lines: string[] }> = {
  'cr-bio': { label: 'CR de biologie', file: 'CR_de_biologie', lines: ['Compte rendu de biologie médicale (examens du jour).', 'Résultats validés par le biologiste.'] },
  'cr-imagerie': { label: "CR d'imagerie", file: 'CR_d_imagerie_medicale', lines: ["Compte rendu d'imagerie médicale.", 'Conclusion : examen dans les limites de la normale (données synthétiques).'] },
};

function upperNoAccents(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase();
}

function frenchDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

function fileSafe(s: string): string {
  return upperNoAccents(s).replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');
}

/** The stub `buildDocument` needs as `replaces`: only the setId, version, uniqueId and patient are read. */
function previousStub(rec: SentDocument, patient: Patient): BuiltDocument {
  return { kind: rec.kind, content: new Uint8Array(), setId: rec.setId, version: rec.version, metadata: { uniqueId: rec.uniqueId, patientId: patientIdOf(patient) } } as unknown as BuiltDocument;
}

export async function sendCorrespondentResult(host: HostContext, sandbox: Sandbox, req: SendRequest, trigger?: { decision?: Decision; reason?: string }): Promise<SendResult> {
  const startedAt = host.clock.now();
  const world = sandbox.world;
  const directory = directoryOf(world, mssanteRuntime(host).extraApp);
  const to = normalizeAddress(req.to);
  if (!directory.get(to)) throw new CorrespondentError(404, 'UnknownMailbox', `no mailbox ${to} in the world of sandbox ${sandbox.id} (see GET /_admin/sandboxes/${sandbox.id}/mssante/mailboxes?all=true)`);
  if (req.replace && req.delete) throw new CorrespondentError(400, 'InvalidBody', 'give either replace or delete, not both');
  const ledger = await correspondentLedger(sandbox);

  const target = req.replace ?? req.delete;
  const previous = target ? ledger.get(target) : undefined;
  if (target && !previous) {
    throw new CorrespondentError(404, 'UnknownDocument', `no document ${target} was sent by a simulated correspondent in sandbox ${sandbox.id} (known: ${ledger.all().map((d) => d.uniqueId).slice(-5).join(', ') || 'none'})`);
  }
  if (previous && previous.state !== 'current') {
    throw new CorrespondentError(409, 'NotCurrentVersion', `document ${previous.uniqueId} is ${previous.state === 'replaced' ? `replaced by ${previous.replacedBy}` : 'already deleted'}: only the current version can be ${req.replace ? 'replaced' : 'deleted'}`);
  }
  const fromId: CorrespondentId = previous?.from ?? req.from ?? (req.kind === 'cr-imagerie' ? 'imaging' : 'lab');
  const corr = correspondent(world, fromId);
  if (!corr) throw new CorrespondentError(409, 'NoCorrespondent', `the world of sandbox ${sandbox.id} has nobody to play the ${fromId} correspondent`);
  const kind: ResultKind = previous?.kind ?? req.kind ?? corr.defaultKind;
  if (kind !== 'cr-bio' && kind !== 'cr-imagerie') throw new CorrespondentError(400, 'InvalidBody', `kind must be cr-bio or cr-imagerie (got ${String(kind)})`);
  const patient = previous ? world.patients.find((p) => p.id === previous.patientId) : req.patientId ? findPatient(world, req.patientId) : defaultPatient(world);
  if (!patient) throw new CorrespondentError(404, 'UnknownPatient', `no patient ${req.patientId ?? ''} in the world of sandbox ${sandbox.id}`);
  if (!patient.ins) throw new CorrespondentError(409, 'PatientWithoutIns', `patient ${patient.id} has no INS: a result cannot be filed under it`);

  const now = new Date(host.clock.now());
  const action: SendResult['action'] = req.replace ? 'replace' : req.delete ? 'delete' : 'new';
  const base = { kind, patient, author: corr.author, structure: corr.structure };
  let doc: BuiltDocument;
  if (action === 'delete') {
    const parent = previous!.replaces ? ledger.get(previous!.replaces) : undefined;
    doc = buildDocument({ ...base, uniqueId: previous!.uniqueId, effectiveTime: previous!.effectiveTime, ...(parent ? { replaces: previousStub(parent, patient) } : { setId: previous!.setId }) });
  } else {
    const uniqueId = joinOid(CORRESPONDENT_OID_ROOT, fromId === 'lab' ? 1 : 2, ledger.nextSerial());
    doc = buildDocument({ ...base, uniqueId, effectiveTime: now, ...(previous ? { replaces: previousStub(previous, patient) } : {}) });
  }
  const submissionSet = submissionSetFor(doc, { sourceId: CORRESPONDENT_SOURCE_ID, submissionTime: now, uniqueId: `${doc.metadata.uniqueId}.${ledger.nextSerial()}` });
  const zip = buildXdm({
    documents: [doc],
    submissionSet,
    intendedRecipients: [to],
    readme: { sender: `${corr.label} <${corr.address}>`, application: { name: 'segur-sim correspondant simulé', version: '1', vendor: 'segur-sim' } },
    ...(action === 'delete' ? { deleteUniqueIds: [doc.metadata.uniqueId] } : {}),
  });

  const text = KIND_TEXT[kind];
  const nom = upperNoAccents(patient.birthName);
  const libelle = (doc.metadata.typeCode.display ?? text.label).slice(0, 40);
  const subject = `XDM/1.0/DDM+${libelle} ${nom} ${patient.firstName} ${frenchDate(patient.birthDate)}`;
  const messageId = `<${randomBytes(8).toString('hex')}.${fromId}@${domainOf(corr.address)}>`;
  const who = `${patient.firstName} ${nom}, né(e) le ${frenchDate(patient.birthDate)}`;
  const body =
    action === 'delete'
      ? [`Bonjour,`, '', `Demande de suppression : le document ${doc.metadata.uniqueId} (${text.label}, ${who}) envoyé le ${new Date(previous!.sentAt).toISOString().slice(0, 10)} doit être supprimé de votre dossier patient.`, '', `Le document est joint dans ${XDM_ZIP_NAME} avec l'action "D" (notes §2.4).`, '', corr.label]
      : [
          'Bonjour,',
          '',
          action === 'replace' ? `ANNULE ET REMPLACE le document ${previous!.uniqueId} : nouvelle version (${doc.version}) ci-jointe.` : `Veuillez trouver ci-joint le ${text.label} de ${who}.`,
          '',
          `Document ${doc.metadata.uniqueId}, patient INS ${patient.ins.matricule}.`,
          '',
          `${corr.author.firstName} ${corr.author.lastName} — ${corr.label}`,
          '(message simulé par segur-sim, données synthétiques)',
        ];
  const attachments = [{ filename: XDM_ZIP_NAME, contentType: 'application/zip', content: zip }];
  if (action !== 'delete') {
    const day = doc.metadata.creationTime.slice(0, 8);
    const pdf = buildPdf({ title: `${doc.metadata.title}`, lines: [`Patient : ${who}`, `INS : ${patient.ins.matricule}`, '', ...text.lines, ...(action === 'replace' ? ['', `Annule et remplace le document ${previous!.uniqueId}.`] : [])], author: `${corr.author.firstName} ${corr.author.lastName}` });
    attachments.push({ filename: `${day}_${text.file}_${fileSafe(patient.birthName)}_${fileSafe(patient.firstName)}.pdf`, contentType: 'application/pdf', content: pdf });
  }
  const headers: [string, string][] = [
    ['X-MSS-NIL', corr.nil],
    ['X-MSS-CODECDA', doc.metadata.typeCode.code],
    ['X-MSS-INS', patient.identity.status === 'QUAL' ? 'O' : 'N'],
  ];
  if (previous?.messageId) headers.push(['In-Reply-To', previous.messageId], ['References', previous.messageId]);
  if (req.readReceipt) headers.push(['Disposition-Notification-To', `<${corr.address}>`]);
  const raw = compose({ from: { address: corr.address, name: corr.label }, to: [to], subject, date: now, messageId, headers, text: body.join('\n'), attachments });

  // The operator's content validation, as at the SMTP DATA stage (validation/README.md).
  const screening = screenSubmission(raw, { mode: host.config.mode, recipients: [{ address: to, type: directory.get(to)?.type }] });
  if (screening.refusal) {
    sandbox.journal.add({ sandbox: sandbox.id, service: MSSANTE_SERVICE_ID, operation: 'correspondents.send', transport: 'internal', startedAt, endedAt: host.clock.now(), request: { method: 'SEND', headers: { 'mail-from': corr.address, 'rcpt-to': to }, body: raw }, response: { status: screening.refusal.code, headers: { reply: `${screening.refusal.enhanced} ${screening.refusal.text}` } }, summary: { correspondent: fromId, action, validation: screening.validation }, verdicts: screening.verdicts });
    throw new CorrespondentError(422, 'RefusedByValidation', `the operator refused the correspondent's message: ${screening.refusal.code} ${screening.refusal.enhanced} ${screening.refusal.text}`);
  }
  const store = await mailStore(sandbox, host.clock, host.log);
  const transaction = randomBytes(5).toString('hex').toUpperCase();
  const outcome = await deliver({
    store,
    raw,
    mailFrom: corr.address,
    envelopeDsn: {},
    recipients: [{ address: to }],
    transaction,
    client: { helo: `smtp.${domainOf(corr.address)}`, address: '127.0.0.1', login: corr.address, tls: 'TLSv1.3' },
    arrival: now,
  });
  const delivered = outcome.results.some((r) => r.status === 'delivered');
  await ledger.record({
    uniqueId: doc.metadata.uniqueId,
    kind,
    from: fromId,
    to,
    patientId: patient.id,
    effectiveTime: action === 'delete' ? previous!.effectiveTime : now.getTime(),
    setId: doc.setId,
    version: doc.version,
    ...(doc.replaces ? { replaces: doc.replaces } : {}),
    messageId,
    sentAt: now.getTime(),
    action,
    delivered,
    serial: ledger.nextSerial(),
  });

  const result: SendResult = {
    sandbox: sandbox.id,
    from: { id: fromId, address: corr.address, label: corr.label },
    to,
    action,
    kind,
    patient: { id: patient.id, ins: patient.ins.matricule },
    document: { uniqueId: doc.metadata.uniqueId, setId: doc.setId, version: doc.version, ...(doc.replaces ? { replaces: doc.replaces } : {}) },
    subject,
    messageId,
    transaction,
    size: raw.length,
    delivery: outcome.results,
  };
  sandbox.journal.add({
    sandbox: sandbox.id,
    service: MSSANTE_SERVICE_ID,
    operation: 'correspondents.send',
    transport: 'internal',
    startedAt,
    endedAt: host.clock.now(),
    request: { method: 'SEND', headers: { 'mail-from': corr.address, 'rcpt-to': to }, body: raw },
    response: { status: delivered ? 250 : 550, headers: { reply: delivered ? `2.0.0 Ok: queued as ${transaction}` : (outcome.results[0]?.diagnostic ?? 'bounced') } },
    summary: { correspondent: fromId, action, kind, patient: patient.id, ins: patient.ins.matricule, uniqueId: doc.metadata.uniqueId, replaces: doc.replaces, subject, messageId, transaction, to: outcome.results, validation: screening.validation, ...(trigger?.reason ? { trigger: trigger.reason } : {}), reporter: OPERATOR_HOSTNAME },
    verdicts: screening.verdicts,
    ...(trigger?.decision ? { decision: trigger.decision } : {}),
  });
  return result;
}
