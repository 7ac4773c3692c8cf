/**
 * segur-sim's WSDL and schema of the ePrescription service, written from the README contract (the CNAM's own
 * files are not public). Self-contained: every schema it imports is served at `GET /eprescription?xsd=<name>`;
 * the TLSi header schemas (ContexteLPS, ContexteBAM, WS-Security, WS-Addressing, siram) are INSi's.
 */
import { tlsiWsdl } from '../core/soap/tlsi-wsdl.js';
import { XSDS as INSI_XSDS } from '../insi/wsdl.js';
import { actionOf, EXECUTION_MODES, NS, OPERATIONS, STATUTS } from './constants.js';

const XS = 'http://www.w3.org/2001/XMLSchema';

const opt = (name: string, type = 'xs:string', max = '1') => `<xs:element name="${name}" type="${type}" minOccurs="0" maxOccurs="${max}"/>`;
const req = (name: string, type = 'xs:string', max = '1') => `<xs:element name="${name}" type="${type}" maxOccurs="${max}"/>`;
const seq = (...items: string[]) => `<xs:sequence>${items.join('')}</xs:sequence>`;
const enumType = (name: string, values: readonly string[]) =>
  `<xs:simpleType name="${name}"><xs:restriction base="xs:string">${values.map((v) => `<xs:enumeration value="${v}"/>`).join('')}</xs:restriction></xs:simpleType>`;
const flags = ['Substituable', 'Stupefiant', 'Exception', 'ALD', 'ATMP', 'Domicile', 'Urgent', 'Prevention', 'NonRemboursable', 'HorsAMM'];

