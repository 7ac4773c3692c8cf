/**
 * Who the simulated correspondents are, taken from the seeded world (same seed, same cast):
 *
 * - `lab`: a laboratory (structure type LBM) writing from its applicative mailbox (`sil@…`, else its ORG
 *   `resultats@…`), signed by one of its professionals. A world without an LBM (the default 5-structure
 *   world) uses the hospital's laboratory: the CH's applicative mailbox (`dpi@…`), signed by its
 *   pharmacien (biologiste), else one of its médecins — the rule the fixtures use for CR de biologie.
 * - `imaging`: a radiologist (specialty SM44) writing from their personal mailbox, in their first
 *   structure. Without one, a hospital médecin from their personal mailbox (the CH's imaging department).
 */
import type { Patient, Professional, Structure, World } from '../../../fixtures/index.js';

export type CorrespondentId = 'lab' | 'imaging';
export type ResultKind = 'cr-bio' | 'cr-imagerie';

export interface Correspondent {
  id: CorrespondentId;
  label: string;
  address: string;
  author: Professional;
  structure: Structure;
  defaultKind: ResultKind;
  /** X-MSS-NIL of the simulated sending software (its "référence produit"). */
  nil: string;
}

const castCache = new WeakMap<World, Map<CorrespondentId, Correspondent | undefined>>();

function worksIn(p: Professional, structureId: string): boolean {
  return p.exercices.some((e) => e.activities.some((a) => a.structureId === structureId));
}

function firstStructure(world: World, p: Professional): Structure | undefined {
  const id = p.exercices[0]?.activities[0]?.structureId;
  return id ? world.structures.find((s) => s.id === id) : undefined;
}

function mailboxOf(world: World, ownerId: string, types: string[]): string | undefined {
  for (const t of types) {
    const m = world.mailboxes.find((b) => b.ownerId === ownerId && b.type === t);
    if (m) return m.address;
  }
  return undefined;
}

function findLab(world: World): Correspondent | undefined {
  const lbm = world.structures.find((s) => s.type === 'LBM');
  const site = lbm ?? world.structures.find((s) => s.type === 'CH') ?? world.structures.find((s) => world.mailboxes.some((m) => m.structureId === s.id && (m.type === 'APP' || m.type === 'ORG')));
  if (!site) return undefined;
  const staff = world.professionals.filter((p) => worksIn(p, site.id));
  const author = staff.find((p) => p.profession.code === '21') ?? staff.find((p) => p.profession.code === '10') ?? staff[0];
  const address = mailboxOf(world, site.id, ['APP', 'ORG']);
  if (!author || !address) return undefined;
  return { id: 'lab', label: lbm ? lbm.name : `Laboratoire — ${site.name}`, address, author, structure: site, defaultKind: 'cr-bio', nil: 'SEGUR-SIM-SIL-0001' };
}

function findImaging(world: World): Correspondent | undefined {
  const radiologist = world.professionals.find((p) => p.specialty?.code === 'SM44' && firstStructure(world, p) && mailboxOf(world, p.id, ['PER']));
  const ch = world.structures.find((s) => s.type === 'CH');
  const author = radiologist ?? (ch ? world.professionals.find((p) => p.profession.code === '10' && worksIn(p, ch.id) && mailboxOf(world, p.id, ['PER'])) : undefined);
  if (!author) return undefined;
  const structure = radiologist ? firstStructure(world, radiologist)! : ch!;
  const address = mailboxOf(world, author.id, ['PER'])!;
  const label = radiologist ? `Imagerie médicale — ${structure.name}` : `Service d'imagerie — ${structure.name}`;
  return { id: 'imaging', label, address, author, structure, defaultKind: 'cr-imagerie', nil: 'SEGUR-SIM-RIS-0001' };
}

/** The world's lab or imaging correspondent (undefined when the world has nobody to play it). */
export function correspondent(world: World, id: CorrespondentId): Correspondent | undefined {
  let byId = castCache.get(world);
  if (!byId) castCache.set(world, (byId = new Map()));
  if (!byId.has(id)) byId.set(id, id === 'lab' ? findLab(world) : findImaging(world));
  return byId.get(id);
}

/** A qualified-INS patient with a citizen address, the default subject of the results. */
export function defaultPatient(world: World): Patient | undefined {
  const usable = (p: Patient) => p.ins && p.identity.status === 'QUAL' && !p.magic?.length && !p.traits.includes('fictitious') && !p.traits.includes('doubtful');
  return world.patients.find((p) => usable(p) && p.mssPatientAddress) ?? world.patients.find(usable) ?? world.patients.find((p) => p.ins);
}

/** A patient by id, INS matricule or citizen address. */
export function findPatient(world: World, ref: string): Patient | undefined {
  const r = ref.trim().toLowerCase();
  return world.patients.find((p) => p.id === r || p.ins?.matricule === r || p.mssPatientAddress === r || (p.mssPatientAddress && p.mssPatientAddress.split('@')[0] === r));
}
