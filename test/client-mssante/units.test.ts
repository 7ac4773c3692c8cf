/** Unit tests of the MSSanté client: XDM build/read, CDA header, citizen addresses, subject, worklist matching. */
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { replacementOf } from '../../fixtures/index.js';
import {
  buildXdm,
  citizenAddress,
  entryUuidOf,
  isValidIns,
  MssanteInputError,
  parseCitizenAddress,
  parseMssMessage,
  readCdaHeader,
  readXdm,
  SEGUR_SIM_CITIZEN_DOMAIN,
  Worklist,
  XDM_ACTION_DELETE,
  xdmSubject,
} from '../../client/mssante/index.js';
import { localPatients, mssPatient, patient, professional, vsmFor, withoutIns, ids } from './helpers.js';

const bob = professional('ps-003');

describe('XDM', () => {
  it('builds IHE_XDM.zip with INDEX.HTM, README.TXT, METADATA.XML and DOC0001.XML, and reads it back', () => {
    const p = patient('pat-00002');
    const { doc, ss } = vsmFor(p, bob);
    const zip = buildXdm({ documents: [doc], submissionSet: ss, readme: { sender: 'x@y.test', application: { name: 'LGC', version: '1.0', vendor: 'ACME' } }, intendedRecipients: ['a@b.test'] });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(['IHE_XDM/SUBSET01/DOC0001.XML', 'IHE_XDM/SUBSET01/METADATA.XML', 'INDEX.HTM', 'README.TXT']);
    const metadata = new TextDecoder().decode(files['IHE_XDM/SUBSET01/METADATA.XML']);
    expect(metadata).toContain('lcm:SubmitObjectsRequest');
    expect(metadata).toContain('<Slot name="URI"><ValueList><Value>DOC0001.XML</Value></ValueList></Slot>');
    expect(metadata).toContain('urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember');
    expect(new TextDecoder().decode(files['README.TXT'])).toContain('LGC 1.0 (ACME)');
    expect(files['IHE_XDM/SUBSET01/DOC0001.XML']).toEqual(doc.content);

    const read = readXdm(zip);
    expect(read.problems).toEqual([]);
    expect(read.subset).toBe('SUBSET01');
    expect(read.submissionSet).toMatchObject({ uniqueId: ss.uniqueId, patientId: ss.patientId, sourceId: ss.sourceId, intendedRecipients: ['a@b.test'] });
    expect(read.documents).toHaveLength(1);
    const d = read.documents[0]!;
    expect(d.path).toBe('IHE_XDM/SUBSET01/DOC0001.XML');
    expect(d.bytes).toEqual(doc.content);
    expect(d.metadata).toMatchObject({ uniqueId: doc.metadata.uniqueId, patientId: doc.metadata.patientId, typeCode: doc.metadata.typeCode, classCode: doc.metadata.classCode, size: doc.content.byteLength, entryUUID: entryUuidOf(doc.metadata.uniqueId) });
    expect(d.metadata.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(d.action).toBeUndefined();
    // Deterministic: same input, same bytes.
    expect(buildXdm({ documents: [doc], submissionSet: ss, readme: { sender: 'x@y.test', application: { name: 'LGC', version: '1.0', vendor: 'ACME' } }, intendedRecipients: ['a@b.test'] })).toEqual(zip);
  });

  it('writes the RPLC association and the deletion action, and reads them', () => {
    const p = patient('pat-00003');
    const { doc } = vsmFor(p, bob);
    const v2 = replacementOf(doc, { uniqueId: ids.next() });
    const ss2 = { ...vsmFor(p, bob).ss, patientId: v2.metadata.patientId };
    const read = readXdm(buildXdm({ documents: [v2], submissionSet: ss2 }));
    expect(read.problems).toEqual([]);
    expect(read.documents[0]!.replacesEntryUUID).toBe(entryUuidOf(doc.metadata.uniqueId));
    const del = readXdm(buildXdm({ documents: [doc], submissionSet: ss2, deleteUniqueIds: [doc.metadata.uniqueId] }));
    expect(del.documents[0]!.action).toBe(XDM_ACTION_DELETE);
  });

  it('reports tampering, missing files and garbage instead of throwing', () => {
    const { doc, ss } = vsmFor(patient('pat-00002'), bob);
    const files = unzipSync(buildXdm({ documents: [doc], submissionSet: ss }));
    files['IHE_XDM/SUBSET01/DOC0001.XML'] = strToU8('<ClinicalDocument xmlns="urn:hl7-org:v3"/>');
    delete files['INDEX.HTM'];
    files['IHE_XDM/SUBSET01/EXTRA.XML'] = strToU8('<x/>');
    const read = readXdm(zipSync(files));
    expect(read.problems.join('\n')).toMatch(/INDEX\.HTM missing/);
    expect(read.problems.join('\n')).toMatch(/hash .* does not match DOC0001\.XML/);
    expect(read.problems.join('\n')).toMatch(/size \d+ but DOC0001\.XML/);
    expect(read.problems.join('\n')).toMatch(/EXTRA\.XML is not described/);
    expect(readXdm(strToU8('not a zip')).problems[0]).toMatch(/not a readable zip/);
    expect(readXdm(zipSync({ 'README.TXT': strToU8('x') })).problems).toContain('IHE_XDM/<subset>/METADATA.XML missing');
    expect(readXdm(zipSync({ 'A.TXT': new Uint8Array(10), 'B.TXT': new Uint8Array(10) }), { maxEntries: 1 }).problems[0]).toMatch(/more than 1 entries/);
    expect(readXdm(zipSync({ 'A.TXT': new Uint8Array(5000) }), { maxEntryBytes: 1000 }).problems[0]).toMatch(/limit 1000/);
  });
});

describe('CDA header and subject', () => {
  it('reads INS, traits, ids and the RPLC parent', () => {
    const p = patient('pat-00002');
    const { doc } = vsmFor(p, bob);
    const v2 = replacementOf(doc, { uniqueId: ids.next() });
    const h = readCdaHeader(v2.content)!;
    expect(h.patient).toMatchObject({ ins: p.ins!.matricule, birthName: 'COLIN', firstName: 'BERTRAND', birthDate: '2002-05-17', sex: 'M' });
    expect(h).toMatchObject({ id: v2.metadata.uniqueId, setId: doc.setId, version: 2, authorId: bob.idNat, related: { typeCode: 'RPLC', parentId: doc.metadata.uniqueId } });
    expect(readCdaHeader(new TextEncoder().encode('<x/>'))).toBeUndefined();
  });

  it('writes the subject convention', () => {
    expect(xdmSubject("CR d'examens biologiques", { birthName: 'Vial', firstName: 'Paul', birthDate: '1978-11-26', sex: 'M' })).toBe("XDM/1.0/DDM+CR d'examens biologiques VIAL Paul 26/11/1978");
    expect(xdmSubject('2 documents', { birthName: 'Lefèvre', firstName: 'Zoé', birthDate: '', sex: 'F' }, '[Annule et remplace]')).toBe('XDM/1.0/DDM+[Annule et remplace] 2 documents LEFEVRE Zoé');
  });
});

describe('citizen addresses', () => {
  it('builds <matricule>@domain from a valid NIR, as the world has it', () => {
    const p = patient('pat-00002');
    expect(citizenAddress(p.ins!.matricule, { domain: SEGUR_SIM_CITIZEN_DOMAIN, oid: p.ins!.oid, qualified: true })).toBe(p.mssPatientAddress);
    expect(citizenAddress(p.ins!.matricule)).toBe(`${p.ins!.matricule}@patient.mssante.fr`);
    expect(parseCitizenAddress(p.mssPatientAddress!)).toBe(p.ins!.matricule);
    expect(isValidIns(p.ins!.matricule)).toBe(true);
  });

  it('refuses a wrong key, a malformed INS, an NIA and a non-qualified identity', () => {
    const m = patient('pat-00002').ins!.matricule;
    const wrong = m.slice(0, 13) + String((Number(m.slice(13)) % 97) + 1).padStart(2, '0');
    expect(() => citizenAddress(wrong)).toThrow(/wrong key/);
    expect(() => citizenAddress('12345')).toThrow(MssanteInputError);
    const nia = patient('pat-00011').ins!;
    expect(() => citizenAddress(nia.matricule, { oid: nia.oid })).toThrow(/NIA/);
    expect(() => citizenAddress(m, { qualified: false })).toThrow(/not qualified/);
    // Corsica: 2A/2B substituted by 19/18 in the key.
    expect(isValidIns('185012A012345' + String(97n - (BigInt('1850119012345') % 97n)).padStart(2, '0'))).toBe(true);
  });
});

describe('worklist (parsed messages, no network)', () => {
  async function received(docs: { doc: ReturnType<typeof vsmFor>['doc']; ss: ReturnType<typeof vsmFor>['ss'] }, opts: { deleteUniqueIds?: string[] } = {}) {
    const zip = buildXdm({ documents: [docs.doc], submissionSet: docs.ss, ...opts });
    const raw =
      'From: a@b.test\r\nTo: c@d.test\r\nSubject: XDM/1.0/DDM+x\r\nMessage-ID: <m1@b.test>\r\nX-MSS-INS: O\r\nX-MSS-CODECDA: SYNTH\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nBonjour\r\n--B\r\nContent-Type: application/zip; name="IHE_XDM.ZIP"\r\nContent-Disposition: attachment; filename="IHE_XDM.ZIP"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      Buffer.from(zip).toString('base64').replace(/.{76}/g, '$&\r\n') +
      '\r\n--B--\r\n';
    return parseMssMessage(new TextEncoder().encode(raw), { uid: 1 });
  }

  it('matches by INS, by traits, gives candidates for homonyms, flags INS/traits mismatch', async () => {
    const wl = new Worklist({ patients: localPatients });
    const byIns = await received(vsmFor(patient('pat-00002'), bob));
    expect(byIns.kind).toBe('documents');
    expect(byIns.mss).toMatchObject({ ins: 'O', codeCda: ['SYNTH'] });
    expect(wl.receive(byIns)[0]!.match).toEqual({ kind: 'ins', patientId: 'pat-00002', ins: patient('pat-00002').ins!.matricule, source: 'metadata' });

    const v = vsmFor(patient('pat-00005'), bob);
    const traits = wl.receive(await received(withoutIns(v.doc, v.ss, 'IPP-5')))[0]!;
    expect(traits.match).toEqual({ kind: 'traits', patientId: 'pat-00005' });
    expect(traits.problems.join()).toMatch(/903/);

    const h = vsmFor(patient('pat-00001'), bob);
    const ambiguous = wl.receive(await received(withoutIns(h.doc, h.ss, 'IPP-1')))[0]!;
    expect(ambiguous.match).toEqual({ kind: 'ambiguous', candidates: ['pat-00001', 'pat-00002'] });
    expect(() => wl.integrate(ambiguous.id)).toThrow(/902 .*choose one of pat-00001, pat-00002/);
    expect(wl.integrate(ambiguous.id, { patientId: 'pat-00001' }).status).toBe('integrated');

    // The LGC holds pat-00002's INS with other traits: 904.
    const other = new Worklist({ patients: localPatients.map((p) => (p.id === 'pat-00002' ? { ...p, birthDate: '2002-05-18' } : p)) });
    const mismatch = other.receive(byIns)[0]!;
    expect(mismatch.match).toMatchObject({ kind: 'mismatch', patientId: 'pat-00002', differences: ['birthDate'] });
    expect(other.integrateOrReject(mismatch.id).error).toMatchObject({ code: 904 });
  });

  it('applies a replacement and a deletion to integrated documents; refuses unknown targets (900)', async () => {
    const wl = new Worklist({ patients: localPatients });
    const first = vsmFor(patient('pat-00003'), bob);
    const item = wl.receive(await received(first))[0]!;
    wl.integrate(item.id);
    const v2 = replacementOf(first.doc, { uniqueId: ids.next() });
    const rep = wl.receive(await received({ doc: v2, ss: { ...first.ss, uniqueId: ids.next() } }))[0]!;
    expect(rep.action).toBe('replace');
    expect(rep.replaces).toEqual({ uniqueId: first.doc.metadata.uniqueId, entryUUID: entryUuidOf(first.doc.metadata.uniqueId) });
    wl.integrate(rep.id);
    expect(wl.integratedDocument(first.doc.metadata.uniqueId)).toMatchObject({ status: 'deprecated', replacedBy: v2.metadata.uniqueId });
    expect(wl.documentsOf('pat-00003').map((d) => d.uniqueId)).toEqual([v2.metadata.uniqueId]);

    const del = wl.receive(await received({ doc: v2, ss: first.ss }, { deleteUniqueIds: [v2.metadata.uniqueId] }))[0]!;
    expect(del.action).toBe('delete');
    wl.integrate(del.id);
    expect(wl.integratedDocument(v2.metadata.uniqueId)?.status).toBe('deleted');
    expect(wl.documentsOf('pat-00003')).toEqual([]);

    const stray = vsmFor(patient('pat-00004'), bob);
    const unknown = wl.receive(await received(stray, { deleteUniqueIds: [stray.doc.metadata.uniqueId] }))[0]!;
    expect(wl.integrateOrReject(unknown.id)).toMatchObject({ status: 'rejected', error: { code: 900 } });
  });
});
