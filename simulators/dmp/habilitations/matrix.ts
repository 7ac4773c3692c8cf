/**
 * "Matrice d'habilitation du CI-SIS": which document classes/types each profession may see in the DMP
 * (PDT-INF-527 says it exists and filters results; its content is not public → every row here is an
 * ASSUMPTION [I], written as data so it can be corrected in one place).
 *
 * A row lists the XDS classCodes (TRE_A03) the profession sees; a class may be narrowed to some typeCodes.
 * Médecins, sages-femmes and chirurgiens-dentistes see everything. Own documents are always visible
 * (rights.ts checks that before the matrix), and so are the signature entries.
 */

export interface HabilitationRow {
  /** TRE_G15 profession code; `*` = any profession not listed. */
  profession: string;
  label: string;
  /** `all`, or classCode → `all` | the typeCodes allowed in that class. */
  classes: 'all' | Record<string, 'all' | string[]>;
}

/** Biology report, discharge letter, follow-up by auxiliaries, care plan/personal plan. */
const BIO = '11502-2';
const LETTRE_LIAISON = '11490-0';
const SUIVI_AUXILIAIRE = '11506-3';
const PRESCRIPTION_SOINS = '52521-2';

export const HABILITATION_MATRIX: HabilitationRow[] = [
  { profession: '10', label: 'Médecin', classes: 'all' },
  { profession: '40', label: 'Chirurgien-dentiste', classes: 'all' },
  { profession: '50', label: 'Sage-femme', classes: 'all' },
  {
    profession: '21',
    label: 'Pharmacien',
    classes: { '10': [BIO, LETTRE_LIAISON], '11': 'all', '42': 'all', '43': 'all', '44': 'all', '45': 'all', '60': 'all', '90': 'all', '95': 'all' },
  },
  {
    profession: '60',
    label: 'Infirmier',
    classes: { '10': [BIO, LETTRE_LIAISON, SUIVI_AUXILIAIRE], '11': 'all', '42': 'all', '43': 'all', '44': 'all', '45': 'all', '90': 'all', '95': 'all' },
  },
  {
    profession: '70',
    label: 'Masseur-kinésithérapeute',
    classes: { '10': [SUIVI_AUXILIAIRE, LETTRE_LIAISON], '11': 'all', '31': 'all', '42': [PRESCRIPTION_SOINS], '44': 'all', '90': 'all', '95': 'all' },
  },
  {
    profession: '80',
    label: 'Pédicure-podologue',
    classes: { '10': [SUIVI_AUXILIAIRE], '11': 'all', '42': [PRESCRIPTION_SOINS], '44': 'all', '90': 'all', '95': 'all' },
  },
  { profession: '*', label: 'Autre profession', classes: { '11': 'all', '90': 'all', '95': 'all' } },
];

const byProfession = new Map(HABILITATION_MATRIX.map((r) => [r.profession, r]));

/** Whether a profession may see a document of this class and type under the matrix. */
export function habilitationAllows(profession: string | undefined, classCode: string, typeCode: string): boolean {
  const row = (profession && byProfession.get(profession)) || byProfession.get('*')!;
  if (row.classes === 'all') return true;
  const rule = row.classes[classCode];
  if (!rule) return false;
  return rule === 'all' || rule.includes(typeCode);
}
