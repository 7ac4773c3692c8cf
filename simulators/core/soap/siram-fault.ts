/**
 * SOAP 1.2 faults of the CNAM teleservices (TLSi transport: INSi, ePrescription): a `siram_NNN` subcode and a
 * `siram:Erreur code="…" severite="…" messageID="…"` detail, in the two byte shapes captured live on INSi
 * (insi.md §4). Each simulator keeps its own catalogue of codes and texts; this module only builds the bytes.
 */
import type { ProtocolError } from '../service.js';

const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const SIRAM_NS = 'urn:siram';
const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

/** `soap`: the desir_550/desir_1020 capture style; `S`: the insi_102 capture style. */
export type SiramFaultStyle = 'soap' | 'S';

export interface SiramFaultSpec {
  /** HTTP status (live faults are 500). */
  status: number;
  /** SOAP Code/Value local name. */
  side: 'Sender' | 'Receiver' | 'VersionMismatch';
  /** siram subcode, e.g. `siram_100` (empty: no Subcode, as for VersionMismatch). */
  subcode: string;
  /** Detail code, e.g. `desir_550`. */
  code: string;
  severite: string;
  reason: string;
  detail: string;
  style: SiramFaultStyle;
  lang: 'fr' | 'en';
}

/** Text content escaping as the live service writes it: apostrophes stay raw (`L'accès`). */
function escText(text: string): string {
  return text.replace(/[<>&]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : '&amp;'));
}

function escAttr(text: string): string {
  return text.replace(/[<>&"]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '&' ? '&amp;' : '&quot;'));
}

/** The fault envelope, exactly in the captured shapes. */
export function siramFaultXml(spec: SiramFaultSpec, messageId?: string): string {
  const p = spec.style;
  const msg = messageId ? ` messageID="${escAttr(messageId)}"` : '';
  const subcode = spec.subcode ? `<${p}:Subcode><${p}:Value>${p}:${escText(spec.subcode)}</${p}:Value></${p}:Subcode>` : '';
  const code = `<${p}:Code><${p}:Value>${p}:${spec.side}</${p}:Value>${subcode}</${p}:Code>`;
  const reason = `<${p}:Reason><${p}:Text xml:lang="${spec.lang}">${escText(spec.reason)}</${p}:Text></${p}:Reason>`;
  if (p === 'S') {
    const erreur = `<siram:Erreur xmlns:siram="${SIRAM_NS}" code="${escAttr(spec.code)}" severite="${escAttr(spec.severite)}"${msg}>${escText(spec.detail)}</siram:Erreur>`;
    return `<?xml version="1.0" encoding="UTF-8"?>\n<S:Envelope xmlns:S="${SOAP12_NS}"><S:Body><S:Fault xmlns:ns4="${SOAP11_NS}">${code}${reason}<S:Detail>${erreur}</S:Detail></S:Fault></S:Body></S:Envelope>`;
  }
  const erreur = `<siram:Erreur code="${escAttr(spec.code)}"${msg} severite="${escAttr(spec.severite)}" xmlns:siram="${SIRAM_NS}">${escText(spec.detail)}</siram:Erreur>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP12_NS}"><env:Body xmlns:env="${SOAP12_NS}"><soap:Fault>${code}${reason}<soap:Detail>${erreur}</soap:Detail></soap:Fault></env:Body></soap:Envelope>`;
}

export function siramFaultResponse(spec: SiramFaultSpec, messageId?: string): Response {
  return new Response(siramFaultXml(spec, messageId), { status: spec.status, headers: { 'content-type': SOAP12_CONTENT_TYPE } });
}

/**
 * A host error or a scenario `soap-fault` effect as a catalogued fault. A scenario effect gives `detail` = the
 * detail code (desir_…) and `code` = the siram subcode; a known detail code takes the catalogue's texts,
 * severity and style unless the scenario wrote its own reason/detail text. Host errors (unknown scenario, body
 * too large, simulator error) keep their code as subcode and detail code.
 */
export function siramSpecFromProtocolError(error: ProtocolError, catalogue: Readonly<Record<string, SiramFaultSpec>>): SiramFaultSpec {
  const has = (code: string | undefined): code is string => code !== undefined && Object.prototype.hasOwnProperty.call(catalogue, code);
  const detailCode = error.detail ?? error.code;
  const known = has(detailCode) ? catalogue[detailCode] : has(error.code) ? catalogue[error.code] : undefined;
  const generic = error.message.startsWith('simulated fault ');
  if (known) {
    return {
      ...known,
      status: error.status,
      subcode: error.detail ? error.code : known.subcode,
      reason: generic ? known.reason : error.message,
      detail: error.detailText ?? known.detail,
    };
  }
  return {
    status: error.status,
    side: error.status < 500 ? 'Sender' : 'Receiver',
    subcode: error.code,
    code: detailCode,
    severite: error.status >= 500 ? 'fatale' : 'erreur',
    reason: error.message,
    detail: error.detailText ?? error.message,
    style: 'soap',
    lang: 'fr',
  };
}
