/** Simulated correspondents (lab, imaging) over real sockets: results land in a practice mailbox read with imapflow. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryUuidOf, readXdm, XDM_ACTION_DELETE } from '../../client/mssante/xdm.js';
import { validateMessage } from '../../simulators/mssante/validation/index.js';
import type { TestHost } from '../support/host.js';
import { runCli } from '../support/process.js';
import { bob, imapClient, mailboxOf, pscToken, startMailHost, waitFor, world } from './helpers.js';

const SB = 'corr-main';

interface SendView {
  from: { id: string; address: string };
  to: string;
  action: string;
  kind: string;
  patient: { id: string; ins: string };
  document: { uniqueId: string; setId: string; version: number; replaces?: string };
  subject: string;
  messageId: string;
  delivery: { address: string; status: string; uid?: number }[];
}

async function post<T>(th: TestHost, path: string, body: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${th.http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

describe('simulated correspondents', () => {
  let th: TestHost;
  let bobToken: string;
  const practice = mailboxOf(bob.id);
  const send = (body: unknown, sb = SB) => post<SendView & { error?: { code: string; message: string } }>(th, `/_admin/sandboxes/${sb}/mssante/correspondents/send`, body);

  beforeAll(async () => {
    // A fast periodic tick for the scheduled-sending test.
    th = await startMailHost({ SEGUR_SIM_MSSANTE_TICK_SECONDS: '0.2' });
    bobToken = await pscToken(th, SB, bob.idNat);
  });
  afterAll(async () => th?.close());

  async function fetchMessage(uid: number, sb = SB, token = bobToken) {
    const imap = imapClient(th, { user: `${practice}+${sb}`, accessToken: token });
    await imap.connect();
    try {
      await imap.mailboxOpen('INBOX');
      const msg = await imap.fetchOne(String(uid), { source: true, bodyStructure: true, envelope: true, headers: ['x-mss-nil', 'x-mss-ins', 'x-mss-codecda', 'in-reply-to'] }, { uid: true });
      if (!msg) throw new Error(`no UID ${uid}`);
      const parts: { part: string; filename?: string; type: string }[] = [];
      const walk = (n: { part?: string; type: string; dispositionParameters?: Record<string, string>; parameters?: Record<string, string>; childNodes?: unknown[] }) => {
        if (n.childNodes?.length) for (const c of n.childNodes) walk(c as typeof n);
        else parts.push({ part: n.part ?? '1', filename: n.dispositionParameters?.filename ?? n.parameters?.name, type: n.type });
      };
      walk(msg.bodyStructure as never);
      const zipPart = parts.find((p) => /^IHE_XDM\.zip$/i.test(p.filename ?? ''));
      let zip: Uint8Array | undefined;
      if (zipPart) {
        const dl = await imap.download(String(uid), zipPart.part, { uid: true });
        const chunks: Buffer[] = [];
        for await (const c of dl.content!) chunks.push(c as Buffer);
        zip = Buffer.concat(chunks);
      }
      return { source: msg.source!, envelope: msg.envelope!, headers: msg.headers!.toString(), parts, zip };
    } finally {
      await imap.logout();
    }
  }

  it('the lab sends a CR de biologie: imapflow fetches it; IHE_XDM.zip has METADATA.XML with the patient INS; the validator passes it', async () => {
    const r = await send({ from: 'lab', to: practice });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const v = r.json;
    expect(v).toMatchObject({ to: practice, action: 'new', kind: 'cr-bio', from: { id: 'lab' }, document: { version: 1 }, delivery: [{ address: practice, status: 'delivered' }] });
    const patient = world.patients.find((p) => p.id === v.patient.id)!;
    expect(v.subject).toMatch(/^XDM\/1\.0\/DDM\+.+ [A-Z' -]+ .+ \d\d\/\d\d\/\d{4}$/);

    const m = await fetchMessage(v.delivery[0]!.uid!);
    expect(m.envelope.subject).toBe(v.subject);
    expect(m.envelope.from?.[0]?.address).toBe(v.from.address);
    expect(m.headers).toMatch(/X-MSS-CODECDA: 11502-2/);
    expect(m.headers).toMatch(/X-MSS-INS: O/);
    expect(m.headers).toMatch(/X-MSS-NIL: \S+/);
    expect(m.parts.map((p) => p.type)).toEqual(['text/plain', 'application/zip', 'application/pdf']);
    const zip = readXdm(m.zip!);
    expect(zip.problems).toEqual([]);
    expect(zip.documents).toHaveLength(1);
    expect(zip.documents[0]!.metadata.patientId).toContain(patient.ins!.matricule);
    expect(zip.documents[0]!.metadata.uniqueId).toBe(v.document.uniqueId);
    expect(zip.submissionSet?.intendedRecipients.join(' ')).toContain(practice);

    const report = validateMessage(Buffer.from(m.source), { recipients: [{ address: practice, type: 'PER' }] });
    expect(report.verdicts.filter((x) => x.level === 'error')).toEqual([]);
    expect(report.healthDocument).toBe(true);
    expect(report.patient).toBe(patient.ins!.matricule);

    const journal = await th.admin.journal(SB, { service: 'mssante', operation: 'correspondents.send' });
    expect(journal.entries).toHaveLength(1);
    expect(journal.entries[0]!.summary).toMatchObject({ correspondent: 'lab', action: 'new', uniqueId: v.document.uniqueId });
  });

  it('a replacement (RPLC) and then a deletion request of the new version', async () => {
    const first = (await send({ from: 'imaging', to: practice, kind: 'cr-imagerie' })).json;
    expect(first).toMatchObject({ kind: 'cr-imagerie', from: { id: 'imaging' } });
    const repl = await send({ to: practice, replace: first.document.uniqueId });
    expect(repl.status, JSON.stringify(repl.json)).toBe(200);
    expect(repl.json).toMatchObject({ action: 'replace', kind: 'cr-imagerie', from: { id: 'imaging' }, document: { version: 2, setId: first.document.setId, replaces: first.document.uniqueId } });
    const m = await fetchMessage(repl.json.delivery[0]!.uid!);
    expect(m.headers).toContain(`In-Reply-To: ${first.messageId}`);
    expect(m.source.toString()).toContain('ANNULE ET REMPLACE');
    const x = readXdm(m.zip!);
    expect(x.documents[0]!.replacesEntryUUID).toBe(entryUuidOf(first.document.uniqueId));
    expect(Buffer.from(x.documents[0]!.bytes).toString()).toMatch(/relatedDocument typeCode="RPLC"/);

    // The old version can no longer be replaced (900: wrong version).
    const again = await send({ to: practice, replace: first.document.uniqueId });
    expect(again.status).toBe(409);
    expect(again.json.error!.code).toBe('NotCurrentVersion');

    const del = await send({ to: practice, delete: 'last', from: 'imaging' });
    expect(del.status, JSON.stringify(del.json)).toBe(200);
    expect(del.json).toMatchObject({ action: 'delete', document: { uniqueId: repl.json.document.uniqueId, version: 2 } });
    const d = await fetchMessage(del.json.delivery[0]!.uid!);
    expect(d.parts.map((p) => p.type)).toEqual(['text/plain', 'application/zip']);
    expect(d.source.toString()).toMatch(/Demande de suppression/);
    const dx = readXdm(d.zip!);
    expect(dx.documents[0]!.action).toBe(XDM_ACTION_DELETE);
    expect(dx.documents[0]!.metadata.uniqueId).toBe(repl.json.document.uniqueId);
    const report = validateMessage(Buffer.from(d.source), { recipients: [{ address: practice, type: 'PER' }] });
    expect(report.verdicts.filter((x) => x.level === 'error')).toEqual([]);

    const view = (await (await fetch(`${th.http}/_admin/sandboxes/${SB}/mssante/correspondents`)).json()) as { documents: { uniqueId: string; state: string }[] };
    expect(view.documents.find((x) => x.uniqueId === first.document.uniqueId)?.state).toBe('replaced');
    expect(view.documents.find((x) => x.uniqueId === repl.json.document.uniqueId)?.state).toBe('deleted');
  });

  it('errors are precise JSON', async () => {
    expect((await send({ to: 'nobody@nowhere.test' })).json.error!.code).toBe('UnknownMailbox');
    expect((await send({ to: practice, replace: '1.2.3.4' })).json.error!.code).toBe('UnknownDocument');
    expect((await send({ to: practice, patientId: 'pat-99999' })).json.error!.code).toBe('UnknownPatient');
    expect((await send({ to: practice, from: 'pharmacy' })).json.error!.code).toBe('InvalidBody');
  });

  it('scheduled sending: a scenario rule on correspondents.tick sends a CR then its replacement', async () => {
    const sb = 'corr-sched';
    const token = await pscToken(th, sb, bob.idNat);
    const yaml = [
      'name: mssante-correspondents-test',
      'description: the lab sends a CR de biologie, then a corrected version',
      'rules:',
      '  - id: first-result',
      '    match: { service: mssante, operation: correspondents.tick }',
      '    times: 1',
      '    effects:',
      `      - outcome: { name: mssante.correspondent-send, with: { from: lab, to: "${practice}", patientId: pat-00003 } }`,
      '  - id: correction',
      '    match: { service: mssante, operation: correspondents.tick }',
      '    after: 1',
      '    times: 1',
      '    effects:',
      `      - outcome: { name: mssante.correspondent-send, with: { from: lab, to: "${practice}", replace: last } }`,
      '',
    ].join('\n');
    await th.admin.uploadScenario(yaml, true);
    // The manual tick does nothing while no rule fires in this sandbox.
    const idle = await post<{ sent: unknown[] }>(th, `/_admin/sandboxes/${sb}/mssante/correspondents/tick`, {});
    expect(idle.json.sent).toEqual([]);
    await th.admin.activate('mssante-correspondents-test', sb);
    // The periodic tick (0.2 s here) does the rest.
    const docs = await waitFor(async () => {
      const v = (await (await fetch(`${th.http}/_admin/sandboxes/${sb}/mssante/correspondents`)).json()) as { documents: { uniqueId: string; version: number; state: string; patientId: string }[] };
      return v.documents.length >= 2 ? v.documents : undefined;
    }, 10_000);
    expect(docs.map((d) => [d.version, d.state, d.patientId])).toEqual([
      [1, 'replaced', 'pat-00003'],
      [2, 'current', 'pat-00003'],
    ]);
    const m = await fetchMessage(2, sb, token);
    expect(readXdm(m.zip!).documents[0]!.replacesEntryUUID).toBe(entryUuidOf(docs[0]!.uniqueId));
    const journal = await th.admin.journal(sb, { service: 'mssante', operation: 'correspondents.send' });
    expect(journal.entries).toHaveLength(2);
    expect(String(journal.entries[0]!.summary?.trigger)).toContain('mssante-correspondents-test');
    await new Promise((r) => setTimeout(r, 600));
    expect((await th.admin.journal(sb, { service: 'mssante', operation: 'correspondents.send' })).entries).toHaveLength(2);
  });

  it('CLI: segur-sim mssante send-result', async () => {
    const common = ['--url', th.http, '-s', SB];
    const r = await runCli(['mssante', 'send-result', '--to', practice, '--from', 'lab', '--patient', 'pat-00001', ...common, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as SendView;
    expect(v).toMatchObject({ action: 'new', patient: { id: 'pat-00001' } });
    const text = await runCli(['mssante', 'send-result', '--to', practice, '--replace', v.document.uniqueId, ...common]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`replaces ${v.document.uniqueId}`);
    const bad = await runCli(['mssante', 'send-result', '--to', practice, '--delete', '9.9.9', ...common]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('9.9.9');
  });
});
