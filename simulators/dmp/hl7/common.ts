/**
 * What every HL7v3 message of the DMP shares (dmp.md §4 "common envelope values"): reading the request's
 * transmission wrapper (id, sender device, creationTime), and writing the response's: id, creationTime,
 * interactionId, processing codes, receiver = the requesting software, sender = the DMP, acknowledgement.
 *
 * Responses are written compactly (no indentation), attributes in the order the official v02.05.00
 * samples show them. Escaping is minimal (`&`, `<`, `>` in text; `&`, `<`, `"` in attributes) so an
 * apostrophe stays an apostrophe, as in the samples.
 */
import { createHash } from 'node:crypto';
import { uuidFromText } from '../../core/random.js';
import { child, type XmlEl } from '../../core/xml/tree.js';
import { DMP_DEVICE_OID, NS } from '../constants.js';
import type { DmpCall } from '../types.js';

/** Text content. */
export function t(s: string | number | undefined): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute value (double-quoted). */
export function a(s: string | number | undefined): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

export const XSI = `xmlns:xsi="${NS.xsi}"`;

/** `<value value="true" xsi:type="BL" xmlns:xsi="…"/>`, as the samples write a BL. */
export function bl(value: boolean): string {
  return `<value value="${value}" xsi:type="BL" ${XSI}/>`;
}

/** UTC `YYYYMMDDhhmmss` (the DMP's date format, readme of the WSDL annex). */
export function hl7Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Parses `YYYYMMDD[hhmm[ss]]` (UTC) to epoch ms; undefined when malformed. */
export function parseHl7Time(s: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?/.exec((s ?? '').trim());
  if (!m) return undefined;
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return Number.isNaN(ms) ? undefined : ms;
}

/** A UUID derived from the request's MessageID and a salt: the same calls give the same bytes. */
export function derivedUuid(call: Pick<DmpCall, 'messageId'>, salt: string): string {
  return uuidFromText(`${call.messageId}|${salt}`);
}

/** The legacy INS-C the DMP still returns beside the INS (22 digits). Synthetic: derived from the INS. */
export function insC(ins: string): string {
  const h = createHash('sha256').update(`ins-c|${ins}`).digest();
  let digits = '';
  for (let i = 0; digits.length < 22; i++) digits += (h[i % h.length]! % 10).toString();
  return `1${digits.slice(1)}`;
}

// ---- reading --------------------------------------------------------------------------------------------------

export interface Ii {
  root?: string;
  extension?: string;
}

export interface Hl7Header {
  /** Local name of the message element (`PRPA_IN201307UV02`...). */
  message: string;
  id?: Ii;
  creationTime?: string;
  interactionId?: string;
  /** Sender device of the request: becomes the receiver of the response. */
  senderId?: string;
  senderName?: string;
  controlActProcess?: XmlEl;
}

export function ii(el: XmlEl | undefined): Ii | undefined {
  return el ? { root: el.attrs.root, extension: el.attrs.extension } : undefined;
}

/** Children by local name in the HL7 namespace (the samples mix prefixed and default-namespace forms). */
export function h(el: XmlEl | undefined, name: string): XmlEl | undefined {
  return child(el, name, NS.hl7);
}

export function hAll(el: XmlEl | undefined, name: string): XmlEl[] {
  return el ? el.children.filter((c) => c.name === name && c.ns === NS.hl7) : [];
}

/** Follows a path of HL7 element names. */
export function hPath(el: XmlEl | undefined, ...names: string[]): XmlEl | undefined {
  let cur = el;
  for (const n of names) cur = h(cur, n);
  return cur;
}

export function readHeader(body: XmlEl): Hl7Header {
  const device = hPath(body, 'sender', 'device');
  return {
    message: body.name,
    id: ii(h(body, 'id')),
    creationTime: h(body, 'creationTime')?.attrs.value,
    interactionId: h(body, 'interactionId')?.attrs.extension,
    senderId: h(device, 'id')?.attrs.root,
    senderName: h(device, 'softwareName')?.text,
    controlActProcess: h(body, 'controlActProcess'),
  };
}

