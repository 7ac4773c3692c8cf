/**
 * DMP client of the reference LGC. Talks to the DMP only over its wire protocol (dmp.md): SOAP 1.2 +
 * WS-Addressing, the VIHF in wsse:Security, HL7v3 and the DMP's doc/literal services, IHE XDS.b with
 * MTOM/XOP. It shares no code with the simulator: its codec must be able to catch the simulator's bugs.
 */
import { randomInt } from 'node:crypto';
import type { BuiltDocument } from '../../fixtures/documents/types.js';
import { xdsTime } from '../../fixtures/documents/time.js';
import {
  ASSOCIATION,
  CONFIDENTIALITY,
  DMP_BASE_PATH,
  DMP_REPOSITORY_UNIQUE_ID,
  INS_OID,
  STATUS,
  STORED_QUERY,
  TRANSACTIONS,
  statusUrn,
  type DmpTransaction,
  type DocumentStatus,
} from './constants.js';
import { parsePatientCx, patientCx, type DocumentEntry, type XdsAuthor, type XdsCode, type XdsDocumentMetadata, type XdsSubmissionSetMetadata } from './ebrim.js';
import { DmpInputError, DmpProtocolError, DmpTransportError, DmpUnavailableError, type DmpError } from './errors.js';
import {
  buildListAuthorizations,
  buildPatientList,
  buildSetAuthorization,
  readListAuthorizationsResponse,
  readPatientListResponse,
  readSetAuthorizationResponse,
  type AuthorizationAction,
  type AuthorizationListMode,
  type PatientListInput,
} from './habilitations.js';
import { buildClose, buildPatientQuery, readCloseResponse, readPatientQueryResponse, type AdminData, type CloseInput, type Td02Result } from './hl7.js';
import { buildMultipart, isMultipart, parseMultipart, type MimePart } from './mtom.js';
import { buildSignatureDocument, signatureMetadata, type SignatureSigner } from './signature.js';
import { buildEnvelope, readSoapResponse, type SoapResponse } from './soap.js';
import { retryAfterSeconds, Transport, type DmpTlsOptions, type FetchLike } from './transport.js';
import { resolveVihf, type DmpLps, type PatientRef, type VihfSource } from './vihf.js';
import {
  buildMetadataUpdate,
  buildProvideAndRegister,
  buildRetrieve,
  buildStoredQuery,
  buildUpdateAvailabilityStatus,
  readQueryResponse,
  readRegistryResponse,
  readRetrieveResponse,
  type QueryParam,
  type QueryResult,
  type RegistryOutcome,
  type RetrieveResult,
  type SubmittedDocument,
} from './xds.js';

export type PatientInput = string | { ins: string; oid?: string };

export interface DmpClientOptions {
  /** `…/si-dmp-server/v2/services`, or the host root (the base path is appended). A `/_sandbox/<id>` prefix is kept. */
  baseUrl: string;
  vihf: VihfSource;
  /** Mutual TLS: the card (direct) or structure (indirect) certificate, and the trust anchors. */
  tls?: DmpTlsOptions;
  lps: DmpLps;
  /** segur-sim extras (X-Segur-Sandbox / X-Segur-Scenario), ignored by a real DMP. */
  sandbox?: string;
  scenario?: string;
  /** A fetch-like transport instead of node:https (no client certificate then, unless the function handles it). */
  fetch?: FetchLike;
  /** Whole-exchange timeout, default 30 s. */
  timeoutMs?: number;
  /** Default 64 MiB. */
  maxResponseBytes?: number;
  now?: () => Date;
  /** ITI-41 as MTOM/XOP (default) or inline base64. */
  mtom?: boolean;
  /** OID of a bare INS given as a string (default INS-NIR 1.2.250.1.213.1.4.8). */
  defaultInsOid?: string;
  /** Who submits: the author and content type of the submission sets the client writes (ITI-41, ITI-57). */
  submitter?: { author?: XdsAuthor; contentTypeCode?: XdsCode };
  /** Key and certificate that sign submission sets; default: `tls.key`/`tls.cert`; `false`: unsigned structure. */
  signer?: SignatureSigner | false;
  /** Repository of documents, default 1.2.250.1.213.4.1.1.1.2. */
  repositoryUniqueId?: string;
  /** Called after every exchange (for the LGC's own journal). */
  onExchange?: (record: DmpExchangeRecord) => void;
}

