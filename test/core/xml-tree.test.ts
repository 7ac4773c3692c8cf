import { describe, expect, it } from 'vitest';
import { child, childText, parseXml, XmlSyntaxError } from '../../simulators/core/xml/tree.js';

describe('parseXml', () => {
  it('resolves namespaces, whatever the prefixes, and drops xmlns declarations from attributes', () => {
    const root = parseXml(
      '<?xml version="1.0"?><s:Envelope xmlns:s="urn:a"><s:Body Id="_0"><RESULTAT xmlns="urn:r" xmlns:ns0="urn:x"><CR> 00 </CR><ns0:Y>D&apos;AEION &#x41;</ns0:Y></RESULTAT></s:Body></s:Envelope>',
    );
    expect(root).toMatchObject({ ns: 'urn:a', name: 'Envelope' });
    const body = child(root, 'Body', 'urn:a')!;
    expect(body.attrs).toEqual({ Id: '_0' });
    const resultat = body.children[0]!;
    expect(resultat).toMatchObject({ ns: 'urn:r', name: 'RESULTAT', attrs: {} });
    expect(childText(resultat, 'CR')).toBe('00');
    expect(child(resultat, 'Y', 'urn:x')!.text).toBe("D'AEION A");
  });

  it('scopes namespace declarations to their element, and lets a child undeclare the default namespace', () => {
    const root = parseXml('<a xmlns="urn:d" xmlns:p="urn:p1"><p:b xmlns:p="urn:p2"><p:c/></p:b><p:d/><e xmlns=""/><f p:at="1"/></a>');
    expect(root.ns).toBe('urn:d');
    const [b, d, e, f] = root.children;
    expect([b!.ns, b!.children[0]!.ns, d!.ns, e!.ns, f!.ns]).toEqual(['urn:p2', 'urn:p2', 'urn:p1', '', 'urn:d']);
    expect(f!.attrs).toEqual({ at: '1' });
    expect(parseXml('<x:a xmlns:x="urn:x" xml:lang="fr"/>').attrs).toEqual({ lang: 'fr' });
  });

  it('keeps CDATA as text', () => {
    expect(parseXml('<a><![CDATA[<b>]]></a>').text).toBe('<b>');
  });

  it.each([
    ['<a><b></a>', 'mismatched tags'],
    ['<a>', 'unclosed element'],
    ['hello', 'no element'],
    ['<a></a><b/>', 'two roots'],
    ['<a x="1" x="2"/>', 'duplicate attribute'],
    ['<p:a/>', 'unbound prefix'],
    ['<a q:x="1"/>', 'unbound attribute prefix'],
    ['<a xmlns:p=""/>', 'empty prefixed namespace'],
    ['<a xmlns:xmlns="urn:x"/>', 'xmlns prefix declared'],
    ['<p:a:b xmlns:p="urn:p"/>', 'two colons in a name'],
    ['<:a/>', 'empty prefix'],
    ['', 'empty document'],
  ])('refuses %s (%s) with a located error', (text) => {
    expect(() => parseXml(text)).toThrow(XmlSyntaxError);
  });

  it('reads UTF-8 bytes piece by piece: a character cut by a piece boundary, a byte order mark, errors with their line', () => {
    // "é" is two bytes; padding puts its first byte last in the first 64 KiB piece.
    const head = '<?xml version="1.0"?><doc><pad>';
    const pad = 'x'.repeat(64 * 1024 - Buffer.byteLength(head) - 1);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${head}${pad}é</pad><nom>Zoé</nom></doc>`)]);
    expect(bytes.indexOf(Buffer.from('é'))).toBe(64 * 1024 + 2);
    const root = parseXml(bytes);
    expect(childText(root, 'pad')).toBe(`${pad}é`);
    expect(childText(root, 'nom')).toBe('Zoé');
    const err = (() => {
      try {
        parseXml(Buffer.from('<doc>\n<a></b></doc>'));
      } catch (e) {
        return e as XmlSyntaxError;
      }
    })();
    expect(err).toBeInstanceOf(XmlSyntaxError);
    expect(err?.line).toBe(2);
  });

  it('keeps at most maxText characters of text per element, and still checks the rest', () => {
    const big = 'A'.repeat(100_000);
    const root = parseXml(Buffer.from(`<doc><title>Compte rendu</title><text>${big}</text></doc>`), { maxText: 10 });
    expect(childText(root, 'title')).toBe('Compte ren');
    expect(childText(root, 'text')).toBe('AAAAAAAAAA');
    expect(() => parseXml(Buffer.from(`<doc><text>${big}<</text></doc>`), { maxText: 10 })).toThrow(XmlSyntaxError);
  });

  it('refuses any DOCTYPE, so entities can never be declared or expanded', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>';
    expect(() => parseXml(laughs)).toThrow(/DOCTYPE/);
    const xxe = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(() => parseXml(xxe)).toThrow(/DOCTYPE/);
    expect(() => parseXml('<r>&undeclared;</r>')).toThrow(XmlSyntaxError);
  });

  it('refuses documents nested deeper than the limit', () => {
    const deep = '<a>'.repeat(80) + '</a>'.repeat(80);
    expect(() => parseXml(deep)).toThrow(/deeper than 64/);
    expect(parseXml(deep, { maxDepth: 100 }).name).toBe('a');
  });
});
