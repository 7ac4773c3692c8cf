import { SaxesParser, type SaxesAttributePlain, type SaxesTagPlain } from 'saxes';

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
  /**
   * Most characters of text kept per element; the rest is read (well-formedness is still checked) but
   * dropped. For reading the header of a large document (a CDA with an embedded PDF) without building
   * its body's text. Default: no limit.
   */
  maxText?: number;
}

/** Bytes are decoded and fed to the parser in pieces this long: no string of the whole document is built. */
const CHUNK_BYTES = 64 * 1024;

/** What one parse builds; the handlers of a reused parser write into the current one. */
interface TreeBuild {
  maxDepth: number;
  maxText: number;
  stack: XmlEl[];
  /** In-scope namespace bindings of each open element (shared with the parent when it declares none). */
  scopes: Bindings[];
  root: XmlEl | undefined;
}

/** Prefix → namespace URI; the default namespace under ''. A Map: prefixes are arbitrary keys. */
type Bindings = ReadonlyMap<string, string>;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
const TOP_SCOPE: Bindings = new Map([['', ''], ['xml', XML_NS], ['xmlns', XMLNS_NS]]);

function newBuild(maxDepth: number, maxText: number): TreeBuild {
  return { maxDepth, maxText, stack: [], scopes: [], root: undefined };
}

/**
 * A saxes parser whose handlers build an XmlEl tree into `state.build`; it throws XmlSyntaxError on the
 * first problem. Namespaces are resolved here rather than by saxes' own namespace mode, which costs a
 * third of the parse on SOAP envelopes (every name split, every attribute list walked twice).
 */
function treeParser(position: boolean) {
  const parser = new SaxesParser({ xmlns: false, position });
  const state: { build: TreeBuild } = { build: newBuild(64, Infinity) };
  const fail = (message: string, reason?: XmlSyntaxError['reason']): never => {
    throw new XmlSyntaxError(message, parser.line, parser.column, reason);
  };
  const split = (qname: string): { prefix: string; local: string } => {
    const colon = qname.indexOf(':');
    if (colon === -1) return { prefix: '', local: qname };
    const local = qname.slice(colon + 1);
    if (colon === 0 || local === '' || local.includes(':')) fail(`malformed qualified name: ${qname}`);
    return { prefix: qname.slice(0, colon), local };
  };
  const isDeclaration = (name: string) => name === 'xmlns' || name.startsWith('xmlns:');
  parser.on('error', (err) => fail(err.message.replace(/^\d+:\d+: /, '')));
  parser.on('doctype', () => fail('DOCTYPE declarations are not accepted', 'doctype'));
  // Attributes as saxes reports them, one by one before their tag: walking the tag's own attribute
  // object (a prototype-less dictionary) on every element cost more than the rest of the element.
  const pending: SaxesAttributePlain[] = [];
  parser.on('attribute', (attr) => void pending.push(attr as SaxesAttributePlain));
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const { stack, scopes } = state.build;
    if (stack.length >= state.build.maxDepth) fail(`elements nested deeper than ${state.build.maxDepth}`, 'depth');
    const parentScope = scopes[scopes.length - 1] ?? TOP_SCOPE;
    let scope: Map<string, string> | undefined;
    const attrs: Record<string, string> = {};
    if (pending.length > 0) {
      for (const { name, value } of pending) {
        if (!isDeclaration(name)) continue;
        const prefix = name === 'xmlns' ? '' : name.slice(6);
        if (prefix === 'xmlns' || (prefix === 'xml') !== (value === XML_NS) || value === XMLNS_NS) fail(`forbidden namespace declaration: ${name}="${value}"`);
        if (prefix !== '' && value === '') fail(`empty namespace for prefix ${prefix}`);
        (scope ??= new Map(parentScope)).set(prefix, value);
      }
      for (const { name, value } of pending) {
        if (isDeclaration(name)) continue;
        const { prefix, local } = split(name);
        if (prefix !== '' && !(scope ?? parentScope).has(prefix)) fail(`unbound namespace prefix: "${prefix}"`);
        attrs[local] = value;
      }
      pending.length = 0;
    }
    const { prefix, local } = split(tag.name);
    const ns = (scope ?? parentScope).get(prefix);
    if (ns === undefined) fail(`unbound namespace prefix: "${prefix}"`);
    const el: XmlEl = { ns: ns!, name: local, attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else state.build.root = el;
    stack.push(el);
    scopes.push(scope ?? parentScope);
  });
  // Text is gathered untrimmed in `text` (usually one chunk: no array per element) and trimmed on close.
  const keepText = (t: string) => {
    const { stack, maxText } = state.build;
    const el = stack[stack.length - 1];
    if (el && el.text.length < maxText) el.text += t;
  };
  parser.on('text', keepText);
  parser.on('cdata', keepText);
  parser.on('closetag', () => {
    const { stack, scopes, maxText } = state.build;
    const el = stack.pop()!;
    scopes.pop();
    el.text = (el.text.length > maxText ? el.text.slice(0, maxText) : el.text).trim();
  });
  return { parser, state };
}

/**
 * The parser used for every document, reused (saxes resets itself after `close()`): building one costs
 * more than parsing a SOAP envelope. It does not track positions, which slows every character; a
 * document that fails is parsed again by a position-tracking parser for the line and column.
 */
let fast: ReturnType<typeof treeParser> | undefined;

function parseWith(p: ReturnType<typeof treeParser>, input: string | Uint8Array, opts: ParseXmlOptions): XmlEl {
  const build = newBuild(opts.maxDepth ?? 64, opts.maxText ?? Infinity);
  p.state.build = build;
  try {
    if (typeof input === 'string') p.parser.write(input);
    else {
      // UTF-8, a byte order mark dropped, malformed sequences replaced (as Buffer#toString does).
      const decoder = new TextDecoder();
      for (let at = 0; at < input.length; at += CHUNK_BYTES) p.parser.write(decoder.decode(input.subarray(at, at + CHUNK_BYTES), { stream: true }));
      p.parser.write(decoder.decode());
    }
    p.parser.close();
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw err;
    throw new XmlSyntaxError((err as Error).message, p.parser.line, p.parser.column);
  }
  if (!build.root) throw new XmlSyntaxError('no root element', p.parser.line, p.parser.column);
  return build.root;
}

/**
 * Parses a whole XML document in one strict pass (saxes): well-formedness is checked as it goes,
 * namespaces are resolved, and a DOCTYPE is refused outright, so no entity can ever be declared, let
 * alone expanded (billion laughs, XXE). Only the five predefined entities and character references
 * are decoded. Throws XmlSyntaxError with line and column. Bytes are read as UTF-8, piece by piece.
 */
export function parseXml(input: string | Uint8Array, opts: ParseXmlOptions = {}): XmlEl {
  const p = fast ?? treeParser(false);
  fast = undefined; // taken: a document parsed from inside a handler would get a parser of its own
  try {
    const root = parseWith(p, input, opts);
    fast = p; // closed cleanly, so reset by saxes: reusable
    return root;
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    // The failed parser is left mid-document: dropped. A tracking parser finds the same fault with its position.
    return parseWith(treeParser(true), input, opts);
  }
}

/** First child with this local name (and namespace, when given). */
export function child(el: XmlEl | undefined, name: string, ns?: string): XmlEl | undefined {
  return el?.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));
}

/** Text of the first child with this local name, or undefined. */
export function childText(el: XmlEl | undefined, name: string, ns?: string): string | undefined {
  return child(el, name, ns)?.text;
}
