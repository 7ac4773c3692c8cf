/**
 * TD2.1 / TD2.2 — ITI-41 ProvideAndRegisterDocumentSet-b on `repository` (dmp.md §4.8, §5.4–5.6): a
 * submission set, its documents (MTOM/XOP parts or inline base64), the XAdES signature entry and the
 * associations (HasMember, signs, RPLC). Checked (validate.ts), stored (blobs, then one `xds.submit`
 * event) and answered with an `rs:RegistryResponse`.
 */
import { BlobStore } from '../../core/store/blob-store.js';
import { parseXml, XmlSyntaxError } from '../../core/xml/tree.js';
import { ACTIONS, REPOSITORY_UNIQUE_ID } from '../constants.js';
import { normalizeContentId } from '../mtom.js';
import { callerOf, canChangeDocument } from '../rights.js';
import { DmpFault, type DmpCall, type DmpReply } from '../types.js';
import { ACCESS_DENIED, dossierFor, forcedRegistryError, problemsToErrors, traceXds } from './common.js';
import { ASSOCIATION, STATUS } from './constants.js';
import { documentDraft, isSubmissionSet, parseSubmission, submissionSetDraft, type DocumentDraft, type ParsedAssociation } from './ebrim.js';
import { registryResponse, XdsFailure, xdsError, type RegistryError } from './errors.js';
import type { AssociationEntry, DocumentEntry, DocumentRecord, SubmissionSetRecord } from './model.js';
import { associationUuidFor, entryUuidFor, factsOf, submissionSetUuidFor } from './registry.js';
import { Checker, checkCda, checkDocumentEntry, checkSubmissionSet, isSignature, parsePatientCx, type CdaInfo } from './validate.js';
import { kid, kids, UUID_RE } from './xml.js';

const BASE64_RE = /^[A-Za-z0-9+/=\s]*$/;

function reply(errors: RegistryError[]): DmpReply {
  return { action: ACTIONS.iti41Response, body: registryResponse(errors, 'repository') };
}

interface Content {
  bytes: Uint8Array;
  /** How it came: `mtom` (xop:Include) or `inline` (base64 text). */
  via: 'mtom' | 'inline';
}

/** `<Document id>` elements → bytes. A reference to a missing MIME part is a broken MTOM message (fault). */
function readDocuments(call: DmpCall): Map<string, Content> {
  const out = new Map<string, Content>();
  for (const d of kids(call.body, 'Document')) {
    const id = d.attrs.id ?? '';
    const include = kid(d, 'Include');
    if (include) {
      const href = include.attrs.href ?? '';
      const part = call.attachments.get(normalizeContentId(href));
      if (!part) throw new DmpFault(400, 'InvalidMessage', `xop:Include href="${href}" (Document ${id}) : aucune partie MIME n'a ce Content-ID`);
      out.set(id, { bytes: part.bytes, via: 'mtom' });
    } else {
      if (!BASE64_RE.test(d.text)) throw new XdsFailure(xdsError('XDSRepositoryError', `le contenu du document ${id} n'est ni un xop:Include ni du base64`, id));
      out.set(id, { bytes: new Uint8Array(Buffer.from(d.text, 'base64')), via: 'inline' });
    }
  }
  return out;
}

/** The Document whose id matches an ExtrinsicObject id; a case-only difference is accepted (official TD2.1 sample). */
function contentFor(call: DmpCall, contents: Map<string, Content>, used: Set<string>, symbolicId: string): Content | undefined {
  const exact = contents.get(symbolicId);
  if (exact) {
    used.add(symbolicId);
    return exact;
  }
  const lower = symbolicId.toLowerCase();
  for (const [id, c] of contents) {
    if (!used.has(id) && id.toLowerCase() === lower) {
      used.add(id);
      call.exchange.verdict('warning', 'dmp.xds.document-id-case', `Document id="${id}" et ExtrinsicObject id="${symbolicId}" ne diffèrent que par la casse (accepté, comme dans l'exemple officiel TD2.1)`);
      return c;
    }
  }
  return undefined;
}

function isXmlMime(mime: string | undefined): boolean {
  return !!mime && /(^text\/xml|^application\/(.+\+)?xml)/i.test(mime);
}

