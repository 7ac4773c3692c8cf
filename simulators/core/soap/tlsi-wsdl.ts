/**
 * The WSDL of a CNAM teleservice ("TLSi": INSi, ePrescription) as segur-sim serves it: SOAP 1.2
 * document/literal, one body part per message, the TLSi headers (ContexteBAM, ContexteLPS, wsa:MessageID,
 * wsse:Security) bound on every input as the real INSi WSDL declares them, the `siram:Erreur` fault, and
 * every schema imported from `<endpoint>?xsd=<name>` so the file is self-contained.
 */
import { escapeXml } from '../xml/escape.js';

export interface TlsiOperation {
  name: string;
  /** QName (`prefix:element`) of the request and response body elements. */
  input: string;
  output: string;
  action: string;
}

export interface TlsiWsdlInput {
  /** Service name, e.g. `ServiceIdentiteCertifiee` (the WSDL is `<name>-v1`). */
  service: string;
  targetNamespace: string;
  comment: string;
  /** Prefix → namespace of the body elements (the TLSi header prefixes are declared here). */
  namespaces: Record<string, string>;
  /** Schemas served at `?xsd=<name>`, imported by namespace. */
  xsds: Record<string, { ns: string }>;
  operations: readonly TlsiOperation[];
  /** The URL the request came in on: `soap12:address`, and the base of the schema locations. */
  endpoint: string;
}

const HEADERS = ['ContexteBAM', 'ContexteLPS', 'MessageID', 'Security'];

export function tlsiWsdl(w: TlsiWsdlInput): string {
  const loc = (name: string) => escapeXml(`${w.endpoint}?xsd=${name}`);
  const imports = Object.entries(w.xsds)
    .map(([name, x]) => `<xs:import namespace="${x.ns}" schemaLocation="${loc(name)}"/>`)
    .join('\n      ');
  const ns = Object.entries(w.namespaces)
    .map(([prefix, uri]) => `\n    xmlns:${prefix}="${uri}"`)
    .join('');
  const messages = w.operations
    .map(
      (op) =>
        `  <wsdl:message name="${op.name}Request"><wsdl:part name="body" element="${op.input}"/></wsdl:message>\n` +
        `  <wsdl:message name="${op.name}Response"><wsdl:part name="body" element="${op.output}"/></wsdl:message>`,
    )
    .join('\n');
  const portOps = w.operations
    .map(
      (op) =>
        `    <wsdl:operation name="${op.name}">\n` +
        `      <wsdl:input message="tns:${op.name}Request" wsaw:Action="${op.action}"/>\n` +
        `      <wsdl:output message="tns:${op.name}Response" wsaw:Action="${op.action}Response"/>\n` +
        `      <wsdl:fault name="Erreur" message="tns:Erreur"/>\n` +
        `    </wsdl:operation>`,
    )
    .join('\n');
  const headers = HEADERS.map((h) => `          <soap12:header message="tns:Headers" part="NO1_${h}" use="literal"/>`).join('\n');
  const bindingOps = w.operations
    .map(
      (op) =>
        `    <wsdl:operation name="${op.name}">\n` +
        `      <soap12:operation soapAction="${op.action}" style="document"/>\n` +
        `      <wsdl:input>\n          <soap12:body use="literal" parts="body"/>\n${headers}\n      </wsdl:input>\n` +
        `      <wsdl:output><soap12:body use="literal"/></wsdl:output>\n` +
        `      <wsdl:fault name="Erreur"><soap12:fault name="Erreur" use="literal"/></wsdl:fault>\n` +
        `    </wsdl:operation>`,
    )
    .join('\n');
  const s = w.service;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- ${w.comment} -->
<wsdl:definitions name="${s}-v1"
    targetNamespace="${w.targetNamespace}"
    xmlns:tns="${w.targetNamespace}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"${ns}>
  <wsdl:types>
    <xs:schema targetNamespace="${w.targetNamespace}:types" elementFormDefault="qualified">
      ${imports}
    </xs:schema>
  </wsdl:types>
${messages}
  <wsdl:message name="Headers">
    <wsdl:part name="NO1_Security" element="wsse:Security"/>
    <wsdl:part name="NO1_ContexteLPS" element="ctxlps:ContexteLPS"/>
    <wsdl:part name="NO1_MessageID" element="wsa:MessageID"/>
    <wsdl:part name="NO1_ContexteBAM" element="ctxbam:ContexteBAM"/>
  </wsdl:message>
  <wsdl:message name="Erreur"><wsdl:part name="Erreur" element="siram:Erreur"/></wsdl:message>
  <wsdl:portType name="${s}">
${portOps}
  </wsdl:portType>
  <wsdl:binding name="${s}Binding" type="tns:${s}">
    <soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
${bindingOps}
  </wsdl:binding>
  <wsdl:service name="${s}">
    <wsdl:port name="${s}Port" binding="tns:${s}Binding">
      <soap12:address location="${escapeXml(w.endpoint)}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
}
