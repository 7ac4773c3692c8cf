/**
 * The schemas our WSDLs import, served at `<service>?xsd=<name>` (see wsdl.ts). Written for segur-sim,
 * compact on purpose:
 *
 * - `hl7v3.xsd`: the ten HL7v3 interactions of the GDP and PDQ services as top-level elements of
 *   `urn:hl7-org:v3` with a LOOSE content model (any element, lax; any attribute). The real WSDL annex
 *   ships the HL7 Normative Edition 2008/2009 schema set (hundreds of KB of datatypes and CMETs); a client
 *   only needs the element names to bind the operations, and segur-sim validates the messages itself.
 * - `xml.xsd`: the `xml:lang` attribute ebRIM uses (so nothing points at www.w3.org).
 * - `rim.xsd`, `rs.xsd`, `query.xsd`, `lcm.xsd`: ebXML RegRep 3.0, the types and elements XDS.b uses
 *   (RegistryObjectList with the Identifiable substitution group, ExtrinsicObject, RegistryPackage,
 *   Classification, ExternalIdentifier, Association, Slot, AdhocQuery, RegistryResponse/RegistryError...).
 * - `xds-b.xsd`: the IHE XDS.b repository messages (ProvideAndRegister, Retrieve request/response).
 *
 * Every nested import uses a relative `?xsd=<name>` location, which resolves against the URL the schema
 * was fetched from (the same service), so the set is self-contained whichever service serves it.
 */

