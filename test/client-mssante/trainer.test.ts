/** Trainer mode (SEGUR_SIM_MSSANTE_PLAIN): the same client with a shared password instead of a PSC token. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MssanteReader, MssanteSender, MssanteSmtpError } from '../../client/mssante/index.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { mssPatient, patient, perMailbox, port, professional, vsmFor, waitFor } from './helpers.js';

const SB = 'client-mss-trainer';
const from = perMailbox('ps-003');
const to = perMailbox('ps-001');

describe('MSSanté client in trainer mode (PLAIN)', () => {
  let th: TestHost;
  beforeAll(async () => {
    const saved = process.env.SEGUR_SIM_MSSANTE_PLAIN;
    process.env.SEGUR_SIM_MSSANTE_PLAIN = '1';
    try {
      th = await startTestHost();
    } finally {
      if (saved === undefined) delete process.env.SEGUR_SIM_MSSANTE_PLAIN;
      else process.env.SEGUR_SIM_MSSANTE_PLAIN = saved;
    }
  });
  afterAll(async () => th?.close());

  it('sends and reads with the trainer password; a wrong password is a typed 535', async () => {
    const tls = { ca: th.host.context.pki.caCertsPem, servername: 'localhost' };
    const sender = new MssanteSender({ smtp: { host: '127.0.0.1', port: port(th, 'smtp') }, tls, auth: { user: from, sandbox: SB, password: 'segur-sim' }, nil: 'NIL-T' });
    const p = patient('pat-00002');
    const { doc, ss } = vsmFor(p, professional('ps-003'));
    const sent = await sender.sendDocuments({ from, to: [to], patient: mssPatient(p), documents: [doc], submissionSet: ss, body: 'formation' });
    expect(sent.accepted).toEqual([to]);
    sender.close();

    const reader = new MssanteReader({ imap: { host: '127.0.0.1', port: port(th, 'imap') }, tls, auth: { user: to, sandbox: SB, password: 'segur-sim' } });
    const list = await waitFor(async () => ((await reader.listNew()).length ? reader.listNew() : undefined));
    const m = await reader.fetch(list[0]!.uid);
    expect(m.xdm?.documents[0]!.metadata.uniqueId).toBe(doc.metadata.uniqueId);
    await reader.close();

    const wrong = new MssanteSender({ smtp: { host: '127.0.0.1', port: port(th, 'smtp') }, tls, auth: { user: from, sandbox: SB, password: 'nope' }, nil: 'NIL-T' });
    await expect(wrong.verify()).rejects.toMatchObject({ name: 'MssanteSmtpError', code: 535, stage: 'auth' });
    await expect(wrong.verify()).rejects.toBeInstanceOf(MssanteSmtpError);
    wrong.close();
  });
});
