/**
 * Our own WSDLs for the six DMP services, self-contained: every schema they import is served by the same
 * service at `?xsd=<name>` (wsdl/schemas.ts), nothing is fetched from the internet. Written for segur-sim
 * after the shapes of the official annex v2.01.04 (service/port names, namespaces, operations, SOAP 1.2
 * document/literal bindings), with two deliberate differences, documented in README.md:
 *
 * - `soapAction` and `wsaw:Action` are the wsa:Action values the live DMP honours (e.g.
 *   `urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization`), where the annex says
 *   `urn:hl7-org:v3:setAuthorization` (Habilitations) or `""` (PatientsSpecific);
 * - the HL7v3 message schemas are loose (see wsdl/schemas.ts) instead of the HL7 Normative Edition set.
 *
 * The endpoint address is the URL the client reached (sandbox prefix kept), so a client generated from
 * `?wsdl` calls this simulator.
 */
import { escapeXml } from '../core/xml/escape.js';
import type { DmpEndpoint } from './constants.js';
import { ACTIONS, NS } from './constants.js';
import { SCHEMAS } from './wsdl/schemas.js';

const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
const SOAP12 = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const WSAW = 'http://www.w3.org/2006/05/addressing/wsdl';
const XSD = 'http://www.w3.org/2001/XMLSchema';
const HTTP = 'http://schemas.xmlsoap.org/soap/http';


interface Operation {
  name: string;
  input: { message: string; element: string; action: string };
  output: { message: string; element: string; action: string };
}

interface ServiceDef {
  name: string;
  tns: string;
  /** Extra namespace declarations on definitions (prefix → ns). */
  xmlns: Record<string, string>;
  /** `<xsd:schema>` blocks of wsdl:types (the address is passed for absolute schemaLocations). */
  types: (address: string) => string;
  portType: string;
  binding: string;
  port: string;
  documentation: string;
  operations: Operation[];
}

const importSchema = (address: string, ns: string, name: string) => `<xsd:import namespace="${ns}" schemaLocation="${escapeXml(`${address}?xsd=${name}`)}"/>`;

const includeSchema = (address: string, name: string) => `<xsd:include schemaLocation="${escapeXml(`${address}?xsd=${name}`)}"/>`;

const op = (name: string, inMsg: string, inEl: string, inAction: string, outMsg: string, outEl: string, outAction: string): Operation => ({
  name,
  input: { message: inMsg, element: inEl, action: inAction },
  output: { message: outMsg, element: outEl, action: outAction },
});

