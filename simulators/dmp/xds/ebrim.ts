/**
 * ebRIM 3.0 codec of the XDS transactions (dmp.md §4.8–4.11, §5): `SubmitObjectsRequest` /
 * `RegistryObjectList` parsed into typed objects, and registry objects rendered back with the live DMP's
 * prefixes (`ns4:ExtrinsicObject`... in ITI-18 responses, slots, classifications and external identifiers in
 * the order of the official TD3.1 sample). Element names are matched by local name: clients put ebRIM in the
 * default namespace, in `rim:` or (wrongly) elsewhere, and the DMP reads them all.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { DE_IDENTIFIER, DE_SCHEME, OBJECT_TYPE, SS_IDENTIFIER, SS_SCHEME } from './constants.js';
import type { AssociationEntry, DocumentEntry, DocumentMeta, ExtraSlot, SubmissionSetEntry, SubmissionSetMeta, XdsAuthor, XdsCode } from './model.js';
import { esc, kid, kids, subUuid, subUuids } from './xml.js';

// ---------------------------------------------------------------------------------------------------------
// Parsing

export type Slots = Record<string, string[]>;

export interface ParsedClassification {
  id?: string;
  scheme?: string;
  node?: string;
  classifiedObject?: string;
  nodeRepresentation?: string;
  slots: Slots;
  name?: string;
}

export interface ParsedExternalId {
  id?: string;
  scheme: string;
  value: string;
  registryObject?: string;
}

export interface ParsedObject {
  kind: 'ExtrinsicObject' | 'RegistryPackage';
  id: string;
  lid?: string;
  status?: string;
  mimeType?: string;
  objectType?: string;
  versionName?: string;
  slots: Slots;
  slotOrder: string[];
  name?: string;
  description?: string;
  classifications: ParsedClassification[];
  externalIds: ParsedExternalId[];
}

export interface ParsedAssociation {
  id: string;
  type: string;
  source: string;
  target: string;
  status?: string;
  slots: Slots;
}

export interface ParsedSubmission {
  packages: ParsedObject[];
  extrinsics: ParsedObject[];
  associations: ParsedAssociation[];
  /** Stand-alone Classifications in the object list (the submission-set node is often given that way). */
  classifications: ParsedClassification[];
  objectRefs: string[];
}

function readSlots(el: XmlEl): { slots: Slots; order: string[] } {
  const slots: Slots = {};
  const order: string[] = [];
  for (const s of el.children) {
    if (s.name !== 'Slot') continue;
    const name = s.attrs.name ?? '';
    const values: string[] = [];
    for (const v of kid(s, 'ValueList')?.children ?? []) if (v.name === 'Value') values.push(v.text);
    if (!(name in slots)) order.push(name);
    (slots[name] ??= []).push(...values);
  }
  return { slots, order };
}

function localized(el: XmlEl | undefined): string | undefined {
  const ls = kid(el, 'LocalizedString');
  return ls ? (ls.attrs.value ?? ls.text) : undefined;
}

function readClassification(el: XmlEl): ParsedClassification {
  return {
    id: el.attrs.id,
    scheme: el.attrs.classificationScheme,
    node: el.attrs.classificationNode,
    classifiedObject: el.attrs.classifiedObject,
    nodeRepresentation: el.attrs.nodeRepresentation,
    slots: readSlots(el).slots,
    name: localized(kid(el, 'Name')),
  };
}

function readObject(el: XmlEl, kind: ParsedObject['kind']): ParsedObject {
  const { slots, order } = readSlots(el);
  const classifications: ParsedClassification[] = [];
  const externalIds: ParsedExternalId[] = [];
  for (const c of el.children) {
    if (c.name === 'Classification') classifications.push(readClassification(c));
    else if (c.name === 'ExternalIdentifier') externalIds.push({ id: c.attrs.id, scheme: c.attrs.identificationScheme ?? '', value: c.attrs.value ?? '', registryObject: c.attrs.registryObject });
  }
  return {
    kind,
    id: el.attrs.id ?? '',
    lid: el.attrs.lid,
    status: el.attrs.status,
    mimeType: el.attrs.mimeType,
    objectType: el.attrs.objectType,
    versionName: kid(el, 'VersionInfo')?.attrs.versionName,
    slots,
    slotOrder: order,
    name: localized(kid(el, 'Name')),
    description: localized(kid(el, 'Description')),
    classifications,
    externalIds,
  };
}

