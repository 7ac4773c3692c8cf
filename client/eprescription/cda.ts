/**
 * The eP-MED-DM document (CDA R2 N3, psc-eprescription.md §B9) that the prescriber's software deposits in
 * the DMP next to the EPU: same header as every CI-SIS document (fixtures/documents' builders, so the DMP
 * simulator accepts it), the eP-MED-DM templateIds and code 57833-6, serviceEvent id = the EPU identifier,
 * one serviceEvent per sub-type, the 2D-code section with the QR PNG, medicine / device sections, and the
 * mandatory PDF copy. Without identifier (ep4 KO or no answer, §B8): no serviceEvent id, no 2D section,
 * and the PDF copy without QR code.
 */
import { documentInsOid } from '../../fixtures/ins.js';
import { IDNAT_PS_OID, LOINC_OID } from '../../fixtures/oids.js';
import { PRESCRIPTION_SUBTYPE_OID, PRESCRIPTION_SUBTYPES } from '../../fixtures/prescriptions.js';
import type { Patient, Professional, Structure } from '../../fixtures/types.js';
import { cdaHeader, professionalName, type TemplateId } from '../../fixtures/documents/cda-header.js';
import { authorSpecialtyOf, classOfType, FORMAT_CODES, healthcareFacilityType, PRACTICE_SETTING_CODES, TYPE_CODES } from '../../fixtures/documents/codes.js';
import { documentMetadata } from '../../fixtures/documents/metadata.js';
import { cdaTime, toInstant } from '../../fixtures/documents/time.js';
import type { BuiltDocument } from '../../fixtures/documents/types.js';
import { isValidOid } from '../../fixtures/documents/uid.js';
import { el, textEl, xmlEscape } from '../../fixtures/documents/xml.js';
import { buildCode2dPayload, printedMention, qrPng } from './code2d.js';
import type { EPrescription, EpLine } from './model.js';
import { buildPrescriptionPdf, code2dPayloadOf } from './pdf.js';

/** OID root of the EPU identifier in serviceEvent/id (§B5). */
export const EPU_ID_ROOT = '1.2.250.1.215.500.1.1';

export const EP_MED_DM = {
  templateIds: [
    { root: '1.3.6.1.4.1.19376.1.9.1.1.1' }, // IHE PHARM PRE
    { root: '1.3.6.1.4.1.19376.1.5.3.1.1.1' }, // IHE PCC
    { root: '1.2.250.1.213.1.1.1.39', extension: '2024.01' }, // eP-MED-DM
  ] as TemplateId[],
  title: 'Prescription de médicaments et/ou de dispositifs médicaux',
  sections: {
    code2d: { templateId: '1.2.250.1.213.1.1.2.223', loinc: '57723-9', title: 'Code 2D de la prescription' },
    medicaments: { templateIds: ['1.3.6.1.4.1.19376.1.9.1.2.1', '1.2.250.1.213.1.1.2.171'], loinc: '57828-6', title: 'Prescription de médicaments' },
    dispositifs: { templateIds: ['1.2.250.1.213.1.1.2.222'], loinc: '57828-6', title: 'Prescription de dispositifs médicaux' },
    commentaire: { templateIds: ['1.2.250.1.213.1.1.2.73'], loinc: '48767-8', title: 'Autres prescriptions' },
    pdf: { templateId: '1.2.250.1.213.1.1.2.243', entryTemplateId: '1.2.250.1.213.1.1.3.18', loinc: '55108-5', title: "Copie PDF de l'ordonnance" },
  },
} as const;

export interface EpMedDmInput {
  /** The prescription as sent (or as it would have been sent) to ep4_creer. */
  prescription: EPrescription;
  /** The registered identifier; absent when ep4_creer failed or did not answer. */
  identifiant?: string;
  patient: Patient;
  /** The acting prescriber and their structure (CDA author, custodian, XDS author). */
  author: Professional;
  structure: Structure;
  /** The replaced prescriber, when a remplaçant prescribes (CDA participant). */
  replaced?: Professional;
  /** Document OID (CDA id = XDS uniqueId). */
  uniqueId: string;
  effectiveTime: string | Date | number;
  /** Printed on the fallback PDF copy. */
  fallbackReason?: string;
}

