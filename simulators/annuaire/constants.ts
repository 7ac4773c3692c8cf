/**
 * Systems, profiles and extension URLs of the Annuaire Santé FHIR API (v2), as published in the ANS IG
 * `ansforge/IG-fhir-annuaire` and seen in API responses quoted by `ansforge/annuaire-sante-fhir-documentation`.
 */

export const FHIR_MOUNT = '/fhir/v2';
/** The legacy public extraction web service (service.annuaire.sante.fr), mounted at its production path. */
export const EXTRACTION_MOUNT = '/annuaire-sante-webservices';
export const EXTRACTION_PATH = `${EXTRACTION_MOUNT}/V300/services/extraction/Extraction_Correspondance_MSSante`;

export const FHIR_JSON = 'application/fhir+json;charset=utf-8';
export const API_KEY_HEADER = 'esante-api-key';

export const RESOURCE_TYPES = ['Practitioner', 'PractitionerRole', 'Organization'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
/** Types the real server knows (HAPI-0302 message) but segur-sim does not populate: searches are empty. */
export const EMPTY_TYPES = ['Device', 'HealthcareService'] as const;
export const KNOWN_TYPES_TEXT = '[Practitioner, PractitionerRole, Device, Organization, HealthcareService]';

export const META_SOURCE = 'https://annuaire.sante.fr';

const AS = 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition';
const FR_CORE = 'https://hl7.fr/ig/fhir/core/StructureDefinition';
export const PROFILES: Record<ResourceType, string[]> = {
  Practitioner: [`${FR_CORE}/fr-core-practitioner`, `${AS}/as-dp-practitioner`],
  PractitionerRole: [`${FR_CORE}/fr-core-practitioner-role`, `${AS}/as-dp-practitionerrole`],
  Organization: [`${FR_CORE}/fr-core-organization`, `${AS}/as-dp-organization`],
};

export const EXT = {
  emailType: `${FR_CORE}/fr-core-contact-point-email-type`,
  mailboxMetadata: `${AS}/as-ext-mailbox-mss-metadata`,
  smartcard: `${AS}/as-ext-smartcard`,
  dataTrace: `${AS}/as-ext-data-trace`,
  organizationTypes: `${AS}/as-ext-organization-types`,
  inseeCode: `${FR_CORE}/fr-core-address-insee-code`,
} as const;

const NOS = (table: string) => `https://mos.esante.gouv.fr/NOS/${table}/FHIR/${table.replace('_', '-')}`;

export const SYSTEMS = {
  /** Identifier type codes (IDNPS, RPPS, IDNST, FINEG, FINEJ, SIRET, SIREN). */
  identifierType: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203',
  idNatPs: 'urn:oid:1.2.250.1.71.4.2.1',
  idNatStruct: 'urn:oid:1.2.250.1.71.4.2.2',
  rpps: 'https://rpps.esante.gouv.fr',
  finess: 'https://finess.esante.gouv.fr',
  sirene: 'https://sirene.fr',
  organizationType: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-3307',
  typeMessagerie: NOS('TRE_R256-TypeMessagerie'),
  typeBal: NOS('TRE_R257-TypeBAL'),
  profession: NOS('TRE_G15-ProfessionSante'),
  categorieProfessionnelle: NOS('TRE_R09-CategorieProfessionnelle'),
  typeSavoirFaire: NOS('TRE_R04-TypeSavoirFaire'),
  specialiteOrdinale: NOS('TRE_R38-SpecialiteOrdinale'),
  secteurActivite: NOS('TRE_R02-SecteurActivite'),
  categorieEtablissement: NOS('TRE_R66-CategorieEtablissement'),
  genreActivite: NOS('TRE_R22-GenreActivite'),
  modeExercice: NOS('TRE_R23-ModeExercice'),
  typeCarte: NOS('TRE_R87-TypeCarte'),
  commune: NOS('TRE_R13-Commune'),
} as const;

/** Gravitee's plan on the ANS gateway: 17 calls per second per application (get-api-key.md). */
export const DEFAULT_RATE_LIMIT = 17;
export const DEFAULT_RATE_WINDOW_MS = 1000;
/** The documented demo key accepted by default (see README). */
export const DEFAULT_API_KEY = 'segur-sim-annuaire-demo-key';

/** Page size when `_count` is absent (api-basics.md: "renvoie les 50 premiers résultats"). */
export const DEFAULT_COUNT = 50;
/** Largest `_count` served (the docs show `_count=10000`). */
export const MAX_COUNT = 10_000;
