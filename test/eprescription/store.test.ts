/**
 * State: sandbox isolation, reset, and durability of the file store across a host restart (the event log in
 * `<dataDir>/sandboxes/<id>/eprescription/events.jsonl`).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';
import { dataDirWithPki, spawnHost, stop } from '../support/process.js';
import { call, DOCTOR, ep1Body, ep3Executant, ep3Prescripteur, ep4Body, faultCode, newId, PARACETAMOL_EFF, PHARMACIST, prescripteurXml, tag } from './helpers.js';

const asDoctor = { cps: DOCTOR.idNat };
const asPharmacist = { cps: PHARMACIST.idNat };

describe('sandboxes', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(() => t.close());

  it('a prescription lives only in its sandbox; the same identifier can exist in two sandboxes', async () => {
    const a = `${t.http}/_sandbox/ep-a`;
    const b = `${t.http}/_sandbox/ep-b`;
    const id = newId();
    expect((await call(a, 'ep4_creer', ep4Body({ id }), asDoctor)).status).toBe(200);
    expect(faultCode(await call(b, 'ep3_consulter', ep3Executant(id), asPharmacist))).toBe('ep_404');
    expect((await call(b, 'ep4_creer', ep4Body({ id }), asDoctor)).status).toBe(200);
    await call(b, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }]), asPharmacist);
    expect(tag((await call(a, 'ep3_consulter', ep3Executant(id), asPharmacist)).body, 'Statut')).toBe('ACTIVE');
    expect(tag((await call(b, 'ep3_consulter', ep3Executant(id), asPharmacist)).body, 'Statut')).toBe('PARTIELLEMENT_EXECUTEE');
    // The X-Segur-Sandbox header names the sandbox too.
    const viaHeader = await call(t.http, 'ep3_consulter', ep3Executant(id), { ...asPharmacist, headers: { 'x-segur-sandbox': 'ep-a' } });
    expect(tag(viaHeader.body, 'Statut')).toBe('ACTIVE');
  });

  it('a sandbox reset empties its base and nothing else', async () => {
    const a = `${t.http}/_sandbox/ep-r1`;
    const b = `${t.http}/_sandbox/ep-r2`;
    const id = newId();
    await call(a, 'ep4_creer', ep4Body({ id }), asDoctor);
    await call(b, 'ep4_creer', ep4Body({ id }), asDoctor);
    await t.admin.resetSandbox('ep-r1');
    expect(faultCode(await call(a, 'ep3_consulter', ep3Executant(id), asPharmacist))).toBe('ep_404');
    expect((await call(b, 'ep3_consulter', ep3Executant(id), asPharmacist)).status).toBe(200);
    expect((await call(a, 'ep4_creer', ep4Body({ id }), asDoctor)).status).toBe(200);
  });
});

describe('durability (file store)', () => {
  it('creations, executions and cancellations survive a host restart; a reset empties the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ep-durable-'));
    const flags = { store: 'file', dataDir } as const;
    const id = newId();
    const cancelled = newId();
    let t = await startTestHost(flags);
    try {
      const base = `${t.http}/_sandbox/ep-durable`;
      await call(base, 'ep4_creer', ep4Body({ id, opposition: false }), asDoctor);
      await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1, mode: 'SUBSTITUTION', produit: PARACETAMOL_EFF, motif: 'générique' }]), asPharmacist);
      await call(base, 'ep4_creer', ep4Body({ id: cancelled }), asDoctor);
      await call(base, 'ep7_annuler', `<ep:Identifiant>${cancelled}</ep:Identifiant>${prescripteurXml()}`, asDoctor);
    } finally {
      await t.close();
    }
    const log = join(dataDir, 'sandboxes', 'ep-durable', 'eprescription', 'events.jsonl');
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(4);

    t = await startTestHost(flags);
    try {
      const base = `${t.http}/_sandbox/ep-durable`;
      const view = await call(base, 'ep3_consulter', ep3Prescripteur(id), asDoctor);
      expect(tag(view.body, 'Statut')).toBe('PARTIELLEMENT_EXECUTEE');
      expect(tag(view.body, 'NumeroExecution')).toBe('1');
      expect(view.body).toContain('<ep:Mode>SUBSTITUTION</ep:Mode>');
      expect(faultCode(await call(base, 'ep4_creer', ep4Body({ id }), asDoctor))).toBe('ep_402');
      expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(cancelled), asPharmacist))).toBe('ep_407');
      // Numbering continues after the restart.
      expect(tag((await call(base, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }]), asPharmacist)).body, 'NumeroExecution')).toBe('2');
      await t.admin.resetSandbox('ep-durable');
      expect(readFileSync(log, 'utf8')).toBe('');
      expect(faultCode(await call(base, 'ep3_consulter', ep3Executant(id), asPharmacist))).toBe('ep_404');
    } finally {
      await t.close();
    }
  });
});

describe('durability of a spawned host killed with SIGKILL', () => {
  it('every acknowledged creation and execution is there after a kill -9 and a restart', async () => {
    const dataDir = dataDirWithPki();
    const ids = Array.from({ length: 20 }, () => newId());
    const first = await spawnHost(['--data-dir', dataDir]);
    try {
      const base = `${first.http}/_sandbox/ep-kill`;
      const created = await Promise.all(ids.map((id) => call(base, 'ep4_creer', ep4Body({ id }), asDoctor)));
      expect(created.every((r) => r.status === 200)).toBe(true);
      expect((await call(base, 'ep1_transmettreExecution', ep1Body(ids[0]!, [{ n: 1, q: 2 }]), asPharmacist)).status).toBe(200);
    } finally {
      await stop(first.child, 'SIGKILL');
    }
    const second = await spawnHost(['--data-dir', dataDir]);
    try {
      const base = `${second.http}/_sandbox/ep-kill`;
      for (const id of ids) expect((await call(base, 'ep3_consulter', ep3Prescripteur(id), asDoctor)).status, id).toBe(200);
      const view = await call(base, 'ep3_consulter', ep3Prescripteur(ids[0]!), asDoctor);
      expect(view.body).toContain('<ep:EtatLigne Numero="1"><ep:QuantiteDelivree>2</ep:QuantiteDelivree><ep:QuantiteRestante>0</ep:QuantiteRestante></ep:EtatLigne>');
    } finally {
      await stop(second.child);
    }
  }, 120_000);
});