export interface DmpExchangeRecord {
  transaction: DmpTransaction;
  url: string;
  messageId: string;
  requestXml: string;
  mtom: boolean;
  httpStatus?: number;
  responseXml?: string;
  durationMs: number;
  error?: DmpError;
}

/** Default content type of a submission set when neither the call nor the submitter gives one [I]. */
export const DEFAULT_CONTENT_TYPE: XdsCode = { code: '07', scheme: '1.2.250.1.213.2.2', display: 'Consultations soins externes' };

export interface SubmissionSetInput {
  title?: string;
  comments?: string;
  contentTypeCode?: XdsCode;
  authors?: XdsAuthor[];
  uniqueId?: string;
  submissionTime?: string;
}

export interface SubmitOptions {
  mtom?: boolean;
  /** Add the signature entry (default true). */
  signature?: boolean;
  /** uniqueId of a replaced document → its entryUUID (otherwise looked up with GetDocuments). */
  replacedEntryUUIDs?: Record<string, string>;
}

export interface SubmitResult extends RegistryOutcome {
  submissionSetUniqueId: string;
  /** uniqueIds of the documents sent, in order. */
  uniqueIds: string[];
  signatureUniqueId?: string;
  /** RPLC associations written: new uniqueId → entryUUID of the replaced entry. */
  replaced: Record<string, string>;
}

export interface FindDocumentsFilters {
  /** Default ['Approved']. */
  status?: (DocumentStatus | string)[];
  classCodes?: (XdsCode | string)[];
  typeCodes?: (XdsCode | string)[];
  formatCodes?: (XdsCode | string)[];
  practiceSettingCodes?: (XdsCode | string)[];
  healthcareFacilityTypeCodes?: (XdsCode | string)[];
  eventCodes?: (XdsCode | string)[];
  confidentiality?: (XdsCode | string)[];
  creationFrom?: Date | string;
  creationTo?: Date | string;
  serviceStartFrom?: Date | string;
  serviceStartTo?: Date | string;
  serviceStopFrom?: Date | string;
  serviceStopTo?: Date | string;
  authorPersons?: string[];
  returnType?: 'LeafClass' | 'ObjectRef';
}

export interface FindSubmissionSetsFilters {
  status?: (DocumentStatus | string)[];
  submissionFrom?: Date | string;
  submissionTo?: Date | string;
  sourceIds?: string[];
  authorPerson?: string;
  contentTypeCodes?: (XdsCode | string)[];
}

export interface RetrieveRequest {
  uniqueId: string;
  repositoryUniqueId?: string;
  homeCommunityId?: string;
}

const MAX_OID = 64;

export class DmpClient {
  private readonly opts: DmpClientOptions;
  private readonly base: URL;
  private readonly transport: Transport;
  private readonly now: () => Date;
  private counter = 0;

  constructor(opts: DmpClientOptions) {
    if (!opts.lps?.oid || !opts.lps.nom || !opts.lps.version || !opts.lps.homologation) throw new DmpInputError('lps needs nom, version, homologation and oid', 'lps');
    if (!opts.vihf) throw new DmpInputError('a VIHF source is required', 'vihf');
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new DmpInputError(`baseUrl "${opts.baseUrl}" is not a URL`, 'baseUrl');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DmpInputError(`baseUrl must be http(s), got ${url.protocol}`, 'baseUrl');
    const pathname = url.pathname.replace(/\/+$/, '');
    url.pathname = pathname.includes('/si-dmp-server/') ? pathname : `${pathname}${DMP_BASE_PATH}`;
    this.base = url;
    this.transport = new Transport({ tls: opts.tls, fetch: opts.fetch, timeoutMs: opts.timeoutMs ?? 30_000, maxResponseBytes: opts.maxResponseBytes ?? 64 * 1024 * 1024 });
  }

  /** URL of one of the services. */
  serviceUrl(service: string): string {
    return `${this.base.toString().replace(/\/$/, '')}/${service}`;
  }

  close(): void {
    this.transport.close();
  }

  /** The patient of a call, normalised (`INS` without spaces, OID defaulted). */
  patient(p: PatientInput): PatientRef {
    const ins = (typeof p === 'string' ? p : p?.ins ?? '').replace(/\s+/g, '').toUpperCase();
    if (!/^[0-9AB]{13,15}$/.test(ins)) throw new DmpInputError(`"${typeof p === 'string' ? p : p?.ins}" is not an INS`, 'ins');
    const oid = (typeof p === 'string' ? undefined : p.oid) ?? this.opts.defaultInsOid ?? INS_OID.nir;
    return { ins, oid };
  }

