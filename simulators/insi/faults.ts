/**
 * INSi SOAP 1.2 faults with the `siram:Erreur` detail (insi.md §4). The captured ones are reproduced byte for
 * byte in their two observed styles; the others are assumptions (see README "Error catalogue").
 */
import type { ProtocolError } from '../core/service.js';
import { siramFaultResponse, siramFaultXml, siramSpecFromProtocolError, type SiramFaultSpec, type SiramFaultStyle } from '../core/soap/siram-fault.js';

// The envelope builder is shared with ePrescription (simulators/core/soap/siram-fault.ts); INSi keeps its catalogue.
export type FaultStyle = SiramFaultStyle;
export type FaultSpec = SiramFaultSpec;

const SIRAM_40_REASON =
  'Le service est temporairement inaccessible. Veuillez renouveler votre demande ultérieurement. Si le problème persiste, contactez l\'éditeur du progiciel ou votre responsable informatique.';
const SIRAM_100_REASON =
  'L\'accès par ce progiciel au service n\'est pas autorisé. Contactez l\'éditeur du progiciel ou votre responsable informatique.';
const RIGHTS_TEXT = 'Vous ne disposez pas des droits suffisants pour accéder à ce service';

const base = { status: 500, style: 'soap' as FaultStyle, lang: 'fr' as const };

/** Every fault the simulator emits, keyed by detail code. `[C]` captured live, `[I]` assumed. */
export const FAULTS = {
  /** [C] unknown IDAM. */
  desir_550: { ...base, side: 'Sender', subcode: 'siram_100', code: 'desir_550', severite: 'erreur', reason: SIRAM_100_REASON, detail: 'Numéro d\'autorisation du logiciel inconnu.' },
  /** [C] back end unavailable. */
  desir_1020: { ...base, side: 'Sender', subcode: 'siram_40', code: 'desir_1020', severite: 'fatale', reason: SIRAM_40_REASON, detail: 'Le service appelé est temporairement indisponible' },
  /** [C] technical error of the trait search back end (second captured style, severite "fatal", lang "en"). */
  insi_102: { ...base, side: 'Receiver', subcode: 'siram_40', code: 'insi_102', severite: 'fatal', reason: SIRAM_40_REASON, detail: 'L\'appel au service de recherche avec les traits d\'identité renvoie une erreur technique.', style: 'S', lang: 'en' },
  /** [C* code and text; I subcode, side] certificate CN other than INSI-AUTO / INSI-MANU. */
  DESIR_560: { ...base, side: 'Sender', subcode: 'siram_100', code: 'DESIR_560', severite: 'erreur', reason: RIGHTS_TEXT, detail: RIGHTS_TEXT },
  /** [I] no credential at all: neither a verified client certificate nor an assertion PS. */
  desir_520: { ...base, side: 'Sender', subcode: 'siram_20', code: 'desir_520', severite: 'erreur', reason: 'Authentification requise : présentez un certificat logiciel INSI-AUTO/INSI-MANU ou une assertion PS.', detail: 'Aucune authentification (certificat client ou assertion PS) n\'a été fournie.' },
  /** [I] assertion PS present but not a usable SAML 2.0 assertion. */
  desir_521: { ...base, side: 'Sender', subcode: 'siram_20', code: 'desir_521', severite: 'erreur', reason: 'L\'assertion d\'authentification est invalide.', detail: 'Assertion PS invalide.' },
  /** [I] assertion PS past its Conditions/@NotOnOrAfter. */
  desir_522: { ...base, side: 'Sender', subcode: 'siram_20', code: 'desir_522', severite: 'erreur', reason: 'L\'assertion d\'authentification est expirée.', detail: 'Assertion PS expirée.' },
  /** [I] RECVITALE without a (valid) Vitale assertion. */
  insi_301: { ...base, side: 'Sender', subcode: 'siram_30', code: 'insi_301', severite: 'erreur', reason: 'L\'assertion carte Vitale est absente ou invalide.', detail: 'Assertion carte Vitale absente ou invalide.' },
  /** [I] Vitale assertion older than 20 minutes (CNDA 1.02). */
  insi_302: { ...base, side: 'Sender', subcode: 'siram_30', code: 'insi_302', severite: 'erreur', reason: 'L\'assertion carte Vitale est périmée. Relisez la carte Vitale.', detail: 'Assertion carte Vitale périmée.' },
  /** [I] the card in the assertion is not the card of the request (CNDA 1.03). */
  insi_303: { ...base, side: 'Sender', subcode: 'siram_30', code: 'insi_303', severite: 'erreur', reason: 'La carte Vitale a changé entre la lecture et la requête.', detail: 'Le NIR ouvrant droit de l\'assertion carte Vitale ne correspond pas à la requête.' },
  /** [I] missing or unusable ContexteLPS. */
  insi_401: { ...base, side: 'Sender', subcode: 'siram_10', code: 'insi_401', severite: 'erreur', reason: 'Le contexte LPS est absent ou invalide.', detail: 'En-tête ContexteLPS absent ou invalide.' },
  /** [I] body not conforming (missing mandatory trait, bad format) in strict mode. */
  insi_400: { ...base, side: 'Sender', subcode: 'siram_10', code: 'insi_400', severite: 'erreur', reason: 'La requête n\'est pas conforme.', detail: 'Requête non conforme.' },
} satisfies Record<string, FaultSpec>;

export type FaultCode = keyof typeof FAULTS;

/** Bad input (malformed XML, not SOAP, DOCTYPE...): a Sender fault with a clear reason (subcode siram_10 [I]). */
export function badRequestFault(reason: string, status = 400, side: FaultSpec['side'] = 'Sender'): FaultSpec {
  return { status, side, subcode: side === 'VersionMismatch' ? '' : 'siram_10', code: 'insi_400', severite: 'erreur', reason, detail: reason, style: 'soap', lang: 'fr' };
}

/** The fault envelope, exactly in the captured shapes (§4). */
export const faultXml = siramFaultXml;

export const faultResponse = siramFaultResponse;

/**
 * A host error or a scenario `soap-fault` effect as an INSi fault. A scenario effect gives `detail` = the
 * desir/insi code and `code` = the siram subcode; a known detail code takes the captured texts, severity and
 * style unless the scenario wrote its own reason/detail text. Host errors (unknown scenario, body too large,
 * simulator error) keep their code as subcode and detail code.
 */
export function specFromProtocolError(error: ProtocolError): FaultSpec {
  return siramSpecFromProtocolError(error, FAULTS);
}

/** `renderError` of the INSi service. */
export function insiFault(error: ProtocolError, messageId?: string): Response {
  return faultResponse(specFromProtocolError(error), messageId);
}
