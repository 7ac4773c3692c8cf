/**
 * The client's view of an e-prescription (simulators/eprescription/README.md "Operations", §B7): plain
 * objects the codec writes to and reads from the wire. Dates `YYYY-MM-DD`, date-times ISO 8601 UTC.
 */
import type { LineKind } from '../../fixtures/prescriptions.js';

export type { LineKind };

export interface EpPatient {
  /** 15 characters (13 + key) and its OID (.8, .9 or .10); absent for a patient without qualified INS. */
  ins?: { matricule: string; oid: string };
  nomNaissance: string;
  nomUtilise?: string;
  prenom: string;
  dateNaissance: string;
  sexe: 'M' | 'F';
}

export interface EpPrescripteur {
  /** 11 digits, without the `8` prefix (an idNat is accepted and stripped). */
  rpps: string;
  nom: string;
  prenom: string;
  /** TRE_G15 code. */
  profession: string;
  specialite?: string;
  /** 9 digits: the structure's Assurance Maladie number. */
  numeroAM: string;
  finess?: string;
}

export interface EpExecutant {
  /** Optional in certificate mode. */
  rpps?: string;
  profession: string;
  /** One of numeroAM / finess is required (EF_EP3_E303_03). */
  numeroAM?: string;
  finess?: string;
}

export interface EpProduit {
  cip13?: string;
  ucd13?: string;
  lpp?: string;
  libelle: string;
}

export interface EpLine {
  numero: number;
  type: LineKind;
  /** Medicines and devices. */
  produit?: EpProduit;
  /** Acts (biology, nursing, physiotherapy...). */
  acte?: { code: string; libelle: string };
  posologie?: string;
  dureeJours?: number;
  /** Boxes (medicines, devices) or sessions/acts. */
  quantite: number;
  /** Rental devices only. */
  dureeLocationJours?: number;
  renouvellements?: number;
  substituable?: boolean;
  stupefiant?: boolean;
  exception?: boolean;
  ald?: boolean;
  atmp?: boolean;
  domicile?: boolean;
  urgent?: boolean;
  prevention?: boolean;
  nonRemboursable?: boolean;
  horsAMM?: boolean;
}

export interface EPrescription {
  /** Absent: the server allocates one (a simulator convenience, not the real rule). */
  identifiant?: string;
  dateRedaction: string;
  debutValidite: string;
  finValidite?: string;
  dateExecutionSouhaitee?: string;
  patient: EpPatient;
  prescripteur: EpPrescripteur;
  /** The replaced prescriber, when a remplaçant prescribes. */
  remplace?: EpPrescripteur;
  /** The patient objects to the prescriber consulting the dispensations. */
  oppositionConsultationExecution: boolean;
  /** CI-SIS sub-types (1.2.250.1.213.1.1.4.322), e.g. MED-1096. */
  sousTypes?: string[];
  lignes: EpLine[];
}

export type ExecutionMode = 'CONFORME' | 'SUBSTITUTION' | 'ADAPTATION' | 'NON_DELIVREE';

export interface EpExecutedLine {
  numero: number;
  mode: ExecutionMode;
  quantite: number;
  /** SUBSTITUTION: what was delivered instead. */
  produitDelivre?: EpProduit;
  /** Required for SUBSTITUTION, ADAPTATION, NON_DELIVREE. */
  motif?: string;
  /** ADAPTATION: when the prescriber agreed. */
  dateAccordPrescripteur?: string;
}

export interface EpExecution {
  dateExecution: string;
  lignes: EpExecutedLine[];
}

/** An execution as ep3_consulter returns it. */
export interface EpRecordedExecution extends EpExecution {
  numeroExecution: number;
  dateEnregistrement: string;
  executant?: EpExecutant;
}

export type EpStatut = 'ACTIVE' | 'PARTIELLEMENT_EXECUTEE' | 'EXECUTEE' | 'ANNULEE' | 'EXPIREE';

export interface EpLineState {
  numero: number;
  quantiteDelivree: number;
  quantiteRestante: number;
}

/** Who consults or searches: the executant (pharmacist...) or the prescriber. */
export type EpActor = { executant: EpExecutant } | { prescripteur: EpPrescripteur };

export interface EpSearchCriteria {
  ins?: { matricule: string; oid: string };
  nomNaissance?: string;
  prenom?: string;
  dateNaissance?: string;
  identifiant?: string;
  dateDebut?: string;
  dateFin?: string;
  statut?: EpStatut;
}

export interface EpSearchResult {
  identifiant: string;
  dateRedaction: string;
  statut: EpStatut;
  rppsPrescripteur: string;
  nombreLignes: number;
}