  /** A fresh OID under the LPS root, for submission-set and signature uniqueIds. */
  newUniqueId(arc = 1): string {
    this.counter = (this.counter + 1) % 1000;
    const oid = `${this.opts.lps.oid}.${arc}.${this.now().getTime()}${String(this.counter).padStart(3, '0')}.${randomInt(1, 2 ** 31 - 1)}`;
    if (oid.length > MAX_OID) throw new DmpInputError(`the LPS OID ${this.opts.lps.oid} is too long to mint uniqueIds under it`, 'lps.oid');
    return oid;
  }

  // ---------------------------------------------------------------- HL7v3 patients

  /** TD0.2: does the patient have a DMP, what is the caller's authorization, is the caller the MT (dmp.md §4.1). */
  async testExistence(patient: PatientInput): Promise<Td02Result> {
    const p = this.patient(patient);
    const req = buildPatientQuery('TEST_EXST', p, this.opts.lps, this.now());
    const { soap } = await this.call('TD0.2', p, req.xml);
    const { deceased: _d, addresses: _a, legalRepresentatives: _l, oppositions: _o, ...td02 } = readPatientQueryResponse(soap.body);
    return td02;
  }

  /** TD1.3a: the DMP's administrative data (addresses, legal representatives, oppositions). */
  async getAdminData(patient: PatientInput): Promise<AdminData> {
    const p = this.patient(patient);
    const req = buildPatientQuery('CNSLT_DATA', p, this.opts.lps, this.now());
    const { soap } = await this.call('TD1.3a', p, req.xml);
    return readPatientQueryResponse(soap.body);
  }

  /** TD1.4: closes a DMP not attached to Mon espace santé (`close()` closes the client's connections). */
  async closeDossier(patient: PatientInput, input: CloseInput) {
    const p = this.patient(patient);
    const req = buildClose(p, input, this.opts.lps, this.now());
    const { soap } = await this.call('TD1.4', p, req.xml);
    return readCloseResponse(soap.body);
  }

  // ---------------------------------------------------------------- habilitations, patientsSpecific

  /** TD0.3: declare oneself authorized (AJOUT, optionally as médecin traitant) or remove the authorization. */
  async setAuthorization(patient: PatientInput, action: AuthorizationAction, opts: { medecinTraitant?: boolean } = {}) {
    const p = this.patient(patient);
    const { soap } = await this.call('TD0.3', p, buildSetAuthorization(action, opts));
    return readSetAuthorizationResponse(soap.body);
  }

  /** TD1.6: professionals authorized on / blocked from the patient's DMP. */
  async listAuthorizations(patient: PatientInput, mode: AuthorizationListMode = 'TOUTE') {
    const p = this.patient(patient);
    const { soap } = await this.call('TD1.6', p, buildListAuthorizations(mode));
    return readListAuthorizationsResponse(soap.body);
  }

  /** TD0.4: the DMPs the caller is authorized on, changed since a date (no patient in the VIHF). */
  async patientList(input: PatientListInput) {
    const { soap } = await this.call('TD0.4', undefined, buildPatientList(input));
    return readPatientListResponse(soap.body);
  }

  // ---------------------------------------------------------------- ITI-41

  /** The submission set the client writes for a patient (uniqueId, sourceId, time, author, content type). */
  submissionSet(patientId: string, input: SubmissionSetInput = {}, fallbackAuthors: XdsAuthor[] = []): XdsSubmissionSetMetadata {
    const authors = input.authors ?? (this.opts.submitter?.author ? [this.opts.submitter.author] : fallbackAuthors.slice(0, 1));
    if (!authors.length) throw new DmpInputError('a submission set needs an author (give submissionSet.authors or submitter.author)', 'submissionSet.authors');
    return {
      uniqueId: input.uniqueId ?? this.newUniqueId(1),
      sourceId: this.opts.lps.oid,
      patientId,
      submissionTime: input.submissionTime ?? xdsTime(this.now()),
      ...(input.title ? { title: input.title } : {}),
      contentTypeCode: input.contentTypeCode ?? this.opts.submitter?.contentTypeCode ?? DEFAULT_CONTENT_TYPE,
      authors,
    };
  }

