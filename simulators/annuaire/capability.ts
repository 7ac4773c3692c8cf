/** `GET /fhir/v2/metadata`: the CapabilityStatement of what segur-sim serves (shaped on AsServerDPCapabilityStatement). */
import { EMPTY_TYPES, PROFILES, RESOURCE_TYPES, type ResourceType } from './constants.js';
import { INCLUDES, REVINCLUDES, SEARCH_PARAMS, type ParamKind } from './search.js';

const DEFINITIONS: Record<string, string> = {
  _id: 'http://hl7.org/fhir/SearchParameter/Resource-id',
  _lastUpdated: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated',
  'mailbox-mss': 'https://interop.esante.gouv.fr/ig/fhir/annuaire/SearchParameter/as-sp-mailbox-mss',
  'qualification-code': 'https://interop.esante.gouv.fr/ig/fhir/annuaire/SearchParameter/as-sp-qualification-code',
  'data-information-system': 'https://interop.esante.gouv.fr/ig/fhir/annuaire/SearchParameter/as-sp-data-information-system',
  'number-smartcard': 'https://interop.esante.gouv.fr/ig/fhir/annuaire/SearchParameter/as-sp-number-smartcard',
};

const DOCS: Record<string, string> = {
  'mailbox-mss': 'Adresse MSSanté (telecom.value). Sans modificateur : adresse complète (insensible à la casse) ; :contains ; :exact.',
  name: 'Nom complet (nom, prénom, civilité, civilité d\'exercice). Modificateurs : contains, exact.',
  _lastUpdated: 'Préfixes eq, ne, gt, lt, ge, le ; précisions AAAA, AAAA-MM, AAAA-MM-JJ, date-heure.',
};

const FHIR_TYPE: Record<ParamKind, string> = { id: 'token', string: 'string', token: 'token', reference: 'reference', date: 'date' };

function resourceEntry(type: ResourceType): Record<string, unknown> {
  const entry: Record<string, unknown> = { type, profile: PROFILES[type][1], interaction: [{ code: 'read' }, { code: 'search-type' }] };
  if (INCLUDES[type].length) entry.searchInclude = INCLUDES[type];
  if (REVINCLUDES[type].length) entry.searchRevInclude = REVINCLUDES[type];
  entry.searchParam = Object.entries(SEARCH_PARAMS[type]).map(([name, kind]) => ({
    name,
    ...(DEFINITIONS[name] ? { definition: DEFINITIONS[name] } : {}),
    type: FHIR_TYPE[kind],
    ...(DOCS[name] ? { documentation: DOCS[name] } : {}),
  }));
  return entry;
}

export function capabilityStatement(base: string, date: string): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'segur-sim',
    kind: 'instance',
    software: { name: 'segur-sim Annuaire Santé FHIR' },
    implementation: { description: 'Simulateur local de l\'API FHIR Annuaire Santé (données synthétiques)', url: base },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource: [
          ...RESOURCE_TYPES.map(resourceEntry),
          ...EMPTY_TYPES.map((type) => ({
            type,
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            documentation: 'segur-sim ne publie aucune ressource de ce type : les recherches sont vides.',
            searchParam: [
              { name: '_id', type: 'token' },
              { name: '_lastUpdated', type: 'date' },
            ],
          })),
        ],
      },
    ],
  };
}