/** Parses a signature entry only to refuse a DOCTYPE; its content is stored, never verified. */
function checkSignatureXml(c: Checker, bytes: Uint8Array, location: string): void {
  try {
    parseXml(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/^\uFEFF/, ''), { maxDepth: 256 });
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    if (err.reason === 'doctype') c.fatal('XDSRegistryMetadataError', 'la signature contient une déclaration DOCTYPE (refusée)', location);
    else c.warn(`la signature n'est pas un XML bien formé : ${err.message}`, location);
  }
}

interface Planned {
  draft: DocumentDraft;
  content: Content;
  hash: string;
  cda?: CdaInfo;
  id: string;
}

export async function provideAndRegister(call: DmpCall): Promise<DmpReply> {
  const { exchange, store } = call;
  const registry = store.registry;
  const reserved: string[] = [];
  try {
    if (call.body.name !== 'ProvideAndRegisterDocumentSetRequest') {
      throw new XdsFailure(xdsError('XDSRepositoryError', `élément ${call.body.name} inattendu : ITI-41 attend ProvideAndRegisterDocumentSetRequest`));
    }
    const sor = kid(call.body, 'SubmitObjectsRequest');
    if (!sor) throw new XdsFailure(xdsError('XDSRepositoryMetadataError', 'SubmitObjectsRequest absent'));
    const parsed = parseSubmission(sor);
    const contents = readDocuments(call);
    const c = new Checker();

    // Submission set.
    const sets = parsed.packages.filter((p) => isSubmissionSet(p, parsed.classifications));
    if (sets.length !== 1) throw new XdsFailure(xdsError('XDSRegistryMetadataError', sets.length ? 'plusieurs lots de soumission (SubmissionSet) dans la requête' : 'aucun lot de soumission (RegistryPackage classé SubmissionSet)'));
    const ssDraft = submissionSetDraft(sets[0]!);
    checkSubmissionSet(c, ssDraft);
    const ssPatient = parsePatientCx(ssDraft.patientId);
    if (!ssPatient) throw new XdsFailure(c.problems.filter((p) => p.structural).map((p) => ({ code: p.code, context: p.context, location: p.location })));
    const ins = ssPatient.ins;
    exchange.summary.patient = ins;
    if (call.vihf.patientIns && call.vihf.patientIns !== ins) c.error('XDSPatientIdDoesNotMatch', `le patient du VIHF (resource-id ${call.vihf.patientIns}) n'est pas celui du lot (${ins})`, ssDraft.symbolicId);

    // The patient must have an active DMP; feeding needs no authorization (dmp.md §4.8, §7).
    const operation = callerOf(call).kind === 'cpe' ? 'TD2.2' : 'TD2.1';
    const dossier = await dossierFor(call, ins, 'feed', operation, ssDraft.symbolicId);
    registry.ensurePatient(ins);

    // Document entries and their content.
    const used = new Set<string>();
    const planned: Planned[] = [];
    const uniqueIds = new Map<string, string>();
    if (ssDraft.uniqueId) uniqueIds.set(ssDraft.uniqueId, ssDraft.symbolicId);
    if (ssDraft.uniqueId && registry.submissionSetByUniqueId(ssDraft.uniqueId)) c.fatal('XDSDuplicateUniqueIdInRegistry', `un lot de soumission d'uniqueId ${ssDraft.uniqueId} existe déjà`, ssDraft.symbolicId);
    for (const o of parsed.extrinsics) {
      const draft = documentDraft(o);
      const loc = draft.symbolicId;
      checkDocumentEntry(c, draft, ssPatient);
      const content = contentFor(call, contents, used, draft.symbolicId);
      if (!content) {
        c.fatal('XDSMissingDocument', `la fiche ${loc} n'a pas de document (élément Document id="${loc}")`, loc);
        continue;
      }
      if (draft.uniqueId) {
        const dup = uniqueIds.get(draft.uniqueId);
        if (dup !== undefined) c.fatal('XDSRegistryDuplicateUniqueIdInMessage', `l'uniqueId ${draft.uniqueId} est utilisé par ${dup} et ${loc}`, loc);
        uniqueIds.set(draft.uniqueId, loc);
        if (registry.byUnique(draft.uniqueId)) c.fatal('XDSDuplicateUniqueIdInRegistry', `un document d'uniqueId ${draft.uniqueId} existe déjà dans le DMP`, loc);
      }
      const hash = BlobStore.sha1(content.bytes);
      const size = content.bytes.byteLength;
      if (draft.hash !== undefined && draft.hash.toLowerCase() !== hash) c.error('XDSNonIdenticalHash', `hash ${draft.hash} différent du SHA-1 du document reçu (${hash})`, loc);
      if (draft.size !== undefined && Number(draft.size) !== size) c.error('XDSNonIdenticalSize', `size ${draft.size} différente de la taille du document reçu (${size} octets)`, loc);
      let cda: CdaInfo | undefined;
      if (isSignature(draft)) checkSignatureXml(c, content.bytes, loc);
      else if (isXmlMime(draft.mimeType)) cda = checkCda(c, content.bytes, { uniqueId: draft.uniqueId, ins, typeCode: draft.meta.typeCode?.code, location: loc });
      const given = UUID_RE.test(draft.symbolicId) && !registry.hasObject(draft.symbolicId) ? draft.symbolicId : undefined;
      planned.push({ draft, content, hash, cda, id: given ?? entryUuidFor(draft.uniqueId ?? `${ssDraft.uniqueId}|${loc}`) });
    }
    for (const id of contents.keys()) if (!used.has(id)) c.fatal('XDSMissingDocumentMetadata', `le document ${id} n'a pas de fiche (ExtrinsicObject id="${id}")`, id);
    if (!parsed.extrinsics.length) c.fatal('XDSRegistryMetadataError', 'le lot ne contient aucun document (ExtrinsicObject)', ssDraft.symbolicId);

    // Associations: symbolic ids of this message resolve to the planned ids; others must exist in the registry.
    const ssId = UUID_RE.test(ssDraft.symbolicId) && !registry.hasObject(ssDraft.symbolicId) ? ssDraft.symbolicId : submissionSetUuidFor(ssDraft.uniqueId ?? ssDraft.symbolicId);
    const local = new Map<string, string>([[ssDraft.symbolicId, ssId]]);
    for (const p of planned) local.set(p.draft.symbolicId, p.id);
    const resolve = (ref: string): string | undefined => local.get(ref) ?? (registry.hasObject(ref) ? ref : undefined);
    const assocs: AssociationEntry[] = [];
    const deprecate: string[] = [];
    const members = new Set<string>();
    const replaced = new Map<string, DocumentEntry>();
    for (const a of parsed.associations) {
      const loc = a.id || `${a.type} ${a.source}→${a.target}`;
      const source = resolve(a.source);
      const target = resolve(a.target);
      if (!source || !target) {
        c.fatal('UnresolvedReferenceException', `l'association ${loc} référence un objet inconnu (${!source ? a.source : a.target})`, loc);
        continue;
      }
      switch (a.type) {
        case ASSOCIATION.hasMember:
          if (source !== ssId) c.error('XDSRegistryMetadataError', `l'association HasMember ${loc} doit partir du lot de soumission`, loc);
          members.add(target);
          break;
        case ASSOCIATION.signs:
          break;
        case ASSOCIATION.rplc:
        case ASSOCIATION.xfrmRplc:
        case ASSOCIATION.apnd:
        case ASSOCIATION.xfrm: {
          const old = registry.document(target);
          const fresh = planned.find((p) => p.id === source);
          if (!old || !fresh) {
            c.fatal('XDSRegistryMetadataError', `l'association ${loc} doit aller d'un document de ce lot vers un document du DMP`, loc);
            continue;
          }
          if (old.ins !== ins) c.fatal('XDSPatientIdDoesNotMatch', `le document remplacé ${old.uniqueId} appartient à un autre patient`, loc);
          if (old.status !== STATUS.approved) c.fatal('XDSRegistryDeprecatedDocumentError', `le document ${old.uniqueId} (${target}) n'est plus la version courante (statut ${old.status})`, loc);
          if (a.type === ASSOCIATION.rplc || a.type === ASSOCIATION.xfrmRplc) {
            const decision = canChangeDocument(call, dossier, factsOf(old), 'replace');
            if (!decision.allowed) c.fatal(decision.code ?? ACCESS_DENIED, decision.reason || `remplacement du document ${old.uniqueId} refusé`, loc);
            deprecate.push(old.id);
            replaced.set(source, old);
          }
          break;
        }
        default:
          c.error('XDSRegistryMetadataError', `type d'association ${a.type} non pris en charge par le DMP`, loc);
      }
      assocs.push(toEntry(a, source, target, registry.hasObject.bind(registry)));
    }
    for (const p of planned) {
      const loc = p.draft.symbolicId;
      if (!members.has(p.id)) c.error('XDSRegistryMetadataError', `le document ${loc} n'est membre du lot par aucune association HasMember`, loc);
      const old = replaced.get(p.id);
      const parent = p.cda?.rplcParent;
      if (old && p.cda) {
        if (!parent) c.error('XDSRegistryMetadataError', `remplacement de ${old.uniqueId} : le CDA n'a pas de relatedDocument typeCode="RPLC"`, loc);
        else if (parent !== old.uniqueId) c.error('XDSRegistryMetadataError', `remplacement : le parentDocument du CDA (${parent}) n'est pas le document remplacé (${old.uniqueId})`, loc);
        if (old.setId && p.cda.setId && old.setId !== p.cda.setId) c.warn(`remplacement : setId ${p.cda.setId} différent de celui du document remplacé (${old.setId})`, loc);
        if (old.cdaVersion !== undefined && p.cda.version !== undefined && p.cda.version !== old.cdaVersion + 1) c.warn(`remplacement : versionNumber ${p.cda.version} (attendu ${old.cdaVersion + 1})`, loc);
      } else if (!old && parent) {
        c.error('XDSRegistryMetadataError', `le CDA remplace ${parent} (relatedDocument RPLC) mais le lot n'a pas d'association RPLC`, loc);
      }
    }

    const errors = problemsToErrors(call, c.problems);
    if (errors.length) return reply(errors);
    const forced = forcedRegistryError(call);
    if (forced) return reply([forced]);

    // Reserve the uniqueIds across the awaits below (two concurrent submissions of one uniqueId).
    for (const uid of uniqueIds.keys()) {
      if (!registry.reserve(uid)) return reply([xdsError('XDSDuplicateUniqueIdInRegistry', `l'uniqueId ${uid} est en cours d'enregistrement par une autre requête`)]);
      reserved.push(uid);
    }

    // Store: blobs first (an event never names a missing blob), then the event.
    await Promise.all(planned.map((p) => store.blobs.put(p.content.bytes, p.hash)));
    const docs: DocumentRecord[] = planned.map((p) => ({
      id: p.id,
      lid: p.id,
      version: 1,
      status: STATUS.approved,
      uniqueId: p.draft.uniqueId ?? p.id,
      patientId: p.draft.patientId ?? ssDraft.patientId!,
      mimeType: p.draft.mimeType ?? 'application/octet-stream',
      hash: p.hash,
      size: p.content.bytes.byteLength,
      repositoryUniqueId: REPOSITORY_UNIQUE_ID,
      meta: p.draft.meta,
      ...(p.cda?.setId ? { setId: p.cda.setId } : {}),
      ...(p.cda?.version !== undefined ? { cdaVersion: p.cda.version } : {}),
    }));
    const ss: SubmissionSetRecord = { id: ssId, uniqueId: ssDraft.uniqueId!, patientId: ssDraft.patientId!, meta: ssDraft.meta };
    await store.record({ t: 'xds.submit', at: call.now, ins, ss, docs, assocs, ...(deprecate.length ? { deprecate } : {}) });
    for (const p of planned) if (!isSignature(p.draft)) await traceXds(call, dossier, { operation, documentUniqueId: p.draft.uniqueId }, 'ok');
    exchange.summary.documents = planned.map((p) => ({ uniqueId: p.draft.uniqueId, entryUUID: p.id, size: p.content.bytes.byteLength, via: p.content.via, ...(replaced.get(p.id) ? { replaces: replaced.get(p.id)!.uniqueId } : {}) }));
    return reply([]);
  } catch (err) {
    if (err instanceof XdsFailure) {
      for (const e of err.errors) exchange.verdict('error', `dmp.xds.${e.code}`, e.context);
      return reply(err.errors);
    }
    throw err;
  } finally {
    for (const uid of reserved) registry.release(uid);
  }
}

function toEntry(a: ParsedAssociation, source: string, target: string, taken: (id: string) => boolean): AssociationEntry {
  const id = UUID_RE.test(a.id) && !taken(a.id) ? a.id : associationUuidFor(a.type, source, target);
  const entry: AssociationEntry = { id, type: a.type, source, target, status: STATUS.approved };
  if (Object.keys(a.slots).length) entry.slots = a.slots;
  return entry;
}
