/**
 * The wave-2 child-health flow against a real host: growth measures (CSE-MDE) and the vaccination note
 * (VAC-NOTE) written, fed to the child's DMP and found there; and the measures document itself.
 */
import { describe, expect, it } from 'vitest';
import { generateWorld } from '../../fixtures/index.js';
import { buildDocument, OidGenerator } from '../../fixtures/documents/index.js';
import { parseXml, child } from '../../simulators/core/xml/tree.js';
import { LgcEnvironment } from '../../client/lgc/environment.js';
import { defaultChild } from '../../client/lgc/flows/child-health.js';
import { defaultProfessional, runFlow } from '../../client/lgc/flows/index.js';
import { LgcRecords } from '../../client/lgc/records.js';
import { computeReport } from '../../client/lgc/report.js';
import type { TestHost } from '../support/host.js';
import { lgcSandbox, useLgcHost } from './helpers.js';

let th: TestHost;
let env: LgcEnvironment;
const sandbox = lgcSandbox('child');
useLgcHost(sandbox, (h, e) => {
  th = h;
  env = e;
});

describe('child-health flow', () => {
  it('feeds the growth measures and the vaccination note to the child’s DMP and counts them', async () => {
    const records = await LgcRecords.open(undefined, sandbox);
    const result = await runFlow('child-health', { env, records });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const fed = computeReport(records).rows.filter((r) => r.counts['dmp.fed']).map((r) => r.typeCode).sort();
    expect(fed).toEqual(['29274-8', '87273-9']);
    // The DMP's validator had nothing to say about either document.
    const journal = await th.admin.journal(sandbox, { service: 'dmp' });
    const submissions = journal.entries.filter((e) => e.operation === 'ITI-41');
    expect(submissions).toHaveLength(2);
    for (const e of submissions) expect(e.verdicts.filter((v) => v.level === 'error')).toEqual([]);
  }, 120_000);
});

describe('mesures de l’enfant (CSE-MDE)', () => {
  const world = generateWorld({ seed: 1 });
  const kid = defaultChild(world);
  const doc = buildDocument({ kind: 'mesures-enfant', patient: kid, author: defaultProfessional(world), structure: world.structures[0]!, uniqueId: new OidGenerator(['mde']).next(), effectiveTime: '2026-03-02T09:00:00Z' });
  const root = parseXml(new TextDecoder().decode(doc.content));

  it('is a CSE-MDE CDA: templateId, LOINC type, format code', () => {
    expect(root.children.filter((c) => c.name === 'templateId').map((t) => t.attrs.root)).toContain('1.2.250.1.213.1.1.1.5.4');
    expect(child(root, 'code')?.attrs.code).toBe('29274-8');
    expect(doc.metadata.formatCode.code).toBe('urn:ans:ci-sis:cse-mde:2023');
    expect(doc.metadata.typeCode.code).toBe('29274-8');
  });

  it('carries the coded vital-signs section with plausible, dated measures', () => {
    const section = child(child(child(child(root, 'component'), 'structuredBody'), 'component'), 'section')!;
    expect(section.children.filter((c) => c.name === 'templateId').map((t) => t.attrs.root)).toContain('1.3.6.1.4.1.19376.1.5.3.1.1.5.3.2');
    const organizers = section.children.filter((c) => c.name === 'entry').map((e) => child(e, 'organizer')!);
    expect(organizers.length).toBeGreaterThan(0);
    for (const o of organizers) {
      const values = Object.fromEntries(o.children.filter((c) => c.name === 'component').map((c) => child(c, 'observation')!).map((obs) => [child(obs, 'code')!.attrs.code, Number(child(obs, 'value')!.attrs.value)]));
      expect(values['29463-7']).toBeGreaterThan(2);
      expect(values['29463-7']).toBeLessThan(80);
      expect(values['8302-2']).toBeGreaterThan(45);
      expect(values['8302-2']).toBeLessThan(190);
      expect(child(o, 'effectiveTime')!.attrs.value! <= '20260302').toBe(true);
      expect(child(o, 'effectiveTime')!.attrs.value! > kid.birthDate.replace(/-/g, '')).toBe(true);
    }
  });

  it('refuses an adult (no growth measures)', () => {
    const adult = world.patients.find((p) => p.ins && !p.traits.includes('child'))!;
    expect(() => buildDocument({ kind: 'mesures-enfant', patient: adult, author: defaultProfessional(world), structure: world.structures[0]!, uniqueId: new OidGenerator(['mde2']).next(), effectiveTime: '2026-03-02T09:00:00Z' })).toThrow(/mesures de l'enfant are for children/);
  });
});
