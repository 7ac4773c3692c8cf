/**
 * TD3.1 — ITI-18 RegistryStoredQuery on `registry` (dmp.md §4.9): the stored queries DMP clients use,
 * the IHE slot value syntax ('x', ('a','b'), several Value elements = AND for code lists), results
 * filtered by the rights service, answered as `ns3:AdhocQueryResponse` with `ns4:` registry objects
 * (LeafClass) or `ns4:ObjectRef`s, shaped as the official TD3.1 sample.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { ACTIONS } from '../constants.js';
import type { Dossier } from '../dossiers.js';
import { canChangeDocument, documentVisible } from '../rights.js';
import type { DmpCall, DmpReply } from '../types.js';
import { ACCESS_DENIED, dossierFor, forcedRegistryError, traceXds } from './common.js';
import { ASSOCIATION, KNOWN_STATUSES, OBJECT_TYPE, RELATIONSHIP_TYPES, RESPONSE_STATUS, SIGNATURE_CLASS, STATUS, STORED_QUERY } from './constants.js';
import { renderAssociation, renderDocumentEntry, renderObjectRef, renderSubmissionSet } from './ebrim.js';
import { adhocQueryFailure, NS_DECLS, XdsFailure, xdsError } from './errors.js';
import type { AssociationEntry, DocumentEntry, SubmissionSetEntry, XdsCode } from './model.js';
import { factsOf, insOf, type Registry } from './registry.js';
import { injectStaleVersion } from './stale.js';
import { kid, kids } from './xml.js';

// ---------------------------------------------------------------------------------------------------------
// Parameters

/**
 * One stored-query parameter: each `<Value>` is a list (a single `'x'` or a `('a','b')` list). Values of
 * one Value element are ORed; separate Value elements are ANDed for the code lists that allow it
 * ($XDSDocumentEntryEventCodeList, $XDSDocumentEntryConfidentialityCode) and simply joined elsewhere.
 */
export class QueryParams {
  private readonly map = new Map<string, string[][]>();

  constructor(query: XmlEl) {
    for (const s of kids(query, 'Slot')) {
      const name = s.attrs.name ?? '';
      const values = kids(kid(s, 'ValueList'), 'Value').map((v) => parseSlotValue(v.text, name));
      this.map.set(name, [...(this.map.get(name) ?? []), ...values]);
    }
  }

