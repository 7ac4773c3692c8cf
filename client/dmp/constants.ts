/**
 * Namespaces, services, wsa:Actions and XDS identifiers of the DMP web services, as the client writes
 * them (dmp.md §1, §2, §4, §5). The client keeps its own copy on purpose: it must not share the
 * simulator's codec, or it could not catch the simulator's bugs (nor the simulator the client's).
 */

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  xop: 'http://www.w3.org/2004/08/xop/include',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  hl7: 'urn:hl7-org:v3',
  gdp: 'asip:ci-sis:gdp:2010',
  habilitations: 'urn:si-dmp-habilitations',
  patients: 'urn:si-dmp-patients',
  xdsb: 'urn:ihe:iti:xds-b:2007',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  lcm: 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xades: 'http://uri.etsi.org/01903/v1.1.1#',
} as const;

export const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

/** Path of the services under the host (dmp.md §1.1). */
export const DMP_BASE_PATH = '/si-dmp-server/v2/services';

export type DmpService = 'patients' | 'patientsPDQ' | 'patientsSpecific' | 'habilitations' | 'registry' | 'repository';

/** Request wsa:Action of each transaction, and the service it is posted to (dmp.md §1.2). */
export const TRANSACTIONS = {
  'TD0.2': { service: 'patients', action: 'urn:hl7-org:v3:PRPA_IN201307UV02', response: 'urn:hl7-org:v3:PRPA_IN201308UV02' },
  'TD1.3a': { service: 'patients', action: 'urn:hl7-org:v3:PRPA_IN201307UV02', response: 'urn:hl7-org:v3:PRPA_IN201308UV02' },
  'TD1.4': { service: 'patients', action: 'urn:hl7-org:v3:PRPA_IN201314UV02', response: 'urn:hl7-org:v3:PRPA_IN201314ResponseUV02' },
  'TD0.3': {
    service: 'habilitations',
    action: 'urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization',
    response: 'urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorizationResponse',
  },
  'TD1.6': {
    service: 'habilitations',
    action: 'urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatient',
    response: 'urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatientResponse',
  },
  'TD0.4': {
    service: 'patientsSpecific',
    action: 'urn:si-dmp-patients:PatientSpecificEndPoint:patientList',
    response: 'urn:si-dmp-patients:PatientSpecificEndPoint:patientListResponse',
  },
  'ITI-41': { service: 'repository', action: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b', response: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse' },
  'ITI-43': { service: 'repository', action: 'urn:ihe:iti:2007:RetrieveDocumentSet', response: 'urn:ihe:iti:2007:RetrieveDocumentSetResponse' },
  'ITI-18': { service: 'registry', action: 'urn:ihe:iti:2007:RegistryStoredQuery', response: 'urn:ihe:iti:2007:RegistryStoredQueryResponse' },
  'ITI-57': { service: 'registry', action: 'urn:ihe:iti:2010:UpdateDocumentSet', response: 'urn:ihe:iti:2010:UpdateDocumentSet-Response' },
} as const satisfies Record<string, { service: DmpService; action: string; response: string }>;

export type DmpTransaction = keyof typeof TRANSACTIONS;

/** HL7v3 identifiers (dmp.md §4). */
export const HL7 = {
  interactionRoot: '2.16.840.1.113883.1.6',
  dmpDevice: '1.2.250.1.213.4.1.1.1',
  reasonCodeSystem: '1.2.250.1.213.1.1.4.11',
  autorisationKeyword: '1.2.250.1.213.4.1.2.6.1',
  autorisationValue: '1.2.250.1.213.4.1.2.6.2',
  statutMtKeyword: '1.2.250.1.213.4.1.2.6.3',
  closingReason: '1.2.250.1.213.4.1.2.4',
  psIdNat: '1.2.250.1.71.4.2.1',
  structIdNat: '1.2.250.1.71.4.2.2',
  insC: '1.2.250.1.213.1.4.2',
} as const;

/** INS OIDs (dmp.md §5.2). */
export const INS_OID = {
  nir: '1.2.250.1.213.1.4.8',
  nia: '1.2.250.1.213.1.4.9',
  nirTest: '1.2.250.1.213.1.4.10',
  nirDemo: '1.2.250.1.213.1.4.11',
} as const;