  /**
   * TD2.1 (ITI-41): sends documents built by the fixtures' builders (CDA + metadata) in one submission set,
   * signed (Signature01 + `signs`). A document whose `replaces` names the uniqueId of an earlier one gets the
   * RPLC association to that document's current entryUUID (looked up with GetDocuments when not given).
   */
  async submit(documents: BuiltDocument | BuiltDocument[], submissionSet: SubmissionSetInput = {}, options: SubmitOptions = {}): Promise<SubmitResult> {
    const docs = Array.isArray(documents) ? documents : [documents];
    if (docs.length === 0) throw new DmpInputError('no document to send', 'documents');
    const patientIds = new Set(docs.map((d) => normaliseCx(d.metadata.patientId)));
    if (patientIds.size !== 1) throw new DmpInputError(`the documents of one submission set must share one patientId (got ${[...patientIds].join(', ')})`, 'documents');
    const cx = parsePatientCx(docs[0]!.metadata.patientId);
    if (!cx) throw new DmpInputError(`patientId "${docs[0]!.metadata.patientId}" is not a CX INS`, 'metadata.patientId');
    const patient = this.patient(cx);
    const ss = this.submissionSet(docs[0]!.metadata.patientId, submissionSet, docs[0]!.metadata.authors);

    const replaced: Record<string, string> = {};
    for (const d of docs) {
      if (!d.replaces) continue;
      replaced[d.metadata.uniqueId] = options.replacedEntryUUIDs?.[d.replaces] ?? (await this.currentEntryUUID(patient, d.replaces));
    }
    const submitted: SubmittedDocument[] = docs.map((d, i) => ({
      id: `Document${String(i + 1).padStart(2, '0')}`,
      metadata: d.metadata,
      bytes: d.content,
      ...(replaced[d.metadata.uniqueId] ? { replaces: replaced[d.metadata.uniqueId] } : {}),
    }));
    let signature: { id: string; metadata: XdsDocumentMetadata; bytes: Uint8Array } | undefined;
    if (options.signature !== false) {
      const uniqueId = this.newUniqueId(2);
      const signer = this.signer();
      const xml = buildSignatureDocument({
        submissionSetUniqueId: ss.uniqueId,
        documents: docs.map((d) => ({ uniqueId: d.metadata.uniqueId, bytes: d.content })),
        signingTime: this.now(),
        signatureId: `sig-${uniqueId}`,
        signer,
      });
      signature = { id: 'Signature01', metadata: signatureMetadata(ss, docs[0]!.metadata, uniqueId), bytes: new Uint8Array(Buffer.from(xml, 'utf8')) };
    }
    const mtom = options.mtom ?? this.opts.mtom ?? true;
    const req = buildProvideAndRegister({ submissionSet: ss, documents: submitted, signature, mtom });
    const { soap } = await this.call('ITI-41', patient, req.bodyXml, mtom ? req.parts : undefined);
    const outcome = readRegistryResponse(soap.body);
    return { ...outcome, submissionSetUniqueId: ss.uniqueId, uniqueIds: docs.map((d) => d.metadata.uniqueId), signatureUniqueId: signature?.metadata.uniqueId, replaced };
  }

  /**
   * TD2.1b: replaces an earlier document (its entryUUID, its uniqueId, or its entry) by a new version. The
   * new document should carry the same CDA setId, version + 1 and `replaces` = the old uniqueId (the
   * fixtures' builders do); the RPLC association targets the old document's current entryUUID.
   */
  async replace(old: string | DocumentEntry, newDocument: BuiltDocument, submissionSet: SubmissionSetInput = {}, options: SubmitOptions = {}): Promise<SubmitResult> {
    const cx = parsePatientCx(newDocument.metadata.patientId);
    if (!cx) throw new DmpInputError(`patientId "${newDocument.metadata.patientId}" is not a CX INS`, 'metadata.patientId');
    const patient = this.patient(cx);
    let entryUUID: string;
    let oldUniqueId: string;
    if (typeof old !== 'string') {
      entryUUID = old.entryUUID;
      oldUniqueId = old.uniqueId;
    } else if (old.startsWith('urn:uuid:')) {
      entryUUID = old;
      oldUniqueId = newDocument.replaces ?? (await this.getDocuments(patient, { entryUUIDs: [old] })).documents[0]?.uniqueId ?? old;
    } else {
      oldUniqueId = old;
      entryUUID = await this.currentEntryUUID(patient, old);
    }
    const doc: BuiltDocument = { ...newDocument, replaces: oldUniqueId };
    return this.submit(doc, submissionSet, { ...options, replacedEntryUUIDs: { ...options.replacedEntryUUIDs, [oldUniqueId]: entryUUID } });
  }

