/**
 * MSSanté content validation at the DATA stage, over real sockets (nodemailer STARTTLS + XOAUTH2): strict
 * mode refuses with 554 5.6.0 naming the rule, lenient mode delivers; verdicts in the smtp.data journal entry.
 * Needs the DATA-stage hook in smtp/server.ts (`screenSubmission`, see validation/README.md): skipped until then.
 */
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHost } from '../support/host.js';
import { adminGet, alice, bob, mailboxOf, pscToken, smtpTransport, startMailHost } from './helpers.js';
import { buildXdm, cx, documentMail, type MailSpec } from './validation-fixtures.js';

const INS = '188101234567890';
const OTHER = '279035121518989';
const aliceBox = mailboxOf(alice.id);
const bobBox = mailboxOf(bob.id);

const LOL = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">&lol2;</lcm:SubmitObjectsRequest>`;

/** One message per rule family: [label, spec, rule]. */
function violations(): [string, Partial<MailSpec>, string][] {
  return [
    ['X-MSS-INS missing', { headers: { 'X-MSS-INS': '' } }, 'mss.header.ins'],
    ['X-MSS-CODECDA not the CDA code', { headers: { 'X-MSS-CODECDA': '34112-3' } }, 'mss.header.codecda.match'],
    ['X-MSS-NIL missing', { headers: { 'X-MSS-NIL': '' } }, 'mss.header.nil'],
    ['subject convention', { subject: 'Compte rendu' }, 'mss.subject.prefix'],
    ['README.TXT missing', { xdm: buildXdm(INS, { omitReadme: true }) }, 'mss.xdm.layout.readme'],
    ['two patients', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS }, { cdaIns: OTHER }] }) }, 'mss.patient.single'],
    ['METADATA patient ≠ CDA INS', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS, patientId: cx(OTHER) }] }) }, 'mss.patient.metadata-cda'],
    ['DOCTYPE in METADATA.XML', { xdm: buildXdm(INS, { metadata: LOL }) }, 'mss.xdm.metadata.doctype'],
    ['malformed zip', { xdm: strToU8('PK\u0003\u0004 definitely not a zip archive') }, 'mss.xdm.zip'],
    ['zip bomb', { xdm: zipSync({ 'INDEX.HTM': strToU8('x'), 'README.TXT': strToU8('x'), 'IHE_XDM/SUBSET01/DOC0001.XML': new Uint8Array(70 * 1024 * 1024) }, { level: 1 }) }, 'mss.xdm.limits'],
  ];
}

interface JournalEntry {
  operation: string;
  response: { status?: number };
  summary: { subject?: string; validation?: { healthDocument: boolean; errors: number; mode: string } };
  verdicts: { level: string; rule: string; message: string }[];
}

async function dataEntry(th: TestHost, sandbox: string, subject: string): Promise<JournalEntry> {
  const journal = (await th.admin.journal(sandbox, { service: 'mssante', operation: 'smtp.data' })) as unknown as { entries: JournalEntry[] };
  const hit = journal.entries.filter((e) => e.summary.subject === subject || JSON.stringify(e).includes(subject)).at(-1);
  if (!hit) throw new Error(`no smtp.data entry for ${subject}`);
  return hit;
}

async function inbox(th: TestHost, sandbox: string, address: string): Promise<{ subject?: string }[]> {
  return (await adminGet<{ messages: { subject?: string }[] }>(th, `/_admin/sandboxes/${sandbox}/mssante/mailboxes/${encodeURIComponent(address)}/messages?folder=INBOX`)).messages;
}

describe('MSSanté validation at DATA, strict mode (the default)', () => {
  const SB = 'val-strict';
  let th: TestHost;
  let token: string;
  const send = (spec: Partial<MailSpec>) => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: token });
    return t.sendMail(documentMail(INS, { from: aliceBox, to: bobBox, ...spec })).finally(() => t.close());
  };

  beforeAll(async () => {
    th = await startMailHost();
    token = await pscToken(th, SB, alice.idNat);
  });
  afterAll(async () => th?.close());

  it('delivers a conforming XDM message; its journal entry carries no error verdict', async () => {
    const subject = 'XDM/1.0/DDM+Compte rendu VALIDE CORSE FIGATELLIX 12/10/1988';
    const info = await send({ subject });
    expect(info.response).toMatch(/^250 /);
    expect((await inbox(th, SB, bobBox)).map((m) => m.subject)).toContain(subject);
    const entry = await dataEntry(th, SB, subject);
    expect(entry.response.status).toBe(250);
    expect(entry.verdicts.filter((v) => v.level === 'error')).toEqual([]);
    expect(entry.summary.validation).toMatchObject({ healthDocument: true, errors: 0, mode: 'strict' });
  });

  it('delivers plain mail between professionals (no document claimed)', async () => {
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: token });
    const info = await t.sendMail({ from: aliceBox, to: bobBox, subject: 'Question', text: 'Bonjour' });
    t.close();
    expect(info.response).toMatch(/^250 /);
  });

  it.each(violations())('%s: refused with 554 5.6.0 naming the rule, nothing delivered, server alive', async (label, spec, rule) => {
    const subject = spec.subject ?? `XDM/1.0/DDM+Refus ${label.replace(/[^A-Za-z]/g, '')} CORSE FIGATELLIX 12/10/1988`;
    const err = (await send({ ...spec, subject }).catch((e: unknown) => e)) as { responseCode?: number; response?: string };
    expect(err.responseCode).toBe(554);
    expect(err.response).toMatch(/^554 5\.6\.0 Message refused by MSSanté content validation: /);
    expect(err.response).toContain(rule);
    expect((await inbox(th, SB, bobBox)).map((m) => m.subject)).not.toContain(subject);
    const entry = await dataEntry(th, SB, subject);
    expect(entry.response.status).toBe(554);
    expect(entry.verdicts).toContainEqual(expect.objectContaining({ level: 'error', rule }));
    // The server still serves the next transaction.
    expect((await send({ subject: `XDM/1.0/DDM+Apres ${rule} CORSE FIGATELLIX 12/10/1988` })).response).toMatch(/^250 /);
  }, 30_000);
});

describe('MSSanté validation at DATA, lenient mode', () => {
  const SB = 'val-lenient';
  let th: TestHost;
  let token: string;

  beforeAll(async () => {
    th = await startMailHost({}, { mode: 'lenient' });
    token = await pscToken(th, SB, alice.idNat);
  });
  afterAll(async () => th?.close());

  it.each(violations())('%s: delivered, the error verdict in the journal', async (label, spec, rule) => {
    const subject = spec.subject ?? `XDM/1.0/DDM+Lenient ${label.replace(/[^A-Za-z]/g, '')} CORSE FIGATELLIX 12/10/1988`;
    const t = smtpTransport(th, { user: `${aliceBox}+${SB}`, accessToken: token });
    const info = await t.sendMail(documentMail(INS, { from: aliceBox, to: bobBox, ...spec, subject })).finally(() => t.close());
    expect(info.response).toMatch(/^250 /);
    expect((await inbox(th, SB, bobBox)).map((m) => m.subject)).toContain(subject);
    const entry = await dataEntry(th, SB, subject);
    expect(entry.response.status).toBe(250);
    expect(entry.verdicts).toContainEqual(expect.objectContaining({ level: 'error', rule }));
    expect(entry.summary.validation).toMatchObject({ healthDocument: true, mode: 'lenient' });
  }, 30_000);
});