/** Reads `SubmitObjectsRequest` (or any element holding a `RegistryObjectList`). */
export function parseSubmission(submitObjectsRequest: XmlEl): ParsedSubmission {
  const list = kid(submitObjectsRequest, 'RegistryObjectList');
  const out: ParsedSubmission = { packages: [], extrinsics: [], associations: [], classifications: [], objectRefs: [] };
  for (const el of list?.children ?? []) {
    switch (el.name) {
      case 'RegistryPackage':
        out.packages.push(readObject(el, 'RegistryPackage'));
        break;
      case 'ExtrinsicObject':
        out.extrinsics.push(readObject(el, 'ExtrinsicObject'));
        break;
      case 'Association':
        out.associations.push({
          id: el.attrs.id ?? '',
          type: el.attrs.associationType ?? '',
          source: el.attrs.sourceObject ?? '',
          target: el.attrs.targetObject ?? '',
          status: el.attrs.status,
          slots: readSlots(el).slots,
        });
        break;
      case 'Classification':
        out.classifications.push(readClassification(el));
        break;
      case 'ObjectRef':
        if (el.attrs.id) out.objectRefs.push(el.attrs.id);
        break;
    }
  }
  return out;
}

/** Whether a RegistryPackage is the submission set (classified by the SubmissionSet node, inside or beside it). */
export function isSubmissionSet(pkg: ParsedObject, standalone: ParsedClassification[]): boolean {
  const node = (c: ParsedClassification) => c.node === OBJECT_TYPE.submissionSetNode;
  return pkg.classifications.some(node) || standalone.some((c) => node(c) && c.classifiedObject === pkg.id) || pkg.externalIds.some((e) => e.scheme === SS_IDENTIFIER.uniqueId);
}

// Strings repeated across thousands of entries (codes, authors, patients) are interned so the registry
// keeps one copy of each (the bench holds 100 000 entries under 1 GB).
const codeIntern = new Map<string, XdsCode>();
const authorIntern = new Map<string, XdsAuthor>();
const stringIntern = new Map<string, string>();
const INTERN_MAX = 200_000;

export function internString(s: string): string;
export function internString(s: string | undefined): string | undefined;
export function internString(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const found = stringIntern.get(s);
  if (found !== undefined) return found;
  if (stringIntern.size < INTERN_MAX) stringIntern.set(s, s);
  return s;
}

export function internCode(c: XdsCode): XdsCode {
  const key = `${c.code}\u0001${c.scheme}\u0001${c.display}`;
  const found = codeIntern.get(key);
  if (found) return found;
  const fresh = { code: c.code, scheme: c.scheme, display: c.display };
  if (codeIntern.size < INTERN_MAX) codeIntern.set(key, fresh);
  return fresh;
}

export function internAuthor(a: XdsAuthor): XdsAuthor {
  const key = `${a.person}\u0001${a.institutions.join('\u0002')}\u0001${a.specialties.join('\u0002')}\u0001${(a.roles ?? []).join('\u0002')}`;
  const found = authorIntern.get(key);
  if (found) return found;
  const fresh: XdsAuthor = { person: internString(a.person), institutions: a.institutions.map((v) => internString(v)), specialties: a.specialties.map((v) => internString(v)) };
  if (a.roles?.length) fresh.roles = a.roles;
  if (authorIntern.size < INTERN_MAX) authorIntern.set(key, fresh);
  return fresh;
}

const listIntern = new Map<string, readonly unknown[]>();