  /** entryUUID of the current (Approved, else latest) metadata version of a document, by uniqueId (TD3.1b). */
  async currentEntryUUID(patient: PatientInput, uniqueId: string): Promise<string> {
    const found = await this.getDocuments(patient, { uniqueIds: [uniqueId] });
    const entry = pickCurrent(found.documents.filter((d) => d.uniqueId === uniqueId));
    if (!entry) throw new DmpInputError(`no document with uniqueId ${uniqueId} in this DMP`, 'uniqueId');
    return entry.entryUUID;
  }

  // ---------------------------------------------------------------- ITI-18

  /** A stored query (ITI-18) with the parameters as given (values are quoted/listed by type). */
  async storedQuery(patient: PatientInput, queryId: string, params: Record<string, QueryParam>, returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass'): Promise<QueryResult> {
    const p = this.patient(patient);
    const { soap } = await this.call('ITI-18', p, buildStoredQuery(queryId, params, returnType));
    return readQueryResponse(soap.body);
  }

  /** TD3.1a FindDocuments on the XDS metadata (Approved only unless told). */
  async findDocuments(patient: PatientInput, filters: FindDocumentsFilters = {}): Promise<QueryResult> {
    const p = this.patient(patient);
    return this.storedQuery(
      p,
      STORED_QUERY.findDocuments,
      {
        $XDSDocumentEntryPatientId: patientCx(p.ins, p.oid),
        $XDSDocumentEntryStatus: (filters.status ?? ['Approved']).map(statusUrn),
        $XDSDocumentEntryClassCode: codes(filters.classCodes),
        $XDSDocumentEntryTypeCode: codes(filters.typeCodes),
        $XDSDocumentEntryFormatCode: codes(filters.formatCodes),
        $XDSDocumentEntryPracticeSettingCode: codes(filters.practiceSettingCodes),
        $XDSDocumentEntryHealthcareFacilityTypeCode: codes(filters.healthcareFacilityTypeCodes),
        $XDSDocumentEntryEventCodeList: codes(filters.eventCodes),
        $XDSDocumentEntryConfidentialityCode: codes(filters.confidentiality),
        $XDSDocumentEntryCreationTimeFrom: time(filters.creationFrom),
        $XDSDocumentEntryCreationTimeTo: time(filters.creationTo),
        $XDSDocumentEntryServiceStartTimeFrom: time(filters.serviceStartFrom),
        $XDSDocumentEntryServiceStartTimeTo: time(filters.serviceStartTo),
        $XDSDocumentEntryServiceStopTimeFrom: time(filters.serviceStopFrom),
        $XDSDocumentEntryServiceStopTimeTo: time(filters.serviceStopTo),
        $XDSDocumentEntryAuthorPerson: filters.authorPersons,
      },
      filters.returnType ?? 'LeafClass',
    );
  }

  /** TD3.1b GetDocuments by entryUUIDs or uniqueIds. */
  async getDocuments(patient: PatientInput, ids: { entryUUIDs?: string[]; uniqueIds?: string[] }, returnType: 'LeafClass' | 'ObjectRef' = 'LeafClass'): Promise<QueryResult> {
    if (!ids.entryUUIDs?.length && !ids.uniqueIds?.length) throw new DmpInputError('GetDocuments needs entryUUIDs or uniqueIds', 'ids');
    return this.storedQuery(
      patient,
      STORED_QUERY.getDocuments,
      ids.entryUUIDs?.length ? { $XDSDocumentEntryEntryUUID: ids.entryUUIDs } : { $XDSDocumentEntryUniqueId: ids.uniqueIds },
      returnType,
    );
  }

  async findSubmissionSets(patient: PatientInput, filters: FindSubmissionSetsFilters = {}): Promise<QueryResult> {
    const p = this.patient(patient);
    return this.storedQuery(p, STORED_QUERY.findSubmissionSets, {
      $XDSSubmissionSetPatientId: patientCx(p.ins, p.oid),
      $XDSSubmissionSetStatus: (filters.status ?? ['Approved']).map(statusUrn),
      $XDSSubmissionSetSubmissionTimeFrom: time(filters.submissionFrom),
      $XDSSubmissionSetSubmissionTimeTo: time(filters.submissionTo),
      $XDSSubmissionSetSourceId: filters.sourceIds,
      $XDSSubmissionSetAuthorPerson: filters.authorPerson,
      $XDSSubmissionSetContentType: codes(filters.contentTypeCodes),
    });
  }

