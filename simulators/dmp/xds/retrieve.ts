/**
 * TD3.2 — ITI-43 RetrieveDocumentSet on `repository` (dmp.md §4.10): one or more DocumentRequests, answered
 * over MTOM with a `DocumentResponse` per document found (`xop:Include` whose cid is URL-encoded as the
 * live DMP writes it) and a RegistryErrorList for the others (PartialSuccess, or Failure when none).
 */
import { ACTIONS, REPOSITORY_UNIQUE_ID } from '../constants.js';
import { partContentId, xopHref } from '../mtom.js';
import { documentVisible } from '../rights.js';
import type { Attachment, DmpCall, DmpReply } from '../types.js';
import type { Dossier } from '../dossiers.js';
import { dossierFor, forcedRegistryError, traceXds } from './common.js';
import { STATUS } from './constants.js';
import { innerRegistryResponse, NS_DECLS, XdsFailure, xdsError, type RegistryError } from './errors.js';
import type { DocumentEntry } from './model.js';
import { factsOf } from './registry.js';
import { injectStaleVersion } from './stale.js';
import { esc, kid, kids, UUID_RE } from './xml.js';

function reply(body: string, attachments: Attachment[]): DmpReply {
  return { action: ACTIONS.iti43Response, body, attachments };
}

function responseBody(errors: RegistryError[], parts: string, found: number): string {
  return `<ns4:RetrieveDocumentSetResponse ${NS_DECLS.repository}>${innerRegistryResponse(errors, found > 0)}${parts}</ns4:RetrieveDocumentSetResponse>`;
}

export async function retrieveDocumentSet(call: DmpCall): Promise<DmpReply> {
  const { exchange, store } = call;
  const registry = store.registry;
  try {
    if (call.body.name !== 'RetrieveDocumentSetRequest') throw new XdsFailure(xdsError('XDSRepositoryError', `élément ${call.body.name} inattendu : ITI-43 attend RetrieveDocumentSetRequest`));
    const requests = kids(call.body, 'DocumentRequest');
    if (!requests.length) throw new XdsFailure(xdsError('XDSRepositoryError', 'aucune DocumentRequest'));
    const forced = forcedRegistryError(call);
    if (forced) throw new XdsFailure(forced);
    if (call.vihf.patientIns) registry.ensurePatient(call.vihf.patientIns);
    const errors: RegistryError[] = [];
    const found: DocumentEntry[] = [];
    const dossiers = new Map<string, Dossier>();
    for (const r of requests) {
      const repo = kid(r, 'RepositoryUniqueId')?.text ?? '';
      const uid = kid(r, 'DocumentUniqueId')?.text ?? '';
      if (repo !== REPOSITORY_UNIQUE_ID) {
        errors.push(xdsError('XDSUnknownRepositoryId', `repositoryUniqueId=${repo}`, repo));
        continue;
      }
      // An entryUUID given as DocumentUniqueId is unknown as well (live behaviour, dmp.md §4.10).
      const entry = UUID_RE.test(uid) ? undefined : registry.byUnique(uid);
      if (!entry) {
        errors.push(xdsError('XDSDocumentUniqueIdError', `uniqueId=${uid}`, uid));
        continue;
      }
      let dossier = dossiers.get(entry.ins);
      if (!dossier) {
        dossier = await dossierFor(call, entry.ins, 'consult', { operation: 'TD3.2', documentUniqueId: uid }, uid);
        dossiers.set(entry.ins, dossier);
      }
      // A document the caller may not see does not exist for them.
      if (!documentVisible(call, dossier, factsOf(entry))) {
        errors.push(xdsError('XDSDocumentUniqueIdError', `uniqueId=${uid}`, uid));
        continue;
      }
      found.push(entry);
    }
    if (call.exchange.outcome('dmp.stale-version')) {
      const target = found.find((e) => e.status === STATUS.approved);
      if (target) await injectStaleVersion(call, target);
    }
    const attachments: Attachment[] = [];
    let parts = '';
    for (const e of found) {
      const bytes = await registry.content(e);
      if (!bytes) {
        errors.push(xdsError('XDSRepositoryError', `le contenu du document ${e.uniqueId} est introuvable dans l'entrepôt`, e.uniqueId));
        continue;
      }
      const contentId = partContentId(`${call.messageId}|${e.uniqueId}`, attachments.length + 2);
      attachments.push({ contentId, contentType: 'application/octet-stream', bytes });
      parts +=
        `<ns4:DocumentResponse><ns4:RepositoryUniqueId>${esc(e.repositoryUniqueId)}</ns4:RepositoryUniqueId>` +
        `<ns4:DocumentUniqueId>${esc(e.uniqueId)}</ns4:DocumentUniqueId><ns4:mimeType>${esc(e.mimeType)}</ns4:mimeType>` +
        `<ns4:Document><xop:Include href="${xopHref(contentId)}" xmlns:xop="http://www.w3.org/2004/08/xop/include"/></ns4:Document></ns4:DocumentResponse>`;
    }
    for (const e of found) {
      const d = dossiers.get(e.ins);
      if (d) await traceXds(call, d, { operation: 'TD3.2', documentUniqueId: e.uniqueId }, 'ok');
    }
    for (const e of errors) exchange.verdict('warning', `dmp.xds.${e.code}`, e.context);
    exchange.summary.documents = found.map((e) => e.uniqueId);
    exchange.summary.retrieved = attachments.length;
    return reply(responseBody(errors, parts, attachments.length), attachments);
  } catch (err) {
    if (err instanceof XdsFailure) {
      for (const e of err.errors) exchange.verdict('error', `dmp.xds.${e.code}`, e.context);
      exchange.summary.error = err.errors[0]?.code;
      return reply(responseBody(err.errors, '', 0), []);
    }
    throw err;
  }
}
