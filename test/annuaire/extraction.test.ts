import { crc32, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../fixtures/index.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { EXTRACTION, rppsOnlyBox } from './helpers.js';

const HEADER =
  "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION structure BAL|L3COMPLEMENTDISTRIBUTION structure BAL|L4NUMEROVOIE structure BAL|L4COMPLEMENTNUMEROVOIE structure BAL|NL4TYPEVOIE structure BAL|L4LIBELLEVOIE structure BAL|L5LIEUDITMENTION structure BAL|L6LIGNEACHEMINEMENT structure BAL|Code postal structure BAL|Département structure BAL|Pays structure BAL";

/** Reads the single entry of a ZIP through its central directory, checking the CRC. */
function unzipOne(zip: Buffer): { name: string; data: Buffer } {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(0);
  expect(zip.readUInt16LE(end + 10)).toBe(1);
  const cd = zip.readUInt32LE(end + 16);
  expect(zip.readUInt32LE(cd)).toBe(0x02014b50);
  const method = zip.readUInt16LE(cd + 10);
  const crc = zip.readUInt32LE(cd + 16);
  const size = zip.readUInt32LE(cd + 20);
  const nameLength = zip.readUInt16LE(cd + 28);
  const name = zip.subarray(cd + 46, cd + 46 + nameLength).toString('utf8');
  const local = zip.readUInt32LE(cd + 42);
  expect(zip.readUInt32LE(local)).toBe(0x04034b50);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  expect(method).toBe(8);
  const data = inflateRawSync(zip.subarray(start, start + size));
  expect(crc32(data) >>> 0).toBe(crc);
  return { name, data };
}

let t: TestHost;
let world: World;
let text: string;
beforeAll(async () => {
  t = await startTestHost();
  world = t.host.context.sandboxes.world();
  text = await (await fetch(`${t.http}${EXTRACTION}.txt`)).text();
});
afterAll(() => t?.close());

const rows = () => text.trimEnd().split('\n').slice(1).map((l) => l.split('|'));

describe('Extraction_Correspondance_MSSante', () => {
  it('serves a ZIP named with its generation stamp, holding the UTF-8 pipe-separated text', async () => {
    const res = await fetch(`${t.http}${EXTRACTION}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const stamp = `${world.referenceDate.replace(/-/g, '')}0300`;
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename=Extraction_Correspondance_MSSante_${stamp}.zip`);
    const { name, data } = unzipOne(Buffer.from(await res.arrayBuffer()));
    expect(name).toBe(`Extraction_Correspondance_MSSante_${stamp}.txt`);
    expect(data.toString('utf8')).toBe(text);
  });

  it('starts with the 31 published column headers', () => {
    const header = text.split('\n')[0]!;
    expect(header).toBe(HEADER);
    expect(header.split('|')).toHaveLength(31);
    expect(rows().every((r) => r.length === 31)).toBe(true);
  });

  it('has the row of a known professional, with the RPPS, the idNat, the profession and the structure', () => {
    const { p, address } = rppsOnlyBox(world);
    const row = rows().find((r) => r[1] === address)!;
    expect(row).toBeDefined();
    const col = (name: string) => row[HEADER.split('|').indexOf(name)];
    expect(col('Type de BAL')).toBe('PER');
    expect(col('Identifiant PP')).toBe(p.rpps);
    expect(col('Identification nationale PP')).toBe(p.idNat);
    expect(col('Code Profession')).toBe(p.profession.code);
    expect(col("Nom d'exercice")!.normalize('NFD').replace(/[\u0300-\u036f]/g, '')).toBe(p.lastName.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase());
    const box = world.mailboxes.find((m) => m.address === address)!;
    const s = world.structures.find((x) => x.id === box.structureId);
    if (s) {
      expect(col('Code postal structure BAL')).toBe(s.address.postalCode);
      expect(col('Identification Structure')).toBe(s.finessET ?? s.siret);
    }
  });

  it('lists every PER and ORG box of the world, and no APP or CAB box (as the live file)', () => {
    const listed = rows().map((r) => `${r[0]} ${r[1]}`).sort();
    const expected = world.mailboxes.filter((m) => m.type === 'PER' || m.type === 'ORG').map((m) => `${m.type} ${m.address}`).sort();
    expect(listed).toEqual(expected);
  });

  it('answers 404 for an extraction it does not serve (PS_LibreAcces)', async () => {
    expect((await fetch(`${t.http}${EXTRACTION.replace('Extraction_Correspondance_MSSante', 'PS_LibreAcces')}`)).status).toBe(404);
  });
});