  async getAssociations(patient: PatientInput, entryUUIDs: string[]): Promise<QueryResult> {
    if (!entryUUIDs.length) throw new DmpInputError('GetAssociations needs entryUUIDs', 'entryUUIDs');
    return this.storedQuery(patient, STORED_QUERY.getAssociations, { $uuid: entryUUIDs });
  }

  /** GetRelatedDocuments (RPLC, signs...); DMP support is not documented [I]. */
  async getRelatedDocuments(patient: PatientInput, doc: { entryUUID?: string; uniqueId?: string }, associationTypes: string[] = [ASSOCIATION.rplc]): Promise<QueryResult> {
    if (!doc.entryUUID && !doc.uniqueId) throw new DmpInputError('GetRelatedDocuments needs an entryUUID or a uniqueId', 'doc');
    return this.storedQuery(patient, STORED_QUERY.getRelatedDocuments, {
      ...(doc.entryUUID ? { $XDSDocumentEntryEntryUUID: doc.entryUUID } : { $XDSDocumentEntryUniqueId: doc.uniqueId }),
      $AssociationTypes: associationTypes,
    });
  }

  async getSubmissionSetAndContents(patient: PatientInput, ss: { entryUUID?: string; uniqueId?: string }): Promise<QueryResult> {
    if (!ss.entryUUID && !ss.uniqueId) throw new DmpInputError('GetSubmissionSetAndContents needs an entryUUID or a uniqueId', 'ss');
    return this.storedQuery(patient, STORED_QUERY.getSubmissionSetAndContents, ss.entryUUID ? { $XDSSubmissionSetEntryUUID: ss.entryUUID } : { $XDSSubmissionSetUniqueId: ss.uniqueId });
  }

  // ---------------------------------------------------------------- ITI-43

  /** TD3.2: one or several documents in one RetrieveDocumentSet (bytes, as sent by the repository). */
  async retrieve(patient: PatientInput, requests: (RetrieveRequest | string)[]): Promise<RetrieveResult> {
    if (!requests.length) throw new DmpInputError('nothing to retrieve', 'requests');
    const p = this.patient(patient);
    const items = requests.map((r) => (typeof r === 'string' ? { uniqueId: r } : r)).map((r) => ({ ...r, repositoryUniqueId: r.repositoryUniqueId ?? this.opts.repositoryUniqueId ?? DMP_REPOSITORY_UNIQUE_ID }));
    const { soap, parts } = await this.call('ITI-43', p, buildRetrieve(items));
    return readRetrieveResponse(soap.body, parts);
  }

  // ---------------------------------------------------------------- ITI-57

  /** UpdateAvailabilityStatus from the entry's current status (read with GetDocuments when only its entryUUID is given). */
  async setAvailabilityStatus(patient: PatientInput, entry: DocumentEntry | string, to: DocumentStatus, from?: DocumentStatus | string): Promise<RegistryOutcome> {
    const p = this.patient(patient);
    const current = typeof entry === 'string' ? await this.entry(p, entry) : entry;
    const ss = this.submissionSet(patientCx(p.ins, p.oid), { title: current.title }, current.authors);
    const body = buildUpdateAvailabilityStatus({ submissionSet: ss, entryUUID: current.entryUUID, from: from ?? current.statusUrn ?? STATUS.Approved, to });
    const { soap } = await this.call('ITI-57', p, body);
    return readRegistryResponse(soap.body);
  }

  /** TD3.3d: archive. */
  archive(patient: PatientInput, entry: DocumentEntry | string) {
    return this.setAvailabilityStatus(patient, entry, 'Archived');
  }

  /** TD3.3d: back from the archive. */
  unarchive(patient: PatientInput, entry: DocumentEntry | string) {
    return this.setAvailabilityStatus(patient, entry, 'Approved');
  }

  /** TD3.3c: logical deletion. */
  delete(patient: PatientInput, entry: DocumentEntry | string) {
    return this.setAvailabilityStatus(patient, entry, 'Deleted');
  }

