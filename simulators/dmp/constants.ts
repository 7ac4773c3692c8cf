/** Namespaces, endpoints and actions of the DMP web services (dmp.md §1, §2, §4). */

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  xop: 'http://www.w3.org/2004/08/xop/include',
  hl7: 'urn:hl7-org:v3',
  gdp: 'asip:ci-sis:gdp:2010',
  habilitations: 'urn:si-dmp-habilitations',
  patients: 'urn:si-dmp-patients',
  xdsb: 'urn:ihe:iti:xds-b:2007',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  lcm: 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

export const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';

/** The six services under `/si-dmp-server/v2/services/` (dmp.md §1.1). */
export const ENDPOINTS = ['patients', 'patientsPDQ', 'patientsSpecific', 'habilitations', 'registry', 'repository'] as const;
export type DmpEndpoint = (typeof ENDPOINTS)[number];

export const BASE_PATH = '/si-dmp-server/v2/services';

/** Request wsa:Action → response wsa:Action (dmp.md §1.2, §4). */
export const ACTIONS = {
  td02: 'urn:hl7-org:v3:PRPA_IN201307UV02',
  td02Response: 'urn:hl7-org:v3:PRPA_IN201308UV02',
  td05: 'urn:hl7-org:v3:PRPA_IN201305UV02',
  td05Response: 'urn:hl7-org:v3:PRPA_IN201306UV02',
  td11: 'urn:hl7-org:v3:PRPA_IN201311UV02',
  td11Response: 'urn:hl7-org:v3:PRPA_IN201311ResponseUV02',
  td13b: 'urn:hl7-org:v3:PRPA_IN201314UV02',
  td13bResponse: 'urn:hl7-org:v3:PRPA_IN201314ResponseUV02',
  setAuthorization: 'urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization',
  setAuthorizationResponse: 'urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorizationResponse',
  listAuthorizationByPatient: 'urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatient',
  listAuthorizationByPatientResponse: 'urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatientResponse',
  patientList: 'urn:si-dmp-patients:PatientSpecificEndPoint:patientList',
  patientListResponse: 'urn:si-dmp-patients:PatientSpecificEndPoint:patientListResponse',
  iti41: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b',
  iti41Response: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse',
  iti43: 'urn:ihe:iti:2007:RetrieveDocumentSet',
  iti43Response: 'urn:ihe:iti:2007:RetrieveDocumentSetResponse',
  iti18: 'urn:ihe:iti:2007:RegistryStoredQuery',
  iti18Response: 'urn:ihe:iti:2007:RegistryStoredQueryResponse',
  iti57: 'urn:ihe:iti:2010:UpdateDocumentSet',
  iti57Response: 'urn:ihe:iti:2010:UpdateDocumentSet-Response',
} as const;

/** The DMP's own identifiers (dmp.md §4): device id, repository unique ids. */
export const DMP_DEVICE_OID = '1.2.250.1.213.4.1.1.1';
export const REPOSITORY_UNIQUE_ID = '1.2.250.1.213.4.1.1.1.2';
