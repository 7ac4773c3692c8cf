/**
 * The 2D code of an e-prescription (psc-eprescription.md §B6): a QR code whose payload is compact JSON
 * version 2 pointing to the prescription in the CNAM base (not the prescription itself), printed
 * bottom-left with `e-prescription N°<ID>` under it, and embedded as a PNG in the eP-MED-DM CDA.
 */
import QRCode from 'qrcode';
import { PNG } from 'pngjs';

/** The decoded DevBox payload pads names with spaces to this width; readers must not depend on it. */
export const NAME_PAD = 90;

export interface Code2dPayload {
  identifiant: string;
  patient: { nom: string; prenom: string; dateNaissance: string };
  /** 11-digit RPPS without the `8` prefix. */
  rpps: string;
  /** 9-digit Assurance Maladie number of the structure. */
  numeroAM: string;
  /** Replacement case only [I]: see README (which doctor goes where is not confirmed). */
  rpps2?: string;
}

export class Code2dError extends Error {
  override name = 'Code2dError';
}

const RPPS = /^\d{11}$/;
const AM = /^\d{9}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `8` + RPPS (idNat) or the bare RPPS → the bare RPPS. */
export function bareRpps(value: string): string {
  const v = value.trim();
  return v.length === 12 && v.startsWith('8') ? v.slice(1) : v;
}

function check(p: Code2dPayload): void {
  // Checked as the service does (`[0-9A-Z]{18}`), not against our alphabet: another software's identifier is valid too.
  if (!/^[0-9A-Z]{18}$/.test(p.identifiant)) throw new Code2dError(`identifier "${p.identifiant}" is not 18 characters of [0-9A-Z]`);
  if (!RPPS.test(p.rpps)) throw new Code2dError(`RPPS "${p.rpps}" is not 11 digits`);
  if (p.rpps2 !== undefined && !RPPS.test(p.rpps2)) throw new Code2dError(`RPPS2 "${p.rpps2}" is not 11 digits`);
  if (!AM.test(p.numeroAM)) throw new Code2dError(`AM number "${p.numeroAM}" is not 9 digits`);
  if (!DATE.test(p.patient.dateNaissance)) throw new Code2dError(`birth date "${p.patient.dateNaissance}" is not YYYY-MM-DD`);
  if (!p.patient.nom.trim() || !p.patient.prenom.trim()) throw new Code2dError('the patient needs a name and a first name');
}

/**
 * The JSON text of the QR code: `{"S":{"V":2},"D":{"ID":…,"P":{"N":…,"P":…,"D":…},"M":{"RPPS":…,"RPPS2"?:…,"AM":…}}}`.
 * Key order follows the decoded DevBox sample. Names are space-padded to 90 characters like that sample
 * unless `pad` is false. RPPS given with the `8` prefix are written without it.
 */
export function buildCode2dPayload(p: Code2dPayload, opts: { pad?: boolean } = {}): string {
  const norm: Code2dPayload = { ...p, rpps: bareRpps(p.rpps), ...(p.rpps2 !== undefined ? { rpps2: bareRpps(p.rpps2) } : {}) };
  check(norm);
  const pad = (s: string) => (opts.pad === false ? s : s.padEnd(NAME_PAD, ' '));
  const m: Record<string, string> = { RPPS: norm.rpps };
  if (norm.rpps2 !== undefined) m.RPPS2 = norm.rpps2;
  m.AM = norm.numeroAM;
  return JSON.stringify({ S: { V: 2 }, D: { ID: norm.identifiant, P: { N: pad(norm.patient.nom), P: pad(norm.patient.prenom), D: norm.patient.dateNaissance }, M: m } });
}

function str(v: unknown, what: string): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  throw new Code2dError(`${what} missing`);
}

/**
 * Reads a scanned payload. Tolerant: padding and surrounding spaces, numbers given as JSON numbers, a
 * version given as "2"; strict on the version value and the identifier.
 */
