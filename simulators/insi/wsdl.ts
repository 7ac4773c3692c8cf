/**
 * segur-sim's own WSDL and schemas for the INSi service, written from the facts of insi.md §2–§4 (not a
 * copy of the CNAM files). Self-contained: every schema it imports is served by the simulator at
 * `GET /lps?xsd=<name>`, and nothing is imported from w3.org (the WS-Addressing and WS-Security headers
 * get minimal local schemas of their own namespaces).
 */
import { tlsiWsdl } from '../core/soap/tlsi-wsdl.js';
import { ACTIONS, NS } from './constants.js';

const XS = 'http://www.w3.org/2001/XMLSchema';

const schema = (tns: string, body: string, extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<xs:schema xmlns:xs="${XS}" xmlns:tns="${tns}" targetNamespace="${tns}" elementFormDefault="qualified" attributeFormDefault="unqualified"${extra}>\n${body}\n</xs:schema>\n`;

const str = (name: string, min = 0, max = '1') => `<xs:element name="${name}" type="xs:string" minOccurs="${min}" maxOccurs="${max}"/>`;

/** Schemas served at `?xsd=<name>`, keyed by name. */
export const XSDS: Record<string, { ns: string; text: string }> = {
  RECSANS: {
    ns: NS.recSans,
    text: schema(
      NS.recSans,
      `<xs:simpleType name="DateLunaire"><xs:restriction base="xs:string"><xs:pattern value="\\d{4}-\\d{2}-\\d{2}"/></xs:restriction></xs:simpleType>
<xs:complexType name="TraitsDIdentite"><xs:sequence>
${str('NomNaissance')}
${str('Prenom', 0, 'unbounded')}
${str('Sexe')}
<xs:element name="DateNaissance" type="tns:DateLunaire" minOccurs="0"/>
${str('LieuNaissance')}
</xs:sequence></xs:complexType>
<xs:element name="RECSANSVITALE" type="tns:TraitsDIdentite"/>`,
    ),
  },
  RECVITALE: {
    ns: NS.recVit,
    text: schema(
      NS.recVit,
      `<xs:simpleType name="DateLunaire"><xs:restriction base="xs:string"><xs:pattern value="\\d{4}-\\d{2}-\\d{2}"/></xs:restriction></xs:simpleType>
<xs:complexType name="Matricule"><xs:sequence>${str('NumIdentifiant')}${str('Cle')}${str('TypeMatricule')}</xs:sequence></xs:complexType>
<xs:complexType name="Beneficiaire"><xs:sequence>
<xs:element name="MatriculeIndividu" type="tns:Matricule" minOccurs="0"/>
<xs:element name="MatriculeOD" type="tns:Matricule" minOccurs="0"/>
${str('NomNaissance')}
<xs:element name="DateNaissance" type="tns:DateLunaire" minOccurs="0"/>
<xs:element name="RangNaissance" type="xs:integer" minOccurs="0"/>
</xs:sequence></xs:complexType>
<xs:element name="RECVITALE" type="tns:Beneficiaire"/>`,
    ),
  },
  RESULTAT: {
    ns: NS.resultat,
    text: schema(
      NS.resultat,
      `<xs:complexType name="CompteRendu"><xs:sequence>${str('CodeCR', 1)}${str('LibelleCR', 1)}</xs:sequence></xs:complexType>
<xs:complexType name="Matricule"><xs:sequence>
<xs:element name="NumIdentifiant" minOccurs="1"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="\\d{6}[A-Za-z0-9]\\d{6}"/></xs:restriction></xs:simpleType></xs:element>
<xs:element name="Cle" minOccurs="0"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]{2}"/></xs:restriction></xs:simpleType></xs:element>
${str('TypeMatricule')}
</xs:sequence></xs:complexType>
<xs:complexType name="IdentifiantNationalSante"><xs:sequence>
<xs:element name="IdIndividu" type="tns:Matricule"/>
${str('OID', 1)}
<xs:element name="DateDeb" type="xs:date" minOccurs="0"/>
<xs:element name="DateFin" type="xs:date" minOccurs="0"/>
</xs:sequence></xs:complexType>
<xs:complexType name="TraitsIdentiteQualifies"><xs:sequence>
${str('NomNaissance')}${str('Prenom')}${str('ListePrenom')}${str('Sexe')}${str('DateNaissance')}${str('LieuNaissance')}
</xs:sequence></xs:complexType>
<xs:complexType name="Individu"><xs:sequence>
<xs:element name="INSACTIF" type="tns:IdentifiantNationalSante"/>
<xs:element name="INSHISTO" type="tns:IdentifiantNationalSante" minOccurs="0" maxOccurs="unbounded"/>
<xs:element name="TIQ" type="tns:TraitsIdentiteQualifies"/>
</xs:sequence></xs:complexType>
<xs:complexType name="Resultat"><xs:sequence>
<xs:element name="CR" type="tns:CompteRendu"/>
<xs:element name="INDIVIDU" type="tns:Individu" minOccurs="0"/>
</xs:sequence></xs:complexType>
<xs:element name="RESULTAT" type="tns:Resultat"/>`,
    ),
  },
  CTXLPS: {
    ns: NS.ctxlps,
    text: schema(
      NS.ctxlps,
      `<xs:complexType name="Identifiant"><xs:simpleContent><xs:extension base="xs:string"><xs:attribute name="R" type="xs:string" use="optional"/></xs:extension></xs:simpleContent></xs:complexType>
