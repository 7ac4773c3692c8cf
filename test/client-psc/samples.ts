/** Userinfo samples written from the documented shape (psc-eprescription.md A6). */
import type { PscUserInfo } from '../../client/psc/index.js';

/** A doctor with one exercice and two activities (cabinet libéral, then a hospital). */
export const DOCTOR_USERINFO: PscUserInfo = {
  sub: 'f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:899700427885',
  SubjectNameID: '899700427885',
  preferred_username: '899700427885',
  given_name: 'KIT',
  family_name: 'DOC0042788',
  email_verified: false,
  authMode: 'CARD',
  UITVersion: '1.0',
  Palier_Authentification: 'APPPRIP3^1.2.250.1.213.1.5.1.1.1',
  PSI_Locale: '1.2.250.1.213.1.3.1.1',
  Secteur_Activite: 'SA07^1.2.250.1.71.4.2.4',
  SubjectOrganization: 'CABINET M DOC0042788',
  SubjectOrganizationID: 'R102671',
  SubjectRole: ['10^1.2.250.1.213.1.1.5.5'],
  Acces_Regulation_Medicale: 'FAUX',
  Mode_Acces_Raison: '',
  otherIds: [{ identifiant: '899700427885', origine: 'RPPS', qualite: 1 }],
  SubjectRefPro: {
    codeCivilite: 'M',
    exercices: [
      {
        codeProfession: '10',
        codeCategorieProfessionnelle: 'C',
        codeCiviliteDexercice: 'DR',
        nomDexercice: 'DOC0042788',
        prenomDexercice: 'KIT',
        codeTypeSavoirFaire: 'S',
        codeSavoirFaire: 'SM26',
        activities: [
          {
            codeModeExercice: 'L',
            codeSecteurDactivite: 'SA07',
            codeSectionPharmacien: '',
            codeRole: '',
            codeGenreActivite: '',
            numeroSiretSite: '',
            numeroSirenSite: '',
            numeroFinessSite: '',
            numeroFinessetablissementJuridique: '',
            identifiantTechniqueDeLaStructure: 'R102671',
            raisonSocialeSite: 'CABINET M DOC0042788',
            enseigneCommercialeSite: '',
            codePostal: '75009',
            codeCommune: '',
            codePays: '99000',
            ancienIdentifiantDeLaStructure: '499700427885006',
            autoriteDenregistrement: 'CNOM/CNOM/CNOM',
          },
          {
            codeModeExercice: 'S',
            codeSecteurDactivite: 'SA01',
            numeroFinessSite: '0B0193488',
            numeroFinessetablissementJuridique: '1B0064166',
            identifiantTechniqueDeLaStructure: 'F0B0193488',
            raisonSocialeSite: 'HOPITAL GENERIQUE FIN VARI',
            ancienIdentifiantDeLaStructure: '10B0193488',
            autoriteDenregistrement: 'CNOM/CNOM/ARS',
          },
        ],
      },
    ],
  },
};

/** A pharmacist who also holds a student exercice: the work situation must be chosen. */
export const PHARMACIST_USERINFO: PscUserInfo = {
  sub: 'f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:899700366240',
  SubjectNameID: '899700366240',
  preferred_username: '899700366240',
  given_name: 'ROBERT',
  family_name: 'PHARMA0036624',
  Secteur_Activite: 'SA33^1.2.250.1.71.4.2.4',
  SubjectOrganization: 'PHARMACIE DU CENTRE',
  SubjectOrganizationID: 'R200001',
  SubjectRole: ['21^1.2.250.1.213.1.1.5.5'],
  SubjectRefPro: {
    exercices: [
      {
        codeProfession: '21',
        codeCategorieProfessionnelle: 'C',
        nomDexercice: 'PHARMA0036624',
        prenomDexercice: 'ROBERT',
        codeTypeSavoirFaire: '',
        codeSavoirFaire: '',
        activities: [
          { codeModeExercice: 'L', codeSecteurDactivite: 'SA33', codeSectionPharmacien: 'A', numeroSiretSite: '33917228810005', identifiantTechniqueDeLaStructure: 'R200001', ancienIdentifiantDeLaStructure: '' },
        ],
      },
      { codeProfession: '10', codeCategorieProfessionnelle: 'E', nomDexercice: 'PHARMA0036624', prenomDexercice: 'ROBERT', codeSavoirFaire: '', activities: [] },
    ],
  },
};

export const LPS = { nom: 'SEGUR-SIM LGC', version: '1.0.0', homologationDmp: 'SEGURSIM-DMP-0001', id: '6f0c8f4e-3c2b-4c55-9b59-4a1f2d7a9e10' };

/** INS of a test patient (NIR form, 15 characters with the key). */
export const PATIENT_INS = '288091720220371';