export function parseCode2dPayload(text: string): Code2dPayload {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, '').trim());
  } catch (err) {
    throw new Code2dError(`the 2D code is not JSON: ${(err as Error).message}`);
  }
  const root = json as { S?: { V?: unknown }; D?: { ID?: unknown; P?: Record<string, unknown>; M?: Record<string, unknown> } };
  if (!root || typeof root !== 'object' || !root.S || !root.D) throw new Code2dError('the 2D code has no S/D blocks');
  if (Number(root.S.V) !== 2) throw new Code2dError(`unsupported 2D code version ${String(root.S.V)}`);
  const identifiant = str(root.D.ID, 'D.ID').toUpperCase();
  if (!/^[0-9A-Z]{18}$/.test(identifiant)) throw new Code2dError(`identifier "${identifiant}" is not 18 characters of [0-9A-Z]`);
  const p = root.D.P ?? {};
  const m = root.D.M ?? {};
  const out: Code2dPayload = {
    identifiant,
    patient: { nom: str(p.N, 'D.P.N'), prenom: str(p.P, 'D.P.P'), dateNaissance: str(p.D, 'D.P.D') },
    rpps: bareRpps(str(m.RPPS, 'D.M.RPPS')),
    numeroAM: str(m.AM, 'D.M.AM'),
  };
  if (m.RPPS2 !== undefined && m.RPPS2 !== null && str(m.RPPS2, 'D.M.RPPS2') !== '') out.rpps2 = bareRpps(str(m.RPPS2, 'D.M.RPPS2'));
  return out;
}

// ---- rendering ------------------------------------------------------------------------------------

export interface QrMatrix {
  /** Modules per side (without quiet zone). */
  size: number;
  version: number;
  /** Row-major, 1 = dark module. */
  modules: Uint8Array;
  get(row: number, col: number): boolean;
}

/** The QR symbol of a payload (byte mode, UTF-8, error correction M). */
export function qrMatrix(payload: string, errorCorrectionLevel: 'L' | 'M' | 'Q' | 'H' = 'M'): QrMatrix {
  const qr = QRCode.create(payload, { errorCorrectionLevel });
  const { size, data } = qr.modules;
  const modules = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return { size, version: qr.version, modules, get: (r, c) => modules[r * size + c] === 1 };
}

export interface GreyImage {
  width: number;
  height: number;
  /** 8-bit grey, row-major, 0 = black. */
  pixels: Uint8Array;
}

/** The matrix as a grey bitmap: `scale` pixels per module and a quiet zone of `margin` modules (default 4, as the standard asks). */
export function qrGreyImage(m: QrMatrix, opts: { scale?: number; margin?: number } = {}): GreyImage {
  const scale = opts.scale ?? 1;
  const margin = opts.margin ?? 4;
  const side = (m.size + 2 * margin) * scale;
  const pixels = new Uint8Array(side * side).fill(255);
  for (let r = 0; r < m.size; r++) {
    for (let c = 0; c < m.size; c++) {
      if (!m.get(r, c)) continue;
      for (let y = 0; y < scale; y++) {
        const row = (r + margin) * scale + y;
        pixels.fill(0, row * side + (c + margin) * scale, row * side + (c + margin + 1) * scale);
      }
    }
  }
  return { width: side, height: side, pixels };
}

/**
 * An 8-bit greyscale PNG of a bitmap, written synchronously with pngjs (qrcode's own PNG renderer is
 * asynchronous, and building a CDA stays synchronous and deterministic).
 */
export function encodeGreyPng(img: GreyImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.pixels.length; i++) {
    const v = img.pixels[i]!;
    png.data[i * 4] = v;
    png.data[i * 4 + 1] = v;
    png.data[i * 4 + 2] = v;
    png.data[i * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 0 }));
}

/** The QR code of a payload as a PNG (default 4 pixels per module, 4-module quiet zone). */
export function qrPng(payload: string, opts: { scale?: number; margin?: number } = {}): Uint8Array {
  return encodeGreyPng(qrGreyImage(qrMatrix(payload), { scale: opts.scale ?? 4, margin: opts.margin }));
}

/** The human-readable line printed under the QR code. */
export function printedMention(identifiant: string): string {
  return `e-prescription N°${identifiant}`;
}
