import { escapeXml } from '../xml/escape.js';
import type { ProtocolError } from '../service.js';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

/**
 * A generic SOAP 1.2 fault: `Sender` for 4xx-like errors, `Receiver` otherwise, the protocol code as
 * subcode. Simulators with their own fault dialect (INSi's siram:Erreur) render their own instead.
 */
export function soap12Fault(error: ProtocolError): Response {
  const side = error.status < 500 ? 'soap:Sender' : 'soap:Receiver';
  const detail = error.detail || error.detailText
    ? `<soap:Detail><detail code="${escapeXml(error.detail ?? error.code)}">${escapeXml(error.detailText ?? error.message)}</detail></soap:Detail>`
    : '';
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP12_NS}"><soap:Body><soap:Fault>` +
    `<soap:Code><soap:Value>${side}</soap:Value><soap:Subcode><soap:Value>${escapeXml(error.code)}</soap:Value></soap:Subcode></soap:Code>` +
    `<soap:Reason><soap:Text xml:lang="fr">${escapeXml(error.message)}</soap:Text></soap:Reason>${detail}` +
    `</soap:Fault></soap:Body></soap:Envelope>`;
  return new Response(xml, { status: error.status, headers: { 'content-type': SOAP12_CONTENT_TYPE } });
}