/** One shared array per distinct list of interned items (codes, authors, strings): never mutated afterwards. */
function internList<T>(items: readonly T[], key: (t: T) => string, tag: string): T[] {
  if (!items.length) return EMPTY as unknown as T[];
  let k = tag;
  for (const it of items) k += `\u0002${key(it)}`;
  const found = listIntern.get(k);
  if (found) return found as T[];
  const fresh = [...items];
  if (listIntern.size < INTERN_MAX) listIntern.set(k, fresh);
  return fresh;
}
const EMPTY: readonly never[] = Object.freeze([]);
const codeKey = (c: XdsCode) => `${c.code}\u0001${c.scheme}\u0001${c.display}`;
const authorKey = (a: XdsAuthor) => `${a.person}\u0001${a.institutions.join('\u0003')}\u0001${a.specialties.join('\u0003')}\u0001${(a.roles ?? []).join('\u0003')}`;
const same = (v: string) => v;

export function internCodes(codes: readonly XdsCode[]): XdsCode[] {
  return internList(codes.map(internCode), codeKey, 'c');
}
export function internAuthors(authors: readonly XdsAuthor[]): XdsAuthor[] {
  return internList(authors.map(internAuthor), authorKey, 'a');
}
export function internStrings(values: readonly string[]): string[] {
  return internList(values.map((v) => internString(v)), same, 's');
}

/** Slot maps of associations (`SubmissionSetStatus: Original`...), shared when equal. */
export function internSlots(slots: Record<string, string[]> | undefined): Record<string, string[]> | undefined {
  if (!slots) return undefined;
  const key = JSON.stringify(slots);
  if (key.length > 400) return slots;
  const found = listIntern.get(`o${key}`);
  if (found) return found[0] as Record<string, string[]>;
  if (listIntern.size < INTERN_MAX) listIntern.set(`o${key}`, [slots]);
  return slots;
}

/**
 * Interns every shared part of a metadata object in place (events replayed from the log, seeded entries):
 * codes, authors, the lists of them, patient strings; the registry then holds about one small object and a
 * few unique strings per entry.
 */
export function internMeta(meta: DocumentMeta): DocumentMeta {
  const code = (c: XdsCode | undefined) => (c ? internCode(c) : undefined);
  meta.classCode = code(meta.classCode);
  meta.typeCode = code(meta.typeCode);
  meta.formatCode = code(meta.formatCode);
  meta.healthcareFacilityTypeCode = code(meta.healthcareFacilityTypeCode);
  meta.practiceSettingCode = code(meta.practiceSettingCode);
  meta.confidentialityCodes = internCodes(meta.confidentialityCodes);
  meta.eventCodes = internCodes(meta.eventCodes);
  meta.authors = internAuthors(meta.authors);
  meta.legalAuthenticator = internString(meta.legalAuthenticator);
  meta.sourcePatientId = internString(meta.sourcePatientId);
  meta.sourcePatientInfo = internStrings(meta.sourcePatientInfo);
  meta.referenceIds = internStrings(meta.referenceIds);
  meta.languageCode = internString(meta.languageCode);
  meta.title = internString(meta.title);
  meta.comments = internString(meta.comments);
  if (meta.extraSlots && !meta.extraSlots.length) delete meta.extraSlots;
  return meta;
}

function codeOf(c: ParsedClassification): XdsCode {
  return { code: c.nodeRepresentation ?? '', scheme: c.slots.codingScheme?.[0] ?? '', display: c.name ?? '' };
}

function authorOf(c: ParsedClassification): XdsAuthor {
  const a: XdsAuthor = { person: c.slots.authorPerson?.[0] ?? '', institutions: c.slots.authorInstitution ?? [], specialties: c.slots.authorSpecialty ?? [] };
  if (c.slots.authorRole?.length) a.roles = c.slots.authorRole;
  return a;
}

/** Slots a DocumentEntry maps to fields; anything else is kept in `extraSlots`. */
const DE_SLOTS = new Set(['creationTime', 'hash', 'size', 'languageCode', 'legalAuthenticator', 'repositoryUniqueId', 'serviceStartTime', 'serviceStopTime', 'sourcePatientId', 'sourcePatientInfo', 'urn:ihe:iti:xds:2013:referenceIdList', 'URI']);
const SS_SLOTS = new Set(['submissionTime']);