/** Fixed ebRIM identifiers of XDS.b (dmp.md §5.1). */
export const XDS = {
  documentEntryType: 'urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1',
  submissionSetNode: 'urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd',
  associationObjectType: 'urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association',
  de: {
    author: 'urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d',
    classCode: 'urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a',
    confidentialityCode: 'urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f',
    eventCodeList: 'urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4',
    formatCode: 'urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d',
    healthcareFacilityTypeCode: 'urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1',
    practiceSettingCode: 'urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead',
    typeCode: 'urn:uuid:f0306f51-975f-434e-a61c-c59651d33983',
    patientId: 'urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427',
    uniqueId: 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab',
  },
  ss: {
    author: 'urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d',
    contentTypeCode: 'urn:uuid:aa543740-bdda-424e-8c96-df4873be8500',
    patientId: 'urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446',
    sourceId: 'urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832',
    uniqueId: 'urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8',
  },
} as const;

export const ASSOCIATION = {
  hasMember: 'urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember',
  rplc: 'urn:ihe:iti:2007:AssociationType:RPLC',
  xfrm: 'urn:ihe:iti:2007:AssociationType:XFRM',
  apnd: 'urn:ihe:iti:2007:AssociationType:APND',
  xfrmRplc: 'urn:ihe:iti:2007:AssociationType:XFRM_RPLC',
  signs: 'urn:ihe:iti:2007:AssociationType:signs',
  updateAvailabilityStatus: 'urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus',
} as const;

/** availabilityStatus (JDV_J52): two ebRS values and two DMP extensions (dmp.md §5.3). */
export const STATUS = {
  Approved: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  Deprecated: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated',
  Archived: 'urn:asip:ci-sis:2010:StatusType:Archived',
  Deleted: 'urn:asip:ci-sis:2010:StatusType:Deleted',
} as const;
export type DocumentStatus = keyof typeof STATUS;

export function statusUrn(status: DocumentStatus | string): string {
  return (STATUS as Record<string, string>)[status] ?? status;
}

/** Short name of an availabilityStatus URN (`Approved`...), or the URN itself when unknown. */
export function statusName(urn: string): DocumentStatus | string {
  const found = (Object.entries(STATUS) as [DocumentStatus, string][]).find(([, v]) => v === urn);
  return found ? found[0] : urn;
}

export const RESPONSE_STATUS = {
  success: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success',
  failure: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure',
  partialSuccess: 'urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess',
} as const;

/** Stored query ids (ITI-18). */
export const STORED_QUERY = {
  findDocuments: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
  findSubmissionSets: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
  getDocuments: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
  getAssociations: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
  getDocumentsAndAssociations: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
  getSubmissionSetAndContents: 'urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83',
  getRelatedDocuments: 'urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6',
  findDocumentsByReferenceId: 'urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492',
} as const;

/** The DMP's repository of documents (dmp.md §4.10). */
export const DMP_REPOSITORY_UNIQUE_ID = '1.2.250.1.213.4.1.1.1.2';

/** TRE_A07 visibility codes and the HL7 confidentiality system (dmp.md §5.3). */
export const CONFIDENTIALITY = {
  hl7System: '2.16.840.1.113883.5.25',
  dmpSystem: '1.2.250.1.213.1.1.4.13',
  normal: { code: 'N', scheme: '2.16.840.1.113883.5.25', display: 'Normal' },
  masquePs: { code: 'MASQUE_PS', scheme: '1.2.250.1.213.1.1.4.13', display: 'Masqué aux professionnels de santé' },
  invisiblePatient: { code: 'INVISIBLE_PATIENT', scheme: '1.2.250.1.213.1.1.4.13', display: 'Non visible par le patient' },
  invisibleLegalReps: { code: 'INVISIBLE_REPRESENTANTS_LEGAUX', scheme: '1.2.250.1.213.1.1.4.13', display: 'Non visible par les représentants légaux du patient' },
} as const;

/** The signature DocumentEntry (dmp.md §5.6). */
export const SIGNATURE = {
  classCode: { code: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1', scheme: 'URN', display: 'Digital Signature' },
  typeCode: { code: 'E1762', scheme: 'ASTM', display: 'Full Document' },
  formatCode: { code: 'http://www.w3.org/2000/09/xmldsig#', scheme: 'URN', display: 'Default Signature Style' },
  eventCode: { code: '1.2.840.10065.1.12.1.14', scheme: '1.2.840.10065.1.12', display: 'Source' },
  languageCode: 'art',
  title: 'Source',
} as const;

/** classCode of documents deposited by the patient (shown apart, dmp.md §4.9). */
export const PATIENT_DOCUMENT_CLASS = '90';
