import { SaxesParser, type SaxesTagNS } from 'saxes';

/** A namespace-resolved element. Attributes are keyed by local name; xmlns declarations are dropped. */
export interface XmlEl {
  ns: string;
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  /** The element's own text (CDATA included), trimmed. */
  text: string;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    /** `doctype` when the document declared a DTD (refused: no entity may ever be declared). */
    readonly reason: 'syntax' | 'doctype' | 'depth' = 'syntax',
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

export interface ParseXmlOptions {
  /** Deepest element nesting accepted (guards against pathological documents). */
  maxDepth?: number;
}

/**
 * Parses a whole XML document in one strict pass (saxes): well-formedness is checked as it goes,
 * namespaces are resolved, and a DOCTYPE is refused outright, so no entity can ever be declared, let
 * alone expanded (billion laughs, XXE). Only the five predefined entities and character references
 * are decoded. Throws XmlSyntaxError with line and column.
 */
export function parseXml(text: string, opts: ParseXmlOptions = {}): XmlEl {
  const maxDepth = opts.maxDepth ?? 64;
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlEl[] = [];
  const texts: string[][] = [];
  let root: XmlEl | undefined;
  let failure: XmlSyntaxError | undefined;
  const fail = (message: string, reason?: XmlSyntaxError['reason']) => {
    failure ??= new XmlSyntaxError(message, parser.line, parser.column, reason);
    throw failure;
  };

  parser.on('error', (err) => fail(err.message.replace(/^\d+:\d+: /, '')));
  parser.on('doctype', () => fail('DOCTYPE declarations are not accepted', 'doctype'));
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (stack.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`, 'depth');
    const attrs: Record<string, string> = {};
    for (const key in tag.attributes) {
      const attr = tag.attributes[key]!;
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      attrs[attr.local] = attr.value;
    }
    const el: XmlEl = { ns: tag.uri, name: tag.local, attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
    texts.push([]);
  });
  const keepText = (t: string) => texts[texts.length - 1]?.push(t);
  parser.on('text', keepText);
  parser.on('cdata', keepText);
  parser.on('closetag', () => {
    const el = stack.pop()!;
    el.text = texts.pop()!.join('').trim();
  });

  try {
    parser.write(text).close();
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw err;
    throw new XmlSyntaxError((err as Error).message, parser.line, parser.column);
  }
  if (!root) throw new XmlSyntaxError('no root element', parser.line, parser.column);
  return root;
}

/** First child with this local name (and namespace, when given). */
export function child(el: XmlEl | undefined, name: string, ns?: string): XmlEl | undefined {
  return el?.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));
}

/** Text of the first child with this local name, or undefined. */
export function childText(el: XmlEl | undefined, name: string, ns?: string): string | undefined {
  return child(el, name, ns)?.text;
}
