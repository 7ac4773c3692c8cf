/** Test helpers: read QR codes back (pngjs + jsqr, independent of the code under test), and dig into PDFs and CDAs. */
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';

// pngjs ships with qrcode but has no type declarations: typed here for the one call we make.
const require = createRequire(import.meta.url);
const { PNG } = require('pngjs') as { PNG: { sync: { read(buf: Buffer): { width: number; height: number; data: Buffer } } } };
// jsqr is a CommonJS module whose typings declare a default export: load it plainly, typed from its declarations.
type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { binaryData: number[]; data: string } | null;
const jsqrModule = require('jsqr') as JsQr & { default?: JsQr };
const jsQR: JsQr = jsqrModule.default ?? jsqrModule;

function decodeRgba(rgba: Uint8ClampedArray, width: number, height: number): string | undefined {
  const hit = jsQR(rgba, width, height);
  return hit ? Buffer.from(hit.binaryData).toString('utf8') : undefined;
}

/** The text of the QR code in a PNG, or undefined. */
export function decodeQrPng(png: Uint8Array): string | undefined {
  const img = PNG.sync.read(Buffer.from(png));
  return decodeRgba(new Uint8ClampedArray(img.data), img.width, img.height);
}

/** The text of the QR code in an 8-bit grey bitmap, upscaled (a PDF image may hold one pixel per module). */
export function decodeQrGrey(pixels: Uint8Array, width: number, height: number, scale = 4): string | undefined {
  const w = width * scale;
  const h = height * scale;
  const rgba = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = pixels[Math.floor(y / scale) * width + Math.floor(x / scale)] as number;
      const o = (y * w + x) * 4;
      rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
      rgba[o + 3] = 255;
    }
  }
  return decodeRgba(rgba, w, h);
}

export interface PdfImageXObject {
  width: number;
  height: number;
  colorSpace: string;
  bits: number;
  pixels: Uint8Array;
}

/** Every image XObject of a PDF written by buildPdf (uncompressed object syntax, FlateDecode streams). */
export function pdfImages(pdf: Uint8Array): PdfImageXObject[] {
  const text = Buffer.from(pdf).toString('latin1');
  const out: PdfImageXObject[] = [];
  const re = /<< \/Type \/XObject \/Subtype \/Image ([^>]*)>>\nstream\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const dict = m[1] as string;
    const get = (k: string) => new RegExp(`/${k} /?(\\w+)`).exec(dict)?.[1] ?? '';
    const length = Number(get('Length'));
    const start = m.index + m[0].length;
    const raw = Buffer.from(text.slice(start, start + length), 'latin1');
    if (get('Filter') !== 'FlateDecode') throw new Error(`unexpected filter ${get('Filter')}`);
    out.push({ width: Number(get('Width')), height: Number(get('Height')), colorSpace: get('ColorSpace'), bits: Number(get('BitsPerComponent')), pixels: new Uint8Array(inflateSync(raw)) });
  }
  return out;
}

/** The PDF as latin1 text (content streams of buildPdf are uncompressed WinAnsi). */
export const pdfText = (pdf: Uint8Array): string => Buffer.from(pdf).toString('latin1');

// ------------------------------------------------------------------ a SOAP stub over a real socket

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Captured {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Stub {
  url: string;
  requests: Captured[];
  close(): Promise<void>;
}

/** An HTTP server answering what each test wants (responses, faults, garbage, silence). */
export async function startStub(handler: (req: Captured, res: http.ServerResponse) => void): Promise<Stub> {
  const requests: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      handler(captured, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const EP = 'http://www.cnamts.fr/ePrescription';

/** A response envelope with `inner` after the CR 00 block. */
export function soapResponse(operation: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="${SOAP}"><S:Body><ns2:${operation}Reponse xmlns:ns2="${EP}"><ns2:CR><ns2:Code>00</ns2:Code><ns2:Libelle>OK</ns2:Libelle></ns2:CR>${inner}</ns2:${operation}Reponse></S:Body></S:Envelope>`;
}

/** A SOAP 1.2 fault shaped as INSi's. */
export function soapFault(subcode: string, code: string, text: string, sender = true): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP}"><soap:Body><soap:Fault>` +
    `<soap:Code><soap:Value>soap:${sender ? 'Sender' : 'Receiver'}</soap:Value><soap:Subcode><soap:Value>soap:${subcode}</soap:Value></soap:Subcode></soap:Code>` +
    `<soap:Reason><soap:Text xml:lang="fr">${text}</soap:Text></soap:Reason>` +
    `<soap:Detail><siram:Erreur xmlns:siram="urn:siram" code="${code}" severite="erreur" messageID="uuid:x">${text}</siram:Erreur></soap:Detail>` +
    `</soap:Fault></soap:Body></soap:Envelope>`
  );
}
