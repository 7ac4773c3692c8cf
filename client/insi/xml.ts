/**
 * Small XML helpers for the INSi client: escaping for the requests we write, and a
 * namespace-resolving tree for the responses we read (fast-xml-parser, entities off).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Escapes text and attribute values. Apostrophes travel as `&apos;` (insi.md §3.1). */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five predefined entities and character references; anything else stays as written. */
export function decodeXmlText(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(parseInt(ref.slice(2), 16)) ?? whole;
    if (ref.startsWith('#')) return safeCodePoint(parseInt(ref.slice(1), 10)) ?? whole;
    return NAMED[ref] ?? whole;
  });
}

function safeCodePoint(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0 || n > 0x10ffff) return undefined;
  try {
    return String.fromCodePoint(n);
  } catch {
    return undefined;
  }
}

/** One element with its namespace resolved. */
export interface XmlElement {
  /** Namespace URI ('' when none). */
  ns: string;
  /** Local name, without prefix. */
  name: string;
  /** Prefix as written ('' for none). */
  prefix: string;
  /** Attributes by their name as written (prefix kept), values decoded. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text of the direct text children, decoded. */
  text: string;
}

export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError';
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
});

type OrderedNode = Record<string, unknown>;

/** Parses a document and resolves namespaces. Throws XmlSyntaxError on anything that is not well-formed XML. */
export function parseXmlTree(xml: string): XmlElement {
  if (typeof xml !== 'string' || xml.trim() === '') throw new XmlSyntaxError('empty document');
  if (/<!DOCTYPE/i.test(xml)) throw new XmlSyntaxError('DOCTYPE not allowed');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlSyntaxError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (err) {
    throw new XmlSyntaxError(`not well-formed XML: ${(err as Error).message}`);
  }
  const roots = nodes.map((n) => toElement(n, new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]))).filter((e): e is XmlElement => !!e);
  const root = roots[0];
  if (!root || roots.length !== 1) throw new XmlSyntaxError('expected exactly one root element');
  return root;
}

function toElement(node: OrderedNode, scope: Map<string, string>): XmlElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (!tag) return undefined;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
  const local = new Map(scope);
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeXmlText(String(v));
    if (k === 'xmlns') local.set('', value);
    else if (k.startsWith('xmlns:')) local.set(k.slice(6), value);
    attrs[k] = value;
  }
  const colon = tag.indexOf(':');
  const prefix = colon >= 0 ? tag.slice(0, colon) : '';
  const name = colon >= 0 ? tag.slice(colon + 1) : tag;
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[tag] ?? []) as OrderedNode[]) {
    if ('#text' in child) text += String(child['#text']);
    else {
      const el = toElement(child, local);
      if (el) children.push(el);
    }
  }
  return { ns: local.get(prefix) ?? '', name, prefix, attrs, children, text: decodeXmlText(text) };
}

/** First direct child with this local name (namespace given or any). */
export function child(el: XmlElement | undefined, name: string, ns?: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));
}

export function childrenNamed(el: XmlElement | undefined, name: string, ns?: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name && (ns === undefined || c.ns === ns)) : [];
}

/** Depth-first search for the first descendant (or self) with this local name and namespace. */
export function findDeep(el: XmlElement, name: string, ns?: string): XmlElement | undefined {
  if (el.name === name && (ns === undefined || el.ns === ns)) return el;
  for (const c of el.children) {
    const hit = findDeep(c, name, ns);
    if (hit) return hit;
  }
  return undefined;
}

/** Trimmed text of a direct child, or undefined when absent or empty. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const t = child(el, name)?.text.trim();
  return t ? t : undefined;
}
