import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { World } from '../../fixtures/index.js';
import { createAnnuaireService } from '../../simulators/annuaire/service.js';
import type { TestHost } from '../support/host.js';
import {
  EXT_EMAIL_TYPE,
  EXT_MAILBOX_METADATA,
  FHIR,
  FINESS_SYSTEM,
  IDNPS_SYSTEM,
  RPPS_SYSTEM,
  fhir,
  ids,
  startHostWith,
  mssAddresses,
  practitionerIdOf,
  rppsOnlyBox,
  structureBox,
  type FhirBundle,
  type FhirResource,
  type Outcome,
} from './helpers.js';

let t: TestHost;
let world: World;
beforeAll(async () => {
  // The functional tests fire more than 17 calls a second: this host's gateway has no rate limit
  // (createAnnuaireService({ rateLimit: 0 }), the documented knob); gateway.test.ts covers the limit.
  t = await startHostWith([createAnnuaireService({ rateLimit: 0 })]);
  world = t.host.context.sandboxes.world();
});
afterAll(() => t?.close());

const enc = encodeURIComponent;

describe('Annuaire FHIR: resources', () => {
  it('serves a searchset Bundle in application/fhir+json with total, absolute fullUrls and a self link', async () => {
    const { status, body, headers } = await fhir(t, 'Practitioner');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/fhir+json;charset=utf-8');
    expect(body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: world.professionals.length });
    expect(body.entry).toHaveLength(world.professionals.length);
    expect(body.entry![0]!.fullUrl).toBe(`${t.http}${FHIR}/Practitioner/${body.entry![0]!.resource.id}`);
    expect(body.link).toEqual([{ relation: 'self', url: `${t.http}${FHIR}/Practitioner` }]);
  });

  it('builds the Practitioner of a professional: profiles, IDNPS and RPPS identifiers, name, qualification, smartcard', async () => {
    const p = world.professionals.find((x) => x.specialty && x.title)!;
    const { status, body, headers } = await fhir<FhirResource>(t, `Practitioner/${practitionerIdOf(p)}`);
    expect(status).toBe(200);
    expect(headers.get('etag')).toBe('W/"1"');
    expect(body.meta.profile).toEqual([
      'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-practitioner',
      'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-practitioner',
    ]);
    expect(body.active).toBe(true);
    expect(body.identifier).toEqual([
      { use: 'official', type: { coding: [{ system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203', code: 'IDNPS' }] }, system: IDNPS_SYSTEM, value: p.idNat },
      { use: 'official', type: { coding: [{ system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203', code: 'RPPS' }] }, system: RPPS_SYSTEM, value: p.rpps },
    ]);
    expect(body.name).toEqual([{ text: `${p.lastName} ${p.firstName}`, family: p.lastName, given: [p.firstName], prefix: [p.civility], suffix: ['DR'] }]);
    const codings = (body.qualification as { code: { coding: { system: string; code: string }[] } }[]).flatMap((q) => q.code.coding);
    expect(codings).toContainEqual(expect.objectContaining({ system: 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante', code: p.profession.code }));
    expect(codings).toContainEqual(expect.objectContaining({ system: 'https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale', code: p.specialty!.code }));
    const card = (body.extension as { url: string; extension: { url: string; valueString?: string }[] }[]).find((e) => e.url.endsWith('/as-ext-smartcard'))!;
    expect(card.extension.find((e) => e.url === 'number')!.valueString).toBe(p.card.number);
  });

  it('publishes an RPPS-only PER box on the Practitioner with both MSSanté telecom extensions', async () => {
    const { p, address } = rppsOnlyBox(world);
    const { body } = await fhir<FhirResource>(t, `Practitioner/${practitionerIdOf(p)}`);
    const telecom = body.telecom!.find((x) => x.value === address)!;
    expect(telecom.system).toBe('email');
    expect(telecom.extension![0]).toEqual({ url: EXT_EMAIL_TYPE, valueCoding: { system: 'https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie', code: 'MSSANTE', display: 'MSSANTE' } });
    const meta = telecom.extension![1]!;
    expect(meta.url).toBe(EXT_MAILBOX_METADATA);
    expect(meta.extension![0]).toEqual({ url: 'type', valueCodeableConcept: { coding: [{ system: 'https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL', code: 'PER' }] } });
  });

  it('publishes a structure-registered PER box on the PractitionerRole, ORG/APP boxes on the Organization', async () => {
    const { p, address } = structureBox(world);
    const roles = await fhir(t, `PractitionerRole?practitioner=${practitionerIdOf(p)}`);
    expect(roles.body.entry!.flatMap((e) => mssAddresses(e.resource))).toContain(address);
    const practitioner = await fhir<FhirResource>(t, `Practitioner/${practitionerIdOf(p)}`);
    expect(mssAddresses(practitioner.body)).not.toContain(address);

    const s = world.structures.find((x) => x.type === 'CH')!;
    const orgs = await fhir(t, `Organization?identifier=${enc(`${FINESS_SYSTEM}|${s.finessET}`)}`);
    expect(orgs.body.total).toBe(1);
    const org = orgs.body.entry![0]!.resource;
    const types = org.telecom!.map((x) => x.extension![1]!.extension!.find((e) => e.url === 'type')!.valueCodeableConcept!.coding[0]!.code);
    expect(new Set(types)).toEqual(new Set(world.mailboxes.filter((m) => m.ownerId === s.id).map((m) => m.type)));
    expect(types).toEqual(expect.arrayContaining(['ORG', 'APP']));
  });

  it('reads by id; an unknown id is a 404 OperationOutcome, an unknown type a HAPI-0302 error', async () => {
    const missing = await fhir<Outcome>(t, 'Practitioner/003-999-00000000000');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/fhir+json;charset=utf-8');
    expect(missing.body.resourceType).toBe('OperationOutcome');
    expect(missing.body.issue[0]!.diagnostics).toContain('Practitioner/003-999-00000000000');
    const p = world.professionals[2]!;
    expect(ids((await fhir(t, `Practitioner?_id=${practitionerIdOf(p)}`)).body)).toEqual([practitionerIdOf(p)]);
    const type = await fhir<Outcome>(t, 'PractitiXXXner?name=x');
    expect(type.status).toBe(404);
    expect(type.body.issue[0]!.diagnostics).toMatch(/^HAPI-0302: Unknown resource type 'PractitiXXXner'/);
  });

  it('answers metadata with a CapabilityStatement listing the mailbox-mss parameter', async () => {
    const { status, body } = await fhir<{ resourceType: string; fhirVersion: string; rest: { resource: { type: string; searchParam: { name: string }[] }[] }[] }>(t, 'metadata');
    expect(status).toBe(200);
    expect(body.resourceType).toBe('CapabilityStatement');
    expect(body.fhirVersion).toBe('4.0.1');
    for (const type of ['Practitioner', 'PractitionerRole', 'Organization']) {
      expect(body.rest[0]!.resource.find((r) => r.type === type)!.searchParam.map((s) => s.name)).toContain('mailbox-mss');
    }
  });

  it('puts the /_sandbox/<id> prefix in fullUrls and links', async () => {
    const { body } = await fhir(t, `/_sandbox/annu-prefix${FHIR}/Organization?_count=1`);
    expect(body.entry![0]!.fullUrl.startsWith(`${t.http}/_sandbox/annu-prefix${FHIR}/Organization/`)).toBe(true);
    expect(body.link.find((l) => l.relation === 'next')!.url.startsWith(`${t.http}/_sandbox/annu-prefix${FHIR}/_page?id=`)).toBe(true);
  });
});

describe('Annuaire FHIR: search parameters', () => {
  it('identifier: RPPS alone, system|value, the idNat under the IDNPS system, OR with commas', async () => {
    const [a, b] = world.professionals;
    expect(ids((await fhir(t, `Practitioner?identifier=${a!.rpps}`)).body)).toEqual([practitionerIdOf(a!)]);
    expect(ids((await fhir(t, `Practitioner?identifier=${enc(`${RPPS_SYSTEM}|${a!.rpps}`)}`)).body)).toEqual([practitionerIdOf(a!)]);
    expect(ids((await fhir(t, `Practitioner?identifier=${enc(`${IDNPS_SYSTEM}|${a!.idNat}`)}`)).body)).toEqual([practitionerIdOf(a!)]);
    expect((await fhir(t, `Practitioner?identifier=${enc(`${IDNPS_SYSTEM}|${a!.rpps}`)}`)).body.total).toBe(0);
    expect(ids((await fhir(t, `Practitioner?identifier=${a!.rpps},${b!.idNat}`)).body).sort()).toEqual([practitionerIdOf(a!), practitionerIdOf(b!)].sort());
    expect((await fhir(t, `Practitioner?identifier=${enc(`${RPPS_SYSTEM}|`)}`)).body.total).toBe(world.professionals.length);
  });

  it('name, family, given: starts-with, case- and accent-insensitive; :exact and :contains; name:family as in the ANS docs', async () => {
    const p = world.professionals.find((x) => /[éèêëîïôöûüç]/i.test(x.firstName + x.lastName))!;
    const plain = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase();
    const expectedFamily = world.professionals.filter((x) => plain(x.lastName).startsWith(plain(p.lastName))).map(practitionerIdOf);
    expect(ids((await fhir(t, `Practitioner?family=${enc(plain(p.lastName))}`)).body).sort()).toEqual(expectedFamily.sort());
    expect(ids((await fhir(t, `Practitioner?given=${enc(plain(p.firstName).toLowerCase())}`)).body)).toContain(practitionerIdOf(p));
    expect(ids((await fhir(t, `Practitioner?name=${enc(plain(p.firstName).slice(0, 3))}`)).body)).toContain(practitionerIdOf(p));
    expect(ids((await fhir(t, `Practitioner?name:family=${enc(p.lastName)}&name:given=${enc(p.firstName)}`)).body)).toContain(practitionerIdOf(p));
    expect(ids((await fhir(t, `Practitioner?family:exact=${enc(p.lastName)}`)).body)).toContain(practitionerIdOf(p));
    expect(ids((await fhir(t, `Practitioner?family:exact=${enc(p.lastName.toUpperCase() === p.lastName ? p.lastName.toLowerCase() : p.lastName.toUpperCase())}`)).body)).not.toContain(practitionerIdOf(p));
    const middle = plain(p.lastName).slice(1, 4);
    expect(ids((await fhir(t, `Practitioner?family:contains=${enc(middle)}`)).body)).toContain(practitionerIdOf(p));
  });

  it('mailbox-mss: a whole address finds its owner; a fragment needs :contains (as the live server)', async () => {
    const { p, address } = rppsOnlyBox(world);
    expect(ids((await fhir(t, `Practitioner?mailbox-mss=${enc(address.toUpperCase())}`)).body)).toEqual([practitionerIdOf(p)]);
    expect((await fhir(t, `Practitioner?mailbox-mss=${enc(address.slice(0, 6))}`)).body.total).toBe(0);
    expect(ids((await fhir(t, `Practitioner?mailbox-mss:contains=${enc(address.slice(2, 12))}`)).body)).toContain(practitionerIdOf(p));
    expect((await fhir(t, `Practitioner?mailbox-mss:exact=${enc(address.toUpperCase())}`)).body.total).toBe(0);

    const withBox = (await fhir(t, `Practitioner?mailbox-mss:contains=%40&_count=500`)).body;
    expect(withBox.total).toBeGreaterThan(0);
    expect(withBox.entry!.every((e) => mssAddresses(e.resource).length > 0)).toBe(true);
    const all = (await fhir(t, 'Practitioner?_count=500')).body;
    expect(withBox.total).toBe(all.entry!.filter((e) => mssAddresses(e.resource).length > 0).length);

    const role = structureBox(world);
    const roles = (await fhir(t, `PractitionerRole?mailbox-mss=${enc(role.address)}`)).body;
    expect(roles.total).toBe(1);
    expect(roles.entry![0]!.resource.practitioner).toEqual({ reference: `Practitioner/${practitionerIdOf(role.p)}` });
    const org = world.mailboxes.find((m) => m.type === 'ORG')!;
    expect((await fhir(t, `Organization?mailbox-mss=${enc(org.address)}`)).body.total).toBe(1);
  });

  it('active, qualification-code (code or system|code), identifier-type', async () => {
    expect((await fhir(t, 'Practitioner?active=true')).body.total).toBe(world.professionals.length);
    expect((await fhir(t, 'Practitioner?active=false')).body.total).toBe(0);
    expect((await fhir<Outcome>(t, 'Practitioner?active=maybe')).status).toBe(400);
    const medecins = world.professionals.filter((p) => p.profession.code === '10').map(practitionerIdOf);
    expect(ids((await fhir(t, 'Practitioner?qualification-code=10&_count=500')).body).sort()).toEqual(medecins.sort());
    const sm = world.professionals.find((p) => p.specialty)!.specialty!.code;
    const withSm = world.professionals.filter((p) => p.specialty?.code === sm).map(practitionerIdOf);
    const q = enc(`https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale|${sm}`);
    expect(ids((await fhir(t, `Practitioner?qualification-code=${q}&_count=500`)).body).sort()).toEqual(withSm.sort());
    expect((await fhir(t, 'Practitioner?identifier-type=RPPS')).body.total).toBe(world.professionals.length);
  });

  it('PractitionerRole: practitioner, organization and role (mode d\'exercice) references and tokens', async () => {
    const s = world.structures.find((x) => x.type === 'CH')!;
    const orgId = (await fhir(t, `Organization?identifier=${s.finessET}`)).body.entry![0]!.resource.id;
    const staff = world.professionals.filter((p) => p.exercices.some((e) => e.activities.some((a) => a.structureId === s.id)));
    const roles = (await fhir(t, `PractitionerRole?organization=Organization/${orgId}&_count=500`)).body;
    expect(roles.total).toBe(staff.length);
    expect(new Set(roles.entry!.map((e) => (e.resource.practitioner as { reference: string }).reference))).toEqual(new Set(staff.map((p) => `Practitioner/${practitionerIdOf(p)}`)));
    const liberal = world.professionals.flatMap((p) => p.exercices.flatMap((e) => e.activities)).filter((a) => a.mode === 'L').length;
    expect((await fhir(t, `PractitionerRole?role=${enc('https://mos.esante.gouv.fr/NOS/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice|L')}&_count=500`)).body.total).toBe(liberal);
  });

  it('Organization: name, address-city (accent-insensitive), address-postalcode prefix, type, partof', async () => {
    const s = world.structures.find((x) => x.type === 'OFFICINE')!;
    const byName = ids((await fhir(t, `Organization?name:contains=${enc(s.name.split(' ').pop()!.toLowerCase())}`)).body);
    expect(byName).toContain(`001-01-${Number(s.id.slice(3))}`);
    const city = ids((await fhir(t, `Organization?address-city=${enc(s.address.city.toLowerCase())}`)).body);
    expect(city).toContain(`001-01-${Number(s.id.slice(3))}`);
    const dept = ids((await fhir(t, `Organization?address-postalcode=${s.address.postalCode.slice(0, 2)}`)).body);
    expect(dept).toContain(`001-01-${Number(s.id.slice(3))}`);
    const sa33 = (await fhir(t, `Organization?type=${enc('https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite|SA33')}`)).body;
    expect(sa33.total).toBe(world.structures.filter((x) => x.type === 'OFFICINE').length);
    const legal = (await fhir(t, 'Organization?type=LEGAL-ENTITY')).body;
    expect(legal.total).toBe(world.structures.filter((x) => x.finessEJ).length);
    const finess = world.structures.filter((x) => x.finessET).length;
    expect((await fhir(t, 'Organization?data-information-system=FINESS')).body.total).toBe(finess * 2);
    expect((await fhir(t, 'Organization?data-information-system=RPPS')).body.total).toBe(world.structures.length - finess);
    const parts = (await fhir(t, `Organization?partof=${legal.entry![0]!.resource.id}`)).body;
    expect(parts.total).toBe(1);
    expect(parts.entry![0]!.resource.partOf).toEqual({ reference: `Organization/${legal.entry![0]!.resource.id}` });
  });

  it('_lastUpdated with prefixes, and two bounds', async () => {
    const all = (await fhir(t, 'Practitioner?_count=500')).body.entry!.map((e) => ({ id: e.resource.id, at: Date.parse(e.resource.meta.lastUpdated) }));
    const dates = [...new Set(all.map((x) => x.at))].sort((a, b) => a - b);
    const pivot = dates[Math.floor(dates.length / 2)]!;
    const day = new Date(pivot).toISOString().slice(0, 10);
    const ge = all.filter((x) => x.at >= Date.parse(day)).map((x) => x.id);
    expect(ids((await fhir(t, `Practitioner?_lastUpdated=ge${day}&_count=500`)).body).sort()).toEqual(ge.sort());
    const lt = all.filter((x) => x.at < Date.parse(day)).map((x) => x.id);
    expect(ids((await fhir(t, `Practitioner?_lastUpdated=lt${day}&_count=500`)).body).sort()).toEqual(lt.sort());
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const within = all.filter((x) => x.at >= Date.parse(day) && x.at < Date.parse(next)).map((x) => x.id);
    expect(ids((await fhir(t, `Practitioner?_lastUpdated=ge${day}&_lastUpdated=lt${next}&_count=500`)).body).sort()).toEqual(within.sort());
    expect(ids((await fhir(t, `Practitioner?_lastUpdated=${day}&_count=500`)).body).sort()).toEqual(within.sort());
    expect((await fhir<Outcome>(t, 'Practitioner?_lastUpdated=yesterday')).status).toBe(400);
  });

  it('_include on PractitionerRole, _revinclude on Practitioner and Organization', async () => {
    const role = (await fhir(t, 'PractitionerRole?_count=1&_include=PractitionerRole:practitioner&_include=PractitionerRole:organization')).body;
    const r = role.entry![0]!.resource as FhirResource & { practitioner: { reference: string }; organization: { reference: string } };
    const included = (role.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(included.sort()).toEqual([r.practitioner.reference, r.organization.reference].sort());

    const { p } = structureBox(world);
    const withRoles = (await fhir(t, `Practitioner?identifier=${p.rpps}&_revinclude=PractitionerRole:practitioner`)).body;
    expect(withRoles.total).toBe(1);
    expect(ids(withRoles, 'include').length).toBe(p.exercices.flatMap((e) => e.activities).length);

    const s = world.structures.find((x) => x.type === 'CH')!;
    const org = (await fhir(t, `Organization?identifier=${s.finessET}&_revinclude=PractitionerRole:organization&_include=Organization:partof`)).body;
    const inc = (org.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => e.resource.resourceType);
    expect(inc.filter((x) => x === 'PractitionerRole').length).toBe(world.professionals.filter((p) => p.exercices.some((e) => e.activities.some((a) => a.structureId === s.id))).length);
    expect(inc).toContain('Organization');
    expect((await fhir<Outcome>(t, 'Practitioner?_include=Practitioner:organization')).status).toBe(400);
  });

  it('_elements keeps the listed elements and tags the resource SUBSETTED', async () => {
    const { p } = rppsOnlyBox(world);
    const { body } = await fhir(t, `Practitioner?identifier=${p.rpps}&_elements=identifier,telecom`);
    const r = body.entry![0]!.resource;
    expect(Object.keys(r).sort()).toEqual(['id', 'identifier', 'meta', 'resourceType', 'telecom']);
    expect(r.meta.tag).toEqual([expect.objectContaining({ code: 'SUBSETTED' })]);
  });

  it('POST [type]/_search with a form body searches like GET', async () => {
    const p = world.professionals[3]!;
    const { status, body } = await fhir(t, 'Practitioner/_search', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `identifier=${p.rpps}` });
    expect(status).toBe(200);
    expect(ids(body)).toEqual([practitionerIdOf(p)]);
  });
});

describe('Annuaire FHIR: paging', () => {
  it('pages with _count and an opaque next link until the last page, every match exactly once', async () => {
    const first = (await fhir(t, 'PractitionerRole?_count=7')).body;
    expect(first.entry).toHaveLength(7);
    const seen: string[] = [];
    let page: FhirBundle | undefined = first;
    let pages = 0;
    while (page) {
      pages++;
      expect(page.total).toBe(first.total);
      seen.push(...ids(page));
      const next: string | undefined = page.link.find((l) => l.relation === 'next')?.url;
      expect(next === undefined || next.startsWith(`${t.http}${FHIR}/_page?id=`)).toBe(true);
      page = next ? (await fhir(t, next.slice(t.http.length))).body : undefined;
    }
    expect(pages).toBe(Math.ceil(first.total! / 7));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(ids((await fhir(t, 'PractitionerRole?_count=500')).body).sort());
  });

  it('defaults to 50 per page; _count=0 gives only the total; a bad page id is 410 Gone', async () => {
    const zero = (await fhir(t, 'Practitioner?_count=0')).body;
    expect(zero.total).toBe(world.professionals.length);
    expect(zero.entry).toBeUndefined();
    const gone = await fhir<Outcome>(t, `${FHIR}/_page?id=not-a-page`);
    expect(gone.status).toBe(410);
    expect(gone.body.resourceType).toBe('OperationOutcome');
    expect((await fhir<Outcome>(t, 'Practitioner?_count=ten')).status).toBe(400);
  });
});

describe('Annuaire FHIR: errors and scenarios', () => {
  it('refuses an unknown parameter with a 400 OperationOutcome naming it', async () => {
    for (const q of ['foo=1', 'mailbox-mss-type=PER', '_summary=count', 'name:fuzzy=x']) {
      const { status, body } = await fhir<Outcome>(t, `Practitioner?${q}`);
      expect(status, q).toBe(400);
      expect(body.resourceType).toBe('OperationOutcome');
      expect(body.issue[0]!.diagnostics).toContain(q.split('=')[0]!.split(':')[0]!);
    }
    const ns = await fhir<Outcome>(t, 'Organization?pharmacy-licence=123');
    expect(ns.status).toBe(400);
    expect(ns.body.issue[0]!.code).toBe('not-supported');
  });

  it('ignores an unknown parameter under Prefer: handling=lenient (and leaves it out of the self link)', async () => {
    const { status, body } = await fhir(t, 'Practitioner?foo=1&_count=2', { headers: { prefer: 'handling=lenient' } });
    expect(status).toBe(200);
    expect(body.total).toBe(world.professionals.length);
    expect(body.link.find((l) => l.relation === 'self')!.url).toBe(`${t.http}${FHIR}/Practitioner?_count=2`);
  });

  it('forbids PUT and DELETE', async () => {
    expect((await fhir<Outcome>(t, 'Practitioner/x', { method: 'PUT', body: '{}' })).status).toBe(403);
    expect((await fhir<Outcome>(t, 'Practitioner/x', { method: 'DELETE' })).status).toBe(403);
  });

  it('goes through the scenario engine: annuaire.throttle matched on the searched RPPS, journaled with its facts', async () => {
    const p = world.professionals[5]!;
    await t.admin.uploadScenario(`name: annuaire-throttle-one
rules:
  - id: throttle-rpps
    match: { service: annuaire, operation: search, facts: { rpps: "${p.rpps}" } }
    effects:
      - outcome: { name: annuaire.throttle, with: {} }
`);
    await t.admin.activate('annuaire-throttle-one', 'annu-scn');
    const sandbox = { 'X-Segur-Sandbox': 'annu-scn' };
    const hit = await fhir<Outcome>(t, `Practitioner?identifier=${p.rpps}`, { headers: sandbox });
    expect(hit.status).toBe(429);
    expect(hit.body.issue[0]!.code).toBe('throttled');
    expect((await fhir(t, `Practitioner?identifier=${world.professionals[6]!.rpps}`, { headers: sandbox })).status).toBe(200);
    const journal = await t.admin.journal('annu-scn', { service: 'annuaire' });
    const entry = journal.entries.find((e) => e.response.status === 429)!;
    expect(entry.operation).toBe('search');
    expect(entry.decision?.channel).toBe('sandbox');
    expect(entry.summary).toMatchObject({ resource: 'Practitioner', rpps: p.rpps, gateway: 'rate-limited' });
  });
});