/** Habilitations and PatientsSpecific: doc/literal, fields `form="qualified"` under elementFormDefault unqualified (as the annex). */
const HABILITATIONS_SCHEMA =
  `<xs:schema xmlns:xs="${XSD}" xmlns:tns="${NS.habilitations}" elementFormDefault="unqualified" targetNamespace="${NS.habilitations}" version="1.0">` +
  `<xs:element name="listAuthorizationByPatient" type="tns:listAuthorizationByPatient"/>` +
  `<xs:element name="listAuthorizationByPatientResponse" type="tns:listAuthorizationByPatientResponse"/>` +
  `<xs:element name="setAuthorization" type="tns:setAuthorization"/>` +
  `<xs:element name="setAuthorizationResponse" type="tns:setAuthorizationResponse"/>` +
  `<xs:complexType name="listAuthorizationByPatient"><xs:sequence><xs:element form="qualified" minOccurs="0" name="mode" type="tns:modeType"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="listAuthorizationByPatientResponse"><xs:sequence><xs:element form="qualified" minOccurs="0" name="output" type="tns:AuthorizationByPatientResponse"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="AuthorizationByPatientResponse"><xs:sequence>` +
  `<xs:element form="qualified" maxOccurs="unbounded" minOccurs="0" name="listOfAuthorizationByPatient" type="tns:AuthorizationByPatient"/>` +
  `<xs:element form="qualified" minOccurs="0" name="status" type="xs:string"/><xs:element form="qualified" minOccurs="0" name="context" type="xs:string"/>` +
  `</xs:sequence></xs:complexType>` +
  `<xs:complexType name="AuthorizationByPatient"><xs:sequence>` +
  ['nationalId', 'nationalIdType', 'firstName', 'lastName'].map((n) => `<xs:element form="qualified" minOccurs="0" name="${n}" type="xs:string"/>`).join('') +
  `<xs:element form="qualified" maxOccurs="unbounded" minOccurs="0" name="codeSpeciality" type="xs:string"/>` +
  `<xs:element form="qualified" maxOccurs="unbounded" minOccurs="0" name="libSpeciality" type="xs:string"/>` +
  `<xs:element form="qualified" minOccurs="0" name="startOfAuthorization" type="xs:string"/><xs:element form="qualified" minOccurs="0" name="lastActionDate" type="xs:string"/>` +
  `<xs:element form="qualified" minOccurs="0" name="mode" type="tns:modeType"/>` +
  `<xs:element form="qualified" maxOccurs="unbounded" minOccurs="0" name="specificRight" type="tns:roleType"/>` +
  `</xs:sequence></xs:complexType>` +
  `<xs:complexType name="setAuthorization"><xs:sequence><xs:element form="qualified" minOccurs="0" name="action" type="tns:actionType"/><xs:element form="qualified" minOccurs="0" name="role" type="tns:roleType"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="setAuthorizationResponse"><xs:sequence><xs:element form="qualified" minOccurs="0" name="output" type="tns:WebServiceResponse"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="WebServiceResponse"><xs:sequence><xs:element form="qualified" minOccurs="0" name="status" type="xs:string"/><xs:element form="qualified" minOccurs="0" name="context" type="xs:string"/></xs:sequence></xs:complexType>` +
  `<xs:simpleType name="modeType"><xs:restriction base="xs:string"><xs:enumeration value="ACTIVE"/><xs:enumeration value="INTERDITE"/><xs:enumeration value="TOUTE"/></xs:restriction></xs:simpleType>` +
  `<xs:simpleType name="roleType"><xs:restriction base="xs:string"><xs:enumeration value="MEDECIN_TRAITANT"/></xs:restriction></xs:simpleType>` +
  `<xs:simpleType name="actionType"><xs:restriction base="xs:string"><xs:enumeration value="AJOUT"/><xs:enumeration value="SUPPRESSION"/></xs:restriction></xs:simpleType>` +
  `</xs:schema>`;

const PATIENTS_SPECIFIC_SCHEMA =
  `<xs:schema xmlns:xs="${XSD}" xmlns:tns="${NS.patients}" elementFormDefault="unqualified" targetNamespace="${NS.patients}" version="1.0">` +
  `<xs:element name="patientList" type="tns:patientList"/><xs:element name="patientListResponse" type="tns:patientListResponse"/>` +
  `<xs:complexType name="patientList"><xs:sequence><xs:element form="qualified" minOccurs="0" name="startDate" type="xs:string"/>` +
  `<xs:element form="qualified" minOccurs="0" name="dateType" type="tns:dateTypeEnum"/><xs:element form="qualified" minOccurs="0" name="psOwnerId" type="xs:string"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="patientListResponse"><xs:sequence><xs:element form="qualified" minOccurs="0" name="output" type="tns:PatientListDataResponse"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="PatientListDataResponse"><xs:sequence><xs:element form="qualified" maxOccurs="unbounded" minOccurs="0" name="patientlistData" type="tns:PatientListData"/>` +
  `<xs:element form="qualified" minOccurs="0" name="status" type="xs:string"/><xs:element form="qualified" minOccurs="0" name="context" type="xs:string"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="PatientListData"><xs:sequence>` +
  `<xs:element form="qualified" maxOccurs="unbounded" minOccurs="0" name="patientIdentifier" type="tns:PatientIdentifierListData"/>` +
  ['lastName', 'patronymicalName', 'firstName', 'civility', 'dateOfBirth'].map((n) => `<xs:element form="qualified" minOccurs="0" name="${n}" type="xs:string"/>`).join('') +
  `<xs:element form="qualified" name="MT" type="xs:boolean"/><xs:element form="qualified" name="message" type="xs:boolean"/>` +
  ['lastAccessDate', 'lastUpdateDate', 'lastAddDate'].map((n) => `<xs:element form="qualified" minOccurs="0" name="${n}" type="xs:string"/>`).join('') +
  `</xs:sequence></xs:complexType>` +
  `<xs:complexType name="PatientIdentifierListData"><xs:sequence><xs:element form="qualified" minOccurs="0" name="nationalId" type="xs:string"/><xs:element form="qualified" minOccurs="0" name="nationalIdType" type="xs:string"/></xs:sequence></xs:complexType>` +
  `<xs:simpleType name="dateTypeEnum"><xs:restriction base="xs:string"><xs:enumeration value="LASTAUTORIZATION"/><xs:enumeration value="LASTDOC"/></xs:restriction></xs:simpleType>` +
  `</xs:schema>`;

