/**
 * The registry's typed objects: what ebRIM metadata becomes once parsed (ebrim.ts), what the registry keeps
 * (registry.ts) and what the `xds.*` events carry (plain JSON: no Map, no class, no raw XML).
 */
import type { XdsAuthor, XdsCode } from '../../../fixtures/documents/types.js';

export type { XdsAuthor, XdsCode };

/** A slot the codec does not map to a field, kept to be rendered back (`urn:ihe:iti:xds:2013:…` and others). */
export interface ExtraSlot {
  name: string;
  values: string[];
}

/** DocumentEntry metadata chosen by the submitter. Optional fields may be missing in lenient mode. */
export interface DocumentMeta {
  title?: string;
  comments?: string;
  classCode?: XdsCode;
  typeCode?: XdsCode;
  formatCode?: XdsCode;
  healthcareFacilityTypeCode?: XdsCode;
  practiceSettingCode?: XdsCode;
  confidentialityCodes: XdsCode[];
  eventCodes: XdsCode[];
  creationTime?: string;
  serviceStartTime?: string;
  serviceStopTime?: string;
  languageCode?: string;
  authors: XdsAuthor[];
  legalAuthenticator?: string;
  sourcePatientId?: string;
  sourcePatientInfo: string[];
  referenceIds: string[];
  extraSlots?: ExtraSlot[];
}

/** One version of a DocumentEntry as the registry keeps it. */
export interface DocumentEntry {
  /** entryUUID of this metadata version (`urn:uuid:…`). */
  id: string;
  /** Logical id, stable across metadata updates; `id` of the first version. */
  lid: string;
  /** VersionInfo/versionName (1, 2... after ITI-57 metadata updates). */
  version: number;
  status: string;
  uniqueId: string;
  /** CX as submitted. */
  patientId: string;
  /** INS matricule (CX.1): the per-patient index key. */
  ins: string;
  mimeType: string;
  /** SHA-1 hex of the content (the blob's name) and its size in bytes. */
  hash: string;
  size: number;
  repositoryUniqueId: string;
  meta: DocumentMeta;
  /** entryUUID of the submission set it arrived in. */
  submissionSet: string;
  /** CDA setId root and versionNumber, when the content is a CDA. */
  setId?: string;
  cdaVersion?: number;
  /** Epoch ms the entry was registered. */
  registeredAt: number;
  /** True for seeded entries (content regenerated from the fixtures when its blob is not stored). */
  seeded?: boolean;
}

export interface SubmissionSetMeta {
  title?: string;
  comments?: string;
  contentTypeCode?: XdsCode;
  authors: XdsAuthor[];
  submissionTime?: string;
  sourceId?: string;
  extraSlots?: ExtraSlot[];
}

export interface SubmissionSetEntry {
  id: string;
  uniqueId: string;
  patientId: string;
  ins: string;
  status: string;
  meta: SubmissionSetMeta;
  registeredAt: number;
}

export interface AssociationEntry {
  id: string;
  type: string;
  source: string;
  target: string;
  status: string;
  /** SubmissionSetStatus, PreviousVersion, OriginalStatus/NewStatus... */
  slots?: Record<string, string[]>;
}

/** What is persisted for one new DocumentEntry version in an `xds.*` event. */
export interface DocumentRecord {
  id: string;
  lid: string;
  version: number;
  status: string;
  uniqueId: string;
  patientId: string;
  mimeType: string;
  hash: string;
  size: number;
  repositoryUniqueId: string;
  meta: DocumentMeta;
  setId?: string;
  cdaVersion?: number;
}

export interface SubmissionSetRecord {
  id: string;
  uniqueId: string;
  patientId: string;
  meta: SubmissionSetMeta;
}

/**
 * The registry's events (`DmpStore.record`): `ins` on each so a lazily seeded patient is seeded before the
 * change is applied on replay.
 */
export type XdsEvent =
  | {
      t: 'xds.submit';
      at: number;
      ins: string;
      ss: SubmissionSetRecord;
      docs: DocumentRecord[];
      assocs: AssociationEntry[];
      /** entryUUIDs turned Deprecated by an RPLC in this submission. */
      deprecate?: string[];
    }
  | {
      t: 'xds.status';
      at: number;
      ins: string;
      /** entryUUID whose availabilityStatus changes. */
      id: string;
      from: string;
      to: string;
      ss?: SubmissionSetRecord;
      assocs?: AssociationEntry[];
    }
  | {
      t: 'xds.update';
      at: number;
      ins: string;
      ss?: SubmissionSetRecord;
      /** The new metadata version (same lid, version + 1). */
      doc: DocumentRecord;
      /** entryUUID of the version it supersedes (becomes Deprecated). */
      prev: string;
      assocs?: AssociationEntry[];
    };