const EP_SCHEMA = `<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="${XS}" xmlns:tns="${NS.ep}" targetNamespace="${NS.ep}" elementFormDefault="qualified" attributeFormDefault="unqualified">
<xs:simpleType name="Date"><xs:restriction base="xs:string"><xs:pattern value="\\d{4}-\\d{2}-\\d{2}"/></xs:restriction></xs:simpleType>
<xs:simpleType name="Identifiant"><xs:restriction base="xs:string"><xs:pattern value="[0-9A-Z]{18}"/></xs:restriction></xs:simpleType>
${enumType('Statut', STATUTS)}
${enumType('Mode', EXECUTION_MODES)}
<xs:complexType name="CR">${seq(req('Code'), req('Libelle'))}</xs:complexType>
<xs:complexType name="INS">${seq(req('Matricule'), req('OID'))}</xs:complexType>
<xs:complexType name="Patient">${seq(opt('INS', 'tns:INS'), req('NomNaissance'), opt('NomUtilise'), req('Prenom'), req('DateNaissance', 'tns:Date'), req('Sexe'))}</xs:complexType>
<xs:complexType name="Professionnel">${seq(opt('RPPS'), opt('Nom'), opt('Prenom'), opt('Profession'), opt('Specialite'), opt('NumeroAM'), opt('FINESS'))}</xs:complexType>
<xs:complexType name="Produit">${seq(opt('CIP13'), opt('UCD13'), opt('LPP'), req('Libelle'))}</xs:complexType>
<xs:complexType name="Acte">${seq(req('Code'), req('Libelle'))}</xs:complexType>
<xs:complexType name="Ligne">${seq(opt('Produit', 'tns:Produit'), opt('Acte', 'tns:Acte'), opt('Posologie'), opt('DureeJours', 'xs:int'), req('Quantite', 'xs:int'), opt('DureeLocationJours', 'xs:int'), opt('Renouvellements', 'xs:int'), ...flags.map((f) => opt(f, 'xs:boolean')))}
<xs:attribute name="Numero" type="xs:int" use="required"/><xs:attribute name="Type" type="xs:string" use="required"/></xs:complexType>
<xs:complexType name="EPrescription">${seq(
  opt('Identifiant', 'tns:Identifiant'),
  req('DateRedaction', 'tns:Date'),
  req('DebutValidite', 'tns:Date'),
  opt('FinValidite', 'tns:Date'),
  opt('DateExecutionSouhaitee', 'tns:Date'),
  req('Patient', 'tns:Patient'),
  req('Prescripteur', 'tns:Professionnel'),
  opt('Remplace', 'tns:Professionnel'),
  opt('OppositionConsultationExecution', 'xs:boolean'),
  opt('SousType', 'xs:string', 'unbounded'),
  req('Ligne', 'tns:Ligne', 'unbounded'),
)}</xs:complexType>
<xs:complexType name="LigneExecutee">${seq(req('Mode', 'tns:Mode'), opt('Quantite', 'xs:int'), opt('ProduitDelivre', 'tns:Produit'), opt('Motif'), opt('DateAccordPrescripteur', 'tns:Date'))}
<xs:attribute name="Numero" type="xs:int" use="required"/></xs:complexType>
<xs:complexType name="Execution">${seq(opt('NumeroExecution', 'xs:int'), opt('DateEnregistrement'), opt('Executant', 'tns:Professionnel'), req('DateExecution', 'tns:Date'), req('LigneExecutee', 'tns:LigneExecutee', 'unbounded'))}</xs:complexType>
<xs:complexType name="EtatLigne">${seq(req('QuantiteDelivree', 'xs:int'), req('QuantiteRestante', 'xs:int'))}<xs:attribute name="Numero" type="xs:int" use="required"/></xs:complexType>
<xs:complexType name="Critere">${seq(opt('INS', 'tns:INS'), opt('NomNaissance'), opt('Prenom'), opt('DateNaissance', 'tns:Date'), opt('Identifiant', 'tns:Identifiant'), opt('DateDebut', 'tns:Date'), opt('DateFin', 'tns:Date'), opt('Statut', 'tns:Statut'))}</xs:complexType>
<xs:complexType name="Resultat">${seq(req('Identifiant'), req('DateRedaction'), req('Statut', 'tns:Statut'), req('RPPSPrescripteur'), req('NombreLignes', 'xs:int'))}</xs:complexType>
<xs:element name="ep4_creer"><xs:complexType>${seq(req('EPrescription', 'tns:EPrescription'))}</xs:complexType></xs:element>
<xs:element name="ep4_creerReponse"><xs:complexType>${seq(req('CR', 'tns:CR'), req('Identifiant'), req('DateEnregistrement'))}</xs:complexType></xs:element>
<xs:element name="ep3_consulter"><xs:complexType>${seq(req('Identifiant', 'tns:Identifiant'), opt('Executant', 'tns:Professionnel'), opt('Prescripteur', 'tns:Professionnel'))}</xs:complexType></xs:element>
<xs:element name="ep3_consulterReponse"><xs:complexType>${seq(req('CR', 'tns:CR'), req('EPrescription', 'tns:EPrescription'), req('Statut', 'tns:Statut'), opt('EtatLigne', 'tns:EtatLigne', 'unbounded'), opt('Execution', 'tns:Execution', 'unbounded'))}</xs:complexType></xs:element>
<xs:element name="ep2_rechercher"><xs:complexType>${seq(opt('Executant', 'tns:Professionnel'), opt('Prescripteur', 'tns:Professionnel'), req('Critere', 'tns:Critere'))}</xs:complexType></xs:element>
<xs:element name="ep2_rechercherReponse"><xs:complexType>${seq(req('CR', 'tns:CR'), opt('Resultat', 'tns:Resultat', 'unbounded'))}</xs:complexType></xs:element>
<xs:element name="ep1_transmettreExecution"><xs:complexType>${seq(req('Identifiant', 'tns:Identifiant'), req('Executant', 'tns:Professionnel'), req('Execution', 'tns:Execution'))}</xs:complexType></xs:element>
<xs:element name="ep1_transmettreExecutionReponse"><xs:complexType>${seq(req('CR', 'tns:CR'), req('NumeroExecution', 'xs:int'), req('Statut', 'tns:Statut'))}</xs:complexType></xs:element>
<xs:element name="ep7_annuler"><xs:complexType>${seq(req('Identifiant', 'tns:Identifiant'), req('Prescripteur', 'tns:Professionnel'), opt('Motif'))}</xs:complexType></xs:element>
<xs:element name="ep7_annulerReponse"><xs:complexType>${seq(req('CR', 'tns:CR'), req('Statut', 'tns:Statut'))}</xs:complexType></xs:element>
</xs:schema>
`;

/** Schemas served at `?xsd=<name>`, keyed by name. */
export const XSDS: Record<string, { ns: string; text: string }> = {
  EP: { ns: NS.ep, text: EP_SCHEMA },
  CTXLPS: INSI_XSDS.CTXLPS!,
  CTXBAM: INSI_XSDS.CTXBAM!,
  WSSE: INSI_XSDS.WSSE!,
  WSA: INSI_XSDS.WSA!,
  SIRAM: INSI_XSDS.SIRAM!,
};

const TNS = 'urn:ServiceEPrescription:1.0.0';

/** The WSDL, with `soap12:address` = `endpoint` (the URL the request came in on) and schema locations next to it. */
export function wsdlXml(endpoint: string): string {
  return tlsiWsdl({
    service: 'ServiceEPrescription',
    targetNamespace: TNS,
    comment: "segur-sim ePrescription simulator: ServiceEPrescription v1 (SOAP 1.2, document/literal). A segur-sim convention: the CNAM's WSDL is not public.",
    namespaces: { ep: NS.ep, ctxlps: NS.ctxlps, ctxbam: NS.ctxbam, wsse: NS.wsse, wsa: NS.wsa, siram: NS.siram },
    xsds: XSDS,
    operations: OPERATIONS.map((op) => ({ name: op, input: `ep:${op}`, output: `ep:${op}Reponse`, action: actionOf(op) })),
    endpoint,
  });
}
