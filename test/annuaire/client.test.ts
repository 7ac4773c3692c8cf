import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../fixtures/index.js';
import { AnnuaireClient, AnnuaireError } from '../../client/mssante/annuaire.js';
import { ManualClock } from '../../simulators/core/clock.js';
import { createAnnuaireService } from '../../simulators/annuaire/service.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { FHIR, KEY, fhir, practitionerIdOf, rppsOnlyBox, startHostWith, structureBox } from './helpers.js';

describe('AnnuaireClient against the simulator', () => {
  let t: TestHost;
  let world: World;
  let client: AnnuaireClient;
  beforeAll(async () => {
    t = await startHostWith([createAnnuaireService({ rateLimit: 0 })]);
    world = t.host.context.sandboxes.world();
    client = new AnnuaireClient({ baseUrl: `${t.http}${FHIR}`, apiKey: KEY });
  });
  afterAll(() => t?.close());

  it('searchPractitioners by identifier (RPPS or idNat) and by name', async () => {
    const p = world.professionals[4]!;
    expect((await client.searchPractitioners({ identifier: p.rpps })).map((x) => x.id)).toEqual([practitionerIdOf(p)]);
    expect((await client.searchPractitioners({ identifier: p.idNat })).map((x) => x.id)).toEqual([practitionerIdOf(p)]);
    const byName = await client.searchPractitioners({ name: p.lastName });
    expect(byName.map((x) => x.id)).toContain(practitionerIdOf(p));
    expect(byName.every((x) => x.resourceType === 'Practitioner')).toBe(true);
  });

  it('searchPractitioners by mailbox finds the owner whether the box is on the Practitioner or on a PractitionerRole', async () => {
    const direct = rppsOnlyBox(world);
    expect((await client.searchPractitioners({ mailbox: direct.address })).map((x) => x.id)).toEqual([practitionerIdOf(direct.p)]);
    const viaRole = structureBox(world);
    expect((await client.searchPractitioners({ mailbox: viaRole.address })).map((x) => x.id)).toEqual([practitionerIdOf(viaRole.p)]);
  });

  it('findMailboxes of a professional: every PER/CAB address with its type and the owner RPPS', async () => {
    const p = world.professionals.find((x) => world.mailboxes.some((m) => m.type === 'CAB' && m.ownerId === x.id))!;
    const boxes = await client.findMailboxes({ identifier: p.rpps });
    const expected = world.mailboxes.filter((m) => m.ownerId === p.id).map((m) => `${m.type} ${m.address}`).sort();
    expect(boxes.map((b) => `${b.type} ${b.address}`).sort()).toEqual(expected);
    expect(boxes.every((b) => b.owner.kind === 'practitioner' && b.owner.rpps === p.rpps && b.owner.idNat === p.idNat)).toBe(true);
  });

  it('findMailboxes of a hospital professional gives the structure of the activity', async () => {
    const { p, address, structureId } = structureBox(world);
    const s = world.structures.find((x) => x.id === structureId)!;
    const [box] = (await client.findMailboxes({ identifier: p.rpps })).filter((b) => b.address === address);
    expect(box).toMatchObject({ type: 'PER', source: { resourceType: 'PractitionerRole' }, owner: { kind: 'practitioner', rpps: p.rpps } });
    expect(box!.organization!.name!.toLowerCase()).toBe(s.name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase());
  });

  it('findMailboxes of a structure: its ORG and APP boxes and its staff boxes', async () => {
    const s = world.structures.find((x) => x.type === 'CH')!;
    const boxes = await client.findMailboxes({ organization: s.finessET! });
    const expected = world.mailboxes.filter((m) => m.structureId === s.id && (m.ownerKind === 'structure' || m.address.endsWith(`@${s.mssDomain}`))).map((m) => `${m.type} ${m.address}`);
    expect(boxes.map((b) => `${b.type} ${b.address}`).sort()).toEqual(expected.sort());
    const org = boxes.find((b) => b.type === 'ORG')!;
    expect(org.owner).toMatchObject({ kind: 'organization', finess: s.finessET, siret: s.siret });
    expect(org.description).toBeTruthy();
  });

  it('findMailboxes by address fragment, filtered by type', async () => {
    const s = world.structures.find((x) => x.type === 'CH')!;
    const orgs = await client.findMailboxes({ mailbox: `@${s.mssDomain}`, types: ['ORG', 'APP'] });
    expect(orgs.map((b) => b.address).sort()).toEqual(world.mailboxes.filter((m) => m.structureId === s.id && m.ownerKind === 'structure').map((m) => m.address).sort());
    expect(orgs.every((b) => b.owner.kind === 'organization')).toBe(true);
  });

  it('follows next links: a small page size gives every match once', async () => {
    const paged = new AnnuaireClient({ baseUrl: `${t.http}${FHIR}`, apiKey: KEY, pageSize: 4 });
    const r = await paged.search('Practitioner', {});
    expect(r.total).toBe(world.professionals.length);
    expect(r.pages).toBe(Math.ceil(world.professionals.length / 4));
    expect(new Set(r.matches.map((m) => m.id)).size).toBe(world.professionals.length);
  });

  it('throws AnnuaireError with the OperationOutcome text: bad key, unknown id, unknown parameter', async () => {
    const bad = new AnnuaireClient({ baseUrl: `${t.http}${FHIR}`, apiKey: 'wrong' });
    const e1 = await bad.searchPractitioners({ name: 'x' }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(AnnuaireError);
    expect(e1).toMatchObject({ code: 'unauthorized', status: 401 });
    expect((e1 as AnnuaireError).message).toContain('API Key is not valid or is expired / revoked.');
    const e2 = (await client.read('Practitioner', 'nope').catch((e: unknown) => e)) as AnnuaireError;
    expect(e2).toMatchObject({ code: 'not-found', status: 404 });
    expect(e2.diagnostics[0]).toContain('Practitioner/nope');
    const e3 = (await client.search('Practitioner', { foo: 'bar' }).catch((e: unknown) => e)) as AnnuaireError;
    expect(e3.code).toBe('invalid');
    expect(e3.outcome?.resourceType).toBe('OperationOutcome');
    expect(e3.message).toContain('Parameter foo not found');
  });

  it('reads the Gravitee JSON error shape too', async () => {
    const stub = (async () => new Response(JSON.stringify({ message: 'Rate limit exceeded ! You reach the limit of 17 requests per 1 seconds', http_status_code: 429 }), { status: 429, headers: { 'content-type': 'application/json' } })) as typeof fetch;
    const sleeps: number[] = [];
    const c = new AnnuaireClient({ baseUrl: 'https://gateway.example/fhir/v2', apiKey: 'k', fetch: stub, retry: { retries: 1 }, sleep: async (ms) => void sleeps.push(ms) });
    const e = (await c.searchPractitioners({ identifier: '10000000000' }).catch((x: unknown) => x)) as AnnuaireError;
    expect(e).toMatchObject({ code: 'rate-limited', status: 429 });
    expect(e.message).toContain('Rate limit exceeded');
    expect(sleeps).toHaveLength(1);
  });
});

describe('AnnuaireClient 429 handling (manual clock)', () => {
  const clock = new ManualClock('2025-06-30T10:00:00Z');
  let t: TestHost;
  let world: World;
  beforeAll(async () => {
    t = await startTestHost({}, { clock });
    world = t.host.context.sandboxes.world();
  });
  afterAll(() => t?.close());

  it('retries a 429 after a backoff and succeeds once the window has passed', async () => {
    const headers = { 'X-Segur-Sandbox': 'cl-retry' };
    for (let i = 0; i < 17; i++) expect((await fhir(t, 'metadata', { headers })).status).toBe(200);
    const sleeps: number[] = [];
    const c = new AnnuaireClient({ baseUrl: `${t.http}${FHIR}`, apiKey: KEY, sandbox: 'cl-retry', sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    } });
    const p = world.professionals[0]!;
    expect((await c.searchPractitioners({ identifier: p.rpps })).map((x) => x.id)).toEqual([practitionerIdOf(p)]);
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
  });

  it('gives up after the configured number of retries with a rate-limited AnnuaireError', async () => {
    await t.admin.uploadScenario(`name: annuaire-always-throttled
rules:
  - id: all
    match: { service: annuaire }
    effects:
      - outcome: { name: annuaire.throttle, with: {} }
`);
    await t.admin.activate('annuaire-always-throttled', 'cl-always');
    let calls = 0;
    const counting = ((url: string, init?: RequestInit) => {
      calls++;
      return fetch(url, init);
    }) as typeof fetch;
    const sleeps: number[] = [];
    const c = new AnnuaireClient({ baseUrl: `${t.http}${FHIR}`, apiKey: KEY, sandbox: 'cl-always', fetch: counting, retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 400 }, sleep: async (ms) => void sleeps.push(ms) });
    const e = (await c.searchPractitioners({ name: 'a' }).catch((x: unknown) => x)) as AnnuaireError;
    expect(e).toBeInstanceOf(AnnuaireError);
    expect(e).toMatchObject({ code: 'rate-limited', status: 429 });
    expect(e.diagnostics[0]).toContain('Rate limit exceeded');
    expect(calls).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps.every((ms) => ms <= 400)).toBe(true);
  });
});