  /**
   * ITI-57 metadata update: a full copy of the current entry (same uniqueId, patientId, lid) with the
   * metadata `change` returns, `PreviousVersion` = the current version. The registry gives the new version
   * a new entryUUID.
   */
  async updateMetadata(patient: PatientInput, entry: DocumentEntry | string, change: (metadata: XdsDocumentMetadata) => XdsDocumentMetadata): Promise<RegistryOutcome> {
    const p = this.patient(patient);
    const current = typeof entry === 'string' ? await this.entry(p, entry) : entry;
    const metadata = change(entryMetadata(current));
    if (metadata.uniqueId !== current.uniqueId || metadata.patientId !== current.patientId) throw new DmpInputError('a metadata update keeps the uniqueId and the patientId', 'metadata');
    const ss = this.submissionSet(patientCx(p.ins, p.oid), { title: current.title }, current.authors);
    const { soap } = await this.call('ITI-57', p, buildMetadataUpdate({ submissionSet: ss, entry: current, metadata }));
    return readRegistryResponse(soap.body);
  }

  /** Replaces the confidentiality codes (N always first). */
  setConfidentiality(patient: PatientInput, entry: DocumentEntry | string, codes: XdsCode[]) {
    const withN = [CONFIDENTIALITY.normal, ...codes.filter((c) => c.code !== 'N')].map((c) => ({ ...c }));
    return this.updateMetadata(patient, entry, (m) => ({ ...m, confidentialityCodes: withN }));
  }

  /** TD3.3a: mask to professionals (adds MASQUE_PS). */
  mask(patient: PatientInput, entry: DocumentEntry | string) {
    return this.editConfidentiality(patient, entry, (codes) => (codes.some((c) => c.code === 'MASQUE_PS') ? codes : [...codes, { ...CONFIDENTIALITY.masquePs }]));
  }

  /** TD3.3a: unmask (removes MASQUE_PS). */
  unmask(patient: PatientInput, entry: DocumentEntry | string) {
    return this.editConfidentiality(patient, entry, (codes) => codes.filter((c) => c.code !== 'MASQUE_PS'));
  }

  /** TD3.3b: make visible to the patient (removes INVISIBLE_PATIENT). */
  makeVisibleToPatient(patient: PatientInput, entry: DocumentEntry | string) {
    return this.editConfidentiality(patient, entry, (codes) => codes.filter((c) => c.code !== 'INVISIBLE_PATIENT'));
  }

  /** TD3.3b: make visible to the legal representatives (removes INVISIBLE_REPRESENTANTS_LEGAUX). */
  makeVisibleToLegalRepresentatives(patient: PatientInput, entry: DocumentEntry | string) {
    return this.editConfidentiality(patient, entry, (codes) => codes.filter((c) => c.code !== 'INVISIBLE_REPRESENTANTS_LEGAUX'));
  }

  private async editConfidentiality(patient: PatientInput, entry: DocumentEntry | string, edit: (codes: XdsCode[]) => XdsCode[]) {
    const p = this.patient(patient);
    const current = typeof entry === 'string' ? await this.entry(p, entry) : entry;
    return this.updateMetadata(p, current, (m) => ({ ...m, confidentialityCodes: edit(m.confidentialityCodes) }));
  }

  private async entry(patient: PatientRef, entryUUID: string): Promise<DocumentEntry> {
    const found = (await this.getDocuments(patient, { entryUUIDs: [entryUUID] })).documents.find((d) => d.entryUUID === entryUUID);
    if (!found) throw new DmpInputError(`no document entry ${entryUUID} in this DMP`, 'entryUUID');
    return found;
  }

  private signer(): SignatureSigner | undefined {
    if (this.opts.signer === false) return undefined;
    if (this.opts.signer) return this.opts.signer;
    const t = this.opts.tls;
    return t?.key && t.cert ? { keyPem: t.key, certPem: t.cert } : undefined;
  }

  // ---------------------------------------------------------------- exchange

