/**
 * The server's view of an e-prescription and its executions (README "Operations"): what codec.ts reads from
 * and writes to the wire, and what store.ts keeps (as JSON lines). No element name lives here.
 */
import type { ExecutionMode, Statut } from './constants.js';

export interface EpIns {
  matricule: string;
  oid: string;
}

export interface EpPatient {
  ins?: EpIns;
  nomNaissance: string;
  nomUtilise?: string;
  prenom: string;
  dateNaissance: string;
  sexe: string;
}

/** Prescripteur, Remplace and Executant share one shape; which fields are required depends on the role. */
export interface EpProfessional {
  rpps?: string;
  nom?: string;
  prenom?: string;
  profession?: string;
  specialite?: string;
  numeroAM?: string;
  finess?: string;
}

export interface EpProduit {
  cip13?: string;
  ucd13?: string;
  lpp?: string;
  libelle: string;
}

/** Boolean flags of a line, in wire order (codec.ts maps them to element names). */
export const LINE_FLAGS = ['substituable', 'stupefiant', 'exception', 'ald', 'atmp', 'domicile', 'urgent', 'prevention', 'nonRemboursable', 'horsAMM'] as const;
export type LineFlag = (typeof LINE_FLAGS)[number];

export interface EpLine extends Partial<Record<LineFlag, boolean>> {
  numero: number;
  type: string;
  produit?: EpProduit;
  acte?: { code: string; libelle: string };
  posologie?: string;
  dureeJours?: number;
  quantite: number;
  dureeLocationJours?: number;
  renouvellements?: number;
}

export interface EPrescription {
  identifiant: string;
  dateRedaction: string;
  debutValidite: string;
  finValidite?: string;
  dateExecutionSouhaitee?: string;
  patient: EpPatient;
  prescripteur: EpProfessional;
  remplace?: EpProfessional;
  oppositionConsultationExecution?: boolean;
  sousTypes: string[];
  lignes: EpLine[];
}

export interface EpExecutedLine {
  numero: number;
  mode: ExecutionMode;
  quantite: number;
  produitDelivre?: EpProduit;
  motif?: string;
  dateAccordPrescripteur?: string;
}

export interface EpExecution {
  dateExecution: string;
  lignes: EpExecutedLine[];
}

export interface RecordedExecution extends EpExecution {
  numeroExecution: number;
  /** ISO 8601 UTC date-time. */
  dateEnregistrement: string;
  executant: EpProfessional;
}

export interface LineState {
  numero: number;
  quantiteDelivree: number;
  quantiteRestante: number;
}

/** A stored prescription with everything that happened to it. */
export interface PrescriptionRecord {
  prescription: EPrescription;
  /** ISO 8601 UTC date-time of ep4_creer. */
  dateEnregistrement: string;
  /** Registration order in the sandbox (newest-first ties in searches). */
  seq: number;
  executions: RecordedExecution[];
  /** Delivered quantity per line number. */
  delivered: Map<number, number>;
  cancelled?: { at: string; motif?: string };
}

export interface SearchCriteria {
  ins?: EpIns;
  nomNaissance?: string;
  prenom?: string;
  dateNaissance?: string;
  identifiant?: string;
  dateDebut?: string;
  dateFin?: string;
  statut?: Statut;
}

export interface SearchResult {
  identifiant: string;
  dateRedaction: string;
  statut: Statut;
  rppsPrescripteur: string;
  nombreLignes: number;
}
