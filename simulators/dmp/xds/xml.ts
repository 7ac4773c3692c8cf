/** Small XML helpers of the XDS codec, tuned for rendering large query responses. */
import { hash32, uuidFromText } from '../../core/random.js';
import type { XmlEl } from '../../core/xml/tree.js';

export { escapeXml as esc } from '../../core/xml/escape.js';

/** Children with this local name (any namespace: real clients put ebRIM in rim, lcm or the default namespace). */
export function kids(el: XmlEl | undefined, name: string): XmlEl[] {
  if (!el) return [];
  const out: XmlEl[] = [];
  for (const c of el.children) if (c.name === name) out.push(c);
  return out;
}

export function kid(el: XmlEl | undefined, name: string): XmlEl | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.name === name) return c;
  return undefined;
}

/** A UUID (`urn:uuid:…`) derived from a text: registry-assigned ids are deterministic (DESIGN.md §4). */
export function uuidFrom(text: string): string {
  return `urn:uuid:${uuidFromText(text)}`;
}

/**
 * A cheap UUID derived from another one and an index (classification and external identifier ids of a
 * rendered entry): the first group is replaced, the rest kept, so ids stay unique and stable.
 */
export function subUuid(base: string, n: number): string {
  return subUuids(base)(n);
}

/** `subUuid` for several indexes of one base: the base is hashed once. */
export function subUuids(base: string): (n: number) => string {
  const h = hash32(base, 17);
  const rest = base.slice(17);
  return (n) => `urn:uuid:${((h ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0).toString(16).padStart(8, '0')}${rest}`;
}

export const UUID_RE = /^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** OID syntax (ISO/IEC 8824): arcs without leading zeros, first arc 0..2, at most 64 characters (XDS). */
export const OID_RE = /^[0-2](\.(0|[1-9][0-9]*))+$/;
export function isOid(v: string): boolean {
  return v.length <= 64 && OID_RE.test(v);
}

/** XDS DTM: YYYY[MM[DD[hh[mm[ss]]]]], UTC. */
export const DTM_RE = /^\d{4}((0[1-9]|1[0-2])((0[1-9]|[12]\d|3[01])(([01]\d|2[0-3])([0-5]\d([0-5]\d)?)?)?)?)?$/;
