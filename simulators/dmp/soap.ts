/**
 * SOAP envelope of the DMP services: SOAP 1.2 (1.1 accepted, as in an MTOM root part), WS-Addressing
 * headers required as the live DMP requires them (dmp.md §2.1), the response envelope with Action,
 * MessageID, To and RelatesTo echoed, and SOAP faults.
 */
import { uuidFromText } from '../core/random.js';
import { child, type XmlEl } from '../core/xml/tree.js';
import { escapeXml } from '../core/xml/escape.js';
import { NS, WSA_ANONYMOUS } from './constants.js';
import { DmpFault } from './types.js';

export interface Envelope {
  soapVersion: '1.1' | '1.2';
  envelope: XmlEl;
  header: XmlEl | undefined;
  body: XmlEl;
  action?: string;
  messageId?: string;
  replyTo?: string;
  to?: string;
  /** `wsse:Security`, where the VIHF assertion is. */
  security?: XmlEl;
}

export const WSA_HEADER_REQUIRED = 'A required header representing a Message Addressing Property is not present';

/** Reads the envelope; throws DmpFault for anything that is not a SOAP envelope with a body element. */
export function readEnvelope(root: XmlEl): Envelope {
  const soapVersion = root.ns === NS.soap12 ? '1.2' : root.ns === NS.soap11 ? '1.1' : undefined;
  if (root.name !== 'Envelope' || !soapVersion) {
    throw new DmpFault(400, 'VersionMismatch', `the document element is {${root.ns}}${root.name}, not a SOAP 1.2 Envelope`);
  }
  const header = child(root, 'Header', root.ns);
  const bodyEl = child(root, 'Body', root.ns);
  const body = bodyEl?.children[0];
  if (!body) throw new DmpFault(400, 'InvalidMessage', 'the SOAP Body is missing or empty');
  const wsa = (name: string) => header?.children.find((h) => h.name === name && h.ns === NS.wsa);
  const replyTo = wsa('ReplyTo');
  return {
    soapVersion,
    envelope: root,
    header,
    body,
    action: wsa('Action')?.text || undefined,
    messageId: wsa('MessageID')?.text || undefined,
    replyTo: replyTo ? (child(replyTo, 'Address', NS.wsa)?.text ?? '') : undefined,
    to: wsa('To')?.text || undefined,
    security: header?.children.find((h) => h.name === 'Security' && h.ns === NS.wsse),
  };
}

/**
 * The live DMP (Apache CXF) refuses a request lacking one of MessageID, ReplyTo (when a reply is expected)
 * or Action with the WS-Addressing fault; `To` is optional.
 */
export function requireAddressing(env: Envelope): { action: string; messageId: string } {
  const missing = [!env.action && 'Action', !env.messageId && 'MessageID', env.replyTo === undefined && 'ReplyTo'].filter(Boolean);
  if (missing.length) {
    throw new DmpFault(400, 'wsa:MessageAddressingHeaderRequired', `${WSA_HEADER_REQUIRED} (missing: wsa:${missing.join(', wsa:')})`);
  }
  return { action: env.action!, messageId: env.messageId! };
}

/** A response MessageID derived from the request's, so the same calls give the same bytes (DESIGN.md §4). */
export function responseMessageId(requestMessageId: string, action: string): string {
  return `urn:uuid:${uuidFromText(`${requestMessageId}|${action}`)}`;
}

/** The whole response envelope, SOAP 1.2, WS-Addressing headers first as CXF writes them. */
export function responseEnvelope(opts: { action: string; relatesTo?: string; body: string; soapVersion?: '1.1' | '1.2' }): string {
  const soapNs = opts.soapVersion === '1.1' ? NS.soap11 : NS.soap12;
  const wsa = `xmlns="${NS.wsa}"`;
  const relates = opts.relatesTo ? `<RelatesTo ${wsa}>${escapeXml(opts.relatesTo)}</RelatesTo>` : '';
  const messageId = responseMessageId(opts.relatesTo ?? opts.body.slice(0, 200), opts.action);
  return (
    `<soap:Envelope xmlns:soap="${soapNs}"><soap:Header>` +
    `<Action ${wsa}>${escapeXml(opts.action)}</Action><MessageID ${wsa}>${messageId}</MessageID>` +
    `<To ${wsa}>${WSA_ANONYMOUS}</To>${relates}</soap:Header><soap:Body>${opts.body}</soap:Body></soap:Envelope>`
  );
}

export const WSA_FAULT_ACTION = 'http://www.w3.org/2005/08/addressing/soap/fault';

/** A SOAP 1.2 fault with the WS-Addressing fault action, RelatesTo echoed when the request had a MessageID. */
export function faultEnvelope(fault: { code: string; message: string; side?: 'Sender' | 'Receiver' }, relatesTo?: string): string {
  const side = fault.side ?? 'Sender';
  const subcode = fault.code;
  const wsaNs = subcode.startsWith('wsa:') ? ` xmlns:wsa="${NS.wsa}"` : '';
  const body =
    `<soap:Fault${wsaNs}><soap:Code><soap:Value>soap:${side}</soap:Value><soap:Subcode><soap:Value>${escapeXml(subcode)}</soap:Value></soap:Subcode></soap:Code>` +
    `<soap:Reason><soap:Text xml:lang="fr">${escapeXml(fault.message)}</soap:Text></soap:Reason></soap:Fault>`;
  return responseEnvelope({ action: WSA_FAULT_ACTION, relatesTo, body });
}
