/**
 * The three authentication modes (README "Authentication") over real sockets: a real Pro Santé Connect token
 * (headless code flow of client/psc against the host's PSC), a card assertion PS, and mTLS with organisation
 * and personal certificates of the host's test PKI; then the IDAM check.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';
import { assertionPs, call, DOCTOR, DOCTOR2, ep1Body, ep3Executant, ep4Body, executantXml, faultCode, newId, PHARMACIST, pscToken, subcode, tag, type Tls } from './helpers.js';

let t: TestHost;
const SB = 'ep-auth';
let base: string;
let org: Tls;
let doctorCert: Tls;

beforeAll(async () => {
  t = await startTestHost();
  base = `${t.http}/_sandbox/${SB}`;
  const pki = t.host.context.pki;
  org = { key: pki.orgClients['INSI-AUTO'].keyPem, cert: pki.orgClients['INSI-AUTO'].chainPem, ca: pki.caCertsPem };
  const personal = pki.professional(DOCTOR.idNat)!;
  doctorCert = { key: personal.keyPem, cert: personal.chainPem, ca: pki.caCertsPem };
});
afterAll(() => t.close());

describe('e-CPS through Pro Santé Connect (Authorization: Bearer)', () => {
  it('a real token of the prescriber creates; the token’s professional must be the body’s', async () => {
    const token = await pscToken(t, SB, DOCTOR.idNat);
    const headers = { authorization: `Bearer ${token}` };
    const ok = await call(base, 'ep4_creer', ep4Body({ id: newId() }), { headers });
    expect(ok.status).toBe(200);
    const other = await call(base, 'ep4_creer', ep4Body({ id: newId(), prescriber: DOCTOR2.rpps }), { headers });
    expect(faultCode(other)).toBe('ep_403');
    const { entries } = await t.admin.journal(SB, { service: 'eprescription', operation: 'ep4_creer' });
    expect(entries.some((e) => e.summary.authMode === 'psc' && e.summary.outcome === 'OK')).toBe(true);
  });

  it('a token the sandbox’s PSC did not issue is desir_521 (another sandbox’s, or not a token at all)', async () => {
    const foreign = await pscToken(t, 'ep-auth-other', DOCTOR.idNat);
    const res = await call(base, 'ep4_creer', ep4Body({ id: newId() }), { headers: { authorization: `Bearer ${foreign}` } });
    expect(faultCode(res)).toBe('desir_521');
    expect(subcode(res)).toBe('siram_20');
    expect(faultCode(await call(base, 'ep4_creer', ep4Body({ id: newId() }), { headers: { authorization: 'Bearer not-a-token' } }))).toBe('desir_521');
  });

  it('an expired token is desir_522', async () => {
    const short = await startTestHost({ 'psc.accessTokenTtl': 1 } as never);
    try {
      const token = await pscToken(short, 'default', DOCTOR.idNat);
      await sleep(2100);
      const res = await call(short.http, 'ep4_creer', ep4Body({ id: newId() }), { headers: { authorization: `Bearer ${token}` } });
      expect(faultCode(res)).toBe('desir_522');
    } finally {
      await short.close();
    }
  });
});

describe('card: assertion PS in wsse:Security', () => {
  it('NameID 8 + RPPS or the bare RPPS authenticates the prescriber', async () => {
    expect((await call(base, 'ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.idNat })).status).toBe(200);
    expect((await call(base, 'ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.rpps })).status).toBe(200);
  });

  it('desir_521 without a signature, desir_522 once expired, desir_520 with no credential at all', async () => {
    const unsigned = await call(base, 'ep4_creer', ep4Body({ id: newId() }), { security: assertionPs({ nameId: DOCTOR.idNat, withSignature: false }) });
    expect(faultCode(unsigned)).toBe('desir_521');
    const expired = await call(base, 'ep4_creer', ep4Body({ id: newId() }), { security: assertionPs({ nameId: DOCTOR.idNat, notOnOrAfter: '2020-01-01T00:00:00Z' }) });
    expect(faultCode(expired)).toBe('desir_522');
    const none = await call(base, 'ep4_creer', ep4Body({ id: newId() }));
    expect(faultCode(none)).toBe('desir_520');
    expect(subcode(none)).toBe('siram_20');
    const httpsNone = await call(t.https, 'ep4_creer', ep4Body({ id: newId() }), { tls: { ca: t.host.context.pki.caCertsPem } });
    expect(faultCode(httpsNone)).toBe('desir_520');
  });
});

describe('certificate (mTLS with the test PKI)', () => {
  it('an organisation certificate acts for the professionals the body names (executant RPPS optional)', async () => {
    const id = newId();
    expect((await call(t.https, 'ep4_creer', ep4Body({ id }), { tls: org })).status).toBe(200);
    expect((await call(t.https, 'ep4_creer', ep4Body({ id: newId(), prescriber: DOCTOR2.rpps }), { tls: org })).status).toBe(200);
    const scan = await call(t.https, 'ep3_consulter', ep3Executant(id, executantXml(null, '21')), { tls: org });
    expect(scan.status).toBe(200);
    const done = await call(t.https, 'ep1_transmettreExecution', ep1Body(id, [{ n: 1, q: 1 }], executantXml(null, '21')), { tls: org });
    expect(tag(done.body, 'Statut')).toBe('PARTIELLEMENT_EXECUTEE');
  });

  it('a personal certificate is its professional: ep_403 for another prescriber', async () => {
    expect((await call(t.https, 'ep4_creer', ep4Body({ id: newId() }), { tls: doctorCert })).status).toBe(200);
    expect(faultCode(await call(t.https, 'ep4_creer', ep4Body({ id: newId(), prescriber: DOCTOR2.rpps }), { tls: doctorCert }))).toBe('ep_403');
  });

  it('outside certificate mode the acting RPPS is required (ep_400)', async () => {
    const res = await call(base, 'ep3_consulter', ep3Executant(newId(), executantXml(null, '21')), { cps: PHARMACIST.idNat });
    expect(faultCode(res)).toBe('ep_400');
  });
});

describe('ContexteLPS / IDAM', () => {
  it('an unknown or missing IDAM is desir_550 / siram_100', async () => {
    const unknown = await call(base, 'ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.idNat, idam: 'FAKEIDAM' });
    expect(faultCode(unknown)).toBe('desir_550');
    expect(subcode(unknown)).toBe('siram_100');
    expect(faultCode(await call(base, 'ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.idNat, idam: 'FAKE-IDAM' }))).toBe('desir_550');
    expect(faultCode(await call(base, 'ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.idNat, idam: null }))).toBe('desir_550');
  });
});
