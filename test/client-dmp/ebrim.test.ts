/**
 * ebRIM rendering of the DMP client against the structure of the official TD2.1 / TD3.1 / TD3.3 samples
 * (dmp.md §4.8–4.11, §5), and reading of registry answers. No server.
 */
import { SignedXml } from 'xml-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ASSOCIATION,
  buildMetadataUpdate,
  buildProvideAndRegister,
  buildSignatureDocument,
  buildStoredQuery,
  buildUpdateAvailabilityStatus,
  child,
  childrenNamed,
  DmpRegistryError,
  findAll,
  IdAllocator,
  NS,
  parseXmlTree,
  queryValue,
  readQueryResponse,
  readRegistryResponse,
  renderDocumentEntry,
  signatureMetadata,
  STATUS,
  XDS,
  type XmlElement,
} from '../../client/dmp/index.js';
import { entryMetadata } from '../../client/dmp/client.js';
import { submissionSetFor, type BuiltDocument } from '../../fixtures/documents/index.js';
import type { Patient, Professional, World } from '../../fixtures/index.js';
import { documentFactory, LPS, mainDoctor, testPki, testWorld } from './helpers.js';

let world: World;
let doctor: Professional;
let patient: Patient;
let doc: BuiltDocument;
let replacement: BuiltDocument;

beforeAll(() => {
  world = testWorld();
  doctor = mainDoctor(world);
  patient = world.patients.find((p) => p.ins && p.ins.type === 'NIR' && !p.magic?.length)!;
  const factory = documentFactory(world, doctor, 'ebrim');
  doc = factory.build(patient, 'n1-pdf');
  replacement = factory.build(patient, 'n1-pdf', { replaces: doc });
});

const slotValues = (e: XmlElement, name: string) => childrenNamed(child(childrenNamed(e, 'Slot').find((s) => s.attrs.name === name), 'ValueList'), 'Value').map((v) => v.text);
const classifications = (e: XmlElement, scheme: string) => childrenNamed(e, 'Classification').filter((c) => c.attrs.classificationScheme === scheme);
const extId = (e: XmlElement, scheme: string) => childrenNamed(e, 'ExternalIdentifier').find((x) => x.attrs.identificationScheme === scheme);

