/** MSSanté content validation as pure functions: every rule, zip safety, the strict reply. */
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readZip, refusalFor, validateMessage } from '../../simulators/mssante/validation/index.js';
import { buildXdm, compose, cx, documentMail, INS_TEST_OID } from './validation-fixtures.js';

const INS = '188101234567890';
const OTHER = '279035121518989';
const FROM = 'alice@ch.simu.mssante.test';
const TO = 'bob@cds.simu.mssante.test';

async function check(spec: Partial<Parameters<typeof documentMail>[1]> = {}, ins = INS) {
  const raw = await compose(documentMail(ins, { from: FROM, to: TO, ...spec }));
  return validateMessage(raw);
}
const errorRules = (r: { verdicts: { level: string; rule: string }[] }) => r.verdicts.filter((v) => v.level === 'error').map((v) => v.rule);

describe('MSSanté content validation', () => {
  it('accepts a conforming XDM message: no error, no warning, the patient and the document found', async () => {
    const r = await check();
    expect(r.verdicts.filter((v) => v.level !== 'info')).toEqual([]);
    expect(r.healthDocument).toBe(true);
    expect(r.patient).toBe(INS);
    expect(r.documents).toMatchObject([{ uri: 'DOC0001.XML', cdaCode: '11488-4' }]);
  });

  it('leaves plain mail between professionals alone (only a warning when X-MSS-NIL is missing)', async () => {
    const r = validateMessage(await compose({ from: FROM, to: TO, subject: 'Bonjour', text: 'x' }));
    expect(r.healthDocument).toBe(false);
    expect(r.verdicts).toEqual([expect.objectContaining({ level: 'warning', rule: 'mss.header.nil' })]);
    expect(refusalFor(r.verdicts)).toBeUndefined();
  });

  it.each([
    ['X-MSS-NIL missing', { headers: { 'X-MSS-NIL': '' } }, 'mss.header.nil'],
    ['X-MSS-INS missing', { headers: { 'X-MSS-INS': '' } }, 'mss.header.ins'],
    ['X-MSS-INS not O/N', { headers: { 'X-MSS-INS': 'OUI' } }, 'mss.header.ins.format'],
    ['X-MSS-CODECDA missing', { headers: { 'X-MSS-CODECDA': '' } }, 'mss.header.codecda'],
    ['X-MSS-CODECDA malformed', { headers: { 'X-MSS-CODECDA': '11488-4;;' } }, 'mss.header.codecda.format'],
    ['X-MSS-CODECDA not the CDA code', { headers: { 'X-MSS-CODECDA': '34112-3' } }, 'mss.header.codecda.match'],
    ['subject without XDM/1.0/DDM+', { subject: 'CR consultation CORSE FIGATELLIX' }, 'mss.subject.prefix'],
    ['subject lacking NOM/prénom', { subject: 'XDM/1.0/DDM+CR' }, 'mss.subject.fields'],
    ['X-MSS-* headers without IHE_XDM.zip', { xdm: false as const }, 'mss.xdm.missing'],
    ['INDEX.HTM missing', { xdm: buildXdm(INS, { omitIndex: true }) }, 'mss.xdm.layout.index'],
    ['README.TXT missing', { xdm: buildXdm(INS, { omitReadme: true }) }, 'mss.xdm.layout.readme'],
    ['METADATA.XML missing', { xdm: buildXdm(INS, { omitMetadata: true }) }, 'mss.xdm.layout.metadata'],
    ['METADATA.XML not ebRIM', { xdm: buildXdm(INS, { metadata: '<Foo/>' }) }, 'mss.xdm.metadata.root'],
    ['METADATA.XML not well-formed', { xdm: buildXdm(INS, { metadata: '<lcm:SubmitObjectsRequest' }) }, 'mss.xdm.metadata.xml'],
    ['document URI not in the zip', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS, omitFile: true }] }) }, 'mss.xdm.metadata.uri.missing'],
    ['size mismatch', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS, size: '12' }] }) }, 'mss.xdm.metadata.size'],
    ['hash mismatch', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS, hash: '0'.repeat(40) }] }) }, 'mss.xdm.metadata.hash'],
    ['patientId not a CX', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS, patientId: INS }] }) }, 'mss.xdm.metadata.patientId'],
    ['METADATA patient ≠ CDA INS', { xdm: buildXdm(INS, { docs: [{ cdaIns: INS, patientId: cx(OTHER) }] }) }, 'mss.patient.metadata-cda'],
    ['two patients in one message', { headers: { 'X-MSS-CODECDA': '11488-4' }, xdm: buildXdm(INS, { docs: [{ cdaIns: INS }, { cdaIns: OTHER }] }) }, 'mss.patient.single'],
    ['X-MSS-INS: O without INS in the CDA', { xdm: buildXdm(INS, { docs: [{ cdaIns: undefined, patientId: `IPP-42^^^&1.2.250.1.999.7.1&ISO^PI` }] }) }, 'mss.cda.ins'],
    ['X-MSS-INS: O with a non-INS patientId', { xdm: buildXdm(INS, { docs: [{ cdaIns: undefined, patientId: `IPP-42^^^&1.2.250.1.999.7.1&ISO^PI` }] }) }, 'mss.header.ins.metadata'],
    ['two IHE_XDM.zip', { pdf: true }, 'mss.xdm.count'],
  ].map(([label, spec, rule]) => ({ label: label as string, spec: spec as Partial<Parameters<typeof documentMail>[1]>, rule: rule as string })))('$label → error $rule', async ({ spec, rule }) => {
    let r;
    if (rule === 'mss.xdm.count') {
      const opts = documentMail(INS, { from: FROM, to: TO });
      (opts.attachments as unknown[]).push({ filename: 'ihe_xdm.ZIP', content: Buffer.from(buildXdm(INS)), contentType: 'application/zip' });
      r = validateMessage(await compose(opts));
    } else r = await check(spec);
    expect(errorRules(r)).toContain(rule);
    const refusal = refusalFor(r.verdicts)!;
    expect(refusal).toMatchObject({ code: 554, enhanced: '5.6.0' });
    expect(refusal.text).toMatch(/^Message refused by MSSanté content validation: mss\./);
  });

  it('warns (no error) on a missing PDF, a badly named PDF, a lower-case NOM, a malformed birth date', async () => {
    expect((await check({ pdf: false })).verdicts).toEqual([expect.objectContaining({ level: 'warning', rule: 'mss.attachment.pdf' })]);
    const r = await check({ subject: 'XDM/1.0/DDM+CR consultation Corse Figatellix 1988-10-12' });
    expect(r.verdicts.map((v) => `${v.level} ${v.rule}`).sort()).toEqual(['warning mss.subject.birthdate', 'warning mss.subject.nom']);
  });

  it('accepts the [KO Intégration système !][90x] subject of a standard error mail, and leaves multipart/report receipts alone', async () => {
    expect(errorRules(await check({ subject: '[KO Intégration système !][902] XDM/1.0/DDM+CR consultation CORSE FIGATELLIX 12/10/1988' }))).toEqual([]);
    const mdn = Buffer.from('From: a@b.test\r\nTo: c@d.test\r\nSubject: XDM/1.0/DDM+x\r\nX-MSS-NIL: N1\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nlu\r\n--b--\r\n');
    const r = validateMessage(mdn);
    expect(r.receipt).toBe(true);
    expect(errorRules(r)).toEqual([]);
  });

  it('checks a Mon espace santé recipient against the patient of the document', async () => {
    const raw = await compose(documentMail(INS, { from: FROM, to: `${OTHER}@patient.simu.mssante.test` }));
    const r = validateMessage(raw, { recipients: [{ address: `${OTHER}@patient.simu.mssante.test`, type: 'PAT' }] });
    expect(errorRules(r)).toEqual(['mss.patient.recipient']);
    const ok = validateMessage(raw, { recipients: [{ address: `${INS}@patient.simu.mssante.test`, type: 'PAT' }] });
    expect(errorRules(ok)).toEqual([]);
  });

  it('refuses a DOCTYPE in METADATA.XML as a verdict, never a crash (billion laughs)', async () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">&lol2;</lcm:SubmitObjectsRequest>`;
    const r = await check({ xdm: buildXdm(INS, { metadata: lol }) });
    expect(errorRules(r)).toContain('mss.xdm.metadata.doctype');
  });

  it('reads no zip bomb: entry count, declared sizes and ratios are capped before inflating', async () => {
    const zeros = new Uint8Array(70 * 1024 * 1024);
    const bomb = zipSync({ 'INDEX.HTM': strToU8('x'), 'README.TXT': strToU8('x'), 'IHE_XDM/SUBSET01/DOC0001.XML': zeros }, { level: 1 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const reading = readZip(bomb);
    expect(reading).toMatchObject({ ok: false, reason: 'limits' });
    const r = await check({ xdm: bomb });
    expect(errorRules(r)).toContain('mss.xdm.limits');

    const many: Record<string, Uint8Array> = {};
    for (let i = 0; i < 1001; i++) many[`f${i}`] = new Uint8Array(0);
    expect(readZip(zipSync(many))).toMatchObject({ ok: false, reason: 'limits' });

    // A ratio bomb under the size limits: 8 MiB of zeros.
    expect(readZip(zipSync({ a: new Uint8Array(8 * 1024 * 1024) }, { level: 9 }))).toMatchObject({ ok: false, reason: 'limits' });
  });

  it('reads stored and deflated entries, and refuses an entry that inflates past the size its directory declares', () => {
    const text = strToU8('<ClinicalDocument/>'.repeat(200));
    const zip = zipSync({ 'stored.txt': [strToU8('as is'), { level: 0 }], 'deflated.xml': text });
    const reading = readZip(zip);
    expect(reading.ok && new TextDecoder().decode(reading.entries.get('stored.txt'))).toBe('as is');
    expect(reading.ok && new Uint8Array(reading.entries.get('deflated.xml')!)).toEqual(text);
    // Lower the declared uncompressed size in the central directory entry of deflated.xml.
    const lying = Uint8Array.from(zip);
    const view = new DataView(lying.buffer);
    for (let i = lying.length - 22; i >= 0; i--) {
      if (view.getUint32(i, true) === 0x02014b50 && new TextDecoder().decode(lying.subarray(i + 46, i + 46 + view.getUint16(i + 28, true))) === 'deflated.xml') {
        view.setUint32(i + 24, 100, true);
        break;
      }
    }
    expect(readZip(lying)).toMatchObject({ ok: false, reason: 'malformed', message: expect.stringContaining('more than the 100 bytes') });
  });

  it('reports a malformed or truncated zip as a verdict', async () => {
    expect(errorRules(await check({ xdm: strToU8('this is not a zip at all') }))).toContain('mss.xdm.zip');
    const good = buildXdm(INS);
    expect(errorRules(await check({ xdm: good.subarray(0, good.length - 30) }))).toContain('mss.xdm.zip');
    const corrupt = Uint8Array.from(good);
    corrupt.fill(0x41, 40, 200);
    const r = await check({ xdm: corrupt });
    expect(errorRules(r).length).toBeGreaterThan(0);
  });

  it('refuses entry names that leave the archive', async () => {
    const r = await check({ xdm: buildXdm(INS, { extra: { '../../etc/passwd': strToU8('x') } }) });
    expect(errorRules(r)).toContain('mss.xdm.entry-name');
  });

  it('uses the INS OIDs of the notes', async () => {
    const r = await check({ xdm: buildXdm(INS, { docs: [{ cdaIns: INS, patientId: cx(INS, INS_TEST_OID) }] }) });
    expect(errorRules(r)).toEqual([]);
  });
});
