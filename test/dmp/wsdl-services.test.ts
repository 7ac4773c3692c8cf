/** Our WSDLs: served at ?wsdl for the six services, self-contained (every schema location resolves to us). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml, type XmlEl } from '../../simulators/core/xml/tree.js';
import { DMP_BASE, findAll, startDmpHost, type DmpTestHost } from './support.js';

const ENDPOINTS = ['patients', 'patientsPDQ', 'patientsSpecific', 'habilitations', 'registry', 'repository'] as const;
const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

let t: DmpTestHost;
beforeAll(async () => {
  t = await startDmpHost();
});
afterAll(() => t.close());

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** Every schemaLocation of xsd:import / xsd:include under an element. */
function schemaLocations(el: XmlEl): string[] {
  return [...findAll(el, 'import'), ...findAll(el, 'include')].filter((e) => e.ns === XSD_NS).map((e) => e.attrs.schemaLocation ?? '');
}

describe('WSDLs at ?wsdl', () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint}: parses, points at this host, and every schema it imports (transitively) is served here`, async () => {
      const base = `${t.http}/_sandbox/wsdl-${endpoint}`;
      const address = `${base}${DMP_BASE}/${endpoint}`;
      const res = await get(`${address}?wsdl`);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/xml/);
      const wsdl = parseXml(res.text, { maxDepth: 256 });
      expect(wsdl.name).toBe('definitions');
      expect(wsdl.ns).toBe(WSDL_NS);
      // The endpoint address is where the client reached us (sandbox prefix kept).
      const soapAddress = findAll(wsdl, 'address')[0];
      expect(soapAddress?.attrs.location).toBe(address);
      // Operations carry the wsa:Action the DMP honours.
      const actions = findAll(wsdl, 'input').map((i) => i.attrs.Action).filter(Boolean);
      expect(actions.length).toBeGreaterThan(0);
      // Crawl every schema location.
      const seen = new Map<string, XmlEl>();
      const texts: string[] = [res.text];
      const queue = schemaLocations(wsdl).map((loc) => new URL(loc, `${address}?wsdl`).toString());
      expect(queue.length + findAll(wsdl, 'schema').length).toBeGreaterThan(0);
      while (queue.length) {
        const url = queue.shift()!;
        if (seen.has(url)) continue;
        expect(url.startsWith(`${address}?xsd=`), url).toBe(true);
        const xsd = await get(url);
        expect(xsd.status, url).toBe(200);
        const schema = parseXml(xsd.text, { maxDepth: 256 });
        expect(schema.name, url).toBe('schema');
        expect(schema.ns, url).toBe(XSD_NS);
        seen.set(url, schema);
        texts.push(xsd.text);
        for (const loc of schemaLocations(schema)) queue.push(new URL(loc, url).toString());
      }
      // No schema location anywhere points outside this host.
      for (const text of texts) expect(text).not.toMatch(/schemaLocation="https?:\/\/(?!127\.0\.0\.1)/);
      // Every message element is declared by an inline schema or a served one.
      const declared = new Set<string>();
      for (const s of [...findAll(wsdl, 'schema'), ...seen.values()]) {
        const tns = s.attrs.targetNamespace ?? '';
        for (const e of s.children.filter((c) => c.name === 'element' && c.ns === XSD_NS)) declared.add(`${tns}|${e.attrs.name}`);
      }
      for (const part of findAll(wsdl, 'part')) {
        const [prefix, local] = (part.attrs.element ?? '').split(':');
        const ns = new RegExp(`xmlns:${prefix}="([^"]+)"`).exec(res.text)?.[1];
        expect(declared.has(`${ns}|${local}`), `${part.attrs.element} (${ns})`).toBe(true);
      }
    });
  }

  it('answers an unknown schema name with a 404 SOAP fault', async () => {
    const res = await get(`${t.http}${DMP_BASE}/registry?xsd=nope.xsd`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('soap:Fault');
  });
});
