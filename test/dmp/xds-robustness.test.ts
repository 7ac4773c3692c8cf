/**
 * Malformed XDS input never crashes the process nor damages the store: broken multipart, a missing MIME
 * part, DOCTYPE/entity expansion in the envelope and in the CDA, an oversized body; big documents pass;
 * and the file store keeps documents across a restart.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltDocument } from '../../fixtures/documents/types.js';
import type { Patient, Professional } from '../../fixtures/types.js';
import { dmpEnvelope, DMP_ACTIONS, pickDossier, type DmpTestHost } from './support.js';
import {
  asPs,
  entries,
  FAILURE,
  findDocuments,
  iti41Body,
  makeDocument,
  mtomMessage,
  postXds,
  provide,
  retrieve,
  retrievedDocuments,
  ST,
  startXdsHost,
  statusUpdateXml,
  submissionSetOf,
  SUCCESS,
  updateSet,
} from './xds-helpers.js';

let t: DmpTestHost;
let patient: Patient;
let ins: string;
let author: Professional;
let kept: BuiltDocument;

const MB = 1024 * 1024;

beforeAll(async () => {
  t = await startXdsHost({ maxBodyBytes: 40 * MB });
  const picked = pickDossier(t, (d) => d.status === 'active' && !!d.medecinTraitant, 'an active dossier with a médecin traitant');
  patient = picked.patient;
  ins = picked.ins;
  author = t.world.professionals.find((p) => p.idNat === picked.dossier.medecinTraitant)!;
  kept = makeDocument(t.world, patient, author);
  const r = await provide(t.http, { docs: [{ doc: kept }] }, asPs(t.world, author, ins));
  if (r.registryStatus !== SUCCESS) throw new Error(r.text);
});
afterAll(() => t?.close());

/** The stored document is still there and identical, the host still answers. */
async function storeIntact(): Promise<void> {
  const got = await retrieve(t.http, [kept.metadata.uniqueId], asPs(t.world, author, ins));
  expect(got.registryStatus).toBe(SUCCESS);
  expect(Buffer.compare(retrievedDocuments(got).get(kept.metadata.uniqueId)!, Buffer.from(kept.content))).toBe(0);
}

/** An N1 CDA whose embedded PDF is `bytes` long. */
function bigDocument(bytes: number): BuiltDocument {
  const doc = makeDocument(t.world, patient, author);
  const text = Buffer.from(doc.content).toString('utf8');
  const pdf = Buffer.alloc(bytes, 0x41);
  Buffer.from('%PDF-1.4\n').copy(pdf);
  const big = text.replace(/(representation="B64"[^>]*>)[^<]*(<)/, (_m, a: string, b: string) => `${a}${pdf.toString('base64')}${b}`);
  return { ...doc, content: new Uint8Array(Buffer.from(big, 'utf8')) };
}

