/**
 * SOAP 1.2 envelope of every DMP request (dmp.md §2.1): WS-Addressing headers in the order of the official
 * samples (MessageID, To, ReplyTo, Action), then `wsse:Security` holding the VIHF (no mustUnderstand on
 * Security, as live clients learned), then the body. Responses: the envelope is read namespace-aware;
 * a Fault (SOAP 1.2, or 1.1 as some gateways answer) becomes a DmpSoapFault.
 */
import { randomUUID } from 'node:crypto';
import { DmpProtocolError, DmpSoapFault } from './errors.js';
import { NS, WSA_ANONYMOUS } from './constants.js';
import { child, esc, parseXmlTree, text, XmlSyntaxError, type XmlElement } from './xml.js';

export interface EnvelopeInput {
  action: string;
  /** wsa:To: the service URL. */
  to: string;
  /** Default `urn:uuid:<random>`. */
  messageId?: string;
  /** The VIHF assertion XML (placed inside wsse:Security). */
  vihf?: string;
  /** Serialised body content (one element). */
  body: string;
}

export interface BuiltEnvelope {
  xml: string;
  messageId: string;
  action: string;
}

export function newMessageId(): string {
  return `urn:uuid:${randomUUID()}`;
}

export function buildEnvelope(input: EnvelopeInput): BuiltEnvelope {
  const messageId = input.messageId ?? newMessageId();
  const wsa = `xmlns="${NS.wsa}"`;
  const security = input.vihf ? `<wsse:Security xmlns:wsse="${NS.wsse}">${input.vihf}</wsse:Security>` : '';
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="${NS.soap12}"><soap:Header>` +
    `<MessageID ${wsa}>${esc(messageId)}</MessageID>` +
    `<To ${wsa}>${esc(input.to)}</To>` +
    `<ReplyTo soap:mustUnderstand="true" ${wsa}><Address>${WSA_ANONYMOUS}</Address></ReplyTo>` +
    `<Action soap:mustUnderstand="true" ${wsa}>${esc(input.action)}</Action>` +
    security +
    `</soap:Header><soap:Body>${input.body}</soap:Body></soap:Envelope>`;
  return { xml, messageId, action: input.action };
}

export interface SoapResponse {
  soapVersion: '1.1' | '1.2';
  envelope: XmlElement;
  /** First element of the Body. */
  body: XmlElement;
  action?: string;
  relatesTo?: string;
  messageId?: string;
}

function wsaHeader(header: XmlElement | undefined, name: string): string | undefined {
  return text(header?.children.find((h) => h.name === name && h.ns === NS.wsa));
}

/**
 * Reads a SOAP response. Throws DmpSoapFault for a Fault, DmpProtocolError when the text is not a SOAP
 * envelope with a body element.
 */
export function readSoapResponse(xml: string, httpStatus: number): SoapResponse {
  let root: XmlElement;
  try {
    root = parseXmlTree(xml);
  } catch (err) {
    const why = err instanceof XmlSyntaxError ? err.message : String(err);
    throw new DmpProtocolError(`the DMP answer (HTTP ${httpStatus}) is not XML: ${why}`, httpStatus, xml.slice(0, 2000));
  }
  const soapVersion = root.ns === NS.soap12 ? '1.2' : root.ns === NS.soap11 ? '1.1' : undefined;
  if (root.name !== 'Envelope' || !soapVersion) {
    throw new DmpProtocolError(`the DMP answer (HTTP ${httpStatus}) is {${root.ns}}${root.name}, not a SOAP envelope`, httpStatus, xml.slice(0, 2000));
  }
  const header = child(root, 'Header', root.ns);
  const body = child(root, 'Body', root.ns)?.children[0];
  if (!body) throw new DmpProtocolError(`the DMP answer (HTTP ${httpStatus}) has an empty SOAP Body`, httpStatus, xml.slice(0, 2000));
  const relatesTo = wsaHeader(header, 'RelatesTo');
  if (body.name === 'Fault' && body.ns === root.ns) throw faultOf(body, soapVersion, httpStatus, relatesTo);
  return { soapVersion, envelope: root, body, action: wsaHeader(header, 'Action'), relatesTo, messageId: wsaHeader(header, 'MessageID') };
}

function stripPrefix(qname: string | undefined): string | undefined {
  return qname?.includes(':') ? qname.slice(qname.indexOf(':') + 1) : qname;
}

function faultOf(fault: XmlElement, version: '1.1' | '1.2', httpStatus: number, relatesTo?: string): DmpSoapFault {
  if (version === '1.1') {
    const code = text(child(fault, 'faultcode')) ?? 'Server';
    const reason = text(child(fault, 'faultstring')) ?? '';
    const detail = child(fault, 'detail');
    return new DmpSoapFault({ code: stripPrefix(code)!, reason, detail: detail ? flatText(detail) : undefined, httpStatus, relatesTo });
  }
  const codeEl = child(fault, 'Code');
  const code = stripPrefix(text(child(codeEl, 'Value'))) ?? 'Receiver';
  const subcode = text(child(child(codeEl, 'Subcode'), 'Value'));
  const reasonTexts = child(fault, 'Reason')?.children.filter((c) => c.name === 'Text') ?? [];
  const reason = (reasonTexts.find((t) => /^fr/i.test(t.attrs['xml:lang'] ?? '')) ?? reasonTexts[0])?.text.trim() ?? '';
  const detail = child(fault, 'Detail');
  return new DmpSoapFault({ code, subcode, reason, detail: detail ? flatText(detail) : undefined, httpStatus, relatesTo });
}

function flatText(el: XmlElement): string | undefined {
  const parts: string[] = [];
  const walk = (e: XmlElement) => {
    if (e.text.trim()) parts.push(e.text.trim());
    e.children.forEach(walk);
  };
  walk(el);
  return parts.length ? parts.join(' ') : undefined;
}
