/**
 * Shapes of what Pro Santé Connect returns (psc-eprescription.md A4–A6). Every PSC-specific field is
 * optional: samples differ across years (codeCivilite top-level or in SubjectRefPro, otherIds and
 * authMode absent in 2021, ...), and PSC sends "" rather than omitting a field.
 */

/** One activity (work place) of an exercice. */
export interface PscActivity {
  codeModeExercice?: string;
  codeSecteurDactivite?: string;
  codeSectionPharmacien?: string;
  codeRole?: string;
  codeGenreActivite?: string;
  numeroSiretSite?: string;
  numeroSirenSite?: string;
  numeroFinessSite?: string;
  numeroFinessetablissementJuridique?: string;
  identifiantTechniqueDeLaStructure?: string;
  raisonSocialeSite?: string;
  enseigneCommercialeSite?: string;
  codePostal?: string;
  codeCommune?: string;
  codePays?: string;
  /** Struct_IdNat of the site in the older form, e.g. `499700427885006` or `10B0193488`. */
  ancienIdentifiantDeLaStructure?: string;
  autoriteDenregistrement?: string;
  [field: string]: unknown;
}

/** One exercice (profession) of the professional. */
export interface PscExercice {
  codeProfession?: string;
  codeCategorieProfessionnelle?: string;
  codeCiviliteDexercice?: string;
  nomDexercice?: string;
  prenomDexercice?: string;
  codeTypeSavoirFaire?: string;
  codeSavoirFaire?: string;
  activities?: PscActivity[];
  [field: string]: unknown;
}

export interface PscOtherId {
  identifiant: string;
  origine: string;
  qualite?: number;
}

/** The PSC userinfo (JSON, or the payload of a userinfo JWT). */
export interface PscUserInfo {
  /** `f:<federation uuid>:<SubjectNameID>`. */
  sub: string;
  /** idNat_PS, e.g. `8` + RPPS. */
  SubjectNameID?: string;
  preferred_username?: string;
  given_name?: string;
  family_name?: string;
  email_verified?: boolean;
  /** `CARD` or `MOBILE` (e-CPS). */
  authMode?: string;
  UITVersion?: string;
  Palier_Authentification?: string;
  PSI_Locale?: string;
  /** `<code>^1.2.250.1.71.4.2.4`. */
  Secteur_Activite?: string;
  SubjectOrganization?: string;
  SubjectOrganizationID?: string;
  /** `["<codeProfession>^1.2.250.1.213.1.1.5.5"]`. */
  SubjectRole?: string[];
  Acces_Regulation_Medicale?: string;
  Mode_Acces_Raison?: string;
  codeCivilite?: string;
  otherIds?: PscOtherId[];
  SubjectRefPro?: { codeCivilite?: string; exercices?: PscExercice[]; [field: string]: unknown };
  [claim: string]: unknown;
}

/** What the client keeps of a token response (in memory only). */
export interface PscTokenSet {
  accessToken: string;
  tokenType: string;
  /** Epoch ms at which the access token expires (from `expires_in`, else the JWT `exp`). */
  expiresAt: number;
  refreshToken?: string;
  /** Epoch ms at which the refresh token expires (Keycloak `refresh_expires_in`), when given. */
  refreshExpiresAt?: number;
  idToken?: string;
  scope?: string;
  sessionState?: string;
}