/** What an ExtrinsicObject says, before validation. */
export interface DocumentDraft {
  symbolicId: string;
  lid?: string;
  status?: string;
  mimeType?: string;
  objectType?: string;
  versionName?: string;
  uniqueId?: string;
  patientId?: string;
  hash?: string;
  size?: string;
  repositoryUniqueId?: string;
  meta: DocumentMeta;
  /** Classification schemes present more than allowed, unknown ones... (reported by validate.ts). */
  notes: string[];
}

const SINGLE_CODES: [keyof typeof DE_SCHEME, keyof DocumentMeta][] = [
  ['classCode', 'classCode'],
  ['typeCode', 'typeCode'],
  ['formatCode', 'formatCode'],
  ['healthcareFacilityTypeCode', 'healthcareFacilityTypeCode'],
  ['practiceSettingCode', 'practiceSettingCode'],
];

export function documentDraft(o: ParsedObject): DocumentDraft {
  const notes: string[] = [];
  const meta: DocumentMeta = {
    title: o.name,
    comments: o.description,
    confidentialityCodes: [],
    eventCodes: [],
    authors: [],
    sourcePatientInfo: o.slots.sourcePatientInfo ?? [],
    referenceIds: o.slots['urn:ihe:iti:xds:2013:referenceIdList'] ?? [],
    creationTime: o.slots.creationTime?.[0],
    serviceStartTime: o.slots.serviceStartTime?.[0],
    serviceStopTime: o.slots.serviceStopTime?.[0],
    languageCode: o.slots.languageCode?.[0],
    legalAuthenticator: o.slots.legalAuthenticator?.[0],
    sourcePatientId: o.slots.sourcePatientId?.[0],
  };
  for (const c of o.classifications) {
    switch (c.scheme) {
      case DE_SCHEME.author:
        meta.authors.push(authorOf(c));
        break;
      case DE_SCHEME.confidentialityCode:
        meta.confidentialityCodes.push(codeOf(c));
        break;
      case DE_SCHEME.eventCodeList:
        meta.eventCodes.push(codeOf(c));
        break;
      default: {
        const single = SINGLE_CODES.find(([scheme]) => DE_SCHEME[scheme] === c.scheme);
        if (single) {
          const field = single[1] as 'classCode';
          if (meta[field]) notes.push(`${single[0]} is given more than once`);
          else meta[field] = codeOf(c);
        } else if (c.scheme) notes.push(`unknown classification scheme ${c.scheme}`);
      }
    }
  }
  const extra: ExtraSlot[] = [];
  for (const name of o.slotOrder) if (!DE_SLOTS.has(name)) extra.push({ name, values: o.slots[name]! });
  if (extra.length) meta.extraSlots = extra;
  const ext = (scheme: string) => o.externalIds.find((e) => e.scheme === scheme)?.value;
  return {
    symbolicId: o.id,
    lid: o.lid,
    status: o.status,
    mimeType: o.mimeType,
    objectType: o.objectType,
    versionName: o.versionName,
    uniqueId: ext(DE_IDENTIFIER.uniqueId)?.trim(),
    patientId: ext(DE_IDENTIFIER.patientId)?.trim(),
    hash: o.slots.hash?.[0],
    size: o.slots.size?.[0],
    repositoryUniqueId: o.slots.repositoryUniqueId?.[0],
    meta,
    notes,
  };
}

export interface SubmissionSetDraft {
  symbolicId: string;
  uniqueId?: string;
  patientId?: string;
  meta: SubmissionSetMeta;
}

