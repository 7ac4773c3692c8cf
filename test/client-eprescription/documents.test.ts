/** The patient's PDF copy (QR code, printed line, mentions) and the eP-MED-DM CDA, with and without identifier. */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEpMedDm, EPU_ID_ROOT } from '../../client/eprescription/cda.js';
import { buildCode2dPayload } from '../../client/eprescription/code2d.js';
import { buildPrescriptionPdf, code2dPayloadOf, AMELI_DATA_URL } from '../../client/eprescription/pdf.js';
import { parseXmlTree, type XmlElement } from '../../client/insi/xml.js';
import { isKnownCode } from '../../fixtures/documents/codes.js';
import { buildPdf } from '../../fixtures/documents/pdf.js';
import { cast, prescriptionFor, type Cast } from './fixtures.js';
import { decodeQrGrey, decodeQrPng, pdfImages, pdfText } from './helpers.js';

const ID = '01S2TBPZ2JCNZZYGHZ';
let c: Cast;
beforeAll(() => {
  c = cast();
});

const all = (el: XmlElement, name: string): XmlElement[] => [...(el.name === name ? [el] : []), ...el.children.flatMap((k) => all(k, name))];
const sections = (root: XmlElement) => all(root, 'section');
const templateRoots = (el: XmlElement) => el.children.filter((k) => k.name === 'templateId').map((k) => k.attrs.root);

