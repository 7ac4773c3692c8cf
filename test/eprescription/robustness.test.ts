/**
 * Bad input never crashes the host: every case gets a SOAP 1.2 fault of the catalogue (ep_400 with a French
 * reason, VersionMismatch for SOAP 1.1, 413 above the size limit), and the host answers the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';
import { action, call, DOCTOR, envelope, ep4Body, EP_NS, faultCode, get, newId, post, SOAP12 } from './helpers.js';

let t: TestHost;
let url: string;

beforeAll(async () => {
  t = await startTestHost();
  url = `${t.http}/eprescription`;
});
afterAll(() => t.close());

async function healthy(): Promise<void> {
  expect((await t.admin.health()).status).toBeTruthy();
  expect((await call(t.http, 'ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.idNat })).status).toBe(200);
}

describe('bad input answers a SOAP fault and the host lives on', () => {
  const cases: [string, string, number, RegExp][] = [
    ['malformed XML', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><a></soap:Body>`, 400, /XML mal formé/],
    ['not XML at all', 'bonjour, ePrescription', 400, /XML mal formé/],
    ['a non-SOAP document', `<ep:ep4_creer xmlns:ep="${EP_NS}"/>`, 400, /pas une enveloppe SOAP/],
    ['a SOAP 1.1 envelope', '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', 500, /soap:VersionMismatch[\s\S]*SOAP 1\.2/],
    ['an unknown body element', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><x:Foo xmlns:x="urn:x"/></soap:Body></soap:Envelope>`, 400, /Opération inconnue/],
    ['an empty SOAP body', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body/></soap:Envelope>`, 400, /Body SOAP vide/],
    ['no SOAP body', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Header/></soap:Envelope>`, 400, /sans élément Body/],
    [
      'entity expansion (billion laughs)',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><soap:Envelope xmlns:soap="${SOAP12}"><soap:Body>&lol2;</soap:Body></soap:Envelope>`,
      400,
      /DOCTYPE\/ENTITY sont interdites/,
    ],
    ['an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>', 400, /DOCTYPE/],
    ['an empty request', '', 400, /Requête vide/],
    ['deeply nested elements', `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</soap:Body></soap:Envelope>`, 400, /XML mal formé/],
  ];
  for (const [name, body, status, reason] of cases) {
    it(name, async () => {
      const res = await post(url, body, { action: action('ep4_creer') });
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/soap\+xml/);
      expect(res.body).toContain('<soap:Fault>');
      if (status !== 500) {
        expect(res.body).toContain('<soap:Value>soap:Sender</soap:Value>');
        expect(faultCode(res)).toBe('ep_400');
      }
      expect(res.body).toMatch(reason);
      await healthy();
    });
  }

  it('an oversized body gets a 413 fault', async () => {
    const big = envelope('ep4_creer', ep4Body({ id: newId() }).replace('<ep:Posologie>', `<ep:Posologie>${'x'.repeat(2 * 1024 * 1024)}`), { cps: DOCTOR.idNat });
    const res = await post(url, big, { action: action('ep4_creer') });
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/trop volumineuse/);
    expect(faultCode(res)).toBe('ep_400');
    await healthy();
  });

  it('GET without ?wsdl is 405, an unknown schema 404, an unknown sub-path a fault too', async () => {
    expect((await get(url)).status).toBe(405);
    expect((await get(`${url}?xsd=NOPE`)).status).toBe(404);
    const sub = await post(`${url}/ep4_creer`, 'x');
    expect(sub.status).toBe(404);
    expect(sub.body).toContain('<soap:Fault>');
  });

  it('a body root in a wrong namespace is dispatched on wsa:Action, with a warning verdict', async () => {
    const body = envelope('ep4_creer', ep4Body({ id: newId() }), { cps: DOCTOR.idNat }).replace(`xmlns:ep="${EP_NS}">`, 'xmlns:ep="urn:other">').replace(/<ep:EPrescription>/, `<ep:EPrescription xmlns:ep="${EP_NS}">`);
    const res = await post(url, body, { action: action('ep4_creer') });
    expect(res.status).toBe(200);
    const { entries } = await t.admin.journal('default', { service: 'eprescription', verdict: 'warning' });
    expect(entries.some((e) => e.verdicts.some((v) => v.rule === 'eprescription.body' && /dispatched on wsa:Action/.test(v.message)))).toBe(true);
  });

  it('fifty concurrent malformed requests do not take the host down', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => post(url, `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Body><ep:ep4_creer xmlns:ep="${EP_NS}"><ep:EPrescription>${'<'.repeat(i)}`, { action: action('ep4_creer') })));
    expect(answers.every((a) => a.status === 400)).toBe(true);
    await healthy();
  });
});