const SERVICES: Record<DmpEndpoint, ServiceDef> = {
  patients: {
    name: 'GestionDossierPatientPartage',
    tns: NS.gdp,
    xmlns: { hl7: NS.hl7 },
    documentation: 'DMP — gestion du dossier patient partagé (TD0.2, TD1.3a, TD1.3b, TD1.4, TD1.2, TD1.1). segur-sim.',
    types: (address) =>
      `<xsd:schema elementFormDefault="qualified" targetNamespace="${NS.gdp}" xmlns:tns="${NS.gdp}" xmlns:hl7="${NS.hl7}">` +
      importSchema(address, NS.hl7, 'hl7v3.xsd') +
      `<xsd:element name="PRPA_IN201311UV02_Response" type="tns:PRPA_IN201311UV02_ResponseType"/>` +
      `<xsd:element name="PRPA_IN201314UV02_Response" type="tns:PRPA_IN201314UV02_ResponseType"/>` +
      `<xsd:complexType name="PRPA_IN201311UV02_ResponseType"><xsd:sequence><xsd:choice><xsd:element ref="hl7:PRPA_IN201312UV02"/><xsd:element ref="hl7:PRPA_IN201313UV02"/></xsd:choice></xsd:sequence></xsd:complexType>` +
      `<xsd:complexType name="PRPA_IN201314UV02_ResponseType"><xsd:sequence><xsd:choice><xsd:element ref="hl7:PRPA_IN201315UV02"/><xsd:element ref="hl7:PRPA_IN201316UV02"/></xsd:choice></xsd:sequence></xsd:complexType>` +
      `</xsd:schema>`,
    portType: 'GDP_PortType',
    binding: 'GDP_Binding_Soap12',
    port: 'GDP_Binding_Soap12',
    operations: [
      op('PatientRevise_PRPA_IN201314UV02', 'PRPA_IN201314UV02_Message', 'hl7:PRPA_IN201314UV02', ACTIONS.td13b, 'PRPA_IN201314UV02_Response_Message', 'tns:PRPA_IN201314UV02_Response', ACTIONS.td13bResponse),
      op('PatientAdd_PRPA_IN201311UV02', 'PRPA_IN201311UV02_Message', 'hl7:PRPA_IN201311UV02', ACTIONS.td11, 'PRPA_IN201311UV02_Response_Message', 'tns:PRPA_IN201311UV02_Response', ACTIONS.td11Response),
      op('PatientGetDemographics_PRPA_IN201307UV02', 'PRPA_IN201307UV02_Message', 'hl7:PRPA_IN201307UV02', ACTIONS.td02, 'PRPA_IN201308UV02_Message', 'hl7:PRPA_IN201308UV02', ACTIONS.td02Response),
    ],
  },
  patientsPDQ: {
    name: 'PDQSupplier',
    tns: 'urn:ihe:iti:pdqv3:2007',
    xmlns: { hl7: NS.hl7 },
    documentation: 'DMP — PDQv3 patient demographics supplier (TD0.5, centre de régulation). segur-sim.',
    types: (address) => `<xsd:schema elementFormDefault="qualified" targetNamespace="urn:ihe:iti:pdqv3:2007">${importSchema(address, NS.hl7, 'hl7v3.xsd')}</xsd:schema>`,
    portType: 'PDQSupplier_PortType',
    binding: 'PDQSupplier_Binding_Soap12',
    port: 'PDQSupplier_Port_Soap12',
    operations: [op('findCandidatesQuery', 'PRPA_IN201305UV02_Message', 'hl7:PRPA_IN201305UV02', ACTIONS.td05, 'PRPA_IN201306UV02_Message', 'hl7:PRPA_IN201306UV02', ACTIONS.td05Response)],
  },
  patientsSpecific: {
    name: 'PatientSpecificEndPointImplService',
    tns: NS.patients,
    xmlns: {},
    documentation: 'DMP — liste des DMP autorisés (TD0.4). segur-sim.',
    types: () => PATIENTS_SPECIFIC_SCHEMA,
    portType: 'PatientSpecificEndPoint',
    binding: 'PatientSpecificEndPointImplServiceSoapBinding',
    port: 'PatientSpecificEndPointImplPort',
    operations: [op('patientList', 'patientList', 'tns:patientList', ACTIONS.patientList, 'patientListResponse', 'tns:patientListResponse', ACTIONS.patientListResponse)],
  },
  habilitations: {
    name: 'HabilitationsEndPointImplService',
    tns: NS.habilitations,
    xmlns: {},
    documentation: 'DMP — autorisations (TD0.3 setAuthorization, TD1.6 listAuthorizationByPatient). segur-sim.',
    types: () => HABILITATIONS_SCHEMA,
    portType: 'HabilitationsEndPoint',
    binding: 'HabilitationsEndPointImplServiceSoapBinding',
    port: 'HabilitationsEndPointImplPort',
    operations: [
      op('listAuthorizationByPatient', 'listAuthorizationByPatient', 'tns:listAuthorizationByPatient', ACTIONS.listAuthorizationByPatient, 'listAuthorizationByPatientResponse', 'tns:listAuthorizationByPatientResponse', ACTIONS.listAuthorizationByPatientResponse),
      op('setAuthorization', 'setAuthorization', 'tns:setAuthorization', ACTIONS.setAuthorization, 'setAuthorizationResponse', 'tns:setAuthorizationResponse', ACTIONS.setAuthorizationResponse),
    ],
  },
  registry: {
    name: 'DocumentRegistry',
    tns: NS.xdsb,
    xmlns: { query: NS.query, rs: NS.rs, lcm: NS.lcm },
    documentation: 'DMP — IHE XDS.b Document Registry (TD3.1 ITI-18, TD3.3 ITI-57). segur-sim.',
    types: (address) =>
      `<xsd:schema elementFormDefault="qualified" targetNamespace="${NS.xdsb}">` +
      importSchema(address, NS.query, 'query.xsd') +
      importSchema(address, NS.rs, 'rs.xsd') +
      importSchema(address, NS.lcm, 'lcm.xsd') +
      `</xsd:schema>`,
    portType: 'DocumentRegistry_PortType',
    binding: 'DocumentRegistry_Binding_Soap12',
    port: 'DocumentRegistry_Port_Soap12',
    operations: [
      op('DocumentRegistry_UpdateDocumentSet', 'UpdateDocumentSet_Message', 'lcm:SubmitObjectsRequest', ACTIONS.iti57, 'UpdateDocumentSet-Response_Message', 'rs:RegistryResponse', ACTIONS.iti57Response),
      op('DocumentRegistry_RegistryStoredQuery', 'RegistryStoredQuery_Message', 'query:AdhocQueryRequest', ACTIONS.iti18, 'RegistryStoredQueryResponse_Message', 'query:AdhocQueryResponse', ACTIONS.iti18Response),
    ],
  },
  repository: {
    name: 'DocumentRepository',
    tns: NS.xdsb,
    xmlns: { ihe: NS.xdsb, rs: NS.rs },
    documentation: 'DMP — IHE XDS.b Document Repository, MTOM (TD2.1 ITI-41, TD3.2 ITI-43). segur-sim.',
    // One schema block per namespace, each including its schema (as the annex does).
    types: (address) =>
      `<xsd:schema elementFormDefault="qualified" targetNamespace="${NS.xdsb}">${includeSchema(address, 'xds-b.xsd')}</xsd:schema>` +
      `<xsd:schema elementFormDefault="qualified" targetNamespace="${NS.rs}">${includeSchema(address, 'rs.xsd')}</xsd:schema>`,
    portType: 'DocumentRepository_PortType',
    binding: 'DocumentRepository_Binding',
    port: 'DocumentRepository_Port_Soap12',
    operations: [
      op('DocumentRepository_ProvideAndRegisterDocumentSet-b', 'ProvideAndRegisterDocumentSet-b_Message', 'ihe:ProvideAndRegisterDocumentSetRequest', ACTIONS.iti41, 'ProvideAndRegisterDocumentSet-bResponse_Message', 'rs:RegistryResponse', ACTIONS.iti41Response),
      op('DocumentRepository_RetrieveDocumentSet', 'RetrieveDocumentSet_Message', 'ihe:RetrieveDocumentSetRequest', ACTIONS.iti43, 'RetrieveDocumentSetResponse_Message', 'ihe:RetrieveDocumentSetResponse', ACTIONS.iti43Response),
    ],
  },
};

