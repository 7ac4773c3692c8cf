/** MTOM/XOP codec of the DMP client, without a server: build/parse round trip, cid URL-decoding, tolerance. */
import { describe, expect, it } from 'vitest';
import { buildMultipart, cidHref, contentTypeParam, normalizeContentId, parseMultipart, readRetrieveResponse, readSoapResponse } from '../../client/dmp/index.js';
import { soapAnswer } from './helpers.js';

const allBytes = new Uint8Array(512).map((_, i) => i % 256);

describe('MTOM build → parse', () => {
  it('round-trips the envelope and binary parts byte for byte (CRLF, NUL, fake boundaries inside)', () => {
    const tricky = new Uint8Array(Buffer.from('line1\r\n\r\n--MIMEBoundary_fake\r\nContent-ID: <x>\r\n\r\nstill data\r\n--', 'latin1'));
    const envelope = '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><x/></soap:Body></soap:Envelope>';
    const built = buildMultipart(
      envelope,
      [
        { contentId: 'doc1.1@segur-sim.lgc', contentType: 'text/xml', bytes: tricky },
        { contentId: 'doc2.2@segur-sim.lgc', contentType: 'application/octet-stream', bytes: allBytes },
      ],
      'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b',
    );
    expect(built.contentType).toMatch(/^multipart\/related; type="application\/xop\+xml"; boundary="MIMEBoundary_[0-9a-f]+"; start="<root\.[^>]+>"; start-info="application\/soap\+xml"; action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"$/);
    expect(contentTypeParam(built.contentType, 'start')).toBe(`<${built.rootContentId}>`);
    const root = built.body.toString('utf8').split('\r\n\r\n')[0]!;
    expect(root).toContain('Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"; action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"');
    expect(root).toContain('Content-Transfer-Encoding: binary');

    const parsed = parseMultipart(built.body, built.contentType);
    expect(parsed.root).toBe(envelope);
    expect(parsed.rootContentType).toContain('application/xop+xml');
    expect([...parsed.parts.keys()]).toEqual(['doc1.1@segur-sim.lgc', 'doc2.2@segur-sim.lgc']);
    expect(Buffer.from(parsed.parts.get('doc1.1@segur-sim.lgc')!.bytes).equals(Buffer.from(tricky))).toBe(true);
    expect(Buffer.from(parsed.parts.get('doc2.2@segur-sim.lgc')!.bytes).equals(Buffer.from(allBytes))).toBe(true);
    expect(parsed.parts.get('doc2.2@segur-sim.lgc')!.contentType).toBe('application/octet-stream');
  });

  it('cid hrefs: URL-encoded like CXF (`@` kept), decoded before matching the Content-ID', () => {
    expect(cidHref('b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007')).toBe('cid:b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn%3Aihe%3Aiti%3Axds-b%3A2007');
    expect(normalizeContentId('cid:b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn%3Aihe%3Aiti%3Axds-b%3A2007')).toBe('b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007');
    expect(normalizeContentId('<b857abb7-2@urn:ihe:iti:xds-b:2007>')).toBe('b857abb7-2@urn:ihe:iti:xds-b:2007');
    expect(normalizeContentId('cid:doc%401')).toBe('doc@1');
  });
});

describe('ITI-43 answer as the live DMP (Apache CXF) writes it', () => {
  const cid = 'b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007';
  const cda = '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>Exemple</title></ClinicalDocument>';
  const body =
    '<ns4:RetrieveDocumentSetResponse xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns4="urn:ihe:iti:xds-b:2007">' +
    '<ns2:RegistryResponse status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"/>' +
    '<ns4:DocumentResponse><ns4:RepositoryUniqueId>1.2.250.1.213.4.1.1.1.2</ns4:RepositoryUniqueId><ns4:DocumentUniqueId>1.2.250.1.999.1.1.7898.1.995657292</ns4:DocumentUniqueId>' +
    `<ns4:mimeType>text/xml</ns4:mimeType><ns4:Document><xop:Include href="cid:${encodeURIComponent(cid).replace(/%40/g, '@')}" xmlns:xop="http://www.w3.org/2004/08/xop/include"/></ns4:Document></ns4:DocumentResponse>` +
    '</ns4:RetrieveDocumentSetResponse>';

  function cxfMessage(lineEnd: '\r\n' | '\n', transferEncoding = 'binary'): { body: Buffer; contentType: string } {
    const boundary = 'uuid:3f0b8b1e-2c79-4d2c-9f2c-1f9c1e0b1a11';
    const payload = transferEncoding === 'base64' ? Buffer.from(cda).toString('base64') : cda;
    const text =
      `${lineEnd}--${boundary}${lineEnd}Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"${lineEnd}Content-Transfer-Encoding: binary${lineEnd}Content-ID: <root.message@cxf.apache.org>${lineEnd}${lineEnd}` +
      soapAnswer(body, 'urn:ihe:iti:2007:RetrieveDocumentSetResponse') +
      `${lineEnd}--${boundary}${lineEnd}Content-Type: text/xml${lineEnd}Content-Transfer-Encoding: ${transferEncoding}${lineEnd}Content-ID: <${cid}>${lineEnd}${lineEnd}${payload}${lineEnd}--${boundary}--`;
    return { body: Buffer.from(text, 'utf8'), contentType: `multipart/related; type="application/xop+xml"; boundary="${boundary}"; start="<root.message@cxf.apache.org>"; start-info="application/soap+xml"` };
  }

  for (const [name, eol, te] of [['CRLF, binary', '\r\n', 'binary'], ['LF only', '\n', 'binary'], ['base64 part', '\r\n', 'base64']] as const) {
    it(`resolves the URL-encoded href to its part (${name})`, () => {
      const msg = cxfMessage(eol, te);
      const mp = parseMultipart(msg.body, msg.contentType);
      const soap = readSoapResponse(mp.root, 200);
      const res = readRetrieveResponse(soap.body, mp.parts);
      expect(res.outcome).toBe('Success');
      expect(res.documents).toHaveLength(1);
      expect(res.documents[0]).toMatchObject({ repositoryUniqueId: '1.2.250.1.213.4.1.1.1.2', uniqueId: '1.2.250.1.999.1.1.7898.1.995657292', mimeType: 'text/xml' });
      expect(Buffer.from(res.documents[0]!.bytes).toString('utf8')).toBe(cda);
    });
  }

  it('an inline (non-MTOM) base64 document is read too', () => {
    const inline = body.replace(/<ns4:Document>.*<\/ns4:Document>/, `<ns4:Document>${Buffer.from(cda).toString('base64')}</ns4:Document>`);
    const soap = readSoapResponse(soapAnswer(inline), 200);
    expect(Buffer.from(readRetrieveResponse(soap.body, new Map()).documents[0]!.bytes).toString()).toBe(cda);
  });
});
