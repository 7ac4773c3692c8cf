import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Professional, World } from '../../fixtures/index.js';
import type { Clock } from '../../simulators/core/clock.js';
import { loadConfig } from '../../simulators/core/config/load.js';
import { startHost } from '../../simulators/core/host.js';
import type { SimulatorService } from '../../simulators/core/service.js';
import type { TestHost } from '../support/host.js';
import { AdminClient } from '../../client/admin.js';

export const KEY = 'segur-sim-annuaire-demo-key';
export const FHIR = '/fhir/v2';
export const EXTRACTION = '/annuaire-sante-webservices/V300/services/extraction/Extraction_Correspondance_MSSante';

export const EXT_EMAIL_TYPE = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type';
export const EXT_MAILBOX_METADATA = 'https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata';
export const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
export const IDNPS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
export const FINESS_SYSTEM = 'https://finess.esante.gouv.fr';

/** A host serving only the given services (custom annuaire options), like startTestHost otherwise. */
export async function startHostWith(services: SimulatorService[], opts: { clock?: Clock } = {}): Promise<TestHost> {
  const cwd = mkdtempSync(join(tmpdir(), 'segur-sim-test-'));
  const config = loadConfig({ cwd, env: {}, flags: { 'ports.http': 0, 'ports.https': 0, 'ports.smtp': 0, 'ports.imap': 0, store: 'memory' } });
  const host = await startHost({ config, services, clock: opts.clock, pkiDir: inject('pkiDir'), log: () => {} });
  const http = host.url('http');
  return { host, http, https: host.url('https'), admin: new AdminClient(http), close: () => host.close() };
}

export interface FhirBundle {
  resourceType: string;
  type: string;
  id: string;
  total?: number;
  entry?: { fullUrl: string; resource: FhirResource; search?: { mode: string } }[];
  link: { relation: string; url: string }[];
}

export interface FhirResource {
  resourceType: string;
  id: string;
  meta: { lastUpdated: string; profile: string[]; source?: string; tag?: { code: string }[] };
  identifier?: { system: string; value: string; use?: string; type?: { coding: { system: string; code: string }[] } }[];
  name?: { family: string; given: string[]; prefix?: string[]; suffix?: string[]; text?: string }[] | string;
  telecom?: { system: string; value: string; use?: string; extension?: { url: string; valueCoding?: { system: string; code: string }; extension?: { url: string; valueCodeableConcept?: { coding: { system: string; code: string }[] }; valueString?: string; valueBoolean?: boolean }[] }[] }[];
  [k: string]: unknown;
}

export interface Outcome {
  resourceType: 'OperationOutcome';
  issue: { severity: string; code: string; diagnostics: string }[];
}

/** A FHIR call with the demo key (or the given headers). */
export async function fhir<T = FhirBundle>(t: TestHost, path: string, init: { key?: string | null; headers?: Record<string, string>; method?: string; body?: string } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== null) headers['ESANTE-API-KEY'] = init.key ?? KEY;
  const res = await fetch(`${t.http}${path.startsWith('/') ? path : `${FHIR}/${path}`}`, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export const ids = (b: FhirBundle, mode = 'match') => (b.entry ?? []).filter((e) => (e.search?.mode ?? 'match') === mode).map((e) => e.resource.id);

export function mssAddresses(r: FhirResource): string[] {
  return (r.telecom ?? []).filter((t) => t.extension?.some((e) => e.url === EXT_EMAIL_TYPE && e.valueCoding?.code === 'MSSANTE')).map((t) => t.value);
}

/** The `003-<n>-<rpps>` id the simulator gives a world professional. */
export function practitionerIdOf(p: Professional): string {
  return `003-${Number(p.id.slice(3))}-${p.rpps}`;
}

/** A professional whose PER box is registered with the RPPS only (profession domain: on the Practitioner). */
export function rppsOnlyBox(world: World): { p: Professional; address: string } {
  for (const m of world.mailboxes) {
    if (m.type !== 'PER') continue;
    const s = world.structures.find((x) => x.id === m.structureId);
    if (s && m.address.endsWith(`@${s.mssDomain}`)) continue;
    return { p: world.professionals.find((p) => p.id === m.ownerId)!, address: m.address };
  }
  throw new Error('no RPPS-only mailbox in this world');
}

/** A professional whose PER box is on its structure's domain (published on the PractitionerRole). */
export function structureBox(world: World): { p: Professional; address: string; structureId: string } {
  for (const m of world.mailboxes) {
    const s = world.structures.find((x) => x.id === m.structureId);
    if (m.type === 'PER' && s && m.address.endsWith(`@${s.mssDomain}`)) return { p: world.professionals.find((p) => p.id === m.ownerId)!, address: m.address, structureId: s.id };
  }
  throw new Error('no structure mailbox in this world');
}