<xs:complexType name="LPS"><xs:sequence>
<xs:element name="IDAM" type="tns:Identifiant"/>${str('Version', 1)}${str('Instance', 1)}${str('Nom')}
</xs:sequence></xs:complexType>
<xs:complexType name="ContexteLPS"><xs:sequence>
${str('Id', 1)}<xs:element name="Temps" type="xs:dateTime"/>${str('Emetteur', 1)}<xs:element name="LPS" type="tns:LPS"/>
</xs:sequence>
<xs:attribute name="Nature" type="xs:string" fixed="CTXLPS" use="optional"/>
<xs:attribute name="Version" type="xs:string" use="required"/>
</xs:complexType>
<xs:element name="ContexteLPS" type="tns:ContexteLPS"/>`,
    ),
  },
  CTXBAM: {
    ns: NS.ctxbam,
    text: schema(
      NS.ctxbam,
      `<xs:complexType name="Num13"><xs:sequence>${str('Num', 1)}${str('Cle')}</xs:sequence></xs:complexType>
<xs:complexType name="Nir"><xs:sequence>${str('Num', 1)}${str('Cle')}<xs:element name="DateCertification" type="xs:date" minOccurs="0"/></xs:sequence></xs:complexType>
<xs:complexType name="Couverture"><xs:sequence>
${str('GrandRegime')}${str('Organisme')}${str('CodeCentre')}
<xs:element name="ASSURE" minOccurs="0"><xs:complexType><xs:sequence><xs:element name="Id" type="tns:Num13"/></xs:sequence></xs:complexType></xs:element>
<xs:element name="BENEFICIAIRE" minOccurs="0"><xs:complexType><xs:sequence>
<xs:element name="Nir" type="tns:Nir" minOccurs="0"/>${str('DateNai')}<xs:element name="Rang" type="xs:integer" minOccurs="0"/>${str('Porteur')}
</xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType>
<xs:complexType name="ContexteBAM"><xs:sequence>
${str('Id', 1)}<xs:element name="Temps" type="xs:dateTime"/>${str('Emetteur', 1)}<xs:element name="DateRef" type="xs:dateTime" minOccurs="0"/>
<xs:element name="COUVERTURE" type="tns:Couverture"/>
</xs:sequence>
<xs:attribute name="Nature" type="xs:string" fixed="CTXBAM" use="optional"/>
<xs:attribute name="Version" type="xs:string" use="required"/>
</xs:complexType>
<xs:element name="ContexteBAM" type="tns:ContexteBAM"/>`,
    ),
  },
  WSSE: {
    ns: NS.wsse,
    text: schema(
      NS.wsse,
      `<xs:complexType name="SecurityHeaderType"><xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded" namespace="##any"/></xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType>
<xs:element name="Security" type="tns:SecurityHeaderType"/>`,
    ),
  },
  WSA: {
    ns: NS.wsa,
    text: schema(
      NS.wsa,
      `<!-- Minimal local schema of the two WS-Addressing headers INSi clients send (no import from w3.org). -->
<xs:complexType name="AttributedURIType"><xs:simpleContent><xs:extension base="xs:anyURI"><xs:anyAttribute processContents="lax"/></xs:extension></xs:simpleContent></xs:complexType>
<xs:element name="MessageID" type="tns:AttributedURIType"/>
<xs:element name="Action" type="tns:AttributedURIType"/>`,
    ),
  },
  SIRAM: {
    ns: NS.siram,
    text: schema(
      NS.siram,
      `<xs:simpleType name="Severite"><xs:restriction base="xs:string">
<xs:enumeration value="information"/><xs:enumeration value="avertissement"/><xs:enumeration value="erreur"/><xs:enumeration value="fatale"/>
</xs:restriction></xs:simpleType>
<xs:complexType name="Erreur"><xs:simpleContent><xs:extension base="xs:string">
<xs:attribute name="code" type="xs:string" use="required"/>
<xs:attribute name="severite" type="tns:Severite" use="required"/>
<xs:attribute name="messageID" type="xs:string" use="optional"/>
</xs:extension></xs:simpleContent></xs:complexType>
<xs:element name="Erreur" type="tns:Erreur"/>`,
    ),
  },
};

const OPS = [
  { name: 'rechercherInsAvecTraitsIdentite', input: 'RECSANSVITALE', prefix: 'recsans' },
  { name: 'rechercherInsAvecCarteVitale', input: 'RECVITALE', prefix: 'recvit' },
] as const;

/**
 * The WSDL, with `soap12:address` = `endpoint` (the URL the request came in on, `/lps`) and schema
 * locations next to it.
 */
export function wsdlXml(endpoint: string): string {
  return tlsiWsdl({
    service: 'ServiceIdentiteCertifiee',
    targetNamespace: 'urn:ServiceIdentiteCertifiee:1.0.0',
    comment: 'segur-sim INSi simulator: ServiceIdentiteCertifiee v1 (SOAP 1.2, document/literal). Written by segur-sim from public facts; not the CNAM file.',
    namespaces: { recsans: NS.recSans, recvit: NS.recVit, res: NS.resultat, ctxlps: NS.ctxlps, ctxbam: NS.ctxbam, wsse: NS.wsse, wsa: NS.wsa, siram: NS.siram },
    xsds: XSDS,
    operations: OPS.map((op) => ({ name: op.name, input: `${op.prefix}:${op.input}`, output: 'res:RESULTAT', action: ACTIONS[op.name] })),
    endpoint,
  });
}
