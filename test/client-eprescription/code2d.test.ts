import { describe, expect, it } from 'vitest';
import { buildCode2dPayload, Code2dError, NAME_PAD, parseCode2dPayload, printedMention, qrGreyImage, qrMatrix, qrPng, type Code2dPayload } from '../../client/eprescription/code2d.js';
import { decodeQrGrey, decodeQrPng } from './helpers.js';

const sample: Code2dPayload = {
  identifiant: '03UE8SP00UGBYH4JF7',
  patient: { nom: 'NESSI', prenom: 'Ruth', dateNaissance: '1977-07-14' },
  rpps: '99900023138',
  rpps2: '99900007487',
  numeroAM: '991000696',
};

describe('2D code payload (§B6, JSON v2)', () => {
  it('has the decoded DevBox shape: S.V 2, D.ID, D.P padded to 90, D.M without the 8 prefix', () => {
    const text = buildCode2dPayload({ ...sample, rpps: '899900023138' });
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual(['S', 'D']);
    expect(json.S).toEqual({ V: 2 });
    expect(json.D.ID).toBe('03UE8SP00UGBYH4JF7');
    expect(json.D.P.N).toHaveLength(NAME_PAD);
    expect(json.D.P.N.trimEnd()).toBe('NESSI');
    expect(json.D.P.P.trimEnd()).toBe('Ruth');
    expect(json.D.P.D).toBe('1977-07-14');
    expect(json.D.M).toEqual({ RPPS: '99900023138', RPPS2: '99900007487', AM: '991000696' });
    expect(Object.keys(json.D.M)).toEqual(['RPPS', 'RPPS2', 'AM']);
    expect(JSON.parse(buildCode2dPayload({ ...sample, rpps2: undefined } as Code2dPayload)).D.M).toEqual({ RPPS: '99900023138', AM: '991000696' });
    expect(JSON.parse(buildCode2dPayload(sample, { pad: false })).D.P.N).toBe('NESSI');
  });

  it('round trip, padded or not', () => {
    expect(parseCode2dPayload(buildCode2dPayload(sample))).toEqual(sample);
    expect(parseCode2dPayload(buildCode2dPayload(sample, { pad: false }))).toEqual(sample);
  });

  it('the parser is tolerant: outer spaces, padded names, numbers as JSON numbers, version as a string, lower-case id', () => {
    const raw = `  {"S":{"V":"2"},"D":{"ID":"01s2tbpz2jcnzzyghz","P":{"N":"  DUPONT      ","P":"Marie   ","D":"1984-07-14"},"M":{"RPPS":10001234567,"AM":751234567}}}\n`;
    expect(parseCode2dPayload(raw)).toEqual({
      identifiant: '01S2TBPZ2JCNZZYGHZ',
      patient: { nom: 'DUPONT', prenom: 'Marie', dateNaissance: '1984-07-14' },
      rpps: '10001234567',
      numeroAM: '751234567',
    });
  });

  it('refuses what is not a v2 code', () => {
    expect(() => parseCode2dPayload('Hello :)')).toThrow(Code2dError);
    expect(() => parseCode2dPayload('{"S":{"V":1},"D":{}}')).toThrow(/version/);
    expect(() => parseCode2dPayload('{"S":{"V":2},"D":{"ID":"SHORT","P":{},"M":{}}}')).toThrow(/identifier/);
    expect(() => buildCode2dPayload({ ...sample, numeroAM: '12' })).toThrow(/AM/);
    expect(() => buildCode2dPayload({ ...sample, rpps: '123' })).toThrow(/RPPS/);
  });

  it('the QR PNG decodes (pngjs + jsqr) to the exact payload, accents included', () => {
    const payload = buildCode2dPayload({ ...sample, patient: { nom: 'LEFÈVRE', prenom: 'Marie-Hélène', dateNaissance: '1984-07-14' } });
    const png = qrPng(payload);
    expect(Buffer.from(png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(decodeQrPng(png)).toBe(payload);
  });

  it('the module matrix is a QR symbol (finder patterns) that decodes once rendered', () => {
    const payload = buildCode2dPayload(sample);
    const m = qrMatrix(payload);
    expect(m.size).toBe(17 + 4 * m.version);
    // Finder pattern corners: dark outer ring, light separator ring.
    for (const [r, c] of [[0, 0], [0, m.size - 1], [m.size - 1, 0], [6, 6], [2, 2]] as const) expect(m.get(r, c)).toBe(true);
    expect(m.get(7, 7)).toBe(false);
    const img = qrGreyImage(m, { margin: 4 });
    expect(img.width).toBe(m.size + 8);
    expect(decodeQrGrey(img.pixels, img.width, img.height)).toBe(payload);
  });

  it('prints the human-readable line', () => {
    expect(printedMention('01S2TBPZ2JCNZZYGHZ')).toBe('e-prescription N°01S2TBPZ2JCNZZYGHZ');
  });
});
