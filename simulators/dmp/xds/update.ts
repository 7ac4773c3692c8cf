/**
 * TD3.3a–d — ITI-57 UpdateDocumentSet on `registry` (dmp.md §4.11):
 * - UpdateAvailabilityStatus associations: Approved ↔ Archived (TD3.3d), Approved/Archived → Deleted
 *   (TD3.3c, logical);
 * - metadata updates (TD3.3a mask/unmask to professionals, TD3.3b make visible to the patient or to the
 *   legal representatives): a new version of the DocumentEntry (new entryUUID, same lid, version + 1), the
 *   previous one Deprecated, `PreviousVersion` on the HasMember association checked.
 * Only the caller's own documents (canChangeDocument), no masking in bris de glace / régulation.
 */
import { ACTIONS } from '../constants.js';
import { canChangeDocument, type DocumentChange } from '../rights.js';
import type { DmpCall, DmpReply } from '../types.js';
import { ACCESS_DENIED, dossierFor, forcedRegistryError, problemsToErrors, traceXds } from './common.js';
import { ASSOCIATION, CONFIDENTIALITY, STATUS } from './constants.js';
import { documentDraft, internMeta, isSubmissionSet, parseSubmission, submissionSetDraft, type ParsedAssociation } from './ebrim.js';
import { registryResponse, XdsFailure, xdsError, type RegistryError } from './errors.js';
import type { AssociationEntry, DocumentEntry, DocumentRecord, SubmissionSetRecord, XdsCode } from './model.js';
import { associationUuidFor, entryUuidFor, factsOf, insOf, submissionSetUuidFor, type Registry } from './registry.js';
import { injectStaleVersion } from './stale.js';
import { Checker, checkSubmissionSet } from './validate.js';
import { isKnownCode } from '../../../fixtures/documents/codes.js';
import { kid, UUID_RE } from './xml.js';

/** Status transitions the DMP accepts (dmp.md §4.11). */
const TRANSITIONS: Record<string, readonly string[]> = {
  [STATUS.approved]: [STATUS.archived, STATUS.deleted],
  [STATUS.archived]: [STATUS.approved, STATUS.deleted],
};

const SHORT: Record<string, string> = { [STATUS.approved]: 'Approved', [STATUS.archived]: 'Archived', [STATUS.deleted]: 'Deleted', [STATUS.deprecated]: 'Deprecated' };

function reply(errors: RegistryError[]): DmpReply {
  return { action: ACTIONS.iti57Response, body: registryResponse(errors, 'registry') };
}

/** The current version a reference names: an entryUUID, or a logical id (latest version). */
function current(registry: Registry, ref: string): DocumentEntry | undefined {
  const byId = registry.document(ref);
  if (byId) return byId;
  const versions = registry.versions(ref);
  return versions[versions.length - 1];
}

function latestOf(registry: Registry, e: DocumentEntry): DocumentEntry {
  const versions = registry.versions(e.lid);
  return versions[versions.length - 1] ?? e;
}

interface StatusChange {
  assoc: ParsedAssociation;
  entry: DocumentEntry;
  from: string;
  to: string;
}

interface MetadataChange {
  entry: DocumentEntry;
  newId: string;
  confidentiality: XdsCode[];
  hasMember: ParsedAssociation;
}

const codesKey = (codes: readonly XdsCode[]) => codes.map((c) => `${c.code}|${c.scheme}`).sort().join(',');

