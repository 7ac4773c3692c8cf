/** How the DMP names a professional's profession and specialty (TD1.6, Web PS): JDV_J01 style. */
import type { Professional } from '../../../fixtures/types.js';

/** `G15_10/SM26` + `Médecin - Qualifié en Médecine générale (SM)` (TD1.6 sample). */
export function professionalLabel(p: Pick<Professional, 'profession' | 'specialty'>): { code: string; display: string } {
  const code = `G15_${p.profession.code}${p.specialty ? `/${p.specialty.code}` : ''}`;
  const display = p.specialty ? `${p.profession.label} - ${p.specialty.label}` : p.profession.label;
  return { code, display };
}
