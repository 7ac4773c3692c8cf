import { describe, expect, it } from 'vitest';
import {
  applyIdentityEvent,
  assertInsiCallAllowed,
  canCallInsi,
  IdentityTransitionError,
  InsiCallForbiddenError,
  mayShareIns,
  normaliseIdentityState,
  type IdentityState,
} from '../../client/insi/index.js';

const s = (status: IdentityState['status'], ...attributes: IdentityState['attributes']): IdentityState => ({ status, attributes });

describe('RNIV identity-status machine (insi.md §5)', () => {
  it('INSi retrieval: PROV→RECUP, VALI→QUAL, RECUP and QUAL unchanged', () => {
    expect(applyIdentityEvent(s('PROV'), { type: 'insi-retrieved' }).status).toBe('RECUP');
    expect(applyIdentityEvent(s('VALI'), { type: 'insi-retrieved' }).status).toBe('QUAL');
    expect(applyIdentityEvent(s('RECUP'), { type: 'insi-retrieved' }).status).toBe('RECUP');
    expect(applyIdentityEvent(s('QUAL'), { type: 'insi-retrieved' }).status).toBe('QUAL');
  });

  it('high-trust ID check: PROV→VALI, RECUP→QUAL', () => {
    expect(applyIdentityEvent(s('PROV'), { type: 'id-checked' }).status).toBe('VALI');
    expect(applyIdentityEvent(s('RECUP'), { type: 'id-checked' }).status).toBe('QUAL');
    expect(applyIdentityEvent(s('VALI'), { type: 'id-checked' }).status).toBe('VALI');
  });

  it('both paths reach QUAL', () => {
    const a = applyIdentityEvent(applyIdentityEvent(s('PROV'), { type: 'insi-retrieved' }), { type: 'id-checked' });
    const b = applyIdentityEvent(applyIdentityEvent(s('PROV'), { type: 'id-checked' }), { type: 'insi-retrieved' });
    expect(a.status).toBe('QUAL');
    expect(b.status).toBe('QUAL');
  });

  it('losing INSi confirmation or the ID check steps back', () => {
    expect(applyIdentityEvent(s('QUAL'), { type: 'insi-unconfirmed' }).status).toBe('VALI');
    expect(applyIdentityEvent(s('RECUP'), { type: 'insi-unconfirmed' }).status).toBe('PROV');
    expect(applyIdentityEvent(s('QUAL'), { type: 'id-check-withdrawn' }).status).toBe('RECUP');
    expect(applyIdentityEvent(s('VALI'), { type: 'id-check-withdrawn' }).status).toBe('PROV');
  });

  it('DOUT and FICT force PROV and forbid INSi; HOMA does not', () => {
    const dout = applyIdentityEvent(s('QUAL'), { type: 'add-attribute', attribute: 'DOUT' });
    expect(dout).toEqual({ status: 'PROV', attributes: ['DOUT'] });
    expect(canCallInsi(dout).allowed).toBe(false);
    expect(() => assertInsiCallAllowed(dout)).toThrow(InsiCallForbiddenError);
    expect(() => applyIdentityEvent(dout, { type: 'insi-retrieved' })).toThrow(IdentityTransitionError);
    expect(() => applyIdentityEvent(dout, { type: 'id-checked' })).toThrow(IdentityTransitionError);

    const fict = applyIdentityEvent(s('VALI'), { type: 'add-attribute', attribute: 'FICT' });
    expect(fict.status).toBe('PROV');
    expect(canCallInsi(fict).allowed).toBe(false);

    const homa = applyIdentityEvent(s('QUAL'), { type: 'add-attribute', attribute: 'HOMA' });
    expect(homa).toEqual({ status: 'QUAL', attributes: ['HOMA'] });
    expect(canCallInsi(homa).allowed).toBe(true);
  });

  it('FICT and DOUT cannot be combined; DOUT and HOMA can', () => {
    expect(() => applyIdentityEvent(s('PROV', 'DOUT'), { type: 'add-attribute', attribute: 'FICT' })).toThrow(IdentityTransitionError);
    expect(() => applyIdentityEvent(s('PROV', 'FICT'), { type: 'add-attribute', attribute: 'DOUT' })).toThrow(IdentityTransitionError);
    expect(applyIdentityEvent(s('PROV', 'HOMA'), { type: 'add-attribute', attribute: 'DOUT' }).attributes).toEqual(['HOMA', 'DOUT']);
  });

  it('lifting DOUT allows INSi again but does not restore the former status', () => {
    const lifted = applyIdentityEvent(s('PROV', 'DOUT'), { type: 'remove-attribute', attribute: 'DOUT' });
    expect(lifted).toEqual({ status: 'PROV', attributes: [] });
    expect(canCallInsi(lifted).allowed).toBe(true);
  });

  it('only QUAL without DOUT/FICT may carry or share the INS', () => {
    expect(mayShareIns(s('QUAL'))).toBe(true);
    expect(mayShareIns(s('QUAL', 'HOMA'))).toBe(true);
    for (const st of ['PROV', 'RECUP', 'VALI'] as const) expect(mayShareIns(s(st))).toBe(false);
    expect(mayShareIns(s('QUAL', 'DOUT'))).toBe(false);
  });

  it('a stored QUAL+DOUT record is repaired to PROV', () => {
    expect(normaliseIdentityState(s('QUAL', 'DOUT')).status).toBe('PROV');
  });
});