/** The WSDL of one service with its endpoint address. */
export function wsdlFor(endpoint: DmpEndpoint, address: string): string | undefined {
  const s = SERVICES[endpoint];
  if (!s) return undefined;
  const xmlns = Object.entries({ tns: s.tns, ...s.xmlns })
    .map(([p, ns]) => ` xmlns:${p}="${ns}"`)
    .join('');
  const messages = s.operations
    .flatMap((o) => [o.input, o.output])
    .map((m) => `<wsdl:message name="${m.message}"><wsdl:part name="parameters" element="${m.element}"/></wsdl:message>`)
    .join('');
  const portOps = s.operations
    .map((o) => `<wsdl:operation name="${o.name}"><wsdl:input message="tns:${o.input.message}" wsaw:Action="${o.input.action}"/><wsdl:output message="tns:${o.output.message}" wsaw:Action="${o.output.action}"/></wsdl:operation>`)
    .join('');
  const bindingOps = s.operations
    .map((o) => `<wsdl:operation name="${o.name}"><soap12:operation soapAction="${o.input.action}" style="document"/><wsdl:input><soap12:body use="literal"/></wsdl:input><wsdl:output><soap12:body use="literal"/></wsdl:output></wsdl:operation>`)
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<wsdl:definitions name="${s.name}" targetNamespace="${s.tns}" xmlns:wsdl="${WSDL}" xmlns:soap12="${SOAP12}" xmlns:wsaw="${WSAW}" xmlns:xsd="${XSD}"${xmlns}>` +
    `<wsdl:documentation>${escapeXml(s.documentation)}</wsdl:documentation>` +
    `<wsdl:types>${s.types(address)}</wsdl:types>` +
    messages +
    `<wsdl:portType name="${s.portType}">${portOps}</wsdl:portType>` +
    `<wsdl:binding name="${s.binding}" type="tns:${s.portType}"><soap12:binding style="document" transport="${HTTP}"/><wsaw:UsingAddressing required="true"/>${bindingOps}</wsdl:binding>` +
    `<wsdl:service name="${s.name}Service"><wsdl:port name="${s.port}" binding="tns:${s.binding}"><soap12:address location="${escapeXml(address)}"/></wsdl:port></wsdl:service>` +
    `</wsdl:definitions>`
  );
}

/** A schema imported by the WSDLs, by the name used in `?xsd=<name>`. */
export function xsdFor(name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(SCHEMAS, name) ? SCHEMAS[name] : undefined;
}

/** Names of every schema we serve (tests, README). */
export const SCHEMA_NAMES = Object.keys(SCHEMAS);