  names(): string[] {
    return [...this.map.keys()];
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  /** A single-valued parameter (XDSStoredQueryParamNumber when several values are given). */
  single(name: string, required = false): string | undefined {
    const v = this.map.get(name);
    if (!v) {
      if (required) throw new XdsFailure(xdsError('XDSStoredQueryMissingParam', `paramètre obligatoire ${name} absent`, name));
      return undefined;
    }
    const flat = v.flat();
    if (flat.length !== 1) throw new XdsFailure(xdsError('XDSStoredQueryParamNumber', `le paramètre ${name} n'admet qu'une valeur (${flat.length} reçues)`, name));
    return flat[0];
  }

  /** A multi-valued parameter, ORed. */
  list(name: string, required = false): string[] | undefined {
    const v = this.map.get(name);
    if (!v) {
      if (required) throw new XdsFailure(xdsError('XDSStoredQueryMissingParam', `paramètre obligatoire ${name} absent`, name));
      return undefined;
    }
    return v.flat();
  }

  /** A code list with AND/OR semantics: every group must match one of its values. */
  groups(name: string): string[][] | undefined {
    return this.map.get(name);
  }
}

/** `'x'` → [x]; `('a','b')` → [a, b]; unquoted numbers pass; `''` inside quotes is a quote. */
export function parseSlotValue(text: string, name: string): string[] {
  const t = text.trim();
  if (!t.startsWith('(')) return [unquote(t, name)];
  if (!t.endsWith(')')) throw new XdsFailure(xdsError('XDSRegistryError', `valeur de ${name} mal formée : ${t}`, name));
  const out: string[] = [];
  const inner = t.slice(1, -1);
  let i = 0;
  while (i < inner.length) {
    while (i < inner.length && /[\s,]/.test(inner[i]!)) i++;
    if (i >= inner.length) break;
    if (inner[i] === "'") {
      let v = '';
      i++;
      while (i < inner.length) {
        if (inner[i] === "'" && inner[i + 1] === "'") {
          v += "'";
          i += 2;
        } else if (inner[i] === "'") {
          i++;
          break;
        } else v += inner[i++];
      }
      out.push(v);
    } else {
      let v = '';
      while (i < inner.length && inner[i] !== ',') v += inner[i++];
      out.push(v.trim());
    }
  }
  return out;
}

function unquote(v: string, name: string): string {
  if (v.startsWith("'")) {
    if (!v.endsWith("'") || v.length < 2) throw new XdsFailure(xdsError('XDSRegistryError', `valeur de ${name} mal formée : ${v}`, name));
    return v.slice(1, -1).replace(/''/g, "'");
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Matching

interface CodeParam {
  code: string;
  scheme?: string;
}

/** `code^^scheme` (IHE coded value in a query parameter). */
function codeParam(v: string): CodeParam {
  const parts = v.split('^');
  return { code: parts[0] ?? '', scheme: parts[2] || undefined };
}

function codeMatches(c: XdsCode | undefined, wanted: CodeParam[]): boolean {
  if (!c) return false;
  for (const w of wanted) if (w.code === c.code && (!w.scheme || w.scheme === c.scheme)) return true;
  return false;
}

function listMatches(codes: readonly XdsCode[], groups: string[][]): boolean {
  for (const g of groups) {
    const wanted = g.map(codeParam);
    if (!codes.some((c) => codeMatches(c, wanted))) return false;
  }
  return true;
}

/** DTM comparison at the precision of the parameter (IHE): From inclusive, To exclusive. */
function pad(dtm: string): string {
  return (dtm + '00000000000000').slice(0, 14);
}
function timeMatches(value: string | undefined, from: string | undefined, to: string | undefined): boolean {
  if (from === undefined && to === undefined) return true;
  if (!value) return false;
  const v = pad(value);
  if (from !== undefined && v < pad(from)) return false;
  if (to !== undefined && v >= pad(to)) return false;
  return true;
}

/** SQL LIKE of the IHE author parameters: `%` any run, `_` one character. */
function likeRe(pattern: string): RegExp {
  const re = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${re}$`);
}

// ---------------------------------------------------------------------------------------------------------
// Access

type AccessMode = 'consult' | 'reference';

interface Access {
  dossier: Dossier;
  mode: AccessMode;
}

interface QueryContext {
  call: DmpCall;
  registry: Registry;
  params: QueryParams;
  returnType: string;
  access: Map<string, Access>;
}

/**
 * Rights on one patient's documents: consultation (VALIDE authorization...), or, for an ObjectRef query by
 * someone who may not consult (CPE, indirect authentication), TD3.1b "search the reference of a document"
 * to delete or replace it (dmp.md §7) — then only documents the caller may change are returned.
 */
async function ensureAccess(q: QueryContext, ins: string): Promise<Access> {
  const known = q.access.get(ins);
  if (known) return known;
  const what = { operation: q.returnType === 'ObjectRef' ? 'TD3.1b' : 'TD3.1' };
  let access: Access;
  try {
    access = { dossier: await dossierFor(q.call, ins, 'consult', what, '$XDSDocumentEntryPatientId'), mode: 'consult' };
  } catch (err) {
    if (!(err instanceof XdsFailure) || q.returnType !== 'ObjectRef' || err.errors[0]?.code !== ACCESS_DENIED) throw err;
    access = { dossier: await dossierFor(q.call, ins, 'search-reference', what, '$XDSDocumentEntryPatientId'), mode: 'reference' };
  }
  q.access.set(ins, access);
  return access;
}

/** Rights on every patient of these entries (a refusal on one refuses the query). */
async function ensureAll(q: QueryContext, patients: Iterable<string>): Promise<void> {
  for (const ins of new Set(patients)) await ensureAccess(q, ins);
}

/** Whether the caller sees this entry (its patient's access resolved beforehand by ensureAccess). */
function visible(q: QueryContext, e: DocumentEntry): boolean {
  const access = q.access.get(e.ins);
  if (!access) return false;
  const facts = factsOf(e);
  return access.mode === 'consult' ? documentVisible(q.call, access.dossier, facts) : canChangeDocument(q.call, access.dossier, facts).allowed;
}

// ---------------------------------------------------------------------------------------------------------
// Queries

interface Result {
  docs: DocumentEntry[];
  sets: SubmissionSetEntry[];
  assocs: AssociationEntry[];
}

function patientParam(q: QueryContext, name: string): string {
  const cx = q.params.single(name, true)!;
  const ins = insOf(cx);
  if (!ins) throw new XdsFailure(xdsError('XDSRegistryError', `${name} "${cx}" n'est pas un identifiant CX`, name));
  return ins;
}

function statuses(q: QueryContext, name: string): Set<string> {
  const list = q.params.list(name, true)!;
  const unknown = list.filter((s) => !KNOWN_STATUSES.has(s) && s !== STATUS.submitted);
  if (unknown.length === list.length) q.call.exchange.verdict('warning', 'dmp.xds.status', `${name} : aucun statut connu (${unknown.join(', ')})`);
  return new Set(list);
}

/** FindDocuments / FindDocumentsByReferenceId: one patient's entries through every filter. */
async function findDocuments(q: QueryContext, byReference: boolean): Promise<Result> {
  const p = q.params;
  const ins = patientParam(q, '$XDSDocumentEntryPatientId');
  await ensureAccess(q, ins);
  const wantedStatus = statuses(q, '$XDSDocumentEntryStatus');
  const classCodes = p.list('$XDSDocumentEntryClassCode')?.map(codeParam);
  const typeCodes = p.list('$XDSDocumentEntryTypeCode')?.map(codeParam);
  const practice = p.list('$XDSDocumentEntryPracticeSettingCode')?.map(codeParam);
  const hcft = p.list('$XDSDocumentEntryHealthcareFacilityTypeCode')?.map(codeParam);
  const formats = p.list('$XDSDocumentEntryFormatCode')?.map(codeParam);
  const events = p.groups('$XDSDocumentEntryEventCodeList');
  const confidentiality = p.groups('$XDSDocumentEntryConfidentialityCode');
  const authors = p.list('$XDSDocumentEntryAuthorPerson')?.map(likeRe);
  const types = p.list('$XDSDocumentEntryType');
  const references = byReference ? p.list('$XDSDocumentEntryReferenceIdList', true)! : undefined;
  const times = {
    creation: [p.single('$XDSDocumentEntryCreationTimeFrom'), p.single('$XDSDocumentEntryCreationTimeTo')] as const,
    start: [p.single('$XDSDocumentEntryServiceStartTimeFrom'), p.single('$XDSDocumentEntryServiceStartTimeTo')] as const,
    stop: [p.single('$XDSDocumentEntryServiceStopTimeFrom'), p.single('$XDSDocumentEntryServiceStopTimeTo')] as const,
  };
  if (types && !types.includes(OBJECT_TYPE.documentEntry)) return { docs: [], sets: [], assocs: [] };
  // The signature entries of submissions only show when their class is asked for (the DMP lists documents).
  const signaturesWanted = classCodes?.some((c) => c.code === SIGNATURE_CLASS) ?? false;
  const docs: DocumentEntry[] = [];
  for (const e of q.registry.documentsOf(ins)) {
    const m = e.meta;
    if (!wantedStatus.has(e.status)) continue;
    if (!signaturesWanted && m.classCode?.code === SIGNATURE_CLASS) continue;
    if (classCodes && !codeMatches(m.classCode, classCodes)) continue;
    if (typeCodes && !codeMatches(m.typeCode, typeCodes)) continue;
    if (practice && !codeMatches(m.practiceSettingCode, practice)) continue;
    if (hcft && !codeMatches(m.healthcareFacilityTypeCode, hcft)) continue;
    if (formats && !codeMatches(m.formatCode, formats)) continue;
    if (events && !listMatches(m.eventCodes, events)) continue;
    if (confidentiality && !listMatches(m.confidentialityCodes, confidentiality)) continue;
    if (!timeMatches(m.creationTime, times.creation[0], times.creation[1])) continue;
    if (!timeMatches(m.serviceStartTime, times.start[0], times.start[1])) continue;
    if (!timeMatches(m.serviceStopTime, times.stop[0], times.stop[1])) continue;
    if (authors && !m.authors.some((a) => authors.some((re) => re.test(a.person)))) continue;
    if (references && !m.referenceIds.some((r) => references.includes(r))) continue;
    if (!visible(q, e)) continue;
    docs.push(e);
  }
  return { docs, sets: [], assocs: [] };
}

async function findSubmissionSets(q: QueryContext): Promise<Result> {
  const p = q.params;
  const ins = patientParam(q, '$XDSSubmissionSetPatientId');
  await ensureAccess(q, ins);
  const wantedStatus = statuses(q, '$XDSSubmissionSetStatus');
  const sources = p.list('$XDSSubmissionSetSourceId');
  const from = p.single('$XDSSubmissionSetSubmissionTimeFrom');
  const to = p.single('$XDSSubmissionSetSubmissionTimeTo');
  const authors = p.list('$XDSSubmissionSetAuthorPerson')?.map(likeRe);
  const contentTypes = p.list('$XDSSubmissionSetContentType')?.map(codeParam);
  const sets = q.registry.submissionSetsOf(ins).filter(
    (s) =>
      wantedStatus.has(s.status) &&
      (!sources || (s.meta.sourceId !== undefined && sources.includes(s.meta.sourceId))) &&
      timeMatches(s.meta.submissionTime, from, to) &&
      (!authors || s.meta.authors.some((a) => authors.some((re) => re.test(a.person)))) &&
      (!contentTypes || codeMatches(s.meta.contentTypeCode, contentTypes)),
  );
  return { docs: [], sets, assocs: [] };
}

/** Entries named by $XDSDocumentEntryEntryUUID or $XDSDocumentEntryUniqueId (exactly one of them) or $XDSDocumentEntryLogicalID. */
function namedDocuments(q: QueryContext, single = false): DocumentEntry[] {
  const p = q.params;
  const uuids = single ? optionalSingle(p, '$XDSDocumentEntryEntryUUID') : p.list('$XDSDocumentEntryEntryUUID');
  const uids = single ? optionalSingle(p, '$XDSDocumentEntryUniqueId') : p.list('$XDSDocumentEntryUniqueId');
  const lids = single ? undefined : p.list('$XDSDocumentEntryLogicalID');
  const given = [uuids, uids, lids].filter((x) => x !== undefined).length;
  if (given === 0) throw new XdsFailure(xdsError('XDSStoredQueryMissingParam', '$XDSDocumentEntryEntryUUID ou $XDSDocumentEntryUniqueId est obligatoire', '$XDSDocumentEntryEntryUUID'));
  if (given > 1) throw new XdsFailure(xdsError('XDSStoredQueryParamNumber', '$XDSDocumentEntryEntryUUID, $XDSDocumentEntryUniqueId et $XDSDocumentEntryLogicalID sont exclusifs', '$XDSDocumentEntryUniqueId'));
  // Ids of a patient's seeded documents exist once the patient is loaded: the VIHF names the patient.
  if (q.call.vihf.patientIns) q.registry.ensurePatient(q.call.vihf.patientIns);
  const out: DocumentEntry[] = [];
  for (const id of uuids ?? []) {
    const e = q.registry.document(id);
    if (e) out.push(e);
  }
  for (const uid of uids ?? []) {
    const e = q.registry.byUnique(uid);
    if (e) out.push(e);
  }
  for (const lid of lids ?? []) out.push(...q.registry.versions(lid));
  return out;
}

function optionalSingle(p: QueryParams, name: string): string[] | undefined {
  const v = p.single(name);
  return v === undefined ? undefined : [v];
}

/** Keeps what the caller may see; a refusal on one patient refuses the whole query. */
async function visibleDocs(q: QueryContext, docs: DocumentEntry[]): Promise<DocumentEntry[]> {
  await ensureAll(q, docs.map((d) => d.ins));
  return docs.filter((e) => visible(q, e));
}

function associationsOf(q: QueryContext, ids: Iterable<string>): AssociationEntry[] {
  const seen = new Set<string>();
  const out: AssociationEntry[] = [];
  for (const id of ids) {
    for (const a of [...q.registry.associationsFrom(id), ...q.registry.associationsTo(id)]) {
      if (!seen.has(a.id)) {
        seen.add(a.id);
        out.push(a);
      }
    }
  }
  return out;
}

/** Associations whose document ends are all visible (a hidden document must not leak through its links). */
async function visibleAssociations(q: QueryContext, assocs: AssociationEntry[]): Promise<AssociationEntry[]> {
  const ends = (a: AssociationEntry) => [q.registry.document(a.source), q.registry.document(a.target)].filter((d): d is DocumentEntry => !!d);
  await ensureAll(q, assocs.flatMap(ends).map((d) => d.ins));
  return assocs.filter((a) => ends(a).every((d) => visible(q, d)));
}

async function getRelatedDocuments(q: QueryContext): Promise<Result> {
  const [origin] = namedDocuments(q, true);
  const types = new Set(q.params.list('$AssociationTypes', true)!);
  for (const t of types) if (!RELATIONSHIP_TYPES.has(t)) throw new XdsFailure(xdsError('XDSRegistryError', `$AssociationTypes : type ${t} inconnu`, '$AssociationTypes'));
  if (!origin || !(await visibleDocs(q, [origin])).length) return { docs: [], sets: [], assocs: [] };
  // Follow the chosen relationships in both directions, transitively (a replacement chain v1 ← v2 ← v3).
  const docs = new Map<string, DocumentEntry>([[origin.id, origin]]);
  const assocs = new Map<string, AssociationEntry>();
  const queue = [origin.id];
  while (queue.length) {
    const id = queue.shift()!;
    for (const a of [...q.registry.associationsFrom(id), ...q.registry.associationsTo(id)]) {
      if (!types.has(a.type)) continue;
      const other = a.source === id ? a.target : a.source;
      const d = q.registry.document(other);
      if (!d) continue;
      assocs.set(a.id, a);
      if (!docs.has(d.id)) {
        docs.set(d.id, d);
        queue.push(d.id);
      }
    }
  }
  if (docs.size === 1) return { docs: [], sets: [], assocs: [] };
  const shown = await visibleDocs(q, [...docs.values()]);
  return { docs: shown, sets: [], assocs: await visibleAssociations(q, [...assocs.values()]) };
}

async function getSubmissionSets(q: QueryContext): Promise<Result> {
  const uuids = q.params.list('$uuid', true)!;
  const sets = new Map<string, SubmissionSetEntry>();
  const assocs: AssociationEntry[] = [];
  for (const id of uuids) {
    for (const a of q.registry.associationsTo(id)) {
      if (a.type !== ASSOCIATION.hasMember) continue;
      const ss = q.registry.submissionSet(a.source);
      if (!ss) continue;
      await ensureAccess(q, ss.ins);
      sets.set(ss.id, ss);
      assocs.push(a);
    }
  }
  return { docs: [], sets: [...sets.values()], assocs: await visibleAssociations(q, assocs) };
}

async function getSubmissionSetAndContents(q: QueryContext): Promise<Result> {
  const uuid = q.params.single('$XDSSubmissionSetEntryUUID');
  const uid = q.params.single('$XDSSubmissionSetUniqueId');
  if (!uuid && !uid) throw new XdsFailure(xdsError('XDSStoredQueryMissingParam', '$XDSSubmissionSetEntryUUID ou $XDSSubmissionSetUniqueId est obligatoire', '$XDSSubmissionSetEntryUUID'));
  if (uuid && uid) throw new XdsFailure(xdsError('XDSStoredQueryParamNumber', '$XDSSubmissionSetEntryUUID et $XDSSubmissionSetUniqueId sont exclusifs', '$XDSSubmissionSetUniqueId'));
  if (q.call.vihf.patientIns) q.registry.ensurePatient(q.call.vihf.patientIns);
  const ss = uuid ? q.registry.submissionSet(uuid) : q.registry.submissionSetByUniqueId(uid!);
  if (!ss) return { docs: [], sets: [], assocs: [] };
  await ensureAccess(q, ss.ins);
  const formats = q.params.list('$XDSDocumentEntryFormatCode')?.map(codeParam);
  const confidentiality = q.params.groups('$XDSDocumentEntryConfidentialityCode');
  const assocs: AssociationEntry[] = [];
  const docs: DocumentEntry[] = [];
  for (const a of q.registry.associationsFrom(ss.id)) {
    if (a.type !== ASSOCIATION.hasMember) continue;
    const d = q.registry.document(a.target);
    if (d && (!formats || codeMatches(d.meta.formatCode, formats)) && (!confidentiality || listMatches(d.meta.confidentialityCodes, confidentiality))) docs.push(d);
    assocs.push(a);
  }
  const shown = await visibleDocs(q, docs);
  return { docs: shown, sets: [ss], assocs: await visibleAssociations(q, assocs) };
}

async function getAll(q: QueryContext): Promise<Result> {
  const ins = patientParam(q, '$patientId');
  await ensureAccess(q, ins);
  const docStatus = statuses(q, '$XDSDocumentEntryStatus');
  const ssStatus = statuses(q, '$XDSSubmissionSetStatus');
  const docs = q.registry.documentsOf(ins).filter((e) => docStatus.has(e.status) && visible(q, e));
  const sets = q.registry.submissionSetsOf(ins).filter((s) => ssStatus.has(s.status));
  const assocs = await visibleAssociations(q, associationsOf(q, [...docs.map((d) => d.id), ...sets.map((s) => s.id)]));
  return { docs, sets, assocs };
}

const QUERY_NAMES: Record<string, string> = Object.fromEntries(Object.entries(STORED_QUERY).map(([k, v]) => [v, k]));

async function run(q: QueryContext, queryId: string): Promise<Result> {
  switch (queryId) {
    case STORED_QUERY.findDocuments:
      return findDocuments(q, false);
    case STORED_QUERY.findDocumentsByReferenceId:
      return findDocuments(q, true);
    case STORED_QUERY.findSubmissionSets:
      return findSubmissionSets(q);
    case STORED_QUERY.getDocuments:
      return { docs: await visibleDocs(q, namedDocuments(q)), sets: [], assocs: [] };
    case STORED_QUERY.getDocumentsAndAssociations: {
      const docs = await visibleDocs(q, namedDocuments(q));
      return { docs, sets: [], assocs: await visibleAssociations(q, associationsOf(q, docs.map((d) => d.id))) };
    }
    case STORED_QUERY.getAssociations: {
      const uuids = q.params.list('$uuid', true)!;
      for (const id of uuids) {
        const owner = q.registry.document(id)?.ins ?? q.registry.submissionSet(id)?.ins;
        if (owner) await ensureAccess(q, owner);
      }
      return { docs: [], sets: [], assocs: await visibleAssociations(q, associationsOf(q, uuids)) };
    }
    case STORED_QUERY.getRelatedDocuments:
      return getRelatedDocuments(q);
    case STORED_QUERY.getSubmissionSets:
      return getSubmissionSets(q);
    case STORED_QUERY.getSubmissionSetAndContents:
      return getSubmissionSetAndContents(q);
    case STORED_QUERY.getAll:
      return getAll(q);
    case STORED_QUERY.findFolders:
    case STORED_QUERY.getFolders:
    case STORED_QUERY.getFolderAndContents:
    case STORED_QUERY.getFoldersForDocument:
      // The DMP holds no folders: a valid query with nothing to return.
      return { docs: [], sets: [], assocs: [] };
    default:
      throw new XdsFailure(xdsError('XDSUnknownStoredQuery', `requête stockée ${queryId} inconnue`, queryId));
  }
}

/** The response body, rendered into one parts array joined once (a flat string). */
function render(result: Result, returnType: string): { xml: string; count: number } {
  const p = 'ns4';
  const count = result.docs.length + result.sets.length + result.assocs.length;
  const o: string[] = [`<ns3:AdhocQueryResponse startIndex="0" status="${RESPONSE_STATUS.success}" totalResultCount="${count}" ${NS_DECLS.registry}>`];
  if (!count) o.push('<ns4:RegistryObjectList/>');
  else {
    o.push('<ns4:RegistryObjectList>');
    if (returnType === 'ObjectRef') {
      for (const d of result.docs) renderObjectRef(o, p, d.id);
      for (const s of result.sets) renderObjectRef(o, p, s.id);
      for (const a of result.assocs) renderObjectRef(o, p, a.id);
    } else {
      for (const s of result.sets) renderSubmissionSet(o, p, s);
      for (const d of result.docs) renderDocumentEntry(o, p, d);
      for (const a of result.assocs) renderAssociation(o, p, a);
    }
    o.push('</ns4:RegistryObjectList>');
  }
  o.push('</ns3:AdhocQueryResponse>');
  return { xml: o.join(''), count };
}

function answer(body: string): DmpReply {
  return { action: ACTIONS.iti18Response, body };
}

export async function registryStoredQuery(call: DmpCall): Promise<DmpReply> {
  const { exchange } = call;
  const access = new Map<string, Access>();
  try {
    if (call.body.name !== 'AdhocQueryRequest') throw new XdsFailure(xdsError('XDSRegistryError', `élément ${call.body.name} inattendu : ITI-18 attend AdhocQueryRequest`));
    const query = kid(call.body, 'AdhocQuery');
    const queryId = query?.attrs.id ?? '';
    if (!query || !queryId) throw new XdsFailure(xdsError('XDSUnknownStoredQuery', 'AdhocQuery sans id de requête stockée'));
    const returnType = kid(call.body, 'ResponseOption')?.attrs.returnType ?? 'ObjectRef';
    if (returnType !== 'LeafClass' && returnType !== 'ObjectRef') throw new XdsFailure(xdsError('XDSRegistryError', `returnType ${returnType} non pris en charge (LeafClass ou ObjectRef)`, 'ResponseOption'));
    const params = new QueryParams(query);
    exchange.summary.query = QUERY_NAMES[queryId] ?? queryId;
    exchange.summary.returnType = returnType;
    exchange.summary.params = Object.fromEntries(params.names().map((n) => [n, params.list(n)]));
    const q: QueryContext = { call, registry: call.store.registry, params, returnType, access };
    const forced = forcedRegistryError(call);
    if (forced) return answer(adhocQueryFailure([forced]));
    let result = await run(q, queryId);
    if (call.exchange.outcome('dmp.stale-version')) {
      const target = result.docs.find((d) => d.status === STATUS.approved && d.meta.classCode?.code !== SIGNATURE_CLASS);
      if (target && (await injectStaleVersion(call, target))) result = await run(q, queryId);
    }
    for (const a of access.values()) await traceXds(call, a.dossier, { operation: returnType === 'ObjectRef' ? 'TD3.1b' : 'TD3.1', label: `Recherche de documents (${exchange.summary.query})` }, 'ok');
    const { xml, count } = render(result, returnType);
    exchange.summary.results = count;
    exchange.summary.documents = result.docs.length;
    return answer(xml);
  } catch (err) {
    if (err instanceof XdsFailure) {
      for (const e of err.errors) exchange.verdict('error', `dmp.xds.${e.code}`, e.context);
      exchange.summary.error = err.errors[0]?.code;
      return answer(adhocQueryFailure(err.errors));
    }
    throw err;
  }
}