  private async call(transaction: DmpTransaction, patient: PatientRef | undefined, bodyXml: string, parts?: MimePart[]): Promise<{ soap: SoapResponse; parts: Map<string, MimePart>; httpStatus: number }> {
    const tx = TRANSACTIONS[transaction];
    const url = new URL(this.serviceUrl(tx.service));
    const vihf = await resolveVihf(this.opts.vihf, { transaction, service: tx.service, patient });
    const envelope = buildEnvelope({ action: tx.action, to: url.toString(), vihf: vihf.xml, body: bodyXml });
    const headers: Record<string, string> = { Accept: 'application/soap+xml, multipart/related, text/xml' };
    let payload: Buffer;
    if (parts) {
      const mp = buildMultipart(envelope.xml, parts, tx.action);
      payload = mp.body;
      headers['Content-Type'] = mp.contentType;
    } else {
      payload = Buffer.from(envelope.xml, 'utf8');
      headers['Content-Type'] = `application/soap+xml; charset=UTF-8; action="${tx.action}"`;
    }
    if (vihf.authorization) headers.Authorization = vihf.authorization;
    if (this.opts.sandbox) headers['X-Segur-Sandbox'] = this.opts.sandbox;
    if (this.opts.scenario) headers['X-Segur-Scenario'] = this.opts.scenario;
    const record: DmpExchangeRecord = { transaction, url: url.toString(), messageId: envelope.messageId, requestXml: envelope.xml, mtom: !!parts, durationMs: 0 };
    const t0 = performance.now();
    try {
      const answer = await this.transport.post(url, payload, headers);
      record.httpStatus = answer.status;
      let text: string;
      let answerParts = new Map<string, MimePart>();
      if (isMultipart(answer.contentType)) {
        const mp = parseMultipart(answer.body, answer.contentType);
        text = mp.root;
        answerParts = mp.parts;
      } else {
        text = answer.body.toString('utf8');
      }
      record.responseXml = text;
      const soap = this.interpret(answer.status, text, answer.retryAfter);
      return { soap, parts: answerParts, httpStatus: answer.status };
    } catch (err) {
      record.error = err as DmpError;
      throw err;
    } finally {
      record.durationMs = Math.round(performance.now() - t0);
      this.opts.onExchange?.(record);
    }
  }

  /** HTTP status + body → the SOAP answer, or the right error. */
  private interpret(status: number, text: string, retryAfter?: string): SoapResponse {
    const looksSoap = /<(?:[\w.-]+:)?Envelope[\s>]/.test(text.slice(0, 4096));
    if (looksSoap) {
      const soap = readSoapResponse(text, status); // throws DmpSoapFault for a Fault at any status
      if (status >= 200 && status < 300) return soap;
      if (status >= 500 || status === 429) throw new DmpUnavailableError(`the DMP answered HTTP ${status} with a non-fault SOAP body`, 'http-status', status, retryAfterSeconds(retryAfter));
      throw new DmpProtocolError(`the DMP answered HTTP ${status} with a non-fault SOAP body`, status, text.slice(0, 2000));
    }
    if (status >= 500 || status === 429 || status === 408) {
      throw new DmpUnavailableError(`the DMP answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`, 'http-status', status, retryAfterSeconds(retryAfter));
    }
    if (status >= 400) throw new DmpTransportError(`the DMP answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`, 'http-status', status);
    throw new DmpProtocolError(`the DMP answered HTTP ${status} without a SOAP envelope`, status, text.slice(0, 2000));
  }
}

function normaliseCx(cx: string): string {
  const p = parsePatientCx(cx);
  return p ? `${p.ins}|${p.oid}` : cx;
}

function codes(list: (XdsCode | string)[] | undefined): string[] | undefined {
  if (!list?.length) return undefined;
  return list.map((c) => (typeof c === 'string' ? c : `${c.code}^^${c.scheme}`));
}

function time(t: Date | string | undefined): string | number | undefined {
  if (t === undefined) return undefined;
  const s = typeof t === 'string' && /^\d{4,14}$/.test(t) ? t : xdsTime(t);
  return Number(s);
}

/** The entry to act on among several metadata versions of one uniqueId: the Approved one, else the highest version. */
export function pickCurrent(entries: DocumentEntry[]): DocumentEntry | undefined {
  const approved = entries.find((e) => e.status === 'Approved');
  if (approved) return approved;
  return [...entries].sort((a, b) => Number(b.version ?? 0) - Number(a.version ?? 0))[0];
}

/** The submitter metadata of a registry entry (registry-assigned fields dropped). */
export function entryMetadata(e: DocumentEntry): XdsDocumentMetadata {
  const { entryUUID: _u, lid: _l, status: _s, statusUrn: _su, version: _v, hash: _h, size: _z, repositoryUniqueId: _r, homeCommunityId: _hc, objectType: _o, ...meta } = e;
  return meta;
}