const XS = 'http://www.w3.org/2001/XMLSchema';
const head = (tns: string, extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="${XS}" targetNamespace="${tns}" elementFormDefault="qualified" attributeFormDefault="unqualified"${extra}>`;

const HL7_INTERACTIONS = [
  ['PRPA_IN201305UV02', 'TD0.5 PDQ query (patientsPDQ)'],
  ['PRPA_IN201306UV02', 'TD0.5 PDQ response'],
  ['PRPA_IN201307UV02', 'TD0.2 / TD1.3a patient query (patients)'],
  ['PRPA_IN201308UV02', 'TD0.2 / TD1.3a response'],
  ['PRPA_IN201311UV02', 'TD1.1 add patient (creation)'],
  ['PRPA_IN201312UV02', 'TD1.1 accept'],
  ['PRPA_IN201313UV02', 'TD1.1 reject'],
  ['PRPA_IN201314UV02', 'TD1.3b / TD1.4 / TD1.2 revise patient'],
  ['PRPA_IN201315UV02', 'revise accept'],
  ['PRPA_IN201316UV02', 'revise reject'],
] as const;

const hl7v3 =
  head('urn:hl7-org:v3', ' xmlns:hl7="urn:hl7-org:v3"') +
  `<xs:annotation><xs:documentation>segur-sim: HL7v3 interactions of the DMP, loose content model (see simulators/dmp/README.md).</xs:documentation></xs:annotation>` +
  `<xs:complexType name="LooseInteraction"><xs:sequence><xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>` +
  `<xs:attribute name="ITSVersion" type="xs:string"/><xs:anyAttribute namespace="##any" processContents="lax"/></xs:complexType>` +
  HL7_INTERACTIONS.map(([name, doc]) => `<xs:element name="${name}" type="hl7:LooseInteraction"><xs:annotation><xs:documentation>${doc}</xs:documentation></xs:annotation></xs:element>`).join('') +
  `</xs:schema>`;

const xml =
  `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="${XS}" targetNamespace="http://www.w3.org/XML/1998/namespace">` +
  `<xs:attribute name="lang" type="xs:language"/></xs:schema>`;

const RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0';
const RS = 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0';
const QUERY = 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0';
const LCM = 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0';
const XDSB = 'urn:ihe:iti:xds-b:2007';

const ext = (base: string, body: string, attrs = '') => `<xs:complexContent><xs:extension base="${base}">${body}${attrs}</xs:extension></xs:complexContent>`;
const attr = (name: string, type = 'xs:string', use: 'optional' | 'required' = 'optional') => `<xs:attribute name="${name}" type="${type}"${use === 'required' ? ' use="required"' : ''}/>`;

const rim =
  head(RIM, ` xmlns:rim="${RIM}" xmlns:xml="http://www.w3.org/XML/1998/namespace"`) +
  `<xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="?xsd=xml.xsd"/>` +
  // Strings and slots
  `<xs:complexType name="LocalizedStringType"><xs:attribute ref="xml:lang"/>${attr('charset')}${attr('value', 'xs:string', 'required')}</xs:complexType>` +
  `<xs:element name="LocalizedString" type="rim:LocalizedStringType"/>` +
  `<xs:complexType name="InternationalStringType"><xs:sequence><xs:element ref="rim:LocalizedString" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>` +
  `<xs:element name="InternationalString" type="rim:InternationalStringType"/>` +
  `<xs:element name="Name" type="rim:InternationalStringType"/><xs:element name="Description" type="rim:InternationalStringType"/>` +
  `<xs:element name="Value" type="xs:string"/>` +
  `<xs:complexType name="ValueListType"><xs:sequence><xs:element ref="rim:Value" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>` +
  `<xs:element name="ValueList" type="rim:ValueListType"/>` +
  `<xs:complexType name="SlotType1"><xs:sequence><xs:element ref="rim:ValueList"/></xs:sequence>${attr('name', 'xs:string', 'required')}${attr('slotType')}</xs:complexType>` +
  `<xs:element name="Slot" type="rim:SlotType1"/>` +
  `<xs:complexType name="SlotListType"><xs:sequence><xs:element ref="rim:Slot" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>` +
  `<xs:complexType name="VersionInfoType">${attr('versionName')}${attr('comment')}</xs:complexType>` +
  `<xs:element name="VersionInfo" type="rim:VersionInfoType"/>` +
  // Identifiable / RegistryObject hierarchy
  `<xs:complexType name="IdentifiableType"><xs:sequence><xs:element ref="rim:Slot" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>${attr('id', 'xs:anyURI', 'required')}${attr('home', 'xs:anyURI')}</xs:complexType>` +
  `<xs:element name="Identifiable" type="rim:IdentifiableType" abstract="true"/>` +
  `<xs:complexType name="ObjectRefType">${ext('rim:IdentifiableType', '', attr('createReplica', 'xs:boolean'))}</xs:complexType>` +
  `<xs:element name="ObjectRef" type="rim:ObjectRefType" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="ObjectRefListType"><xs:sequence><xs:element ref="rim:ObjectRef" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>` +
  `<xs:element name="ObjectRefList" type="rim:ObjectRefListType"/>` +
  `<xs:complexType name="RegistryObjectType">${ext(
    'rim:IdentifiableType',
    `<xs:sequence><xs:element ref="rim:Name" minOccurs="0"/><xs:element ref="rim:Description" minOccurs="0"/><xs:element ref="rim:VersionInfo" minOccurs="0"/>` +
      `<xs:element ref="rim:Classification" minOccurs="0" maxOccurs="unbounded"/><xs:element ref="rim:ExternalIdentifier" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>`,
    attr('lid', 'xs:anyURI') + attr('objectType', 'xs:anyURI') + attr('status', 'xs:anyURI'),
  )}</xs:complexType>` +
  `<xs:element name="RegistryObject" type="rim:RegistryObjectType" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="ClassificationType">${ext('rim:RegistryObjectType', '', attr('classificationScheme', 'xs:anyURI') + attr('classifiedObject', 'xs:anyURI') + attr('classificationNode', 'xs:anyURI') + attr('nodeRepresentation'))}</xs:complexType>` +
  `<xs:element name="Classification" type="rim:ClassificationType" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="ExternalIdentifierType">${ext('rim:RegistryObjectType', '', attr('registryObject', 'xs:anyURI') + attr('identificationScheme', 'xs:anyURI', 'required') + attr('value', 'xs:string', 'required'))}</xs:complexType>` +
  `<xs:element name="ExternalIdentifier" type="rim:ExternalIdentifierType" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="AssociationType1">${ext('rim:RegistryObjectType', '', attr('associationType', 'xs:anyURI', 'required') + attr('sourceObject', 'xs:anyURI', 'required') + attr('targetObject', 'xs:anyURI', 'required'))}</xs:complexType>` +
  `<xs:element name="Association" type="rim:AssociationType1" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="ContentVersionInfoType">${attr('versionName')}</xs:complexType>` +
  `<xs:complexType name="ExtrinsicObjectType">${ext(
    'rim:RegistryObjectType',
    `<xs:sequence><xs:element name="ContentVersionInfo" type="rim:ContentVersionInfoType" minOccurs="0"/></xs:sequence>`,
    attr('mimeType') + attr('isOpaque', 'xs:boolean'),
  )}</xs:complexType>` +
  `<xs:element name="ExtrinsicObject" type="rim:ExtrinsicObjectType" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="RegistryObjectListType"><xs:sequence><xs:element ref="rim:Identifiable" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>` +
  `<xs:element name="RegistryObjectList" type="rim:RegistryObjectListType"/>` +
  `<xs:complexType name="RegistryPackageType">${ext('rim:RegistryObjectType', `<xs:sequence><xs:element ref="rim:RegistryObjectList" minOccurs="0"/></xs:sequence>`)}</xs:complexType>` +
  `<xs:element name="RegistryPackage" type="rim:RegistryPackageType" substitutionGroup="rim:Identifiable"/>` +
  `<xs:complexType name="QueryExpressionType" mixed="true"><xs:sequence><xs:any namespace="##other" processContents="lax" minOccurs="0"/></xs:sequence>${attr('queryLanguage', 'xs:anyURI', 'required')}</xs:complexType>` +
  `<xs:element name="QueryExpression" type="rim:QueryExpressionType"/>` +
  `<xs:complexType name="AdhocQueryType">${ext('rim:RegistryObjectType', `<xs:sequence><xs:element ref="rim:QueryExpression" minOccurs="0"/></xs:sequence>`)}</xs:complexType>` +
  `<xs:element name="AdhocQuery" type="rim:AdhocQueryType" substitutionGroup="rim:Identifiable"/>` +
  `</xs:schema>`;

const rs =
  head(RS, ` xmlns:rs="${RS}" xmlns:rim="${RIM}"`) +
  `<xs:import namespace="${RIM}" schemaLocation="?xsd=rim.xsd"/>` +
  `<xs:complexType name="RegistryRequestType"><xs:sequence><xs:element name="RequestSlotList" type="rim:SlotListType" minOccurs="0"/></xs:sequence>${attr('id', 'xs:anyURI')}${attr('comment')}</xs:complexType>` +
  `<xs:element name="RegistryRequest" type="rs:RegistryRequestType"/>` +
  `<xs:element name="RegistryError"><xs:complexType><xs:simpleContent><xs:extension base="xs:string">${attr('codeContext', 'xs:string', 'required')}${attr('errorCode', 'xs:string', 'required')}${attr('severity', 'xs:anyURI')}${attr('location')}</xs:extension></xs:simpleContent></xs:complexType></xs:element>` +
  `<xs:element name="RegistryErrorList"><xs:complexType><xs:sequence><xs:element ref="rs:RegistryError" maxOccurs="unbounded"/></xs:sequence>${attr('highestSeverity', 'xs:anyURI')}</xs:complexType></xs:element>` +
  `<xs:complexType name="RegistryResponseType"><xs:sequence><xs:element name="ResponseSlotList" type="rim:SlotListType" minOccurs="0"/><xs:element ref="rs:RegistryErrorList" minOccurs="0"/></xs:sequence>` +
  `${attr('status', 'xs:anyURI', 'required')}${attr('requestId', 'xs:anyURI')}</xs:complexType>` +
  `<xs:element name="RegistryResponse" type="rs:RegistryResponseType"/>` +
  `</xs:schema>`;

const query =
  head(QUERY, ` xmlns:query="${QUERY}" xmlns:rs="${RS}" xmlns:rim="${RIM}"`) +
  `<xs:import namespace="${RIM}" schemaLocation="?xsd=rim.xsd"/><xs:import namespace="${RS}" schemaLocation="?xsd=rs.xsd"/>` +
  `<xs:complexType name="ResponseOptionType">${attr('returnType')}${attr('returnComposedObjects', 'xs:boolean')}</xs:complexType>` +
  `<xs:element name="ResponseOption" type="query:ResponseOptionType"/>` +
  `<xs:element name="AdhocQueryRequest"><xs:complexType>${ext(
    'rs:RegistryRequestType',
    `<xs:sequence><xs:element ref="query:ResponseOption"/><xs:element ref="rim:AdhocQuery"/></xs:sequence>`,
    attr('federated', 'xs:boolean') + attr('federation', 'xs:anyURI') + attr('startIndex', 'xs:integer') + attr('maxResults', 'xs:integer'),
  )}</xs:complexType></xs:element>` +
  `<xs:element name="AdhocQueryResponse"><xs:complexType>${ext(
    'rs:RegistryResponseType',
    `<xs:sequence><xs:element ref="rim:RegistryObjectList" minOccurs="0"/></xs:sequence>`,
    attr('startIndex', 'xs:integer') + attr('totalResultCount', 'xs:integer'),
  )}</xs:complexType></xs:element>` +
  `</xs:schema>`;

const lcm =
  head(LCM, ` xmlns:lcm="${LCM}" xmlns:rs="${RS}" xmlns:rim="${RIM}"`) +
  `<xs:import namespace="${RIM}" schemaLocation="?xsd=rim.xsd"/><xs:import namespace="${RS}" schemaLocation="?xsd=rs.xsd"/>` +
  `<xs:element name="SubmitObjectsRequest"><xs:complexType>${ext('rs:RegistryRequestType', `<xs:sequence><xs:element ref="rim:RegistryObjectList"/></xs:sequence>`)}</xs:complexType></xs:element>` +
  `<xs:element name="UpdateObjectsRequest"><xs:complexType>${ext('rs:RegistryRequestType', `<xs:sequence><xs:element ref="rim:RegistryObjectList"/></xs:sequence>`)}</xs:complexType></xs:element>` +
  `</xs:schema>`;

const xdsb =
  head(XDSB, ` xmlns:ihe="${XDSB}" xmlns:lcm="${LCM}" xmlns:rs="${RS}"`) +
  `<xs:import namespace="${LCM}" schemaLocation="?xsd=lcm.xsd"/><xs:import namespace="${RS}" schemaLocation="?xsd=rs.xsd"/>` +
  `<xs:complexType name="DocumentType"><xs:simpleContent><xs:extension base="xs:base64Binary">${attr('id', 'xs:anyURI', 'required')}</xs:extension></xs:simpleContent></xs:complexType>` +
  `<xs:complexType name="ProvideAndRegisterDocumentSetRequestType"><xs:sequence><xs:element ref="lcm:SubmitObjectsRequest"/>` +
  `<xs:element name="Document" type="ihe:DocumentType" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType>` +
  `<xs:element name="ProvideAndRegisterDocumentSetRequest" type="ihe:ProvideAndRegisterDocumentSetRequestType"/>` +
  `<xs:complexType name="RetrieveDocumentSetRequestType"><xs:sequence><xs:element name="DocumentRequest" maxOccurs="unbounded"><xs:complexType><xs:sequence>` +
  `<xs:element name="HomeCommunityId" type="xs:anyURI" minOccurs="0"/><xs:element name="RepositoryUniqueId" type="xs:string"/><xs:element name="DocumentUniqueId" type="xs:string"/>` +
  `</xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType>` +
  `<xs:element name="RetrieveDocumentSetRequest" type="ihe:RetrieveDocumentSetRequestType"/>` +
  `<xs:complexType name="RetrieveDocumentSetResponseType"><xs:sequence><xs:element ref="rs:RegistryResponse"/>` +
  `<xs:element name="DocumentResponse" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>` +
  `<xs:element name="HomeCommunityId" type="xs:anyURI" minOccurs="0"/><xs:element name="RepositoryUniqueId" type="xs:string"/><xs:element name="DocumentUniqueId" type="xs:string"/>` +
  `<xs:element name="mimeType" type="xs:string"/><xs:element name="Document" type="xs:base64Binary"/>` +
  `</xs:sequence></xs:complexType></xs:element></xs:sequence></xs:complexType>` +
  `<xs:element name="RetrieveDocumentSetResponse" type="ihe:RetrieveDocumentSetResponseType"/>` +
  `</xs:schema>`;

/** Schemas by the name used in `?xsd=<name>`. */
export const SCHEMAS: Readonly<Record<string, string>> = {
  'hl7v3.xsd': hl7v3,
  'xml.xsd': xml,
  'rim.xsd': rim,
  'rs.xsd': rs,
  'query.xsd': query,
  'lcm.xsd': lcm,
  'xds-b.xsd': xdsb,
};