export interface EpMedDmDocument extends BuiltDocument {
  pdf: Uint8Array;
  /** Present with an identifier. */
  code2d?: { payload: string; png: Uint8Array };
}

const compactDate = (iso: string) => iso.slice(0, 10).replace(/-/g, '');
const loincCode = (code: string, displayName: string) => el('code', { code, displayName, codeSystem: LOINC_OID, codeSystemName: 'LOINC' });
const section = (inner: string) => el('component', {}, el('section', {}, inner));
const yesNo = (v: boolean | undefined) => (v === undefined ? '-' : v ? 'oui' : 'non');

function table(head: string[], rows: string[][]): string {
  return (
    '<table border="1">' +
    `<thead><tr>${head.map((h) => `<th>${xmlEscape(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${xmlEscape(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

function productCode(l: EpLine): string {
  const p = l.produit;
  return p?.cip13 ? `CIP13 ${p.cip13}` : p?.ucd13 ? `UCD13 ${p.ucd13}` : p?.lpp ? `LPP ${p.lpp}` : l.acte ? l.acte.code : '-';
}

/** Code systems of the products [I: CIP13/UCD13 as the ANS terminologies name them; LPP as TRE_R...]. */
const PRODUCT_CODE_SYSTEMS = { cip13: '1.2.250.1.213.2.3.1', ucd13: '1.2.250.1.213.2.3.2', lpp: '1.2.250.1.215.200.1.4' } as const;

function productCoded(l: EpLine): string {
  const p = l.produit;
  const key = p?.cip13 ? 'cip13' : p?.ucd13 ? 'ucd13' : p?.lpp ? 'lpp' : undefined;
  if (!key) return el('code', { nullFlavor: 'NA' }, textEl('originalText', l.produit?.libelle ?? l.acte?.libelle ?? ''));
  return el('code', { code: p![key]!, displayName: p!.libelle, codeSystem: PRODUCT_CODE_SYSTEMS[key] });
}

/**
 * One coded prescription item per line (IHE PRE "Prescription Item", substanceAdministration INT): the
 * product, the posology (text), the duration, the renewals (repeatNumber), the quantity to dispense
 * (supply RQO) and the substitution permission. This is what makes the document level 3; the exact CI-SIS
 * entry templates of eP-MED-DM are not all modelled [I].
 */
function prescriptionItem(l: EpLine, start: number): string {
  const duration = l.dureeJours ? el('effectiveTime', { 'xsi:type': 'IVL_TS' }, el('low', { value: cdaTime(start).slice(0, 8) }) + el('high', { value: cdaTime(start + l.dureeJours * 86_400_000).slice(0, 8) })) : '';
  return el(
    'entry',
    {},
    el(
      'substanceAdministration',
      { classCode: 'SBADM', moodCode: 'INT' },
      el('templateId', { root: '1.3.6.1.4.1.19376.1.5.3.1.4.7' }) +
        el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.2' }) +
        el('text', {}, el('reference', { value: `#ligne-${l.numero}` })) +
        el('statusCode', { code: 'completed' }) +
        duration +
        el('repeatNumber', { value: l.renouvellements ?? 0 }) +
        el('consumable', {}, el('manufacturedProduct', {}, el('manufacturedMaterial', {}, productCoded(l) + textEl('name', l.produit?.libelle ?? l.acte?.libelle ?? '')))) +
        el('entryRelationship', { typeCode: 'COMP' }, el('supply', { classCode: 'SPLY', moodCode: 'RQO' }, el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.8' }) + el('quantity', { value: l.quantite }))) +
        (l.substituable === undefined
          ? ''
          : el('entryRelationship', { typeCode: 'COMP' }, el('act', { classCode: 'ACT', moodCode: 'DEF' }, el('templateId', { root: '1.3.6.1.4.1.19376.1.9.1.3.9.1' }) + el('code', { code: l.substituable ? 'E' : 'N', codeSystem: '2.16.840.1.113883.5.1070', displayName: l.substituable ? 'equivalent' : 'none' })))),
    ),
  );
}

/** A section of lines: the narrative table and, for products (medicines, devices), one coded item per line. */
function linesSection(spec: { templateIds: readonly string[]; loinc: string; title: string }, lines: EpLine[], start: number, coded: boolean): string {
  const rows = lines.map((l) => [
    String(l.numero), l.produit?.libelle ?? l.acte?.libelle ?? '', productCode(l), l.posologie ?? '-', String(l.quantite),
    String(l.renouvellements ?? 0), yesNo(l.substituable), [l.ald ? 'ALD' : '', l.atmp ? 'AT/MP' : '', l.horsAMM ? 'hors AMM' : '', l.nonRemboursable ? 'NR' : ''].filter(Boolean).join(', ') || '-',
  ]);
  const narrative = table(['N°', 'Produit', 'Code', 'Posologie', 'Quantité', 'Renouvellements', 'Substituable', 'Mentions'], rows)
    // Each row is the target of its item's <reference> (#ligne-N).
    .replace(/<tr><td>(\d+)<\/td>/g, '<tr ID="ligne-$1"><td>$1</td>');
  return section(
    spec.templateIds.map((root) => el('templateId', { root })).join('') + loincCode(spec.loinc, spec.title) + textEl('title', spec.title) +
      el('text', {}, narrative) +
      (coded ? lines.map((l) => prescriptionItem(l, start)).join('') : ''),
  );
}

function code2dSection(identifiant: string, png: Uint8Array): string {
  const s = EP_MED_DM.sections.code2d;
  return section(
    el('templateId', { root: s.templateId }) + loincCode(s.loinc, s.title) + textEl('title', s.title) +
      el('text', {}, el('renderMultiMedia', { referencedObject: 'code2d' }) + textEl('paragraph', printedMention(identifiant))) +
      el('entry', {}, el('observationMedia', { classCode: 'OBS', moodCode: 'EVN', ID: 'code2d' }, `<value mediaType="image/png" representation="B64">${Buffer.from(png).toString('base64')}</value>`)),
  );
}

function pdfSection(pdf: Uint8Array): string {
  const s = EP_MED_DM.sections.pdf;
  return section(
    el('templateId', { root: s.templateId }) + loincCode(s.loinc, 'Document PDF') + textEl('title', s.title) +
      el('text', {}, el('renderMultiMedia', { referencedObject: 'pdf-copie' })) +
      el(
        'entry',
        {},
        el('observationMedia', { classCode: 'OBS', moodCode: 'EVN', ID: 'pdf-copie' }, el('templateId', { root: s.entryTemplateId }) + `<value mediaType="application/pdf" representation="B64">${Buffer.from(pdf).toString('base64')}</value>`),
      ),
  );
}

/** The replaced prescriber (typeCode REF, functionCode 353 as the FSH profile; the ANS example uses CON/CORRE). */
function replacedParticipant(p: Professional): string {
  return el(
    'participant',
    { typeCode: 'REF' },
    el('functionCode', { code: '353', displayName: "Membre de l'équipe de soins", codeSystem: '1.2.250.1.213.1.6.1.107' }) +
      el('associatedEntity', { classCode: 'PROV' }, el('id', { root: IDNAT_PS_OID, extension: p.idNat }) + el('associatedPerson', {}, professionalName(p))),
  );
}

/** Builds the eP-MED-DM CDA and its XDS metadata (class 42, type 57833-6, format IHE PHARM PRE). */
export function buildEpMedDm(input: EpMedDmInput): EpMedDmDocument {
  const { prescription: rx, patient, author, structure, identifiant } = input;
  if (!patient.ins) throw new Error(`buildEpMedDm: patient ${patient.id} has no INS`);
  if (!isValidOid(input.uniqueId)) throw new Error(`buildEpMedDm: uniqueId ${input.uniqueId} is not a valid OID`);
  const type = TYPE_CODES.PRESCRIPTION_PRODUITS_SANTE;
  const classCode = classOfType(type)!;
  const effective = toInstant(input.effectiveTime);
  const start = toInstant(rx.debutValidite);
  const stop = rx.finValidite ? toInstant(rx.finValidite) : undefined;
  const authorSpecialty = authorSpecialtyOf(author);
  const practiceSetting = PRACTICE_SETTING_CODES[structure.type === 'CH' ? 'ETABLISSEMENT' : 'AMBULATOIRE'];
  const facilityType = healthcareFacilityType(structure.secteurActivite);

  const pdf = buildPrescriptionPdf({
    prescription: rx,
    ...(identifiant ? { identifiant } : {}),
    prescripteurLabel: authorSpecialty.display,
    structureLines: [structure.name, `${structure.address.line}, ${structure.address.postalCode} ${structure.address.city}`],
    ...(input.fallbackReason ? { fallbackReason: input.fallbackReason } : {}),
  });
  const code2d = identifiant ? (() => {
    const payload = buildCode2dPayload(code2dPayloadOf(rx, identifiant));
    return { payload, png: qrPng(payload) };
  })() : undefined;

  const subTypes = (rx.sousTypes ?? [])
    .map((c) =>
      el('documentationOf', {}, el('serviceEvent', { classCode: 'INFO' }, el('code', { code: c, displayName: PRESCRIPTION_SUBTYPES[c as keyof typeof PRESCRIPTION_SUBTYPES], codeSystem: PRESCRIPTION_SUBTYPE_OID }))),
    )
    .join('');

  const header = cdaHeader({
    templateIds: EP_MED_DM.templateIds,
    uniqueId: input.uniqueId,
    type,
    title: EP_MED_DM.title,
    effectiveTime: cdaTime(effective),
    setId: input.uniqueId,
    version: 1,
    patient,
    insOid: documentInsOid(patient.ins),
    author,
    authorSpecialty,
    structure,
    custodian: structure,
    legalAuthenticator: author,
    legalAuthenticatorSpecialty: authorSpecialty,
    participants: input.replaced ? replacedParticipant(input.replaced) : '',
    serviceEvent: {
      classCode: 'ACT',
      id: identifiant ? { root: EPU_ID_ROOT, extension: identifiant } : undefined,
      code: { code: type.code, codeSystem: type.scheme, displayName: type.display },
      low: compactDate(rx.debutValidite),
      high: rx.finValidite ? compactDate(rx.finValidite) : undefined,
    },
    extraDocumentationOf: subTypes,
    practiceSetting,
    facilityType,
  });

  const medicines = rx.lignes.filter((l) => l.type === 'medicament');
  const devices = rx.lignes.filter((l) => l.type === 'dispositifMedical');
  const others = rx.lignes.filter((l) => l.type !== 'medicament' && l.type !== 'dispositifMedical');
  const s = EP_MED_DM.sections;
  const body =
    (code2d && identifiant ? code2dSection(identifiant, code2d.png) : '') +
    (medicines.length ? linesSection(s.medicaments, medicines, start, true) : '') +
    (devices.length ? linesSection(s.dispositifs, devices, start, true) : '') +
    (others.length ? linesSection(s.commentaire, others, start, false) : '') +
    pdfSection(pdf);
  const xml = `${header}<component><structuredBody>${body}</structuredBody></component></ClinicalDocument>\n`;

  const metadata = documentMetadata({
    uniqueId: input.uniqueId,
    patient,
    title: EP_MED_DM.title,
    classCode,
    typeCode: type,
    formatCode: FORMAT_CODES.PHARM_PRE,
    visibility: [],
    facilityType,
    practiceSetting,
    eventCodes: [],
    effective,
    serviceStart: start,
    serviceStop: stop,
    author,
    structure,
    legalAuthenticator: author,
    ...(identifiant ? { comments: printedMention(identifiant) } : {}),
  });
  const doc: EpMedDmDocument = { kind: 'ep-med-dm', content: new TextEncoder().encode(xml), metadata, setId: input.uniqueId, version: 1, pdf };
  if (code2d) doc.code2d = code2d;
  return doc;
}
