/**
 * ebRIM 3.0 rendering and reading of the XDS metadata (dmp.md §4.8, §4.9, §5). Rendering starts from the
 * fixtures' XdsDocumentMetadata / XdsSubmissionSetMetadata (the contract shared with the document
 * builders) and writes the structure of the official TD2.1 sample: slots, then Name/Description, then the
 * classifications (authors, class, type, confidentiality, format, facility type, practice setting, event
 * codes) with `codingScheme` slots and display names, then the external identifiers (patientId, uniqueId).
 * Reading turns a registry's ExtrinsicObject / RegistryPackage / Association / ObjectRef back into typed
 * objects, whatever the prefixes (the DMP writes ns4:…).
 */
import type { XdsAuthor, XdsCode, XdsDocumentMetadata, XdsSubmissionSetMetadata } from '../../fixtures/documents/types.js';
import { XDS, statusName } from './constants.js';
import { attr, child, childrenNamed, el, esc, text, type XmlElement } from './xml.js';

export type { XdsAuthor, XdsCode, XdsDocumentMetadata, XdsSubmissionSetMetadata };

/** Symbolic ids inside one request (`cla1`, `ei1`…, as in the official sample). */
export class IdAllocator {
  private readonly counters = new Map<string, number>();
  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n}`;
  }
}

export function slot(name: string, values: readonly string[]): string {
  return `<Slot name="${esc(name)}"><ValueList>${values.map((v) => `<Value>${esc(v)}</Value>`).join('')}</ValueList></Slot>`;
}

export function localized(tag: 'Name' | 'Description', value: string): string {
  return `<${tag}><LocalizedString charset="UTF8" value="${esc(value)}" xml:lang="FR"/></${tag}>`;
}

function codeClassification(scheme: string, objectId: string, code: XdsCode, ids: IdAllocator): string {
  return (
    el('Classification', { classificationScheme: scheme, classifiedObject: objectId, id: ids.next('cla'), nodeRepresentation: code.code }, slot('codingScheme', [code.scheme]) + (code.display ? localized('Name', code.display) : ''))
  );
}

function authorClassification(scheme: string, objectId: string, author: XdsAuthor, ids: IdAllocator): string {
  let slots = '';
  if (author.person) slots += slot('authorPerson', [author.person]);
  if (author.specialties?.length) slots += slot('authorSpecialty', author.specialties);
  if (author.institutions?.length) slots += slot('authorInstitution', author.institutions);
  if (author.roles?.length) slots += slot('authorRole', author.roles);
  return el('Classification', { classificationScheme: scheme, classifiedObject: objectId, id: ids.next('cla'), nodeRepresentation: '' }, slots);
}

function externalIdentifier(scheme: string, objectId: string, value: string, name: string, ids: IdAllocator): string {
  return el('ExternalIdentifier', { id: ids.next('ei'), identificationScheme: scheme, registryObject: objectId, value }, localized('Name', name));
}

export interface DocumentEntryRenderOptions {
  /** Symbolic id (`Document01`) or `urn:uuid:…`. */
  id: string;
  ids: IdAllocator;
  /** Registry attributes, for an ITI-57 metadata update (full copy): logical id, status. */
  lid?: string;
  status?: string;
  /** VersionInfo versionName, for a copy. */
  version?: string;
  hash?: string;
  size?: number;
  repositoryUniqueId?: string;
}

/** `<ExtrinsicObject>` of a DocumentEntry (rim namespace as default namespace of the enclosing request). */
export function renderDocumentEntry(meta: XdsDocumentMetadata, o: DocumentEntryRenderOptions): string {
  const id = o.id;
  const slots: [string, string[] | undefined][] = [
    ['creationTime', [meta.creationTime]],
    ['hash', o.hash ? [o.hash] : undefined],
    ['languageCode', [meta.languageCode]],
    ['legalAuthenticator', meta.legalAuthenticator ? [meta.legalAuthenticator] : undefined],
    ['repositoryUniqueId', o.repositoryUniqueId ? [o.repositoryUniqueId] : undefined],
    ['serviceStartTime', meta.serviceStartTime ? [meta.serviceStartTime] : undefined],
    ['serviceStopTime', meta.serviceStopTime ? [meta.serviceStopTime] : undefined],
    ['size', o.size !== undefined ? [String(o.size)] : undefined],
    ['sourcePatientId', [meta.sourcePatientId]],
    ['sourcePatientInfo', meta.sourcePatientInfo?.length ? meta.sourcePatientInfo : undefined],
    ['urn:ihe:iti:xds:2013:referenceIdList', meta.referenceIds?.length ? meta.referenceIds : undefined],
  ];
  let inner = slots.filter(([, v]) => v !== undefined).map(([n, v]) => slot(n, v!)).join('');
  inner += localized('Name', meta.title);
  if (meta.comments) inner += localized('Description', meta.comments);
  if (o.version) inner += el('VersionInfo', { versionName: o.version });
  for (const a of meta.authors) inner += authorClassification(XDS.de.author, id, a, o.ids);
  inner += codeClassification(XDS.de.classCode, id, meta.classCode, o.ids);
  inner += codeClassification(XDS.de.typeCode, id, meta.typeCode, o.ids);
  for (const c of meta.confidentialityCodes) inner += codeClassification(XDS.de.confidentialityCode, id, c, o.ids);
  inner += codeClassification(XDS.de.formatCode, id, meta.formatCode, o.ids);
  inner += codeClassification(XDS.de.healthcareFacilityTypeCode, id, meta.healthcareFacilityTypeCode, o.ids);
  inner += codeClassification(XDS.de.practiceSettingCode, id, meta.practiceSettingCode, o.ids);
  for (const c of meta.eventCodes ?? []) inner += codeClassification(XDS.de.eventCodeList, id, c, o.ids);
  inner += externalIdentifier(XDS.de.patientId, id, meta.patientId, 'XDSDocumentEntry.patientId', o.ids);
  inner += externalIdentifier(XDS.de.uniqueId, id, meta.uniqueId, 'XDSDocumentEntry.uniqueId', o.ids);
  const attributes: Record<string, string | undefined> = {
    id,
    ...(o.lid ? { isOpaque: 'false', lid: o.lid } : {}),
    mimeType: meta.mimeType,
    objectType: XDS.documentEntryType,
    ...(o.status ? { status: o.status } : {}),
  };
  return el('ExtrinsicObject', attributes, inner);
}

/** `<RegistryPackage>` of a submission set, with its classification node. */
export function renderSubmissionSet(ss: XdsSubmissionSetMetadata, o: { id: string; ids: IdAllocator; comments?: string }): string {
  const id = o.id;
  let inner = slot('submissionTime', [ss.submissionTime]);
  if (ss.title) inner += localized('Name', ss.title);
  if (o.comments) inner += localized('Description', o.comments);
  for (const a of ss.authors) inner += authorClassification(XDS.ss.author, id, a, o.ids);
  inner += codeClassification(XDS.ss.contentTypeCode, id, ss.contentTypeCode, o.ids);
  inner += el('Classification', { classificationNode: XDS.submissionSetNode, classifiedObject: id, id: o.ids.next('cla') });
  inner += externalIdentifier(XDS.ss.patientId, id, ss.patientId, 'XDSSubmissionSet.patientId', o.ids);
  inner += externalIdentifier(XDS.ss.sourceId, id, ss.sourceId, 'XDSSubmissionSet.sourceId', o.ids);
  inner += externalIdentifier(XDS.ss.uniqueId, id, ss.uniqueId, 'XDSSubmissionSet.uniqueId', o.ids);
  return el('RegistryPackage', { id }, inner);
}

export interface AssociationInput {
  id: string;
  type: string;
  source: string;
  target: string;
  slots?: Record<string, string[]>;
  /** ITI-57 requests write it (official samples); ITI-41 ones do not. */
  withObjectType?: boolean;
}

export function renderAssociation(a: AssociationInput): string {
  const slots = Object.entries(a.slots ?? {}).map(([n, v]) => slot(n, v)).join('');
  return el(
    'Association',
    { associationType: a.type, id: a.id, ...(a.withObjectType ? { objectType: XDS.associationObjectType } : {}), sourceObject: a.source, targetObject: a.target },
    slots,
  );
}

// ------------------------------------------------------------------ reading

/** A DocumentEntry as the registry returns it: the submitter's metadata plus what the registry assigned. */
export interface DocumentEntry extends XdsDocumentMetadata {
  /** `urn:uuid:…` of this metadata version (changes on every metadata update). */
  entryUUID: string;
  /** Logical id: stable across metadata updates, new on replacement. */
  lid: string;
  /** `Approved`, `Deprecated`, `Archived`, `Deleted` (or the URN when unknown). */
  status: string;
  statusUrn: string;
  /** VersionInfo versionName (metadata version, "1" for a first version). */
  version?: string;
  /** SHA-1, hex. */
  hash?: string;
  size?: number;
  repositoryUniqueId?: string;
  homeCommunityId?: string;
  objectType: string;
}

export interface SubmissionSetEntry {
  entryUUID: string;
  status: string;
  uniqueId?: string;
  sourceId?: string;
  patientId?: string;
  submissionTime?: string;
  title?: string;
  comments?: string;
  contentTypeCode?: XdsCode;
  authors: XdsAuthor[];
}

export interface AssociationEntry {
  id: string;
  type: string;
  sourceObject: string;
  targetObject: string;
  status?: string;
  slots: Record<string, string[]>;
}

function slotsOf(e: XmlElement): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of childrenNamed(e, 'Slot')) {
    const name = s.attrs.name;
    if (!name) continue;
    out[name] = childrenNamed(child(s, 'ValueList'), 'Value').map((v) => v.text.trim());
  }
  return out;
}

function localizedOf(e: XmlElement | undefined): string | undefined {
  const ls = child(e, 'LocalizedString');
  return ls ? (ls.attrs.value ?? text(ls)) : undefined;
}

function codeOf(c: XmlElement): XdsCode {
  return { code: c.attrs.nodeRepresentation ?? '', scheme: slotsOf(c).codingScheme?.[0] ?? '', display: localizedOf(child(c, 'Name')) ?? '' };
}

function authorOf(c: XmlElement): XdsAuthor {
  const s = slotsOf(c);
  const author: XdsAuthor = { person: s.authorPerson?.[0] ?? '', institutions: s.authorInstitution ?? [], specialties: s.authorSpecialty ?? [] };
  if (s.authorRole?.length) author.roles = s.authorRole;
  return author;
}

function externalIds(e: XmlElement): Map<string, string> {
  const out = new Map<string, string>();
  for (const x of childrenNamed(e, 'ExternalIdentifier')) if (x.attrs.identificationScheme) out.set(x.attrs.identificationScheme, x.attrs.value ?? '');
  return out;
}

export function readDocumentEntry(e: XmlElement): DocumentEntry {
  const s = slotsOf(e);
  const classes = childrenNamed(e, 'Classification');
  const by = (scheme: string) => classes.filter((c) => c.attrs.classificationScheme === scheme);
  const one = (scheme: string): XdsCode => {
    const c = by(scheme)[0];
    return c ? codeOf(c) : { code: '', scheme: '', display: '' };
  };
  const ext = externalIds(e);
  const statusUrn = e.attrs.status ?? '';
  const entry: DocumentEntry = {
    entryUUID: e.attrs.id ?? '',
    lid: e.attrs.lid ?? e.attrs.id ?? '',
    status: statusName(statusUrn),
    statusUrn,
    version: attr(child(e, 'VersionInfo'), 'versionName'),
    objectType: e.attrs.objectType ?? '',
    uniqueId: ext.get(XDS.de.uniqueId) ?? '',
    patientId: ext.get(XDS.de.patientId) ?? '',
    sourcePatientId: s.sourcePatientId?.[0] ?? '',
    sourcePatientInfo: s.sourcePatientInfo ?? [],
    title: localizedOf(child(e, 'Name')) ?? '',
    classCode: one(XDS.de.classCode),
    typeCode: one(XDS.de.typeCode),
    formatCode: one(XDS.de.formatCode),
    confidentialityCodes: by(XDS.de.confidentialityCode).map(codeOf),
    healthcareFacilityTypeCode: one(XDS.de.healthcareFacilityTypeCode),
    practiceSettingCode: one(XDS.de.practiceSettingCode),
    eventCodes: by(XDS.de.eventCodeList).map(codeOf),
    creationTime: s.creationTime?.[0] ?? '',
    languageCode: s.languageCode?.[0] ?? '',
    mimeType: e.attrs.mimeType ?? '',
    authors: by(XDS.de.author).map(authorOf),
  };
  const comments = localizedOf(child(e, 'Description'));
  if (comments) entry.comments = comments;
  if (s.serviceStartTime?.[0]) entry.serviceStartTime = s.serviceStartTime[0];
  if (s.serviceStopTime?.[0]) entry.serviceStopTime = s.serviceStopTime[0];
  if (s.legalAuthenticator?.[0]) entry.legalAuthenticator = s.legalAuthenticator[0];
  const refs = s['urn:ihe:iti:xds:2013:referenceIdList'];
  if (refs?.length) entry.referenceIds = refs;
  if (s.hash?.[0]) entry.hash = s.hash[0];
  if (s.size?.[0] && /^\d+$/.test(s.size[0])) entry.size = Number(s.size[0]);
  if (s.repositoryUniqueId?.[0]) entry.repositoryUniqueId = s.repositoryUniqueId[0];
  if (e.attrs.home) entry.homeCommunityId = e.attrs.home;
  return entry;
}

export function readSubmissionSet(e: XmlElement): SubmissionSetEntry {
  const s = slotsOf(e);
  const classes = childrenNamed(e, 'Classification');
  const ext = externalIds(e);
  const content = classes.find((c) => c.attrs.classificationScheme === XDS.ss.contentTypeCode);
  return {
    entryUUID: e.attrs.id ?? '',
    status: statusName(e.attrs.status ?? ''),
    uniqueId: ext.get(XDS.ss.uniqueId),
    sourceId: ext.get(XDS.ss.sourceId),
    patientId: ext.get(XDS.ss.patientId),
    submissionTime: s.submissionTime?.[0],
    title: localizedOf(child(e, 'Name')),
    comments: localizedOf(child(e, 'Description')),
    contentTypeCode: content ? codeOf(content) : undefined,
    authors: classes.filter((c) => c.attrs.classificationScheme === XDS.ss.author).map(authorOf),
  };
}

export function readAssociation(e: XmlElement): AssociationEntry {
  return {
    id: e.attrs.id ?? '',
    type: e.attrs.associationType ?? '',
    sourceObject: e.attrs.sourceObject ?? '',
    targetObject: e.attrs.targetObject ?? '',
    status: e.attrs.status ? statusName(e.attrs.status) : undefined,
    slots: slotsOf(e),
  };
}

/** True for a RegistryPackage that is a submission set (classification node or SS external identifiers). */
export function isSubmissionSet(e: XmlElement): boolean {
  const ext = externalIds(e);
  return ext.has(XDS.ss.uniqueId) || childrenNamed(e, 'Classification').some((c) => c.attrs.classificationNode === XDS.submissionSetNode);
}

/** `<INS>^^^&<OID>&ISO^NH` (extra components, such as `^^20100907`, ignored on reading). */
export function patientCx(ins: string, oid: string): string {
  return `${ins}^^^&${oid}&ISO^NH`;
}

/** CX → INS and OID (CX.1 and CX.4 only). */
export function parsePatientCx(cx: string): { ins: string; oid: string } | undefined {
  const fields = cx.trim().replace(/^'|'$/g, '').split('^');
  const ins = fields[0]?.trim();
  const oid = (fields[3] ?? '').split('&')[1];
  return ins && oid ? { ins, oid } : undefined;
}

/** XCN id (component 1) of an author or legal authenticator. */
export function xcnId(xcn: string | undefined): string | undefined {
  return xcn?.split('^')[0] || undefined;
}
