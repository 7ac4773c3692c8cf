import { describe, expect, it } from 'vitest';
import { buildVitaleAssertion, parseVitaleAssertion, vitaleAssertionTimeStatus } from '../../simulators/vitale/assertion.js';

const at = Date.parse('2026-03-02T08:00:00Z');
const built = buildVitaleAssertion({ serialNumber: '0036443354', nirOuvrantDroit: '292019935062837', rang: 2, issuedAtMs: at });

function problems(xml: string): string[] {
  const r = parseVitaleAssertion(xml);
  return r.ok ? [] : r.problems;
}

describe('Vitale assertion (segur-sim convention)', () => {
  it('round-trips', () => {
    const r = parseVitaleAssertion(built.xml);
    expect(r).toEqual({
      ok: true,
      assertion: {
        id: built.id,
        issueInstant: '2026-03-02T08:00:00.000Z',
        notBefore: '2026-03-02T08:00:00.000Z',
        notOnOrAfter: '2026-03-02T08:20:00.000Z',
        issuedAtMs: at,
        notBeforeMs: at,
        notOnOrAfterMs: at + 20 * 60_000,
        issuer: 'urn:segur-sim:vitale',
        serialNumber: '0036443354',
        nirOuvrantDroit: '292019935062837',
        rangBeneficiaire: 2,
      },
    });
    expect(built.id).toMatch(/^_vitale-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('finds it inside a SOAP envelope next to an assertion PS, whatever the prefix', () => {
    const other = built.xml.replaceAll('saml2:', 'saml:').replace('xmlns:saml2=', 'xmlns:saml=');
    const envelope = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
 <soap:Header><wsse:Security>
  <Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_c6a7" IssueInstant="2026-03-02T07:00:00Z" Version="2.0"><Issuer>CN=00B6087510</Issuer><Subject><NameID>00B6087510</NameID></Subject></Assertion>
  ${other}
 </wsse:Security></soap:Header><soap:Body Id="_0"/></soap:Envelope>`;
    const r = parseVitaleAssertion(envelope);
    expect(r.ok && r.assertion.serialNumber).toBe('0036443354');
    // Default namespace form.
    const dflt = built.xml.replaceAll('saml2:', '').replace('xmlns:saml2=', 'xmlns=');
    expect(parseVitaleAssertion(dflt).ok).toBe(true);
  });

  it('lists every departure from the contract', () => {
    expect(problems('<a><b></a>')[0]).toMatch(/^not well-formed XML/);
    expect(problems('')).toEqual(['the assertion is empty']);
    expect(problems('<x/>')[0]).toMatch(/no SAML 2.0 Assertion/);
    expect(problems(built.xml.replace('urn:oasis:names:tc:SAML:2.0:assertion', 'urn:other'))[0]).toMatch(/no SAML 2.0 Assertion/);
    expect(problems(built.xml.replace('NotOnOrAfter="2026-03-02T08:20:00.000Z"', 'NotOnOrAfter="2026-03-02T09:00:00.000Z"'))).toEqual([
      'Conditions/@NotOnOrAfter 2026-03-02T09:00:00.000Z is not IssueInstant + 20 minutes',
    ]);
    expect(problems(built.xml.replace('>292019935062837<', '>2 92 01 99 350 628 37<'))[0]).toMatch(/NirOuvrantDroit .* not a 15-character NIR/);
    expect(problems(built.xml.replace('>2</saml2:AttributeValue>', '>deux</saml2:AttributeValue>'))[0]).toMatch(/RangBeneficiaire "deux"/);
    expect(problems(built.xml.replace('Version="2.0"', 'Version="1.1"'))).toEqual(['Assertion/@Version is "1.1", expected "2.0"']);
    expect(problems(built.xml.replace(built.id, '_vitale-nope'))).toEqual(['Assertion/@ID "_vitale-nope" is not "_vitale-" followed by a UUID']);
    expect(problems(built.xml.replace('>0036443354<', '><'))).toEqual(['Subject/NameID (the card serial number) is missing or empty']);
    expect(problems(built.xml.replace(/IssueInstant="[^"]*"/, 'IssueInstant="yesterday"'))[0]).toMatch(/IssueInstant "yesterday" is not an xs:dateTime/);
    expect(problems(built.xml.replace(/<saml2:Conditions[^>]*\/>/, ''))).toEqual(['Conditions is missing']);
    expect(problems(`<wsse>${built.xml}${built.xml.replace(built.id, '_vitale-00000000-0000-0000-0000-000000000000')}</wsse>`)[0]).toMatch(/2 Vitale assertions/);
  });

  it('is valid from NotBefore to just before NotOnOrAfter', () => {
    const r = parseVitaleAssertion(built.xml);
    if (!r.ok) throw new Error('parse');
    expect(vitaleAssertionTimeStatus(r.assertion, at - 1)).toBe('not-yet-valid');
    expect(vitaleAssertionTimeStatus(r.assertion, at)).toBe('valid');
    expect(vitaleAssertionTimeStatus(r.assertion, at + 20 * 60_000 - 1)).toBe('valid');
    expect(vitaleAssertionTimeStatus(r.assertion, at + 20 * 60_000)).toBe('expired');
  });
});
