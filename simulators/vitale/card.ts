import type { Patient, VitaleCard, World } from '../../fixtures/index.js';
import { hash32 } from '../core/random.js';

/** Carte Vitale (the chip card) or ApCV (the "application carte Vitale" on a smartphone). */
export type VitaleKind = 'carte' | 'apcv';

/** What is in a sandbox's reader. */
export interface InsertedCard {
  cardId: string;
  kind: VitaleKind;
  /** ISO instant (host clock). */
  insertedAt: string;
  /** The patient the card was presented for, and their rang on it. */
  patientId: string;
  rang: number;
}

/** The state of the vitale service in a sandbox. */
export interface VitaleState {
  inserted: InsertedCard | null;
}

export const QUALITE_LIBELLE: Record<string, string> = { '0': 'assuré', '2': 'conjoint', '6': 'enfant' };

export interface VitaleBeneficiaryView {
  rang: number;
  /** 0 assuré, 2 conjoint, 6 enfant. */
  qualite: string;
  qualiteLibelle: string;
  nomUsuel: string;
  /** Birth name (RNIV), what RECVITALE's NomNaissance carries. */
  nomNaissance: string;
  prenom: string;
  dateNaissance: string;
  /** Rang de naissance (rang gémellaire), usually 1. */
  rangNaissance: number;
  /** The beneficiary's own certified NIR (15 characters) when the card carries it. */
  matriculeIndividu?: string;
}

/**
 * The card as the practice software gets it from the reader (`GET /_vitale/card`). The `couverture`
 * codes are synthetic (segur-sim derives them from the ouvrant droit's address and the card id): they
 * fill ContexteBAM/COUVERTURE for RECVITALE, they do not name real caisses.
 */
export interface VitaleCardView {
  kind: VitaleKind;
  serialNumber: string;
  cardId: string;
  insertedAt: string;
  ouvrantDroit: {
    /** NIR: 13 characters. */
    numIdentifiant: string;
    cle: string;
    /** numIdentifiant + cle (15 characters). */
    matricule: string;
    nomUsuel: string;
    nomNaissance: string;
    prenom: string;
  };
  couverture: {
    /** Grand régime, 2 digits: always "01" (régime général). */
    grandRegime: string;
    /** Caisse gestionnaire, 3 digits: the département of the ouvrant droit's address + "1" ("97x" overseas). */
    organisme: string;
    /** Centre gestionnaire, 4 digits, derived from the card id. */
    codeCentre: string;
  };
  beneficiaires: VitaleBeneficiaryView[];
  /** Who the card was presented for (admin API), so a test can pick the right rang. */
  presentedFor: { patientId: string; rang: number };
}

export class CardLookupError extends Error {
  constructor(
    readonly status: number,
    readonly code: 'UnknownPatient' | 'PatientWithoutCard',
    message: string,
  ) {
    super(message);
    this.name = 'CardLookupError';
  }
}

/**
 * The card to present for `ref`: a patient id (`pat-00006`), an INS matricule (15 characters, or the
 * 13-character NIR without key), a card id (`vit-00001`) or a card serial number. The patient may be the
 * ouvrant droit or an ayant droit. Without `ref`, the world's first card and its holder.
 */
