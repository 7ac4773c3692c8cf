/**
 * The prescription as printed for the patient (the "copie" that also goes, as PDF, into the eP-MED-DM CDA):
 * prescriber, patient, lines, and — when the e-prescription was registered — the QR code bottom-left with
 * `e-prescription N°<ID>` under it and the two §B6 mentions beside it. Without an identifier (KO or no
 * answer, §B8) the same ordonnance is printed without QR code, as a paper prescription.
 */
import { buildPdf, type PdfLine } from '../../fixtures/documents/pdf.js';
import { buildCode2dPayload, printedMention, qrGreyImage, qrMatrix, type Code2dPayload } from './code2d.js';
import type { EPrescription, EpLine, EpPrescripteur } from './model.js';

/** Data-protection page of the Assurance Maladie printed in the mention [I: exact URL not public]. */
export const AMELI_DATA_URL = 'https://www.ameli.fr/donnees-personnelles';

export interface PrescriptionPdfInput {
  prescription: EPrescription;
  /** The registered identifier: adds the QR code and the mentions. Absent: printed without them. */
  identifiant?: string;
  /** Printed labels (default: the wire codes). */
  prescripteurLabel?: string;
  structureLines?: string[];
  /** Date the patient was informed (default: the date written). */
  informedOn?: string;
  /** Why there is no identifier (printed on the fallback copy). */
  fallbackReason?: string;
}

const frDate = (iso: string) => iso.slice(0, 10).split('-').reverse().join('/');
const who = (p: EpPrescripteur) => `Dr ${p.prenom} ${p.nom.toUpperCase()}`;

/** The two printed mentions of §B6. */
export function code2dMentions(p: EPrescription, informedOn?: string): string[] {
  const day = frDate(informedOn ?? p.dateRedaction);
  return [
    p.oppositionConsultationExecution
      ? `Patient informé le ${day} de l'ordonnance numérique ; il s'oppose à ce que le prescripteur consulte les informations de délivrance.`
      : `Patient informé le ${day} de l'ordonnance numérique ; il ne s'oppose pas à ce que le prescripteur consulte les informations de délivrance.`,
    `Les données de cette ordonnance sont transmises à l'Assurance Maladie. Protection de vos données : ${AMELI_DATA_URL}`,
  ];
}

function lineText(l: EpLine): (string | PdfLine)[] {
  const label = l.produit?.libelle ?? l.acte?.libelle ?? l.type;
  const out: (string | PdfLine)[] = [{ text: `${l.numero}. ${label}`, bold: true }];
  if (l.posologie) out.push(`    ${l.posologie}`);
  const qty = l.type === 'medicament' || l.type === 'dispositifMedical' ? `${l.quantite} boîte(s)` : `${l.quantite} séance(s)/acte(s)`;
  let detail = `    Quantité : ${qty}`;
  if (l.dureeJours) detail += `, durée ${l.dureeJours} jours`;
  if (l.dureeLocationJours) detail += `, location ${l.dureeLocationJours} jours`;
  if (l.renouvellements) detail += `, à renouveler ${l.renouvellements} fois`;
  out.push(detail);
  const flags = [
    l.substituable === false ? 'Non substituable' : '',
    l.ald ? 'En rapport avec une ALD' : '',
    l.atmp ? 'AT/MP' : '',
    l.prevention ? 'Prévention' : '',
    l.nonRemboursable ? 'Non remboursable' : '',
    l.horsAMM ? 'Hors AMM' : '',
    l.domicile ? 'Soins à domicile' : '',
    l.urgent ? 'Urgent' : '',
  ].filter(Boolean);
  if (flags.length) out.push(`    ${flags.join(' - ')}`);
  return out;
}

/** The Code2D payload of a prescription: patient birth name, first name, birth date, prescriber RPPS/AM [I: see README]. */
export function code2dPayloadOf(p: EPrescription, identifiant: string): Code2dPayload {
  const payload: Code2dPayload = {
    identifiant,
    patient: { nom: p.patient.nomNaissance, prenom: p.patient.prenom, dateNaissance: p.patient.dateNaissance },
    // Replacement: RPPS = the replaced (titulaire) doctor, RPPS2 = the remplaçant who prescribes, after the
    // DevBox model's `rppsRemplacant` [I]; otherwise the prescriber alone.
    rpps: (p.remplace ?? p.prescripteur).rpps,
    numeroAM: p.prescripteur.numeroAM,
  };
  if (p.remplace) payload.rpps2 = p.prescripteur.rpps;
  return payload;
}

export function buildPrescriptionPdf(input: PrescriptionPdfInput): Uint8Array {
  const p = input.prescription;
  const pt = p.patient;
  const lines: (string | PdfLine)[] = [
    { text: who(p.prescripteur) + (input.prescripteurLabel ? `, ${input.prescripteurLabel}` : ''), bold: true },
    `RPPS ${p.prescripteur.rpps} - N° Assurance Maladie ${p.prescripteur.numeroAM}`,
    ...(input.structureLines ?? []),
  ];
  if (p.remplace) lines.push(`Remplaçant du ${who(p.remplace)} (RPPS ${p.remplace.rpps})`);
  lines.push(
    '',
    `Le ${frDate(p.dateRedaction)}`,
    `${pt.sexe === 'F' ? 'Mme' : 'M.'} ${pt.prenom} ${(pt.nomUtilise ?? pt.nomNaissance).toUpperCase()}${pt.nomUtilise ? ` (${pt.sexe === 'F' ? 'née' : 'né'} ${pt.nomNaissance.toUpperCase()})` : ''}, ${pt.sexe === 'F' ? 'née' : 'né'} le ${frDate(pt.dateNaissance)}`,
    '',
  );
  if (p.sousTypes?.includes('MED-1096')) lines.push({ text: 'Ordonnance bizone : les lignes marquées ALD sont en rapport avec l’affection de longue durée', bold: true }, '');
  for (const l of p.lignes) lines.push(...lineText(l));
  lines.push('', `Valable du ${frDate(p.debutValidite)}${p.finValidite ? ` au ${frDate(p.finValidite)}` : ''}.`);
  if (!input.identifiant) {
    lines.push('', `Ordonnance établie sans e-prescription${input.fallbackReason ? ` (${input.fallbackReason})` : ''}.`);
    return buildPdf({ title: 'Ordonnance', lines, author: who(p.prescripteur), subject: 'Prescription de produits de santé' });
  }
  const payload = buildCode2dPayload(code2dPayloadOf(p, input.identifiant));
  return buildPdf({
    title: 'Ordonnance',
    lines,
    author: who(p.prescripteur),
    subject: `e-prescription ${input.identifiant}`,
    image: { ...qrGreyImage(qrMatrix(payload), { margin: 4 }), size: 96, caption: [printedMention(input.identifiant)], beside: code2dMentions(p, input.informedOn) },
  });
}