describe('buildPdf with an image (fixtures/documents/pdf.ts)', () => {
  it('adds a FlateDecode DeviceGray XObject only when asked', () => {
    const pixels = new Uint8Array(4 * 3).fill(255);
    pixels[5] = 0;
    const withImage = buildPdf({ title: 'T', lines: ['x'], image: { width: 4, height: 3, pixels, caption: ['légende'] } });
    const [img] = pdfImages(withImage);
    expect(img).toMatchObject({ width: 4, height: 3, colorSpace: 'DeviceGray', bits: 8 });
    expect([...img!.pixels]).toEqual([...pixels]);
    expect(pdfText(withImage)).toMatch(/q 96 0 0 72\.00 56 \d+ cm \/Im1 Do Q/);
    expect(pdfText(withImage)).toContain('(l\u00e9gende) Tj');
    const plain = pdfText(buildPdf({ title: 'T', lines: ['x'] }));
    expect(plain).not.toContain('/XObject');
    expect(plain).toContain('/ProcSet [/PDF /Text] >>');
  });

  it('xref offsets stay exact with binary image data', () => {
    const pixels = Uint8Array.from({ length: 64 * 64 }, (_, i) => (i * 37) % 256);
    const text = pdfText(buildPdf({ title: 'T', lines: ['a'], image: { width: 64, height: 64, pixels } }));
    const xref = Number(/startxref\n(\d+)/.exec(text)![1]);
    expect(text.slice(xref, xref + 4)).toBe('xref');
    const offsets = [...text.slice(xref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    offsets.forEach((o, i) => expect(text.slice(o).startsWith(`${i + 1} 0 obj`)).toBe(true));
  });
});

describe('the prescription PDF given to the patient', () => {
  it('carries the QR code (decodes to the payload), the e-prescription N° line and the two mentions', () => {
    const rx = prescriptionFor(c);
    const pdf = buildPrescriptionPdf({ prescription: rx, identifiant: ID });
    const images = pdfImages(pdf);
    expect(images).toHaveLength(1);
    const img = images[0]!;
    expect(decodeQrGrey(img.pixels, img.width, img.height)).toBe(buildCode2dPayload(code2dPayloadOf(rx, ID)));
    const text = pdfText(pdf);
    expect(text).toContain(`(e-prescription N\u00b0${ID}) Tj`);
    expect(text).toContain('ne s\'oppose pas');
    expect(text).toContain('Assurance Maladie');
    expect(text).toContain(AMELI_DATA_URL.slice(0, 30));
    // Bottom-left: the image is placed at the left margin, below the body.
    const cm = /q (\d+) 0 0 ([\d.]+) (\d+) (\d+) cm \/Im1 Do Q/.exec(text)!;
    expect(Number(cm[3])).toBe(56);
    expect(Number(cm[4])).toBeLessThan(150);
  });

  it('says so when the patient opposed the prescriber reading dispensations', () => {
    const pdf = buildPrescriptionPdf({ prescription: prescriptionFor(c, { opposition: true }), identifiant: ID });
    expect(pdfText(pdf)).toContain("il s'oppose");
  });

  it('fallback (no identifier): no QR code, no e-prescription line', () => {
    const pdf = buildPrescriptionPdf({ prescription: prescriptionFor(c), fallbackReason: 'téléservice sans réponse' });
    expect(pdfImages(pdf)).toHaveLength(0);
    expect(pdfText(pdf)).not.toContain('e-prescription N');
    expect(pdfText(pdf)).toContain('sans e-prescription');
  });
});

describe('eP-MED-DM CDA (§B9)', () => {
  const build = (identifiant?: string, extra: Partial<Parameters<typeof buildEpMedDm>[0]> = {}) =>
    buildEpMedDm({
      prescription: prescriptionFor(c, { sousTypes: ['MED-1096'] }),
      ...(identifiant ? { identifiant } : {}),
      patient: c.patient,
      author: c.doctor,
      structure: c.doctorStructure,
      uniqueId: '1.2.250.1.999.7301.77.1',
      effectiveTime: '2026-11-22T08:00:00Z',
      ...extra,
    });

  it('with an identifier: templateIds, 57833-6, serviceEvent id, sub-type, QR section (PNG decodes), product sections, PDF copy', () => {
    const doc = build(ID);
    const root = parseXmlTree(new TextDecoder().decode(doc.content));
    const tpl = templateRoots(root);
    for (const t of ['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1', '1.3.6.1.4.1.19376.1.9.1.1.1', '1.3.6.1.4.1.19376.1.5.3.1.1.1', '1.2.250.1.213.1.1.1.39']) expect(tpl).toContain(t);
    expect(root.children.find((k) => k.name === 'templateId' && k.attrs.root === '1.2.250.1.213.1.1.1.39')!.attrs.extension).toBe('2024.01');
    expect(root.children.find((k) => k.name === 'code')!.attrs.code).toBe('57833-6');
    const events = all(root, 'serviceEvent');
    const act = events.find((e) => e.attrs.classCode === 'ACT')!;
    expect(act.children.find((k) => k.name === 'id')!.attrs).toMatchObject({ root: EPU_ID_ROOT, extension: ID });
    expect(act.children.find((k) => k.name === 'code')!.attrs.code).toBe('57833-6');
    const info = events.find((e) => e.attrs.classCode === 'INFO')!;
    expect(info.children[0]!.attrs).toMatchObject({ code: 'MED-1096', codeSystem: '1.2.250.1.213.1.1.4.322' });

    const secs = sections(root);
    const qr = secs.find((s) => templateRoots(s).includes('1.2.250.1.213.1.1.2.223'))!;
    expect(qr.children.find((k) => k.name === 'code')!.attrs.code).toBe('57723-9');
    const png = Buffer.from(all(qr, 'value')[0]!.text, 'base64');
    expect(decodeQrPng(png)).toBe(doc.code2d!.payload);
    expect(JSON.parse(doc.code2d!.payload).D.ID).toBe(ID);
    expect(secs.some((s) => templateRoots(s).includes('1.2.250.1.213.1.1.2.171'))).toBe(true);
    expect(secs.some((s) => templateRoots(s).includes('1.2.250.1.213.1.1.2.222'))).toBe(true);
    const pdfSec = secs.find((s) => templateRoots(s).includes('1.2.250.1.213.1.1.2.243'))!;
    const pdf = Buffer.from(all(pdfSec, 'value')[0]!.text, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdfImages(pdf)).toHaveLength(1);
  });

  it('is level 3: one coded prescription item per product line (product code, renewals, quantity, substitution), referencing its narrative row', () => {
    const doc = build(ID);
    const root = parseXmlTree(new TextDecoder().decode(doc.content));
    const rx = prescriptionFor(c);
    const items = all(root, 'substanceAdministration');
    expect(items).toHaveLength(rx.lignes.length);
    rx.lignes.forEach((line, i) => {
      const item = items[i]!;
      expect(templateRoots(item)).toContain('1.3.6.1.4.1.19376.1.9.1.3.2');
      expect(all(item, 'code')[0]!.attrs.code).toBe(line.produit!.cip13 ?? line.produit!.lpp);
      expect(all(item, 'repeatNumber')[0]!.attrs.value).toBe(String(line.renouvellements ?? 0));
      expect(all(item, 'quantity')[0]!.attrs.value).toBe(String(line.quantite));
      expect(all(item, 'act')[0]!.children.find((k) => k.name === 'code')!.attrs.code).toBe(line.substituable ? 'E' : 'N');
      const ref = all(item, 'reference')[0]!.attrs.value!.slice(1);
      expect(all(root, 'tr').some((tr) => tr.attrs.ID === ref)).toBe(true);
    });
  });

  it('without identifier (KO / timeout): no serviceEvent id, no 2D section, the PDF copy without QR', () => {
    const doc = build(undefined, { fallbackReason: 'refusée par le téléservice' });
    const xml = new TextDecoder().decode(doc.content);
    expect(xml).not.toContain(EPU_ID_ROOT);
    expect(xml).not.toContain('1.2.250.1.213.1.1.2.223');
    expect(doc.code2d).toBeUndefined();
    const root = parseXmlTree(xml);
    const act = all(root, 'serviceEvent').find((e) => e.attrs.classCode === 'ACT')!;
    expect(act.children.some((k) => k.name === 'id')).toBe(false);
    const pdfSec = sections(root).find((s) => templateRoots(s).includes('1.2.250.1.213.1.1.2.243'))!;
    const pdf = Buffer.from(all(pdfSec, 'value')[0]!.text, 'base64');
    expect(pdfImages(pdf)).toHaveLength(0);
    expect(pdfText(pdf)).not.toContain('e-prescription N');
  });

  it('the replaced prescriber is a participant; the XDS metadata uses the DMP value sets', () => {
    const doc = build(ID, { replaced: c.replacement });
    const root = parseXmlTree(new TextDecoder().decode(doc.content));
    const participant = root.children.find((k) => k.name === 'participant')!;
    expect(all(participant, 'id')[0]!.attrs.extension).toBe(c.replacement.idNat);
    const m = doc.metadata;
    expect(m.typeCode.code).toBe('57833-6');
    expect(m.classCode.code).toBe('42');
    expect(m.formatCode.code).toBe('urn:ihe:pharm:pre:2010');
    for (const [set, code] of [['typeCode', m.typeCode], ['classCode', m.classCode], ['formatCode', m.formatCode], ['practiceSettingCode', m.practiceSettingCode]] as const) {
      expect(isKnownCode(set, code)).toBe(true);
    }
    expect(m.patientId).toContain(c.patient.ins!.matricule);
  });
});