describe('malformed input', () => {
  it('a broken multipart body is a SOAP fault, not a crash', async () => {
    const doc = makeDocument(t.world, patient, author);
    const { body, parts } = iti41Body({ docs: [{ doc }] });
    const msg = mtomMessage(dmpEnvelope(DMP_ACTIONS.iti41, body, asPs(t.world, author, ins)), parts, DMP_ACTIONS.iti41);
    const cut = msg.body.subarray(0, msg.body.length - 60);
    const r = await postXds(t.http, 'repository', cut, msg.contentType);
    expect(r.status).toBe(400);
    expect(r.faultSubcode).toBe('InvalidMessage');
    const noBoundary = await postXds(t.http, 'repository', msg.body, 'multipart/related; type="application/xop+xml"');
    expect(noBoundary.status).toBe(400);
    await storeIntact();
  });

  it('an xop:Include to a missing part is a SOAP fault', async () => {
    const doc = makeDocument(t.world, patient, author);
    const { body, parts } = iti41Body({ docs: [{ doc }] });
    const msg = mtomMessage(dmpEnvelope(DMP_ACTIONS.iti41, body, asPs(t.world, author, ins)), parts.slice(1), DMP_ACTIONS.iti41);
    const r = await postXds(t.http, 'repository', msg.body, msg.contentType);
    expect(r.status).toBe(400);
    expect(r.faultSubcode).toBe('InvalidMessage');
    expect(entries(await findDocuments(t.http, ins, asPs(t.world, author, ins))).some((e) => e.uniqueId === doc.metadata.uniqueId)).toBe(false);
    await storeIntact();
  });

  it('entity expansion (DOCTYPE) in the envelope is refused before anything is read', async () => {
    const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';
    const envelope = lol + dmpEnvelope(DMP_ACTIONS.iti18, '<x>&lol3;</x>', asPs(t.world, author, ins));
    const r = await postXds(t.http, 'registry', envelope, 'application/soap+xml; charset=UTF-8');
    expect(r.status).toBe(400);
    expect(r.faultSubcode).toBe('InvalidMessage');
    const doc = makeDocument(t.world, patient, author);
    const { body, parts } = iti41Body({ docs: [{ doc }] });
    const msg = mtomMessage(lol + dmpEnvelope(DMP_ACTIONS.iti41, body, asPs(t.world, author, ins)), parts, DMP_ACTIONS.iti41);
    expect((await postXds(t.http, 'repository', msg.body, msg.contentType)).status).toBe(400);
    await storeIntact();
  });

  it('a DOCTYPE inside the CDA is an XDSRegistryMetadataError (lenient or not)', async () => {
    const doc = makeDocument(t.world, patient, author);
    const text = Buffer.from(doc.content).toString('utf8');
    const evil = text.replace(/<ClinicalDocument/, '<!DOCTYPE ClinicalDocument [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><ClinicalDocument');
    const r = await provide(t.http, { docs: [{ doc, content: new TextEncoder().encode(evil) }] }, asPs(t.world, author, ins));
    expect(r.registryStatus).toBe(FAILURE);
    expect(r.errors.map((e) => e.code)).toContain('XDSRegistryMetadataError');
    expect(r.errors.map((e) => e.context).join(' ')).toMatch(/DOCTYPE/);
    // A document that is not XML at all.
    const junk = await provide(t.http, { docs: [{ doc: makeDocument(t.world, patient, author), content: new Uint8Array([0xff, 0x00, 0x3c, 0x3c]) }] }, asPs(t.world, author, ins));
    expect(junk.errors.map((e) => e.code)).toContain('XDSRegistryMetadataError');
    await storeIntact();
  });

  it('a body over maxBodyBytes gets a protocol error; the next request is served', async () => {
    const doc = bigDocument(32 * MB);
    const r = await provide(t.http, { docs: [{ doc }], signature: false }, asPs(t.world, author, ins));
    expect(r.status).toBe(413);
    expect(r.faultSubcode).toBe('RequestTooLarge');
    await storeIntact();
  });
});

describe('large documents', () => {
  it('stores and returns a 25 MB PDF over MTOM byte for byte', async () => {
    const doc = bigDocument(25 * MB);
    const r = await provide(t.http, { docs: [{ doc }] }, asPs(t.world, author, ins));
    expect(r.errors).toEqual([]);
    const got = await retrieve(t.http, [doc.metadata.uniqueId], asPs(t.world, author, ins));
    const bytes = retrievedDocuments(got).get(doc.metadata.uniqueId)!;
    expect(bytes.length).toBe(doc.content.byteLength);
    expect(createHash('sha1').update(bytes).digest('hex')).toBe(createHash('sha1').update(doc.content).digest('hex'));
  }, 60_000);
});

describe('file store', () => {
  it('keeps documents, their content and their status across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'segur-sim-xds-data-'));
    const first = await startXdsHost({ store: 'file', dataDir });
    const doc = makeDocument(first.world, patient, author);
    let entryId: string;
    try {
      expect((await provide(first.http, { docs: [{ doc }] }, asPs(first.world, author, ins))).registryStatus).toBe(SUCCESS);
      const [e] = entries(await findDocuments(first.http, ins, { ...asPs(first.world, author, ins), extra: { $XDSDocumentEntryCreationTimeFrom: doc.metadata.creationTime } })).filter((x) => x.uniqueId === doc.metadata.uniqueId);
      entryId = e!.id;
      const archived = await updateSet(first.http, statusUpdateXml(submissionSetOf(doc), entryId, ST.approved, ST.archived), asPs(first.world, author, ins));
      expect(archived.errors).toEqual([]);
    } finally {
      await first.close();
    }
    const second = await startXdsHost({ store: 'file', dataDir });
    try {
      const found = entries(await findDocuments(second.http, ins, { ...asPs(second.world, author, ins), status: [ST.archived] }));
      const e = found.find((x) => x.uniqueId === doc.metadata.uniqueId);
      expect(e?.id).toBe(entryId);
      expect(e?.status).toBe(ST.archived);
      const got = await retrieve(second.http, [doc.metadata.uniqueId], asPs(second.world, author, ins));
      expect(Buffer.compare(retrievedDocuments(got).get(doc.metadata.uniqueId)!, Buffer.from(doc.content))).toBe(0);
      // Its uniqueId is still taken.
      const again = await provide(second.http, { docs: [{ doc }] }, asPs(second.world, author, ins));
      expect(again.errors.map((x) => x.code)).toContain('XDSDuplicateUniqueIdInRegistry');
    } finally {
      await second.close();
    }
  });
});
