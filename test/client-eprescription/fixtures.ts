/** A small world for the unit tests: a GP, a pharmacist, a patient with INS, and a prescription of two lines. */
import { generateWorld, MEDICINES, MEDICAL_DEVICES, type Patient, type Professional, type Structure, type World } from '../../fixtures/index.js';
import { draftPrescription } from '../../client/eprescription/flows.js';
import type { EPrescription, EpLine } from '../../client/eprescription/model.js';

export function structureOf(world: World, pro: Professional): Structure {
  const s = world.structures.find((x) => x.id === pro.exercices[0]?.activities[0]?.structureId);
  if (!s) throw new Error(`no structure for ${pro.id}`);
  return s;
}

export interface Cast {
  world: World;
  doctor: Professional;
  doctorStructure: Structure;
  replacement: Professional;
  pharmacist: Professional;
  pharmacy: Structure;
  nurse?: Professional;
  patient: Patient;
}

export function cast(world: World = generateWorld({ seed: 1 })): Cast {
  const doctors = world.professionals.filter((p) => p.profession.code === '10' && p.exercices[0]?.activities[0]);
  const doctor = doctors[0]!;
  const pharmacist = world.professionals.find((p) => p.profession.code === '21' && p.exercices[0]?.activities[0])!;
  const patient = world.patients.find((p) => p.ins && p.ins.type === 'NIR' && !p.magic?.length && !p.rniv.nomUtilise)!;
  const nurse = world.professionals.find((p) => p.profession.code === '60');
  return { world, doctor, doctorStructure: structureOf(world, doctor), replacement: doctors[1]!, pharmacist, pharmacy: structureOf(world, pharmacist), ...(nurse ? { nurse } : {}), patient };
}

export const LINES: EpLine[] = [
  {
    numero: 1,
    type: 'medicament',
    produit: { cip13: MEDICINES[0]!.cip13, libelle: MEDICINES[0]!.label },
    posologie: MEDICINES[0]!.posology,
    dureeJours: 30,
    quantite: 3,
    renouvellements: 0,
    substituable: true,
    stupefiant: false,
    ald: false,
    atmp: false,
    prevention: false,
    nonRemboursable: false,
    horsAMM: false,
  },
  {
    numero: 2,
    type: 'dispositifMedical',
    produit: { lpp: MEDICAL_DEVICES[0]!.lpp, libelle: MEDICAL_DEVICES[0]!.label },
    quantite: 2,
    renouvellements: 0,
    substituable: false,
  },
];

export function prescriptionFor(c: Cast, extra: Partial<Parameters<typeof draftPrescription>[0]> = {}): EPrescription {
  return draftPrescription({ patient: c.patient, prescriber: c.doctor, structure: c.doctorStructure, lines: LINES, ...extra });
}