export async function updateDocumentSet(call: DmpCall): Promise<DmpReply> {
  const { exchange, store } = call;
  const registry = store.registry;
  try {
    if (call.body.name !== 'SubmitObjectsRequest') throw new XdsFailure(xdsError('XDSMetadataUpdateError', `élément ${call.body.name} inattendu : ITI-57 attend SubmitObjectsRequest`));
    const parsed = parseSubmission(call.body);
    const c = new Checker();
    const sets = parsed.packages.filter((p) => isSubmissionSet(p, parsed.classifications));
    if (sets.length !== 1) throw new XdsFailure(xdsError('XDSMetadataUpdateError', sets.length ? 'plusieurs lots de soumission dans la requête' : 'aucun lot de soumission (SubmissionSet) dans la requête'));
    const ssDraft = submissionSetDraft(sets[0]!);
    checkSubmissionSet(c, ssDraft);
    const ins = ssDraft.patientId ? insOf(ssDraft.patientId) : '';
    if (!ins) throw new XdsFailure(c.problems.filter((p) => p.structural).map((p) => ({ code: p.code, context: p.context, location: p.location })));
    exchange.summary.patient = ins;
    const dossier = await dossierFor(call, ins, 'update-document', 'TD3.3', ssDraft.symbolicId);
    registry.ensurePatient(ins);
    if (ssDraft.uniqueId && registry.submissionSetByUniqueId(ssDraft.uniqueId)) c.fatal('XDSDuplicateUniqueIdInRegistry', `un lot de soumission d'uniqueId ${ssDraft.uniqueId} existe déjà`, ssDraft.symbolicId);

    const forced = forcedRegistryError(call);
    if (forced) throw new XdsFailure(forced);
    if (call.exchange.outcome('dmp.stale-version')) {
      // Another author replaces the targeted document first: this update then meets a Deprecated version.
      const refs = [...parsed.associations.filter((a) => a.type === ASSOCIATION.updateAvailabilityStatus).map((a) => a.target), ...parsed.extrinsics.map((o) => o.lid ?? '')];
      const target = refs.map((r) => current(registry, r)).find((e) => e && e.status === STATUS.approved);
      if (target) await injectStaleVersion(call, target);
    }

    const statusChanges: StatusChange[] = [];
    const metadataChanges: MetadataChange[] = [];
    const extrinsics = new Map(parsed.extrinsics.map((o) => [o.id, o]));
    const handled = new Set<string>();
    for (const a of parsed.associations) {
      const loc = a.id || a.type;
      if (a.source !== ssDraft.symbolicId && a.source !== ssDraft.uniqueId) c.fatal('XDSMetadataUpdateError', `l'association ${loc} doit partir du lot de soumission ${ssDraft.symbolicId}`, loc);
      if (a.type === ASSOCIATION.updateAvailabilityStatus) {
        const entry = current(registry, a.target);
        const original = a.slots.OriginalStatus?.[0];
        const next = a.slots.NewStatus?.[0];
        if (!entry) {
          c.fatal('XDSMetadataUpdateError', `document ${a.target} inconnu`, loc);
          continue;
        }
        if (entry.ins !== ins) c.fatal('XDSPatientIdDoesNotMatch', `le document ${a.target} n'appartient pas au patient du lot`, loc);
        if (!original || !next) {
          c.fatal('XDSMetadataUpdateError', 'slots OriginalStatus et NewStatus obligatoires', loc);
          continue;
        }
        const latest = latestOf(registry, entry);
        if (latest.id !== entry.id || entry.status === STATUS.deprecated) c.fatal('XDSMetadataUpdateError', `le document ${a.target} n'est pas la version courante (statut ${SHORT[entry.status] ?? entry.status})`, loc);
        else if (original !== entry.status) c.fatal('XDSMetadataUpdateError', `OriginalStatus ${SHORT[original] ?? original} ne correspond pas au statut du document (${SHORT[entry.status] ?? entry.status})`, loc);
        else if (!TRANSITIONS[entry.status]?.includes(next)) c.fatal('XDSMetadataUpdateError', `passage de ${SHORT[entry.status] ?? entry.status} à ${SHORT[next] ?? next} non autorisé`, loc);
        const change = next === STATUS.deleted ? 'delete' : next === STATUS.archived ? 'archive' : 'unarchive';
        const decision = canChangeDocument(call, dossier, factsOf(entry), change);
        if (!decision.allowed) c.fatal(decision.code ?? ACCESS_DENIED, decision.reason || `modification du document ${entry.uniqueId} refusée`, loc);
        statusChanges.push({ assoc: a, entry, from: entry.status, to: next });
      } else if (a.type === ASSOCIATION.hasMember && extrinsics.has(a.target)) {
        handled.add(a.target);
        const o = extrinsics.get(a.target)!;
        const draft = documentDraft(o);
        const prevVersion = a.slots.PreviousVersion?.[0];
        const entry = o.lid ? current(registry, o.lid) : undefined;
        if (!o.lid || !entry) {
          c.fatal('XDSMetadataUpdateError', `ExtrinsicObject ${o.id} : lid ${o.lid ?? '(absent)'} ne désigne aucun document`, o.id);
          continue;
        }
        const latest = latestOf(registry, entry);
        if (!prevVersion) c.fatal('XDSMetadataUpdateError', `slot PreviousVersion absent de l'association ${loc}`, loc);
        else if (String(latest.version) !== prevVersion) c.fatal('XDSMetadataVersionError', `PreviousVersion ${prevVersion} : la version courante de ${latest.uniqueId} est ${latest.version}`, loc);
        if (latest.status === STATUS.deprecated || latest.status === STATUS.deleted) c.fatal('XDSMetadataUpdateError', `le document ${latest.uniqueId} est ${SHORT[latest.status]} : ses métadonnées ne peuvent plus changer`, o.id);
        if (latest.lid !== entry.lid || registry.versions(entry.lid).length === 0) c.fatal('XDSMetadataUpdateError', `lid ${o.lid} inconnu`, o.id);
        if (draft.uniqueId !== latest.uniqueId) c.fatal('XDSMetadataUpdateError', `uniqueId ${draft.uniqueId ?? '(absent)'} différent de celui du document (${latest.uniqueId})`, o.id);
        if (draft.patientId && insOf(draft.patientId) !== latest.ins) c.fatal('XDSPatientIdDoesNotMatch', `patientId ${draft.patientId} différent de celui du document`, o.id);
        const m = draft.meta;
        // The DMP changes visibility only (TD3.3a/b): other metadata must be resent unchanged [I].
        for (const [label, before, after] of [
          ['classCode', latest.meta.classCode?.code, m.classCode?.code],
          ['typeCode', latest.meta.typeCode?.code, m.typeCode?.code],
          ['formatCode', latest.meta.formatCode?.code, m.formatCode?.code],
          ['creationTime', latest.meta.creationTime, m.creationTime],
        ] as const) {
          if (after !== undefined && after !== before) c.fatal('XDSMetadataUpdateError', `${label} ne peut pas être modifié (${before ?? '—'} → ${after})`, o.id);
        }
        const conf = m.confidentialityCodes;
        if (!conf.some((x) => x.code === CONFIDENTIALITY.normal)) c.fatal('XDSMetadataUpdateError', 'confidentialityCode : le code N est obligatoire', o.id);
        for (const x of conf) if (!isKnownCode('confidentialityCode', x)) c.fatal('XDSMetadataUpdateError', `confidentialityCode ${x.code} (${x.scheme}) inconnu`, o.id);
        const before = new Set(latest.meta.confidentialityCodes.map((x) => x.code));
        const after = new Set(conf.map((x) => x.code));
        if (!before.has(CONFIDENTIALITY.invisiblePatient) && after.has(CONFIDENTIALITY.invisiblePatient)) c.fatal('XDSMetadataUpdateError', 'un document visible par le patient ne peut pas redevenir invisible (TD3.3b rend visible seulement)', o.id);
        const change: DocumentChange =
          before.has(CONFIDENTIALITY.masquePs) && !after.has(CONFIDENTIALITY.masquePs) ? 'unmask' : !before.has(CONFIDENTIALITY.masquePs) && after.has(CONFIDENTIALITY.masquePs) ? 'mask' : 'make-visible';
        if (codesKey(conf) === codesKey(latest.meta.confidentialityCodes)) c.warn(`la mise à jour de ${latest.uniqueId} ne change pas la confidentialité`, o.id);
        const decision = canChangeDocument(call, dossier, factsOf(latest), change);
        if (!decision.allowed) c.fatal(decision.code ?? ACCESS_DENIED, decision.reason || `modification du document ${latest.uniqueId} refusée`, o.id);
        const newId = UUID_RE.test(o.id) && !registry.hasObject(o.id) ? o.id : entryUuidFor(latest.uniqueId, latest.version + 1);
        metadataChanges.push({ entry: latest, newId, confidentiality: conf, hasMember: a });
      } else {
        c.fatal('XDSMetadataUpdateOperationError', `association ${a.type} (${loc}) non prise en charge par la mise à jour du DMP`, loc);
      }
    }
    for (const o of parsed.extrinsics) if (!handled.has(o.id)) c.fatal('XDSMetadataUpdateError', `ExtrinsicObject ${o.id} sans association HasMember depuis le lot`, o.id);
    if (!statusChanges.length && !metadataChanges.length && !c.hasFatal) c.fatal('XDSMetadataUpdateError', 'la requête ne contient aucune mise à jour', ssDraft.symbolicId);

    const errors = problemsToErrors(call, c.problems);
    if (errors.length) {
      await traceXds(call, dossier, 'TD3.3', 'refused', errors[0]?.code);
      return reply(errors);
    }

    const ssId = UUID_RE.test(ssDraft.symbolicId) && !registry.hasObject(ssDraft.symbolicId) ? ssDraft.symbolicId : submissionSetUuidFor(ssDraft.uniqueId!);
    const ss: SubmissionSetRecord = { id: ssId, uniqueId: ssDraft.uniqueId!, patientId: ssDraft.patientId!, meta: ssDraft.meta };
    let first = true;
    const summary: unknown[] = [];
    for (const s of statusChanges) {
      const assoc: AssociationEntry = {
        id: UUID_RE.test(s.assoc.id) && !registry.hasObject(s.assoc.id) ? s.assoc.id : associationUuidFor(ASSOCIATION.updateAvailabilityStatus, ssId, s.entry.id, ssDraft.uniqueId),
        type: ASSOCIATION.updateAvailabilityStatus,
        source: ssId,
        target: s.entry.id,
        status: STATUS.approved,
        slots: s.assoc.slots,
      };
      await store.record({ t: 'xds.status', at: call.now, ins, id: s.entry.id, from: s.from, to: s.to, ...(first ? { ss } : {}), assocs: [assoc] });
      first = false;
      summary.push({ uniqueId: s.entry.uniqueId, status: `${SHORT[s.from]} → ${SHORT[s.to] ?? s.to}` });
    }
    for (const m of metadataChanges) {
      const e = m.entry;
      const meta = internMeta({ ...e.meta, confidentialityCodes: m.confidentiality });
      const doc: DocumentRecord = {
        id: m.newId,
        lid: e.lid,
        version: e.version + 1,
        status: e.status,
        uniqueId: e.uniqueId,
        patientId: e.patientId,
        mimeType: e.mimeType,
        hash: e.hash,
        size: e.size,
        repositoryUniqueId: e.repositoryUniqueId,
        meta,
        ...(e.setId ? { setId: e.setId } : {}),
        ...(e.cdaVersion !== undefined ? { cdaVersion: e.cdaVersion } : {}),
      };
      const assoc: AssociationEntry = { id: associationUuidFor(ASSOCIATION.hasMember, ssId, m.newId), type: ASSOCIATION.hasMember, source: ssId, target: m.newId, status: STATUS.approved, slots: m.hasMember.slots };
      await store.record({ t: 'xds.update', at: call.now, ins, ...(first ? { ss } : {}), doc, prev: e.id, assocs: [assoc] });
      first = false;
      summary.push({ uniqueId: e.uniqueId, version: `${e.version} → ${e.version + 1}`, entryUUID: m.newId, confidentiality: m.confidentiality.map((x) => x.code) });
    }
    for (const x of [...statusChanges.map((s) => s.entry), ...metadataChanges.map((m) => m.entry)]) await traceXds(call, dossier, { operation: 'TD3.3', documentUniqueId: x.uniqueId }, 'ok');
    exchange.summary.updates = summary;
    return reply([]);
  } catch (err) {
    if (err instanceof XdsFailure) {
      for (const e of err.errors) exchange.verdict('error', `dmp.xds.${e.code}`, e.context);
      exchange.summary.error = err.errors[0]?.code;
      return reply(err.errors);
    }
    throw err;
  }
}
