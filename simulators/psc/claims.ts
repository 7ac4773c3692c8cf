import type { Professional, Structure, World } from '../../fixtures/index.js';

/** How the professional authenticated: e-CPS on the phone, or the CPS card (PSC's `authMode`). */
export type AuthMode = 'MOBILE' | 'CARD';

/**
 * The Keycloak identity-provider id PSC federates its users under: `sub` = `f:<this uuid>:<idNat>`.
 * Every public BAS sample (2021–2023) carries this same uuid, so the simulator uses it too.
 */
export const PSC_FEDERATION_UUID = '550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd';

const ROLE_OID = '1.2.250.1.213.1.1.5.5';
const SECTEUR_OID = '1.2.250.1.71.4.2.4';

/** `sub` of a professional, in Keycloak's federated-user shape. */
export function subjectOf(p: Pick<Professional, 'idNat'>): string {
  return `f:${PSC_FEDERATION_UUID}:${p.idNat}`;
}

/** idNat from a `sub` (`f:<uuid>:<idNat>`), or the value itself. */
export function idNatOfSubject(sub: string): string {
  const i = sub.lastIndexOf(':');
  return sub.startsWith('f:') && i > 1 ? sub.slice(i + 1) : sub;
}

/** Finds a professional by idNat ("8"+RPPS), RPPS, `sub` or fixture id. */
export function findProfessional(world: World, hint: string | undefined): Professional | undefined {
  if (!hint) return undefined;
  const v = idNatOfSubject(hint.trim());
  return world.professionals.find((p) => p.idNat === v || p.rpps === v || p.id === v);
}

/**
 * PSC's structure technical id (`identifiantTechniqueDeLaStructure`): `F<FINESS ET>` for establishments
 * (observed `F0B0193488`), else `R1<number>` for practices (observed `R102671`; the numbering is ours).
 */
export function technicalStructureId(s: Structure): string {
  if (s.finessET) return `F${s.finessET}`;
  const n = Number(s.id.replace(/\D/g, '')) || 0;
  return `R1${String(n).padStart(5, '0')}`;
}

function activityOf(world: World, structureId: string, mode: string, secteur: string) {
  const s = world.structures.find((x) => x.id === structureId);
  const name = s?.name ?? '';
  const line = s?.address.line ?? '';
  const m = /^(\d+)\s+(.*)$/.exec(line);
  return {
    codeModeExercice: mode,
    codeSecteurDactivite: secteur,
    codeSectionPharmacien: '',
    codeRole: '',
    codeGenreActivite: 'GENR01',
    numeroSiretSite: s?.siret ?? '',
    numeroSirenSite: s?.siren ?? '',
    numeroFinessSite: s?.finessET ?? '',
    numeroFinessetablissementJuridique: s?.finessEJ ?? '',
    identifiantTechniqueDeLaStructure: s ? technicalStructureId(s) : '',
    raisonSocialeSite: name,
    enseigneCommercialeSite: '',
    complementDestinataire: '',
    complementPointGeographique: '',
    numeroVoie: m ? m[1]! : '',
    indiceRepetitionVoie: '',
    codeTypeDeVoie: '',
    libelleVoie: m ? m[2]! : line,
    mentionDistribution: '',
    bureauCedex: s ? `${s.address.postalCode} ${s.address.city.toUpperCase()}` : '',
    codePostal: s?.address.postalCode ?? '',
    codeCommune: s?.address.cog ?? '',
    codePays: '99000',
    telephone: '',
    telephone2: '',
    telecopie: '',
    adresseEMail: '',
    codeDepartement: s ? s.address.postalCode.slice(0, 2) : '',
    ancienIdentifiantDeLaStructure: s?.idNat ?? '',
    autoriteDenregistrement: s?.finessET ? 'CNOM/CNOM/ARS' : 'CNOM/CNOM/CNOM',
  };
}

export interface ClaimOptions {
  authMode: AuthMode;
  /** Drop the professional's exercices (scenario `psc.claims {drop: 'exercices'}`). */
  dropExercices?: boolean;
}

/** The userinfo of a professional, as PSC returns it with `scope_all` (shape of the 2023 BAS sample). */
export function userinfoClaims(world: World, p: Professional, opts: ClaimOptions): Record<string, unknown> {
  const exercices = opts.dropExercices
    ? []
    : p.exercices.map((e) => ({
        codeProfession: e.profession.code,
        codeCategorieProfessionnelle: 'C',
        codeCiviliteDexercice: p.title ?? '',
        nomDexercice: p.lastNameRniv,
        prenomDexercice: p.firstNameRniv,
        codeTypeSavoirFaire: e.specialty ? 'S' : '',
        codeSavoirFaire: e.specialty?.code ?? '',
        activities: e.activities.map((a) => activityOf(world, a.structureId, a.mode, a.secteurActivite.code)),
      }));
  const first = exercices[0]?.activities[0];
  return {
    sub: subjectOf(p),
    SubjectNameID: p.idNat,
    preferred_username: p.idNat,
    given_name: p.firstNameRniv,
    family_name: p.lastNameRniv,
    email_verified: false,
    authMode: opts.authMode,
    UITVersion: '1.0',
    Palier_Authentification: 'APPPRIP3^1.2.250.1.213.1.5.1.1.1',
    PSI_Locale: '1.2.250.1.213.1.3.1.1',
    Secteur_Activite: first ? `${first.codeSecteurDactivite}^${SECTEUR_OID}` : '',
    SubjectOrganization: first?.raisonSocialeSite ?? '',
    SubjectOrganizationID: first?.identifiantTechniqueDeLaStructure ?? '',
    SubjectRole: exercices.map((e) => `${e.codeProfession}^${ROLE_OID}`),
    Acces_Regulation_Medicale: 'FAUX',
    Mode_Acces_Raison: '',
    otherIds: otherIds(p),
    SubjectRefPro: { codeCivilite: p.civility, exercices },
  };
}

export function otherIds(p: Professional) {
  return [{ identifiant: p.idNat, origine: 'RPPS', qualite: 1 }];
}

/** Claim names released by `openid` alone; `scope_all` releases every PSC claim. */
export const OPENID_CLAIMS = ['sub', 'SubjectNameID', 'preferred_username', 'authMode', 'otherIds'];
export const SCOPE_ALL_CLAIMS = [
  'given_name',
  'family_name',
  'email_verified',
  'UITVersion',
  'Palier_Authentification',
  'PSI_Locale',
  'Secteur_Activite',
  'SubjectOrganization',
  'SubjectOrganizationID',
  'SubjectRole',
  'Acces_Regulation_Medicale',
  'Mode_Acces_Raison',
  'SubjectRefPro',
];