describe('ITI-41 ProvideAndRegisterDocumentSet-b', () => {
  function build(mtom = true, withReplacement = false) {
    const docs = withReplacement ? [replacement] : [doc];
    const ss = submissionSetFor(docs, { sourceId: LPS.oid, submissionTime: new Date('2025-03-01T10:00:00Z'), uniqueId: `${LPS.oid}.1.1` });
    const signature = { id: 'Signature01', metadata: signatureMetadata(ss, docs[0]!.metadata, `${LPS.oid}.2.1`), bytes: new TextEncoder().encode('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>') };
    const req = buildProvideAndRegister({
      submissionSet: ss,
      documents: docs.map((d, i) => ({ id: `Document0${i + 1}`, metadata: d.metadata, bytes: d.content, ...(withReplacement ? { replaces: 'urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e' } : {}) })),
      signature,
      mtom,
    });
    const root = parseXmlTree(req.bodyXml);
    return { req, root, ss, list: findAll(root, 'RegistryObjectList')[0]! };
  }

  it('submission set: submissionTime, author, contentTypeCode, classification node, patientId/sourceId/uniqueId', () => {
    const { root, list, ss } = build();
    expect(root).toMatchObject({ name: 'ProvideAndRegisterDocumentSetRequest', ns: NS.xdsb });
    expect(child(root, 'SubmitObjectsRequest', NS.lcm)).toBeDefined();
    const rp = child(list, 'RegistryPackage', NS.rim)!;
    expect(rp.attrs.id).toBe('SubmissionSet01');
    expect(slotValues(rp, 'submissionTime')).toEqual(['20250301100000']);
    const [author] = classifications(rp, XDS.ss.author);
    expect(author!.attrs.classifiedObject).toBe('SubmissionSet01');
    expect(slotValues(author!, 'authorPerson')).toEqual([ss.authors[0]!.person]);
    expect(slotValues(author!, 'authorInstitution')).toEqual(ss.authors[0]!.institutions);
    expect(slotValues(author!, 'authorSpecialty')).toEqual(ss.authors[0]!.specialties);
    const [content] = classifications(rp, XDS.ss.contentTypeCode);
    expect(content!.attrs.nodeRepresentation).toBe(ss.contentTypeCode.code);
    expect(slotValues(content!, 'codingScheme')).toEqual(['1.2.250.1.213.2.2']);
    expect(childrenNamed(rp, 'Classification').some((c) => c.attrs.classificationNode === XDS.submissionSetNode && c.attrs.classifiedObject === 'SubmissionSet01')).toBe(true);
    expect(extId(rp, XDS.ss.patientId)!.attrs.value).toBe(doc.metadata.patientId);
    expect(extId(rp, XDS.ss.sourceId)!.attrs.value).toBe(LPS.oid);
    expect(extId(rp, XDS.ss.uniqueId)!.attrs.value).toBe(`${LPS.oid}.1.1`);
    expect(child(child(extId(rp, XDS.ss.uniqueId), 'Name'), 'LocalizedString')!.attrs.value).toBe('XDSSubmissionSet.uniqueId');
  });

  it('document entry: objectType, slots, every §5.1 classification with codingScheme, patientId and uniqueId', () => {
    const { list } = build();
    const eo = childrenNamed(list, 'ExtrinsicObject').find((e) => e.attrs.id === 'Document01')!;
    const m = doc.metadata;
    expect(eo.attrs).toMatchObject({ mimeType: 'text/xml', objectType: XDS.documentEntryType });
    expect(eo.attrs.lid).toBeUndefined();
    expect(slotValues(eo, 'creationTime')).toEqual([m.creationTime]);
    expect(slotValues(eo, 'languageCode')).toEqual(['fr-FR']);
    expect(slotValues(eo, 'sourcePatientId')).toEqual([m.sourcePatientId]);
    expect(slotValues(eo, 'sourcePatientInfo')).toEqual(m.sourcePatientInfo);
    if (m.legalAuthenticator) expect(slotValues(eo, 'legalAuthenticator')).toEqual([m.legalAuthenticator]);
    if (m.serviceStartTime) expect(slotValues(eo, 'serviceStartTime')).toEqual([m.serviceStartTime]);
    expect(slotValues(eo, 'hash')).toEqual([]); // the repository computes hash and size (official sample)
    expect(child(child(eo, 'Name'), 'LocalizedString')!.attrs).toMatchObject({ value: m.title, charset: 'UTF8', 'xml:lang': 'FR' });
    const coded: [string, { code: string; scheme: string }][] = [
      [XDS.de.classCode, m.classCode],
      [XDS.de.typeCode, m.typeCode],
      [XDS.de.formatCode, m.formatCode],
      [XDS.de.healthcareFacilityTypeCode, m.healthcareFacilityTypeCode],
      [XDS.de.practiceSettingCode, m.practiceSettingCode],
    ];
    for (const [scheme, code] of coded) {
      const [c] = classifications(eo, scheme);
      expect(c, scheme).toBeDefined();
      expect(c!.attrs).toMatchObject({ classifiedObject: 'Document01', nodeRepresentation: code.code });
      expect(slotValues(c!, 'codingScheme')).toEqual([code.scheme]);
    }
    expect(classifications(eo, XDS.de.confidentialityCode).map((c) => c.attrs.nodeRepresentation)).toEqual(m.confidentialityCodes.map((c) => c.code));
    expect(classifications(eo, XDS.de.author)).toHaveLength(m.authors.length);
    expect(classifications(eo, XDS.de.author)[0]!.attrs.nodeRepresentation).toBe('');
    expect(extId(eo, XDS.de.patientId)!.attrs.value).toBe(m.patientId);
    expect(extId(eo, XDS.de.uniqueId)!.attrs.value).toBe(m.uniqueId);
    const ids = findAll(list, 'Classification').map((c) => c.attrs.id).concat(findAll(list, 'ExternalIdentifier').map((c) => c.attrs.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('signature entry and associations as in the sample: HasMember ×2 (Original), signs Signature01 → SubmissionSet01', () => {
    const { list } = build();
    const sig = childrenNamed(list, 'ExtrinsicObject').find((e) => e.attrs.id === 'Signature01')!;
    expect(classifications(sig, XDS.de.classCode)[0]!.attrs.nodeRepresentation).toBe('urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1');
    expect(slotValues(classifications(sig, XDS.de.classCode)[0]!, 'codingScheme')).toEqual(['URN']);
    expect(classifications(sig, XDS.de.typeCode)[0]!.attrs.nodeRepresentation).toBe('E1762');
    expect(classifications(sig, XDS.de.formatCode)[0]!.attrs.nodeRepresentation).toBe('http://www.w3.org/2000/09/xmldsig#');
    expect(classifications(sig, XDS.de.confidentialityCode).map((c) => c.attrs.nodeRepresentation)).toEqual(['N', 'MASQUE_PS', 'INVISIBLE_PATIENT']);
    expect(classifications(sig, XDS.de.eventCodeList)[0]!.attrs.nodeRepresentation).toBe('1.2.840.10065.1.12.1.14');
    expect(slotValues(sig, 'languageCode')).toEqual(['art']);
    expect(slotValues(sig, 'sourcePatientId')).toEqual([doc.metadata.patientId]);
    const assocs = childrenNamed(list, 'Association').map((a) => ({ type: a.attrs.associationType, source: a.attrs.sourceObject, target: a.attrs.targetObject, status: slotValues(a, 'SubmissionSetStatus') }));
    expect(assocs).toEqual([
      { type: ASSOCIATION.hasMember, source: 'SubmissionSet01', target: 'Document01', status: ['Original'] },
      { type: ASSOCIATION.hasMember, source: 'SubmissionSet01', target: 'Signature01', status: ['Original'] },
      { type: ASSOCIATION.signs, source: 'Signature01', target: 'SubmissionSet01', status: ['Original'] },
    ]);
  });

  it('MTOM: one ihe:Document per entry with an xop:Include pointing at a part; inline: base64', () => {
    const { req, root } = build(true);
    const documents = childrenNamed(root, 'Document', NS.xdsb);
    expect(documents.map((d) => d.attrs.id)).toEqual(['Document01', 'Signature01']);
    const href = child(documents[0], 'Include', NS.xop)!.attrs.href!;
    expect(href).toMatch(/^cid:/);
    const part = req.parts.find((p) => `cid:${p.contentId}` === decodeURIComponent(href));
    expect(part && Buffer.from(part.bytes).equals(Buffer.from(doc.content))).toBe(true);
    const inline = build(false);
    expect(inline.req.parts).toHaveLength(0);
    expect(Buffer.from(childrenNamed(inline.root, 'Document', NS.xdsb)[0]!.text, 'base64').equals(Buffer.from(doc.content))).toBe(true);
  });

  it('replacement: an RPLC association from the new document to the old entryUUID', () => {
    const { list } = build(true, true);
    const rplc = childrenNamed(list, 'Association').find((a) => a.attrs.associationType === ASSOCIATION.rplc)!;
    expect(rplc.attrs).toMatchObject({ sourceObject: 'Document01', targetObject: 'urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e' });
    expect(replacement.replaces).toBe(doc.metadata.uniqueId);
  });
});

describe('ITI-57 bodies (TD3.3)', () => {
  const entryUUID = 'urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e';
  it('UpdateAvailabilityStatus as the TD3.3c sample: SubmissionSet01 + association with OriginalStatus / NewStatus', () => {
    const ss = submissionSetFor(doc, { sourceId: LPS.oid, submissionTime: new Date('2025-03-01T10:00:00Z'), uniqueId: `${LPS.oid}.1.2` });
    const root = parseXmlTree(buildUpdateAvailabilityStatus({ submissionSet: ss, entryUUID, from: 'Archived', to: 'Deleted' }));
    expect(root).toMatchObject({ name: 'SubmitObjectsRequest', ns: NS.lcm });
    const a = findAll(root, 'Association')[0]!;
    expect(a.attrs).toMatchObject({
      associationType: 'urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus',
      objectType: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
      sourceObject: 'SubmissionSet01',
      targetObject: entryUUID,
    });
    expect(slotValues(a, 'OriginalStatus')).toEqual([STATUS.Archived]);
    expect(slotValues(a, 'NewStatus')).toEqual([STATUS.Deleted]);
    expect(findAll(root, 'RegistryPackage')).toHaveLength(1);
  });

  it('metadata update (mask): HasMember with PreviousVersion, full copy with lid, status, hash, size and MASQUE_PS', () => {
    const ss = submissionSetFor(doc, { sourceId: LPS.oid, submissionTime: new Date('2025-03-01T10:00:00Z'), uniqueId: `${LPS.oid}.1.3` });
    const entry = { ...doc.metadata, entryUUID, lid: entryUUID, status: 'Approved', statusUrn: STATUS.Approved, version: '1', hash: 'af326fb44feb720121d2c277ce10f87407818089', size: 2768, repositoryUniqueId: '1.2.250.1.213.4.1.1.1.2', objectType: XDS.documentEntryType };
    const metadata = { ...entryMetadata(entry), confidentialityCodes: [...doc.metadata.confidentialityCodes, { code: 'MASQUE_PS', scheme: '1.2.250.1.213.1.1.4.13', display: 'Masqué aux professionnels de santé' }] };
    const root = parseXmlTree(buildMetadataUpdate({ submissionSet: ss, entry, metadata }));
    const a = findAll(root, 'Association')[0]!;
    expect(a.attrs).toMatchObject({ associationType: ASSOCIATION.hasMember, sourceObject: 'SubmissionSet01', targetObject: 'Document01' });
    expect(slotValues(a, 'SubmissionSetStatus')).toEqual(['Original']);
    expect(slotValues(a, 'PreviousVersion')).toEqual(['1']);
    const eo = findAll(root, 'ExtrinsicObject')[0]!;
    expect(eo.attrs).toMatchObject({ id: 'Document01', lid: entryUUID, status: STATUS.Approved, isOpaque: 'false' });
    expect(slotValues(eo, 'hash')).toEqual([entry.hash]);
    expect(slotValues(eo, 'size')).toEqual(['2768']);
    expect(slotValues(eo, 'repositoryUniqueId')).toEqual(['1.2.250.1.213.4.1.1.1.2']);
    expect(classifications(eo, XDS.de.confidentialityCode).map((c) => c.attrs.nodeRepresentation)).toContain('MASQUE_PS');
    expect(extId(eo, XDS.de.uniqueId)!.attrs.value).toBe(doc.metadata.uniqueId);
  });
});

describe('ITI-18 requests', () => {
  it('FindDocuments as the official TD3.1 request: quoted patientId, status list', () => {
    const root = parseXmlTree(
      buildStoredQuery('urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d', {
        $XDSDocumentEntryPatientId: "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH",
        $XDSDocumentEntryStatus: [STATUS.Approved],
        $XDSDocumentEntryClassCode: ['10^^1.2.250.1.213.1.1.4.1', '11^^1.2.250.1.213.1.1.4.1'],
        $XDSDocumentEntryCreationTimeFrom: 20230101000000,
        $XDSDocumentEntryTypeCode: undefined,
      }),
    );
    expect(root).toMatchObject({ name: 'AdhocQueryRequest', ns: NS.query });
    expect(child(root, 'ResponseOption', NS.query)!.attrs).toMatchObject({ returnComposedObjects: 'true', returnType: 'LeafClass' });
    const q = child(root, 'AdhocQuery', NS.rim)!;
    expect(q.attrs.id).toBe('urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d');
    expect(slotValues(q, '$XDSDocumentEntryPatientId')).toEqual(["'207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH'"]);
    expect(slotValues(q, '$XDSDocumentEntryStatus')).toEqual(["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"]);
    expect(slotValues(q, '$XDSDocumentEntryClassCode')).toEqual(["('10^^1.2.250.1.213.1.1.4.1','11^^1.2.250.1.213.1.1.4.1')"]);
    expect(slotValues(q, '$XDSDocumentEntryCreationTimeFrom')).toEqual(['20230101000000']);
    expect(childrenNamed(q, 'Slot').map((s) => s.attrs.name)).not.toContain('$XDSDocumentEntryTypeCode');
    expect(queryValue("O'Brien")).toBe("'O''Brien'");
  });
});

describe('reading registry answers', () => {
  it('an AdhocQueryResponse in the DMP style (ns4 prefixes, registry UUIDs) gives typed entries, metadata round-tripped', () => {
    const uuid = 'urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e';
    const eo = renderDocumentEntry(doc.metadata, { id: uuid, ids: new IdAllocator(), lid: uuid, status: STATUS.Approved, version: '1', hash: 'af326fb44feb720121d2c277ce10f87407818089', size: 2768, repositoryUniqueId: '1.2.250.1.213.4.1.1.1.2' })
      .replace(/<(\/?)(?=[A-Z])/g, '<$1ns4:');
    const xml =
      `<ns3:AdhocQueryResponse startIndex="0" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success" totalResultCount="1" xmlns:ns2="${NS.rs}" xmlns:ns3="${NS.query}" xmlns:ns4="${NS.rim}">` +
      `<ns4:RegistryObjectList>${eo}<ns4:Association associationType="${ASSOCIATION.rplc}" id="urn:uuid:1" sourceObject="urn:uuid:2" targetObject="${uuid}"/><ns4:ObjectRef id="urn:uuid:3"/></ns4:RegistryObjectList></ns3:AdhocQueryResponse>`;
    const res = readQueryResponse(parseXmlTree(xml));
    expect(res).toMatchObject({ outcome: 'Success', totalResultCount: 1, references: ['urn:uuid:3'] });
    expect(res.associations[0]).toMatchObject({ type: ASSOCIATION.rplc, sourceObject: 'urn:uuid:2', targetObject: uuid });
    const e = res.documents[0]!;
    expect(e).toMatchObject({ entryUUID: uuid, lid: uuid, status: 'Approved', version: '1', hash: 'af326fb44feb720121d2c277ce10f87407818089', size: 2768, repositoryUniqueId: '1.2.250.1.213.4.1.1.1.2' });
    expect(entryMetadata(e)).toEqual(doc.metadata);
  });

  it('Failure → DmpRegistryError with every RegistryError (errorCode, codeContext, location, severity)', () => {
    const xml =
      `<ns2:RegistryResponse xmlns:ns2="${NS.rs}" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"><ns2:RegistryErrorList>` +
      `<ns2:RegistryError codeContext="uniqueId already in the registry" errorCode="XDSDuplicateUniqueIdInRegistry" location="Document01" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/>` +
      `<ns2:RegistryError codeContext="patient unknown" errorCode="XDSUnknownPatientId" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/>` +
      '</ns2:RegistryErrorList></ns2:RegistryResponse>';
    const err = (() => {
      try {
        readRegistryResponse(parseXmlTree(xml));
      } catch (e) {
        return e;
      }
    })() as DmpRegistryError;
    expect(err).toBeInstanceOf(DmpRegistryError);
    expect(err.codes).toEqual(['XDSDuplicateUniqueIdInRegistry', 'XDSUnknownPatientId']);
    expect(err.errors[0]).toEqual({ errorCode: 'XDSDuplicateUniqueIdInRegistry', codeContext: 'uniqueId already in the registry', location: 'Document01', severity: 'Error' });
    expect(err.retryable).toBe(false);
    const ok = readRegistryResponse(parseXmlTree(`<ns2:RegistryResponse xmlns:ns2="${NS.rs}" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>`));
    expect(ok.outcome).toBe('Success');
  });
});

describe('signature document', () => {
  it('is a ds:Signature over the IHE manifest and the XAdES SignedProperties that xml-crypto verifies', async () => {
    const pki = await testPki();
    const pro = pki.professionals[0]!;
    const xml = buildSignatureDocument({
      submissionSetUniqueId: `${LPS.oid}.1.9`,
      documents: [{ uniqueId: doc.metadata.uniqueId, bytes: doc.content }],
      signingTime: new Date('2025-03-01T10:00:00Z'),
      signatureId: 'sig-1',
      signer: { keyPem: pro.keyPem, certPem: pro.certPem },
    });
    const root = parseXmlTree(xml);
    expect(root).toMatchObject({ name: 'Signature', ns: NS.ds });
    const refs = childrenNamed(findAll(root, 'Manifest')[0], 'Reference').map((r) => r.attrs.URI);
    expect(refs).toEqual([`urn:oid:${LPS.oid}.1.9`, `urn:oid:${doc.metadata.uniqueId}`]);
    expect(findAll(root, 'SignatureProperty')[0]!.text).toBe('1.2.840.10065.1.12.1.14');
    expect(findAll(root, 'SigningTime', NS.xades)[0]!.text).toBe('2025-03-01T10:00:00.000Z');
    const sig = new SignedXml({ publicCert: pro.certPem });
    sig.loadSignature(xml);
    expect(sig.checkSignature(xml)).toBe(true);
    const tampered = xml.replace(`urn:oid:${doc.metadata.uniqueId}`, 'urn:oid:1.2.3');
    const sig2 = new SignedXml({ publicCert: pro.certPem });
    sig2.loadSignature(tampered);
    let tamperedOk: boolean;
    try {
      tamperedOk = sig2.checkSignature(tampered);
    } catch {
      tamperedOk = false;
    }
    expect(tamperedOk).toBe(false);
  });
});
