/**
 * Codec of TD0.3 `setAuthorization` (service `habilitations`, dmp.md §4.4): the patient is the VIHF
 * resource-id; the body carries `action` AJOUT|SUPPRESSION and an optional `role` MEDECIN_TRAITANT.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { NS } from '../constants.js';
import { field, statusXml } from './specific.js';

export interface SetAuthorizationRequest {
  action?: string;
  role?: string;
}

export function readSetAuthorization(body: XmlEl): SetAuthorizationRequest {
  return { action: field(body, 'action')?.trim().toUpperCase(), role: field(body, 'role')?.trim().toUpperCase() || undefined };
}

/** Context texts: the first is the sample's; the others are segur-sim's [I]. */
export const SET_AUTHORIZATION_CONTEXT = {
  alreadyPresent: 'Autorisation déjà présente aucune action effectuée',
  added: 'Autorisation ajoutée',
  renewed: 'Autorisation renouvelée',
  removed: 'Autorisation supprimée',
  absent: 'Aucune autorisation à supprimer aucune action effectuée',
  mtAdded: 'Statut de médecin traitant DMP ajouté',
  mtAlready: 'Statut de médecin traitant DMP déjà présent aucune action effectuée',
  mtRemoved: 'Statut de médecin traitant DMP supprimé',
  mtAbsent: 'Statut de médecin traitant DMP absent aucune action effectuée',
} as const;

export function renderSetAuthorizationResponse(status: string, context: string | undefined): string {
  return `<ns1:setAuthorizationResponse xmlns:ns1="${NS.habilitations}"><ns1:output>${statusXml(status, context)}</ns1:output></ns1:setAuthorizationResponse>`;
}