// ---- writing --------------------------------------------------------------------------------------------------

/** Root of the DMP's own message ids in the GDP (update) responses (dmp.md §4). */
export const DMP_MESSAGE_ID_ROOT = `${DMP_DEVICE_OID}.1`;

export interface ResponseHeaderOptions {
  call: DmpCall;
  request: Hl7Header;
  interaction: string;
  /** `uuid`: `<id root="<uuid>"/>` (TD0.2, TD0.5 samples); `dmp`: `<id extension="<uuid>" root="1.2.250.1.213.4.1.1.1.1"/>` (TD1.3b/TD1.4). */
  idStyle: 'uuid' | 'dmp';
}

function device(id: string | undefined, name: string | undefined): string {
  return `<device classCode="DEV" determinerCode="INSTANCE"><id root="${a(id)}"/>${name !== undefined ? `<softwareName>${t(name)}</softwareName>` : ''}</device>`;
}

/** id … sender: the transmission wrapper of a response. */
export function responseHeader(o: ResponseHeaderOptions): string {
  const uuid = derivedUuid(o.call, o.interaction);
  const id = o.idStyle === 'uuid' ? `<id root="${uuid}"/>` : `<id extension="${uuid}" root="${DMP_MESSAGE_ID_ROOT}"/>`;
  return (
    id +
    `<creationTime value="${hl7Time(o.call.now)}"/>` +
    `<interactionId extension="${a(o.interaction)}" root="2.16.840.1.113883.1.6"/>` +
    `<processingCode code="P"/><processingModeCode code="T"/><acceptAckCode code="NE"/>` +
    `<receiver typeCode="RCV">${device(o.request.senderId, o.request.senderName)}</receiver>` +
    `<sender typeCode="SND">${device(DMP_DEVICE_OID, 'DMP')}</sender>`
  );
}

export interface AckDetail {
  code: string;
  text: string;
}

/**
 * `<acknowledgement typeCode="AA">` + targetMessage (the request id), with an acknowledgementDetail on
 * errors. `element` style writes the PDQ form `<acknowledgement><typeCode code="AA"/>…` (TD0.5 sample).
 */
export function acknowledgement(request: Hl7Header, typeCode: 'AA' | 'AE' | 'AR', detail?: AckDetail, style: 'attr' | 'element' = 'attr'): string {
  const target = request.id ? `<targetMessage><id extension="${a(request.id.extension)}" root="${a(request.id.root)}"/></targetMessage>` : '';
  const det = detail ? `<acknowledgementDetail typeCode="E"><code code="${a(detail.code)}"/><text>${t(detail.text)}</text></acknowledgementDetail>` : '';
  return style === 'element'
    ? `<acknowledgement><typeCode code="${typeCode}"/>${target}${det}</acknowledgement>`
    : `<acknowledgement typeCode="${typeCode}">${target}${det}</acknowledgement>`;
}

export const CUSTODIAN = `<custodian typeCode="CST"><assignedEntity classCode="ASSIGNED"><id root="${DMP_DEVICE_OID}"/></assignedEntity></custodian>`;

/** reasonCode of the GDP transactions (system 1.2.250.1.213.1.1.4.11). */
export const REASONS = {
  TEST_EXST: "Test d'existence de dossier",
  CNSLT_DATA: 'Consultation des données de gestion de dossier',
  MODIF_DATA: 'Modification des données de gestion du dossier',
  FERM: 'Fermeture de dossier',
  REAC: 'Réactivation de dossier',
  CREA_RD: 'Création de dossier',
} as const;
export type ReasonCode = keyof typeof REASONS;
export const REASON_SYSTEM = '1.2.250.1.213.1.1.4.11';

export function reasonCode(code: ReasonCode): string {
  return `<reasonCode code="${code}" codeSystem="${REASON_SYSTEM}" displayName="${a(REASONS[code])}"/>`;
}