export function findCard(world: World, ref: string | undefined): { card: VitaleCard; patientId: string; rang: number } {
  if (ref === undefined || ref.trim() === '') {
    const card = world.vitaleCards[0];
    if (!card) throw new CardLookupError(404, 'PatientWithoutCard', 'this world has no carte Vitale at all');
    return { card, patientId: card.ouvrantDroit.patientId, rang: 1 };
  }
  const key = ref.trim().replace(/\s+/g, '').toUpperCase();
  const byCard = world.vitaleCards.find((c) => c.id.toUpperCase() === key || c.serialNumber === key);
  if (byCard) return { card: byCard, patientId: byCard.ouvrantDroit.patientId, rang: 1 };

  const patient =
    world.patients.find((p) => p.id.toUpperCase() === key) ??
    world.patients.find((p) => p.ins && (p.ins.matricule === key || p.ins.numIdentifiant === key)) ??
    world.patients.find((p) => p.ins?.history.some((h) => h.matricule === key || h.numIdentifiant === key));
  if (patient) {
    if (!patient.vitale) throw new CardLookupError(404, 'PatientWithoutCard', `patient ${patient.id} (${describe(patient)}) has no carte Vitale in this world${whyNoCard(patient)}`);
    const card = world.vitaleCards.find((c) => c.id === patient.vitale!.cardId);
    if (!card) throw new CardLookupError(404, 'PatientWithoutCard', `patient ${patient.id} refers to card ${patient.vitale.cardId}, which is not in this world`);
    return { card, patientId: patient.id, rang: patient.vitale.rang };
  }
  // A beneficiary matricule printed on a card but not (or no longer) a patient's active INS.
  for (const card of world.vitaleCards) {
    const b = card.beneficiaires.find((x) => x.matriculeIndividu === key || x.matriculeIndividu?.slice(0, 13) === key);
    if (b) return { card, patientId: b.patientId, rang: b.rang };
  }
  throw new CardLookupError(
    404,
    'UnknownPatient',
    `no patient, INS matricule or carte Vitale "${ref}" in this world (give a patient id such as pat-00006, a 15-character INS matricule, or a card id such as vit-00001; see segur-sim fixtures search)`,
  );
}

function describe(p: Patient): string {
  return `${p.rniv.nomNaissance} ${p.rniv.prenom}`;
}

function whyNoCard(p: Patient): string {
  if (!p.ins) return ': no matricule (identity without INS)';
  if (p.ins.type === 'NIA') return ': NIA only (not yet registered with a NIR)';
  return '';
}

/** The card data the reader gives for an inserted card. */
export function cardView(world: World, card: VitaleCard, inserted: InsertedCard): VitaleCardView {
  const holder = world.patients.find((p) => p.id === card.ouvrantDroit.patientId);
  const holderBenef = card.beneficiaires.find((b) => b.patientId === card.ouvrantDroit.patientId) ?? card.beneficiaires[0];
  const matricule = card.ouvrantDroit.matricule;
  return {
    kind: inserted.kind,
    serialNumber: card.serialNumber,
    cardId: card.id,
    insertedAt: inserted.insertedAt,
    ouvrantDroit: {
      numIdentifiant: matricule.slice(0, 13),
      cle: matricule.slice(13),
      matricule,
      nomUsuel: holderBenef?.nomUsuel ?? holder?.rniv.nomNaissance ?? '',
      nomNaissance: holder?.rniv.nomNaissance ?? holderBenef?.nomUsuel ?? '',
      prenom: holderBenef?.prenom ?? holder?.rniv.prenom ?? '',
    },
    couverture: couverture(card, holder),
    beneficiaires: card.beneficiaires.map((b) => {
      const patient = world.patients.find((p) => p.id === b.patientId);
      return {
        rang: b.rang,
        qualite: b.qualite,
        qualiteLibelle: QUALITE_LIBELLE[b.qualite] ?? b.qualite,
        nomUsuel: b.nomUsuel,
        nomNaissance: patient?.rniv.nomNaissance ?? b.nomUsuel,
        prenom: b.prenom,
        dateNaissance: b.dateNaissance,
        rangNaissance: b.rangNaissance,
        ...(b.matriculeIndividu ? { matriculeIndividu: b.matriculeIndividu } : {}),
      };
    }),
    presentedFor: { patientId: inserted.patientId, rang: inserted.rang },
  };
}

/** Synthetic régime/caisse/centre codes (see VitaleCardView.couverture). */
export function couverture(card: VitaleCard, holder: Patient | undefined): VitaleCardView['couverture'] {
  const postal = holder?.address.postalCode ?? '75001';
  const organisme = postal.startsWith('97') ? postal.slice(0, 3) : `${postal.slice(0, 2)}1`;
  return { grandRegime: '01', organisme, codeCentre: String(hash32(card.id) % 10_000).padStart(4, '0') };
}
