import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../simulators/core/clock.js';
import { createAnnuaireService } from '../../simulators/annuaire/service.js';
import { startTestHost, type TestHost } from '../support/host.js';
import { EXTRACTION, KEY, fhir, startHostWith, type FhirBundle, type Outcome } from './helpers.js';

describe('Annuaire gateway: ESANTE-API-KEY and the 17 calls/s plan (default host)', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(() => t?.close());

  it('answers 401 OperationOutcome without a key, 401 with an unknown key, 200 with the demo key', async () => {
    const sandbox = { 'X-Segur-Sandbox': 'gw-keys' };
    const none = await fhir<Outcome>(t, 'Practitioner', { key: null, headers: sandbox });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/fhir+json;charset=utf-8');
    expect(none.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: 'Unauthorized' }] });
    const wrong = await fhir<Outcome>(t, 'Practitioner', { key: 'not-a-real-key', headers: sandbox });
    expect(wrong.status).toBe(401);
    expect(wrong.body.issue[0]!.diagnostics).toBe('API Key is not valid or is expired / revoked.');
    const ok = await fhir(t, 'metadata', { headers: sandbox });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-rate-limit-limit')).toBe('17');
  });

  it('throttles beyond 17 calls within one second (429 OperationOutcome), then serves again after the window', async () => {
    const sandbox = { 'X-Segur-Sandbox': 'gw-burst' };
    const burst = await Promise.all(Array.from({ length: 40 }, () => fhir<FhirBundle | Outcome>(t, 'Organization?_count=1', { headers: sandbox })));
    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(17);
    const outcome = refused[0]!.body as Outcome;
    expect(outcome.issue[0]).toMatchObject({ code: 'throttled', diagnostics: 'Rate limit exceeded ! You reach the limit of 17 requests per 1 seconds' });
    expect(refused[0]!.headers.get('x-rate-limit-remaining')).toBe('0');
    let status = 429;
    for (let i = 0; i < 30 && status === 429; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await fhir(t, 'Organization?_count=1', { headers: sandbox })).status;
    }
    expect(status).toBe(200);
  });

  it('serves the public extraction without a key', async () => {
    const res = await fetch(`${t.http}${EXTRACTION}`, { headers: { 'X-Segur-Sandbox': 'gw-extraction' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
  });
});

describe('Annuaire gateway: fixed one-second window (manual clock)', () => {
  const clock = new ManualClock('2025-06-30T10:00:00Z');
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost({}, { clock });
  });
  afterAll(() => t?.close());

  it('serves exactly 17 calls in a window, refuses the 18th, serves again once the clock moved by a second', async () => {
    const sandbox = { 'X-Segur-Sandbox': 'gw-window' };
    const statuses: number[] = [];
    for (let i = 0; i < 18; i++) statuses.push((await fhir(t, 'Practitioner?_count=1', { headers: sandbox })).status);
    expect(statuses.slice(0, 17).every((s) => s === 200)).toBe(true);
    expect(statuses[17]).toBe(429);
    // The bulk extraction is not behind the gateway: no key, not counted, served while the plan is exhausted.
    expect((await fetch(`${t.http}${EXTRACTION}`, { headers: sandbox })).status).toBe(200);
    clock.advance(999);
    expect((await fhir(t, 'Practitioner?_count=1', { headers: sandbox })).status).toBe(429);
    clock.advance(1);
    const again = await fhir(t, 'Practitioner?_count=1', { headers: sandbox });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-rate-limit-remaining')).toBe('16');
  });

  it('counts per sandbox and per key: another sandbox is not throttled by this one', async () => {
    for (let i = 0; i < 18; i++) await fhir(t, 'Practitioner?_count=1', { headers: { 'X-Segur-Sandbox': 'gw-a' } });
    expect((await fhir(t, 'Practitioner?_count=1', { headers: { 'X-Segur-Sandbox': 'gw-a' } })).status).toBe(429);
    expect((await fhir(t, 'Practitioner?_count=1', { headers: { 'X-Segur-Sandbox': 'gw-b' } })).status).toBe(200);
  });
});

describe('Annuaire gateway: options (own keys, Gravitee-style errors)', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startHostWith([createAnnuaireService({ apiKeys: ['key-one', 'key-two'], rateLimit: 2, gatewayErrors: 'gravitee' })], { clock: new ManualClock('2025-06-30T10:00:00Z') });
  });
  afterAll(() => t?.close());

  it('accepts only the configured keys and answers gateway errors as Gravitee JSON', async () => {
    const demo = await fhir<{ message: string; http_status_code: number }>(t, 'Practitioner', { key: KEY });
    expect(demo.status).toBe(401);
    expect(demo.headers.get('content-type')).toBe('application/json');
    expect(demo.body).toEqual({ message: 'API Key is not valid or is expired / revoked.', http_status_code: 401 });
    expect((await fhir(t, 'Practitioner?_count=1', { key: 'key-one' })).status).toBe(200);
    expect((await fhir(t, 'Practitioner?_count=1', { key: 'key-one' })).status).toBe(200);
    const third = await fhir<{ message: string; http_status_code: number }>(t, 'Practitioner?_count=1', { key: 'key-one' });
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ message: 'Rate limit exceeded ! You reach the limit of 2 requests per 1 seconds', http_status_code: 429 });
    // The limit is per key.
    expect((await fhir(t, 'Practitioner?_count=1', { key: 'key-two' })).status).toBe(200);
  });
});
