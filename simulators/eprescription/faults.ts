/**
 * The ePrescription fault catalogue (README "Faults"), in INSi's `siram:Erreur` shape (the builder is shared:
 * simulators/core/soap/siram-fault.ts). All codes but desir_550 / desir_1020 are segur-sim conventions [I].
 */
import type { ProtocolError } from '../core/service.js';
import { siramFaultResponse, siramSpecFromProtocolError, type SiramFaultSpec } from '../core/soap/siram-fault.js';

export type FaultSpec = SiramFaultSpec;

const SIRAM_40_REASON =
  'Le service est temporairement inaccessible. Veuillez renouveler votre demande ultérieurement. Si le problème persiste, contactez l\'éditeur du progiciel ou votre responsable informatique.';
const SIRAM_100_REASON =
  'L\'accès par ce progiciel au service n\'est pas autorisé. Contactez l\'éditeur du progiciel ou votre responsable informatique.';

const base = { status: 500, side: 'Sender' as const, severite: 'erreur', style: 'soap' as const, lang: 'fr' as const };
const business = (code: string, reason: string) => ({ ...base, subcode: 'siram_80', code, reason, detail: reason });

export const FAULTS = {
  desir_550: { ...base, subcode: 'siram_100', code: 'desir_550', reason: SIRAM_100_REASON, detail: 'Numéro d\'autorisation du logiciel inconnu.' },
  desir_520: { ...base, subcode: 'siram_20', code: 'desir_520', reason: 'Authentification requise : présentez un jeton Pro Santé Connect, une assertion PS (carte CPS) ou un certificat client.', detail: 'Aucune authentification (jeton PSC, assertion PS ou certificat client) n\'a été fournie.' },
  desir_521: { ...base, subcode: 'siram_20', code: 'desir_521', reason: 'L\'authentification est invalide.', detail: 'Assertion PS ou jeton Pro Santé Connect invalide.' },
  desir_522: { ...base, subcode: 'siram_20', code: 'desir_522', reason: 'L\'authentification est expirée.', detail: 'Assertion PS ou jeton Pro Santé Connect expiré.' },
  desir_1020: { ...base, subcode: 'siram_40', code: 'desir_1020', severite: 'fatale', reason: SIRAM_40_REASON, detail: 'Le service appelé est temporairement indisponible' },
  ep_102: { ...base, side: 'Receiver', subcode: 'siram_40', code: 'ep_102', severite: 'fatale', reason: SIRAM_40_REASON, detail: 'Le service ePrescription a rencontré une erreur technique.' },
  ep_400: { ...base, subcode: 'siram_10', code: 'ep_400', reason: 'La requête n\'est pas conforme.', detail: 'Requête non conforme.' },
  ep_401: { ...base, subcode: 'siram_10', code: 'ep_401', reason: 'L\'identifiant de l\'e-prescription est invalide : 18 caractères [0-9A-Z] attendus.', detail: 'Identifiant d\'e-prescription invalide.' },
  ep_402: business('ep_402', 'Une e-prescription avec cet identifiant est déjà enregistrée.'),
  ep_403: { ...base, subcode: 'siram_100', code: 'ep_403', reason: 'Le professionnel authentifié n\'est pas autorisé pour cette opération.', detail: 'Le professionnel authentifié n\'est pas le professionnel agissant ou l\'auteur de l\'e-prescription.' },
  ep_404: business('ep_404', 'Aucune e-prescription ne correspond à cet identifiant.'),
  ep_405: business('ep_405', 'L\'e-prescription est hors de sa période de validité.'),
  ep_406: business('ep_406', 'L\'e-prescription a déjà été entièrement exécutée.'),
  ep_407: business('ep_407', 'L\'e-prescription a été annulée.'),
  ep_408: business('ep_408', 'La profession de l\'exécutant ne permet pas d\'exécuter cette ligne.'),
  ep_409: business('ep_409', 'L\'exécution est refusée.'),
  ep_410: business('ep_410', 'Le patient s\'est opposé à la consultation des données d\'exécution par le prescripteur.'),
  ep_411: business('ep_411', 'L\'annulation est refusée : l\'e-prescription a déjà fait l\'objet d\'une exécution.'),
} satisfies Record<string, FaultSpec>;

export type FaultCode = keyof typeof FAULTS;

/** The catalogued fault with a more precise detail text (the message lists what is wrong). */
export function fault(code: FaultCode, detail?: string): FaultSpec {
  return detail ? { ...FAULTS[code], detail } : FAULTS[code];
}

/** Unreadable input (malformed XML, not SOAP, DOCTYPE, oversize...): ep_400 with the reason, HTTP status given. */
export function badRequestFault(reason: string, status = 400, side: FaultSpec['side'] = 'Sender'): FaultSpec {
  return { ...FAULTS.ep_400, status, side, subcode: side === 'VersionMismatch' ? '' : 'siram_10', reason, detail: reason };
}

export const faultResponse = siramFaultResponse;

/** `renderError` of the service: host errors and scenario `soap-fault` effects in the catalogue's shape. */
export function epFault(error: ProtocolError): Response {
  return siramFaultResponse(siramSpecFromProtocolError(error, FAULTS), error.messageId);
}
