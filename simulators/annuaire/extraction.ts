/**
 * The public bulk extraction `Extraction_Correspondance_MSSante` (notes §4.2): UTF-8 text, `|`-separated,
 * one header line, 31 columns, served by service.annuaire.sante.fr as a ZIP holding a single
 * `Extraction_Correspondance_MSSante_<AAAAMMJJhhmm>.txt`. Built once per world.
 */
import { zipSync } from 'fflate';
import type { Mailbox, Professional, Structure, World } from '../../fixtures/index.js';
import { departementOf, digitization, streetParts, upperNoAccent } from './resources.js';

/** The 31 columns, in the published order. */
export const EXTRACTION_COLUMNS = [
  'Type de BAL',
  'Adresse BAL',
  'Type Identifiant PP',
  'Identifiant PP',
  'Identification nationale PP',
  'Type identifiant structure',
  'Identification Structure',
  'Service de rattachement',
  "Civilité d'exercice",
  "Nom d'exercice",
  "Prénom d'exercice",
  'Catégorie profession',
  'Libellé de catégorie profession',
  'Code Profession',
  'Libellé Profession',
  'Code savoir-faire',
  'Libellé savoir-faire',
  'Dématérialisation',
  'Raison Sociale structure BAL',
  'Enseigne commerciale structure BAL',
  'L2COMPLEMENTLOCALISATION structure BAL',
  'L3COMPLEMENTDISTRIBUTION structure BAL',
  'L4NUMEROVOIE structure BAL',
  'L4COMPLEMENTNUMEROVOIE structure BAL',
  'NL4TYPEVOIE structure BAL',
  'L4LIBELLEVOIE structure BAL',
  'L5LIEUDITMENTION structure BAL',
  'L6LIGNEACHEMINEMENT structure BAL',
  'Code postal structure BAL',
  'Département structure BAL',
  'Pays structure BAL',
] as const;

/** Only these BAL types appear in the live file (observed 2026: PER and ORG; no APP, no CAB) [S]. */
export const EXTRACTION_BAL_TYPES: readonly Mailbox['type'][] = ['PER', 'ORG'];

export interface Extraction {
  /** `Extraction_Correspondance_MSSante_<AAAAMMJJhhmm>` (no extension). */
  baseName: string;
  text: string;
  zip: Buffer;
  rows: number;
}

const cache = new WeakMap<World, Extraction>();

export function extractionOf(world: World): Extraction {
  let e = cache.get(world);
  if (!e) {
    e = buildExtraction(world);
    cache.set(world, e);
  }
  return e;
}

const clean = (v: string) => v.replace(/[|\r\n]/g, ' ');

function serviceLabel(m: Mailbox): string {
  if (m.type !== 'ORG') return '';
  const local = m.address.slice(0, m.address.indexOf('@')).replace(/-/g, ' ');
  return local.charAt(0).toUpperCase() + local.slice(1);
}

function structureColumns(s: Structure | undefined): string[] {
  if (!s) return ['', '', '', '', '', '', '', '', '', '', '', '', ''];
  const street = streetParts(s.address.line);
  const city = upperNoAccent(s.address.city);
  return [upperNoAccent(s.name), '', '', '', street.number, '', street.type, street.name, '', `${s.address.postalCode} ${city}`, s.address.postalCode, departementOf(s), '99100'];
}

function row(world: World, m: Mailbox, p: Professional | undefined, s: Structure | undefined): string {
  const structureId = s ? (s.finessET ? ['1', s.finessET] : ['3', s.siret]) : ['', ''];
  const person = p
    ? ['8', p.rpps, p.idNat, ...structureId, serviceLabel(m), p.title ?? '', upperNoAccent(p.lastName), upperNoAccent(p.firstName), 'C', 'Civil', p.profession.code, p.profession.label, p.specialty?.code ?? '', p.specialty?.label ?? '']
    : ['', '', '', ...structureId, serviceLabel(m), '', '', '', '', '', '', '', '', ''];
  return [m.type, m.address, ...person, digitization(m, world) ? 'True' : 'False', ...structureColumns(s)].map(clean).join('|');
}

function buildExtraction(world: World): Extraction {
  const professionals = new Map(world.professionals.map((p) => [p.id, p]));
  const structures = new Map(world.structures.map((s) => [s.id, s]));
  const lines: string[] = [EXTRACTION_COLUMNS.join('|')];
  for (const m of world.mailboxes) {
    if (!EXTRACTION_BAL_TYPES.includes(m.type)) continue;
    const p = m.ownerKind === 'professional' ? professionals.get(m.ownerId) : undefined;
    const s = m.structureId ? structures.get(m.structureId) : undefined;
    lines.push(row(world, m, p, s));
  }
  const text = `${lines.join('\n')}\n`;
  // Generated at 03:00 UTC on the world's reference date (the live file is generated daily, mostly around 03h UTC).
  const stamp = `${world.referenceDate.replace(/-/g, '')}0300`;
  const baseName = `Extraction_Correspondance_MSSante_${stamp}`;
  return { baseName, text, zip: zipOne(`${baseName}.txt`, Buffer.from(text, 'utf8'), world.referenceDate), rows: lines.length - 1 };
}

/**
 * A ZIP archive with one deflated entry, stamped 03:00 on `date` (AAAA-MM-JJ). Built by fflate's `zipSync`
 * (ZIP times are MS-DOS local times: the stamp is given as a local-time Date so it reads 03:00:00 anywhere).
 */
export function zipOne(name: string, data: Buffer, date: string): Buffer {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const mtime = new Date(y, mo - 1, d, 3, 0, 0);
  return Buffer.from(zipSync({ [name]: [new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { level: 6, mtime }] }));
}
