/**
 * The e-prescription identifier (psc-eprescription.md §B5): 18 characters, four numbers written in base 32
 * and concatenated, computed by the prescriber's software before ep4_creer (the server does not allocate it).
 * The real alphabet and split are not public; segur-sim's choice [I] (see README.md):
 *
 * | chars | number | meaning |
 * |---|---|---|
 * | 0–1 (2)   | kind      | identifier format / prescription kind (01 = eP-MED-DM) |
 * | 2–9 (8)   | time      | milliseconds since 2020-01-01T00:00:00Z (40 bits: until 2054) |
 * | 10–13 (4) | instance  | the software installation (20 bits, from the LPS Instance or random) |
 * | 14–17 (4) | counter   | a per-generator counter (20 bits, random start, wraps) |
 *
 * Alphabet: digits and letters without I, L, O, Q — every character of the public examples belongs to it.
 */
import { createHash, randomInt } from 'node:crypto';

export const ID_ALPHABET = '0123456789ABCDEFGHJKMNPRSTUVWXYZ';
export const ID_LENGTH = 18;
/** Origin of the time part. */
export const ID_EPOCH_MS = Date.UTC(2020, 0, 1);

const FIELDS = { kind: 2, time: 8, instance: 4, counter: 4 } as const;
const ID_RE = new RegExp(`^[${ID_ALPHABET}]{${ID_LENGTH}}$`);

/** `value` in base 32 over exactly `width` characters (throws when it does not fit). */
export function toBase32(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 32 ** width) throw new RangeError(`${value} does not fit in ${width} base-32 characters`);
  let out = '';
  let v = value;
  for (let i = 0; i < width; i++) {
    out = ID_ALPHABET[v % 32] + out;
    v = Math.floor(v / 32);
  }
  return out;
}

export function fromBase32(text: string): number {
  let v = 0;
  for (const ch of text) {
    const d = ID_ALPHABET.indexOf(ch);
    if (d < 0) throw new RangeError(`"${ch}" is not in the base-32 alphabet`);
    v = v * 32 + d;
  }
  return v;
}

/** True for 18 characters of the segur-sim alphabet (stricter than the simulator's `[0-9A-Z]{18}`). */
export function isValidIdentifier(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

export interface DecodedIdentifier {
  kind: number;
  /** When it was computed. */
  time: Date;
  instance: number;
  counter: number;
}

/** The four numbers of an identifier built here (meaningless for identifiers of other software). */
export function decodeIdentifier(id: string): DecodedIdentifier {
  if (!isValidIdentifier(id)) throw new RangeError(`"${id}" is not an 18-character base-32 identifier`);
  let at = 0;
  const take = (n: number) => fromBase32(id.slice(at, (at += n)));
  const kind = take(FIELDS.kind);
  const time = new Date(ID_EPOCH_MS + take(FIELDS.time));
  return { kind, time, instance: take(FIELDS.instance), counter: take(FIELDS.counter) };
}

export interface IdentifierGeneratorOptions {
  /** The installation: a number < 32⁴, or a string (e.g. the ContexteLPS Instance UUID) hashed to one. Default: random. */
  instance?: number | string;
  /** Default 1 (eP-MED-DM). */
  kind?: number;
  now?: () => Date;
}

/** Instance number of a string: the first 20 bits of its SHA-256. */
export function instanceNumber(value: string): number {
  return createHash('sha256').update(value).digest().readUIntBE(0, 3) >>> 4;
}

/**
 * Generates identifiers for one software instance. Unique within the generator (time + counter: the counter
 * changes on every call, so even a clock going backwards cannot repeat a value before 2²⁰ calls in the same
 * millisecond), and across installations through the instance part.
 */
export class IdentifierGenerator {
  readonly instance: number;
  readonly kind: number;
  private counter: number;
  private readonly now: () => Date;

  constructor(opts: IdentifierGeneratorOptions = {}) {
    const max = 32 ** FIELDS.instance;
    this.instance = typeof opts.instance === 'string' ? instanceNumber(opts.instance) : (opts.instance ?? randomInt(max));
    if (!Number.isInteger(this.instance) || this.instance < 0 || this.instance >= max) throw new RangeError(`instance must be in [0, ${max})`);
    this.kind = opts.kind ?? 1;
    toBase32(this.kind, FIELDS.kind);
    this.counter = randomInt(32 ** FIELDS.counter);
    this.now = opts.now ?? (() => new Date());
  }

  next(): string {
    const elapsed = this.now().getTime() - ID_EPOCH_MS;
    if (elapsed < 0) throw new RangeError('the clock is before 2020-01-01');
    this.counter = (this.counter + 1) % 32 ** FIELDS.counter;
    return (
      toBase32(this.kind, FIELDS.kind) +
      toBase32(elapsed % 32 ** FIELDS.time, FIELDS.time) +
      toBase32(this.instance, FIELDS.instance) +
      toBase32(this.counter, FIELDS.counter)
    );
  }
}

let processGenerator: IdentifierGenerator | undefined;

/**
 * `generateIdentifiantUnique` of the DevBox (SEL-SFG-023), computed locally. Without options it uses one
 * generator per process (random instance part); pass a generator of your own to pin the instance.
 */
export function generateIdentifiantUnique(generator?: IdentifierGenerator): string {
  return (generator ?? (processGenerator ??= new IdentifierGenerator())).next();
}