export function submissionSetDraft(o: ParsedObject): SubmissionSetDraft {
  const meta: SubmissionSetMeta = { title: o.name, comments: o.description, authors: [], submissionTime: o.slots.submissionTime?.[0] };
  for (const c of o.classifications) {
    if (c.scheme === SS_SCHEME.author) meta.authors.push(authorOf(c));
    else if (c.scheme === SS_SCHEME.contentTypeCode) meta.contentTypeCode = codeOf(c);
  }
  const extra: ExtraSlot[] = [];
  for (const name of o.slotOrder) if (!SS_SLOTS.has(name)) extra.push({ name, values: o.slots[name]! });
  if (extra.length) meta.extraSlots = extra;
  const ext = (scheme: string) => o.externalIds.find((e) => e.scheme === scheme)?.value?.trim();
  meta.sourceId = ext(SS_IDENTIFIER.sourceId);
  return { symbolicId: o.id, uniqueId: ext(SS_IDENTIFIER.uniqueId), patientId: ext(SS_IDENTIFIER.patientId), meta };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering (prefix `p` is the rim prefix: `ns4` in ITI-18 responses). Each renderer appends to `out`, which
// the caller joins once: a query answer of hundreds of KB is then one flat string, not a deep rope that the
// journal and the socket would have to flatten.

export type Out = string[];

/** Tags of one prefix, built once (`<ns4:Slot name="`...). */
interface Tags {
  slotOpen: string;
  slotMid: string;
  slotClose: string;
  valueOpen: string;
  valueClose: string;
}
const tagsByPrefix = new Map<string, Tags>();
function tags(p: string): Tags {
  let t = tagsByPrefix.get(p);
  if (!t) {
    t = { slotOpen: `<${p}:Slot name="`, slotMid: `"><${p}:ValueList>`, slotClose: `</${p}:ValueList></${p}:Slot>`, valueOpen: `<${p}:Value>`, valueClose: `</${p}:Value>` };
    tagsByPrefix.set(p, t);
  }
  return t;
}

function slotXml(p: string, name: string, values: readonly string[]): string {
  const t = tags(p);
  let x = t.slotOpen + esc(name) + t.slotMid;
  for (const v of values) x += t.valueOpen + esc(v) + t.valueClose;
  return x + t.slotClose;
}

function slot(o: Out, p: string, name: string, values: readonly string[]): void {
  o.push(slotXml(p, name, values));
}

/** A single-valued slot whose name needs no escaping. */
function slot1(o: Out, p: string, name: string, value: string): void {
  const t = tags(p);
  o.push(t.slotOpen, name, t.slotMid, t.valueOpen, esc(value), t.valueClose, t.slotClose);
}

function localizedString(o: Out, p: string, el: 'Name' | 'Description', value: string | undefined): void {
  if (value !== undefined) o.push(`<${p}:${el}><${p}:LocalizedString charset="UTF8" value="`, esc(value), `" xml:lang="FR"/></${p}:${el}>`);
}

// The parts of a classification that depend only on an (interned, immutable) code, author or value list are
// rendered once per prefix and object: an entry is then a few dozen pushes of shared strings.
const fragments = new Map<string, WeakMap<object, string>>();
function fragment<T extends object>(kind: string, p: string, key: T, render: () => string): string {
  const k = `${kind}|${p}`;
  let cache = fragments.get(k);
  if (!cache) fragments.set(k, (cache = new WeakMap()));
  let x = cache.get(key);
  if (x === undefined) cache.set(key, (x = render()));
  return x;
}

function codeClassification(o: Out, p: string, scheme: string, object: string, id: string, c: XdsCode): void {
  o.push(
    `<${p}:Classification classificationScheme="${scheme}" classifiedObject="`,
    object,
    '" id="',
    id,
    fragment('code', p, c, () => {
      const o2: Out = [`" nodeRepresentation="${esc(c.code)}">`, slotXml(p, 'codingScheme', [c.scheme])];
      localizedString(o2, p, 'Name', c.display);
      o2.push(`</${p}:Classification>`);
      return o2.join('');
    }),
  );
}

function authorClassification(o: Out, p: string, scheme: string, object: string, id: string, a: XdsAuthor): void {
  o.push(
    `<${p}:Classification classificationScheme="${scheme}" classifiedObject="`,
    object,
    '" id="',
    id,
    fragment('author', p, a, () => {
      let x = '" nodeRepresentation="">';
      if (a.institutions.length) x += slotXml(p, 'authorInstitution', a.institutions);
      if (a.person) x += slotXml(p, 'authorPerson', [a.person]);
      if (a.roles?.length) x += slotXml(p, 'authorRole', a.roles);
      if (a.specialties.length) x += slotXml(p, 'authorSpecialty', a.specialties);
      return `${x}</${p}:Classification>`;
    }),
  );
}

function externalIdentifier(o: Out, p: string, id: string, scheme: string, object: string, value: string, label: string): void {
  o.push(`<${p}:ExternalIdentifier id="`, id, `" identificationScheme="${scheme}" registryObject="`, object, '" value="', esc(value), '">');
  localizedString(o, p, 'Name', label);
  o.push(`</${p}:ExternalIdentifier>`);
}

const byName = (a: [string, readonly string[]], b: [string, readonly string[]]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** `ExtrinsicObject` of a DocumentEntry with every slot, classification and external identifier. */
export function renderDocumentEntry(o: Out, p: string, e: DocumentEntry): void {
  const m = e.meta;
  const id = e.id;
  o.push(`<${p}:ExtrinsicObject id="${id}" isOpaque="false" lid="${e.lid}" mimeType="`, esc(e.mimeType), `" objectType="${OBJECT_TYPE.documentEntry}" status="${e.status}">`);
  if (m.extraSlots) {
    // Rare: sort the whole slot list by name.
    const slots: [string, readonly string[]][] = [];
    if (m.creationTime) slots.push(['creationTime', [m.creationTime]]);
    slots.push(['hash', [e.hash]]);
    if (m.languageCode) slots.push(['languageCode', [m.languageCode]]);
    if (m.legalAuthenticator) slots.push(['legalAuthenticator', [m.legalAuthenticator]]);
    slots.push(['repositoryUniqueId', [e.repositoryUniqueId]]);
    if (m.serviceStartTime) slots.push(['serviceStartTime', [m.serviceStartTime]]);
    if (m.serviceStopTime) slots.push(['serviceStopTime', [m.serviceStopTime]]);
    slots.push(['size', [String(e.size)]]);
    if (m.sourcePatientId) slots.push(['sourcePatientId', [m.sourcePatientId]]);
    if (m.sourcePatientInfo.length) slots.push(['sourcePatientInfo', m.sourcePatientInfo]);
    if (m.referenceIds.length) slots.push(['urn:ihe:iti:xds:2013:referenceIdList', m.referenceIds]);
    for (const x of m.extraSlots) slots.push([x.name, x.values]);
    slots.sort(byName);
    for (const [name, values] of slots) slot(o, p, name, values);
  } else {
    // Alphabetical order, as the official TD3.1 response.
    if (m.creationTime) slot1(o, p, 'creationTime', m.creationTime);
    slot1(o, p, 'hash', e.hash);
    if (m.languageCode) slot1(o, p, 'languageCode', m.languageCode);
    if (m.legalAuthenticator) slot1(o, p, 'legalAuthenticator', m.legalAuthenticator);
    slot1(o, p, 'repositoryUniqueId', e.repositoryUniqueId);
    if (m.serviceStartTime) slot1(o, p, 'serviceStartTime', m.serviceStartTime);
    if (m.serviceStopTime) slot1(o, p, 'serviceStopTime', m.serviceStopTime);
    slot1(o, p, 'size', String(e.size));
    if (m.sourcePatientId) slot1(o, p, 'sourcePatientId', m.sourcePatientId);
    if (m.sourcePatientInfo.length) o.push(fragment('spi', p, m.sourcePatientInfo, () => slotXml(p, 'sourcePatientInfo', m.sourcePatientInfo)));
    if (m.referenceIds.length) slot(o, p, 'urn:ihe:iti:xds:2013:referenceIdList', m.referenceIds);
  }
  localizedString(o, p, 'Name', m.title);
  localizedString(o, p, 'Description', m.comments);
  o.push(`<${p}:VersionInfo versionName="${e.version}"/>`);
  const sub = subUuids(id);
  let n = 0;
  for (const a of m.authors) authorClassification(o, p, DE_SCHEME.author, id, sub(n++), a);
  if (m.classCode) codeClassification(o, p, DE_SCHEME.classCode, id, sub(n++), m.classCode);
  for (const c of m.confidentialityCodes) codeClassification(o, p, DE_SCHEME.confidentialityCode, id, sub(n++), c);
  for (const c of m.eventCodes) codeClassification(o, p, DE_SCHEME.eventCodeList, id, sub(n++), c);
  if (m.formatCode) codeClassification(o, p, DE_SCHEME.formatCode, id, sub(n++), m.formatCode);
  if (m.healthcareFacilityTypeCode) codeClassification(o, p, DE_SCHEME.healthcareFacilityTypeCode, id, sub(n++), m.healthcareFacilityTypeCode);
  if (m.practiceSettingCode) codeClassification(o, p, DE_SCHEME.practiceSettingCode, id, sub(n++), m.practiceSettingCode);
  if (m.typeCode) codeClassification(o, p, DE_SCHEME.typeCode, id, sub(n++), m.typeCode);
  externalIdentifier(o, p, sub(90), DE_IDENTIFIER.patientId, id, e.patientId, 'XDSDocumentEntry.patientId');
  externalIdentifier(o, p, sub(91), DE_IDENTIFIER.uniqueId, id, e.uniqueId, 'XDSDocumentEntry.uniqueId');
  o.push(`</${p}:ExtrinsicObject>`);
}

/** `RegistryPackage` of a SubmissionSet. */
export function renderSubmissionSet(o: Out, p: string, s: SubmissionSetEntry): void {
  const m = s.meta;
  const id = s.id;
  const slots: [string, readonly string[]][] = [];
  if (m.submissionTime) slots.push(['submissionTime', [m.submissionTime]]);
  for (const x of m.extraSlots ?? []) slots.push([x.name, x.values]);
  slots.sort(byName);
  o.push(`<${p}:RegistryPackage id="${id}" lid="${id}" objectType="${OBJECT_TYPE.registryPackage}" status="${s.status}">`);
  for (const [name, values] of slots) slot(o, p, name, values);
  localizedString(o, p, 'Name', m.title);
  localizedString(o, p, 'Description', m.comments);
  o.push(`<${p}:VersionInfo versionName="1"/>`);
  let n = 0;
  for (const a of m.authors) authorClassification(o, p, SS_SCHEME.author, id, subUuid(id, n++), a);
  if (m.contentTypeCode) codeClassification(o, p, SS_SCHEME.contentTypeCode, id, subUuid(id, n++), m.contentTypeCode);
  o.push(`<${p}:Classification classificationNode="${OBJECT_TYPE.submissionSetNode}" classifiedObject="${id}" id="${subUuid(id, n++)}"/>`);
  externalIdentifier(o, p, subUuid(id, 90), SS_IDENTIFIER.patientId, id, s.patientId, 'XDSSubmissionSet.patientId');
  if (m.sourceId) externalIdentifier(o, p, subUuid(id, 91), SS_IDENTIFIER.sourceId, id, m.sourceId, 'XDSSubmissionSet.sourceId');
  externalIdentifier(o, p, subUuid(id, 92), SS_IDENTIFIER.uniqueId, id, s.uniqueId, 'XDSSubmissionSet.uniqueId');
  o.push(`</${p}:RegistryPackage>`);
}

export function renderAssociation(o: Out, p: string, a: AssociationEntry): void {
  o.push(`<${p}:Association associationType="${a.type}" id="${a.id}" lid="${a.id}" objectType="${OBJECT_TYPE.association}" sourceObject="${a.source}" status="${a.status}" targetObject="${a.target}">`);
  for (const [name, values] of Object.entries(a.slots ?? {})) slot(o, p, name, values);
  o.push(`</${p}:Association>`);
}

export function renderObjectRef(o: Out, p: string, id: string): void {
  o.push(`<${p}:ObjectRef id="${id}"/>`);
}
