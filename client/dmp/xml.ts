/**
 * XML for the DMP client: the namespace-resolving reader of the INSi client (fast-xml-parser, entities
 * off, DOCTYPE refused) and small writers. Requests are written as text, in the element order of the
 * official example messages.
 */
import { child, childrenNamed, findDeep, parseXmlTree, XmlSyntaxError, type XmlElement } from '../insi/xml.js';

export { child, childrenNamed, findDeep, parseXmlTree, XmlSyntaxError, type XmlElement };

/** Escapes text and attribute values (`& < > " '`) and drops the control characters XML 1.0 forbids. */
export function esc(value: string | number): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** ` a="x" b="y"` for the defined values. */
export function attrs(values: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out += ` ${k}="${esc(String(v))}"`;
  return out;
}

/** An element with already-serialised children (self-closing when empty). */
export function el(name: string, attributes: Record<string, string | number | boolean | undefined> = {}, children = ''): string {
  return children === '' ? `<${name}${attrs(attributes)}/>` : `<${name}${attrs(attributes)}>${children}</${name}>`;
}

/** An element holding escaped text. */
export function textEl(name: string, text: string, attributes: Record<string, string | number | undefined> = {}): string {
  return `<${name}${attrs(attributes)}>${esc(text)}</${name}>`;
}

/** Attribute by local name (any prefix), e.g. `attr(el, 'type')` finds `xsi:type`. */
export function attr(el: XmlElement | undefined, name: string): string | undefined {
  if (!el) return undefined;
  if (name in el.attrs) return el.attrs[name];
  for (const [k, v] of Object.entries(el.attrs)) if (k.endsWith(`:${name}`) && !k.startsWith('xmlns')) return v;
  return undefined;
}

/** Every descendant (depth first) with this local name and namespace. */
export function findAll(el: XmlElement, name: string, ns?: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.name === name && (ns === undefined || c.ns === ns)) out.push(c);
    findAll(c, name, ns, out);
  }
  return out;
}

/** Follows a path of direct children by local name. */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) cur = child(cur, n);
  return cur;
}

/** Trimmed text of an element, undefined when absent or empty. */
export function text(el: XmlElement | undefined): string | undefined {
  const t = el?.text.trim();
  return t ? t : undefined;
}
