/**
 * The DMP pipeline as a client meets it: WS-Addressing required, VIHF read with its spelling quirks, bad XML,
 * DOCTYPE and oversized bodies refused with a SOAP fault (and the host keeps answering), TLS/mTLS with the test
 * PKI, the journal naming each transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DMP_ACTIONS, DMP_BASE, dmpCall, dmpEnvelope, find, pickAuthorizedPair, post, readSoap, startDmpHost, td02Body, vihfAssertion, type DmpTestHost } from './support.js';

let t: DmpTestHost;
let pair: ReturnType<typeof pickAuthorizedPair>;
beforeAll(async () => {
  t = await startDmpHost({ maxBodyBytes: 64 * 1024 });
  pair = pickAuthorizedPair(t);
});
afterAll(() => t.close());

const td02 = (opts: Parameters<typeof dmpCall>[4] = {}, base = t.http) => dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(pair.ins), { ins: pair.ins, ...pair.vihf, ...opts });
const queryCode = (res: Awaited<ReturnType<typeof dmpCall>>) => find(res.body, 'queryResponseCode')?.attrs.code;

async function journal(sandbox: string): Promise<{ operation: string; summary: Record<string, unknown>; verdicts: { level: string; rule: string; message: string }[]; response: { status?: number } }[]> {
  const r = await fetch(`${t.http}/_admin/sandboxes/${sandbox}/journal?service=dmp&limit=100`);
  return ((await r.json()) as { entries: never[] }).entries;
}

describe('WS-Addressing', () => {
  for (const header of ['MessageID', 'ReplyTo', 'Action'] as const) {
    it(`a request without wsa:${header} gets the live fault`, async () => {
      const res = await td02({ omitWsa: [header] });
      expect(res.status).toBe(400);
      expect(res.body?.name).toBe('Fault');
      expect(res.faultSubcode).toBe('wsa:MessageAddressingHeaderRequired');
      expect(res.faultReason).toContain('A required header representing a Message Addressing Property is not present');
    });
  }

  it('wsa:To is optional, RelatesTo echoes the MessageID', async () => {
    const res = await td02({ omitWsa: ['To'], messageId: 'urn:uuid:0b6f4648-f2e9-4a06-94fd-c563a807212f' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<RelatesTo xmlns="http://www.w3.org/2005/08/addressing">urn:uuid:0b6f4648-f2e9-4a06-94fd-c563a807212f</RelatesTo>');
    expect(res.text).toContain('<To xmlns="http://www.w3.org/2005/08/addressing">http://www.w3.org/2005/08/addressing/anonymous</To>');
  });

  it('an action of another service, or an unknown one, is refused', async () => {
    let res = await dmpCall(t.http, 'habilitations', DMP_ACTIONS.td02, td02Body(pair.ins), { ins: pair.ins });
    expect(res.faultSubcode).toBe('wsa:ActionNotSupported');
    res = await dmpCall(t.http, 'patients', 'urn:hl7-org:v3:PRPA_IN201399UV02', td02Body(pair.ins), { ins: pair.ins });
    expect(res.faultSubcode).toBe('wsa:ActionNotSupported');
  });

  it('a body that does not match the action is a fault, not a crash', async () => {
    const res = await dmpCall(t.http, 'patients', DMP_ACTIONS.td02, '<setAuthorization xmlns="urn:si-dmp-habilitations"><action>AJOUT</action></setAuthorization>', { ins: pair.ins });
    expect(res.faultSubcode).toBe('InvalidMessage');
  });
});

describe('VIHF', () => {
  it('accepts the samples’ `Authentification_mode` spelling and the IG’s `Authentification_Mode`', async () => {
    const sandbox = 'vihf-quirk';
    const base = `${t.http}/_sandbox/${sandbox}`;
    expect(queryCode(await td02({ authModeName: 'Authentification_mode' }, base))).toBe('OK');
    expect(queryCode(await td02({ authModeName: 'Authentification_Mode' }, base))).toBe('OK');
    expect(queryCode(await td02({ authModeName: 'AUTHENTIFICATION_MODE', authMode: 'directe' }, base))).toBe('OK');
    const entries = await journal(sandbox);
    expect(entries.some((e) => e.verdicts.some((v) => v.rule === 'dmp.vihf' && v.message.includes('"Authentification_mode" (accepted'))), JSON.stringify(entries.map((e) => e.verdicts))).toBe(true);
  });

  it('no wsse:Security, an empty one, a missing NameID, an unknown mode or PurposeOfUse: wsse:InvalidSecurity fault', async () => {
    for (const opts of [{ noSecurity: true }, { assertion: null }, { noNameId: true }, { authMode: 'SEMI_DIRECTE' }, { authMode: null }, { purposeOfUse: 'urgence' }, { profession: undefined, omit: ['urn:oasis:names:tc:xacml:2.0:subject:role'] }]) {
      const res = await td02(opts as never);
      expect(res.status, JSON.stringify(opts)).toBe(400);
      expect(res.faultSubcode, JSON.stringify(opts)).toBe('wsse:InvalidSecurity');
    }
  });

  it('the official INDIRECTE_RENFORCEE shape (unprefixed AttributeValue, AuthnContextDecl) is read', async () => {
    const assertion = vihfAssertion({ ins: pair.ins, ...pair.vihf, authMode: 'INDIRECTE_RENFORCEE' })
      .replace(/<saml2:AttributeValue/g, '<AttributeValue xmlns="urn:oasis:names:tc:SAML:2.0:assertion"')
      .replace(/<\/saml2:AttributeValue>/g, '</AttributeValue>')
      .replace('</saml2:AuthnContextClassRef>', '</saml2:AuthnContextClassRef><saml2:AuthnContextDecl>urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI</saml2:AuthnContextDecl>');
    const res = await td02({ assertion });
    expect(res.status).toBe(200);
    expect(queryCode(res)).toBe('OK');
  });
});

describe('malformed input never breaks the host', () => {
  const soapHeaders = { 'content-type': 'application/soap+xml; charset=UTF-8' };
  it('not well-formed XML, a DOCTYPE with entities, an oversized body: SOAP faults; the next call is served', async () => {
    const url = `${t.http}${DMP_BASE}/patients`;
    let res = await post(url, '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><oops></soap:Body>', soapHeaders);
    expect(res.status).toBe(400);
    expect(readSoap(res.text).faultSubcode).toBe('InvalidMessage');
    const billion = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` + dmpEnvelope(DMP_ACTIONS.td02, `<x>&lol2;</x>`, { ins: pair.ins });
    res = await post(url, billion, soapHeaders);
    expect(res.status).toBe(400);
    expect(readSoap(res.text).faultReason).toMatch(/DOCTYPE/);
    const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + dmpEnvelope(DMP_ACTIONS.td02, `<x>&x;</x>`, { ins: pair.ins });
    res = await post(url, xxe, soapHeaders);
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('root:');
    res = await post(url, dmpEnvelope(DMP_ACTIONS.td02, `<pad>${'x'.repeat(100 * 1024)}</pad>`, { ins: pair.ins }), soapHeaders);
    expect(res.status).toBe(413);
    expect(readSoap(res.text).faultReason).toBeDefined();
    res = await post(url, '', soapHeaders);
    expect(res.status).toBe(400);
    res = await post(url, 'not xml at all', { 'content-type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(queryCode(await td02())).toBe('OK');
  });

  it('a GET without ?wsdl is a 405 SOAP fault', async () => {
    const res = await fetch(`${t.http}${DMP_BASE}/patients`);
    expect(res.status).toBe(405);
    expect(await res.text()).toContain('soap:Fault');
  });
});

describe('TLS and the test PKI', () => {
  it('serves over HTTPS with the professional’s card certificate (mTLS), and reports a card/NameID mismatch in the journal', async () => {
    const pki = t.host.context.pki;
    const card = pki.professional(pair.professional.idNat)!;
    const other = pki.professionals.find((c) => c.subject.CN !== pair.professional.idNat)!;
    const base = `${t.https}/_sandbox/mtls`;
    let res = await td02({ tls: { key: card.keyPem, cert: card.chainPem, ca: pki.caCertsPem } }, base);
    expect(res.status).toBe(200);
    expect(queryCode(res)).toBe('OK');
    res = await td02({ tls: { key: other.keyPem, cert: other.chainPem, ca: pki.caCertsPem } }, base);
    expect(queryCode(res)).toBe('OK');
    const entries = await journal('mtls');
    const card1 = entries.find((e) => e.verdicts.some((v) => v.rule === 'dmp.card'));
    expect(card1?.verdicts.find((v) => v.rule === 'dmp.card')?.message).toContain(`is not the VIHF NameID ${pair.professional.idNat}`);
    expect(entries.filter((e) => e.verdicts.some((v) => v.rule === 'dmp.card'))).toHaveLength(1);
  });
});

describe('journal', () => {
  it('names the operation and summarises the request', async () => {
    const base = `${t.http}/_sandbox/journal-ops`;
    await td02({}, base);
    await dmpCall(base, 'patients', DMP_ACTIONS.td02, td02Body(pair.ins, 'CNSLT_DATA'), { ins: pair.ins, ...pair.vihf });
    await td02({ omitWsa: ['Action'] }, base);
    const entries = await journal('journal-ops');
    const ops = entries.map((e) => e.operation);
    expect(ops).toContain('TD0.2');
    expect(ops).toContain('TD1.3a');
    const td02Entry = entries.find((e) => e.operation === 'TD0.2')!;
    expect(td02Entry.summary).toMatchObject({ td: 'TD0.2', ins: pair.ins, queryResponseCode: 'OK', authorization: 'VALIDE' });
    const fault = entries.find((e) => e.summary.fault === 'wsa:MessageAddressingHeaderRequired');
    expect(fault?.response.status).toBe(400);
  });
});
