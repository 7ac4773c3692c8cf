/**
 * XDS.b / ebRIM 3.0 identifiers as the DMP uses them (dmp.md §4.8–4.11, §5.1): object types, classification
 * schemes, external identifier schemes, statuses, stored query ids, response statuses.
 */

export const OBJECT_TYPE = {
  documentEntry: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  submissionSetNode: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  association: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
  registryPackage: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage',
  classification: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification',
  externalIdentifier: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier',
} as const;

/** Classification schemes of a DocumentEntry. */
export const DE_SCHEME = {
  author: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
  classCode: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
  confidentialityCode: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
  eventCodeList: 'urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4',
  formatCode: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
  healthcareFacilityTypeCode: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
  practiceSettingCode: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
  typeCode: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
} as const;

/** External identifier schemes of a DocumentEntry. */
export const DE_IDENTIFIER = {
  patientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
  uniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
} as const;

/** Classification schemes and external identifiers of a SubmissionSet. */
export const SS_SCHEME = {
  author: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
  contentTypeCode: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
} as const;
export const SS_IDENTIFIER = {
  patientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
  sourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
  uniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
} as const;

/** Availability statuses: ebRIM ones plus the two ASIP ones (JDV_J52, dmp.md §5.3). */
export const STATUS = {
  approved: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  deprecated: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
  archived: 'urn:asip:ci-sis:2010:StatusType:Archived',
  deleted: 'urn:asip:ci-sis:2010:StatusType:Deleted',
  submitted: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted',
} as const;
export const KNOWN_STATUSES: ReadonlySet<string> = new Set([STATUS.approved, STATUS.deprecated, STATUS.archived, STATUS.deleted]);

export const ASSOCIATION = {
  hasMember: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember',
  rplc: 'urn:ihe:iti:2007:AssociationType:RPLC',
  xfrm: 'urn:ihe:iti:2007:AssociationType:XFRM',
  apnd: 'urn:ihe:iti:2007:AssociationType:APND',
  xfrmRplc: 'urn:ihe:iti:2007:AssociationType:XFRM_RPLC',
  signs: 'urn:ihe:iti:2007:AssociationType:signs',
  updateAvailabilityStatus: 'urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus',
} as const;
/** Association types GetRelatedDocuments follows. */
export const RELATIONSHIP_TYPES: ReadonlySet<string> = new Set([ASSOCIATION.rplc, ASSOCIATION.xfrm, ASSOCIATION.apnd, ASSOCIATION.xfrmRplc, ASSOCIATION.signs]);

export const RESPONSE_STATUS = {
  success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
  failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
  partialSuccess: 'urn:ihe:iti:2007:ResponseStatusType:PartialSuccess',
} as const;

export const SEVERITY = {
  error: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error',
  warning: 'urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning',
} as const;

/** Registry stored query ids (ITI-18). */
export const STORED_QUERY = {
  findDocuments: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
  findSubmissionSets: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
  findFolders: 'urn:uuid:958f3006-baad-4929-a4de-ff1114824431',
  getAll: 'urn:uuid:10b545ea-725c-446d-9b95-8aeb444eddf3',
  getDocuments: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
  getFolders: 'urn:uuid:5737b14c-8a1a-4539-b659-e03a34a5e1e4',
  getAssociations: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
  getDocumentsAndAssociations: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
  getSubmissionSets: 'urn:uuid:51224314-5390-4169-9b91-b1980040715a',
  getSubmissionSetAndContents: 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83',
  getFolderAndContents: 'urn:uuid:b909a503-523d-4517-8acf-8e5834dfc4c7',
  getFoldersForDocument: 'urn:uuid:10cae35a-c7f9-4cf5-b61e-fc3278ffb578',
  getRelatedDocuments: 'urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6',
  findDocumentsByReferenceId: 'urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492',
} as const;

/** The signature DocumentEntry (IHE DSG, dmp.md §5.6). */
export const SIGNATURE_CLASS = 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1';
export const SIGNATURE_FORMAT = 'http://www.w3.org/2000/09/xmldsig#';

/** Confidentiality codes of TRE_A07 the DMP uses (dmp.md §5.3). */
export const CONFIDENTIALITY = {
  normal: 'N',
  normalScheme: '2.16.840.1.113883.5.25',
  dmpScheme: '1.2.250.1.213.1.1.4.13',
  masquePs: 'MASQUE_PS',
  invisiblePatient: 'INVISIBLE_PATIENT',
  invisibleRepresentants: 'INVISIBLE_REPRESENTANTS_LEGAUX',
} as const;

export { IDNAT_PS_OID, IDNAT_STRUCT_OID } from '../../../fixtures/oids.js';
export { INS_OIDS } from '../dossiers.js';

/** Repository holding vaccination history (dmp.md §4.10): known, but this simulator serves documents only. */
export const VACCINATION_REPOSITORY_UNIQUE_ID = '1.2.250.1.213.4.1.1.1.4';
