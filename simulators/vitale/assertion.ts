import { child as samlChild, parseXml, XmlSyntaxError, type XmlEl } from '../core/xml/tree.js';
import { escapeXml } from '../core/xml/escape.js';

/**
 * The Vitale assertion, as segur-sim's virtual reader issues it and its INSi simulator checks it.
 *
 * The real "AssertionCV" that the SESAM-Vitale components put next to the assertion PS in
 * `wsse:Security` for RECVITALE is not public (insi.md §2.3 B). This SAML 2.0 shape is **segur-sim's
 * own convention**: unsigned, bound to one card (serial number), one ouvrant droit and one rang, valid
 * 20 minutes (CNDA test 1.02, obsolescence after about 20 minutes).
 *
 * ```xml
 * <saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_vitale-<uuid>" IssueInstant="…Z" Version="2.0">
 *   <saml2:Issuer>urn:segur-sim:vitale</saml2:Issuer>
 *   <saml2:Subject><saml2:NameID>card serial number</saml2:NameID></saml2:Subject>
 *   <saml2:Conditions NotBefore="IssueInstant" NotOnOrAfter="IssueInstant + 20 min"/>
 *   <saml2:AttributeStatement>
 *     <saml2:Attribute Name="NirOuvrantDroit"><saml2:AttributeValue>15 characters</saml2:AttributeValue></saml2:Attribute>
 *     <saml2:Attribute Name="RangBeneficiaire"><saml2:AttributeValue>integer</saml2:AttributeValue></saml2:Attribute>
 *   </saml2:AttributeStatement>
 * </saml2:Assertion>
 * ```
 */
export const SAML2_ASSERTION_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const VITALE_ASSERTION_ISSUER = 'urn:segur-sim:vitale';
export const VITALE_ASSERTION_ID_PREFIX = '_vitale-';
/** Validity of an assertion: 20 minutes from its issue instant (CNDA 1.02). */
export const VITALE_ASSERTION_VALIDITY_MS = 20 * 60_000;
export const ATTR_NIR_OUVRANT_DROIT = 'NirOuvrantDroit';
export const ATTR_RANG_BENEFICIAIRE = 'RangBeneficiaire';

const ID_PATTERN = /^_vitale-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** NIR or NIA: 13 characters (`\d{6}[AB0-9]\d{6}`, 2A/2B for Corsica) + 2-digit key, no spaces. */
const NIR15_PATTERN = /^\d{6}[AB0-9]\d{6}\d{2}$/;
const RANG_PATTERN = /^[1-9]\d*$/;
const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** What a Vitale assertion says, parsed. Instants are ISO strings as written, and epoch milliseconds. */
export interface VitaleAssertion {
  id: string;
  issueInstant: string;
  notBefore: string;
  notOnOrAfter: string;
  issuedAtMs: number;
  notBeforeMs: number;
  notOnOrAfterMs: number;
  issuer: string;
  /** Subject NameID: the serial number of the card that produced the assertion. */
  serialNumber: string;
  /** 15 characters: NIR (13) + key (2) of the ouvrant droit. */
  nirOuvrantDroit: string;
  rangBeneficiaire: number;
}

export interface BuildVitaleAssertionInput {
  serialNumber: string;
  nirOuvrantDroit: string;
  rang: number;
  /** Issue instant, epoch milliseconds (from the host clock). */
  issuedAtMs: number;
  /** Defaults to `_vitale-` + a random UUID. */
  id?: string;
}

export interface BuiltVitaleAssertion {
  xml: string;
  id: string;
  issueInstant: string;
  notBefore: string;
  notOnOrAfter: string;
}

/** The assertion XML (no XML declaration: it is meant to be embedded in `wsse:Security`). */
export function buildVitaleAssertion(input: BuildVitaleAssertionInput): BuiltVitaleAssertion {
  const id = input.id ?? `${VITALE_ASSERTION_ID_PREFIX}${crypto.randomUUID()}`;
  const issueInstant = new Date(input.issuedAtMs).toISOString();
  const notOnOrAfter = new Date(input.issuedAtMs + VITALE_ASSERTION_VALIDITY_MS).toISOString();
  const xml =
    `<saml2:Assertion xmlns:saml2="${SAML2_ASSERTION_NS}" ID="${escapeXml(id)}" IssueInstant="${issueInstant}" Version="2.0">` +
    `<saml2:Issuer>${VITALE_ASSERTION_ISSUER}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID>${escapeXml(input.serialNumber)}</saml2:NameID></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${issueInstant}" NotOnOrAfter="${notOnOrAfter}"/>` +
    `<saml2:AttributeStatement>` +
    `<saml2:Attribute Name="${ATTR_NIR_OUVRANT_DROIT}"><saml2:AttributeValue>${escapeXml(input.nirOuvrantDroit)}</saml2:AttributeValue></saml2:Attribute>` +
    `<saml2:Attribute Name="${ATTR_RANG_BENEFICIAIRE}"><saml2:AttributeValue>${input.rang}</saml2:AttributeValue></saml2:Attribute>` +
    `</saml2:AttributeStatement>` +
    `</saml2:Assertion>`;
  return { xml, id, issueInstant, notBefore: issueInstant, notOnOrAfter };
}

export type VitaleAssertionParse = { ok: true; assertion: VitaleAssertion } | { ok: false; problems: string[] };

/**
 * Parses and checks a Vitale assertion against segur-sim's contract (shape only, not time: see
 * `vitaleAssertionTimeStatus`). `xml` may be the assertion alone or any document that contains it, such
 * as a whole SOAP envelope or its `wsse:Security` header: the assertion is the SAML 2.0 `Assertion`
 * (namespace-resolved, any prefix) whose Issuer is `urn:segur-sim:vitale` or whose ID starts with `_vitale-`,
 * so an assertion PS next to it is ignored. Every problem found is listed, in document order.
 */
export function parseVitaleAssertion(xml: string): VitaleAssertionParse {
  const tree = parseDocument(xml);
  if (typeof tree === 'string') return { ok: false, problems: [tree] };
  const assertions = findAll(tree, (e) => e.ns === SAML2_ASSERTION_NS && e.name === 'Assertion');
  if (assertions.length === 0) return { ok: false, problems: [`no SAML 2.0 Assertion (namespace ${SAML2_ASSERTION_NS}) found`] };
  const vitale = assertions.filter(isVitaleAssertion);
  if (vitale.length > 1) return { ok: false, problems: [`${vitale.length} Vitale assertions found; expected exactly one`] };
  const el = vitale[0] ?? (assertions.length === 1 ? assertions[0]! : undefined);
  if (!el) return { ok: false, problems: [`none of the ${assertions.length} SAML assertions is a Vitale assertion (Issuer ${VITALE_ASSERTION_ISSUER}, ID _vitale-…)`] };

  return readVitaleAssertion(el);
}

/** True for the SAML assertion that is the Vitale one (its Issuer or ID), not an assertion PS beside it. */
export function isVitaleAssertion(el: XmlEl): boolean {
  return el.ns === SAML2_ASSERTION_NS && el.name === 'Assertion' && (textOf(child(el, 'Issuer')) === VITALE_ASSERTION_ISSUER || (el.attrs.ID ?? '').startsWith(VITALE_ASSERTION_ID_PREFIX));
}

/** Checks one already-parsed Vitale assertion element against the contract (shape only, not time). */
export function readVitaleAssertion(el: XmlEl): VitaleAssertionParse {
  const problems: string[] = [];
  const id = el.attrs.ID ?? '';
  if (!ID_PATTERN.test(id)) problems.push(`Assertion/@ID "${id}" is not "_vitale-" followed by a UUID`);
  if (el.attrs.Version !== '2.0') problems.push(`Assertion/@Version is "${el.attrs.Version ?? ''}", expected "2.0"`);
  const issueInstant = el.attrs.IssueInstant ?? '';
  const issuedAtMs = instant(issueInstant, 'Assertion/@IssueInstant', problems);

  const issuer = textOf(child(el, 'Issuer'));
  if (issuer !== VITALE_ASSERTION_ISSUER) problems.push(`Issuer is "${issuer ?? '(missing)'}", expected "${VITALE_ASSERTION_ISSUER}"`);

  const serialNumber = textOf(child(child(el, 'Subject'), 'NameID')) ?? '';
  if (!serialNumber) problems.push('Subject/NameID (the card serial number) is missing or empty');

  const conditions = child(el, 'Conditions');
  const notBefore = conditions?.attrs.NotBefore ?? '';
  const notOnOrAfter = conditions?.attrs.NotOnOrAfter ?? '';
  let notBeforeMs = NaN;
  let notOnOrAfterMs = NaN;
  if (!conditions) problems.push('Conditions is missing');
  else {
    notBeforeMs = instant(notBefore, 'Conditions/@NotBefore', problems);
    notOnOrAfterMs = instant(notOnOrAfter, 'Conditions/@NotOnOrAfter', problems);
    if (!Number.isNaN(issuedAtMs) && !Number.isNaN(notBeforeMs) && notBeforeMs !== issuedAtMs) problems.push(`Conditions/@NotBefore ${notBefore} differs from IssueInstant ${issueInstant}`);
    if (!Number.isNaN(issuedAtMs) && !Number.isNaN(notOnOrAfterMs) && notOnOrAfterMs - issuedAtMs !== VITALE_ASSERTION_VALIDITY_MS)
      problems.push(`Conditions/@NotOnOrAfter ${notOnOrAfter} is not IssueInstant + 20 minutes`);
  }

  const statement = child(el, 'AttributeStatement');
  const attribute = (name: string): string | undefined => {
    const attr = statement?.children.find((c) => c.ns === SAML2_ASSERTION_NS && c.name === 'Attribute' && c.attrs.Name === name);
    return textOf(child(attr, 'AttributeValue'));
  };
  if (!statement) problems.push('AttributeStatement is missing');
  const nirOuvrantDroit = attribute(ATTR_NIR_OUVRANT_DROIT) ?? '';
  if (statement && !NIR15_PATTERN.test(nirOuvrantDroit))
    problems.push(`Attribute ${ATTR_NIR_OUVRANT_DROIT} "${nirOuvrantDroit}" is not a 15-character NIR (13 + key, no spaces)`);
  const rang = attribute(ATTR_RANG_BENEFICIAIRE) ?? '';
  if (statement && !RANG_PATTERN.test(rang)) problems.push(`Attribute ${ATTR_RANG_BENEFICIAIRE} "${rang}" is not a positive integer`);

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    assertion: {
      id,
      issueInstant,
      notBefore,
      notOnOrAfter,
      issuedAtMs,
      notBeforeMs,
      notOnOrAfterMs,
      issuer: issuer!,
      serialNumber,
      nirOuvrantDroit,
      rangBeneficiaire: Number(rang),
    },
  };
}

/** Whether an assertion is usable at `nowMs`: SAML semantics, NotBefore ≤ now < NotOnOrAfter. */
export function vitaleAssertionTimeStatus(assertion: Pick<VitaleAssertion, 'notBeforeMs' | 'notOnOrAfterMs'>, nowMs: number): 'valid' | 'not-yet-valid' | 'expired' {
  if (nowMs < assertion.notBeforeMs) return 'not-yet-valid';
  if (nowMs >= assertion.notOnOrAfterMs) return 'expired';
  return 'valid';
}

function instant(value: string, where: string, problems: string[]): number {
  if (!value) {
    problems.push(`${where} is missing`);
    return NaN;
  }
  const ms = DATE_TIME_PATTERN.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) problems.push(`${where} "${value}" is not an xs:dateTime with a time zone`);
  return ms;
}

/** The document's root element, or a message saying why it is not well-formed XML (core strict parser). */
function parseDocument(xml: string): XmlEl | string {
  if (typeof xml !== 'string' || !xml.trim()) return 'the assertion is empty';
  try {
    return parseXml(xml);
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    return `not well-formed XML: ${err.message} (line ${err.line}, column ${err.column})`;
  }
}

function findAll(root: XmlEl, test: (e: XmlEl) => boolean): XmlEl[] {
  const found: XmlEl[] = [];
  const walk = (e: XmlEl) => {
    if (test(e)) found.push(e);
    else e.children.forEach(walk);
  };
  walk(root);
  return found;
}

function child(el: XmlEl | undefined, local: string): XmlEl | undefined {
  return samlChild(el, local, SAML2_ASSERTION_NS);
}

/** The element's text (the core parser trims it), or undefined when the element is absent. */
function textOf(el: XmlEl | undefined): string | undefined {
  return el?.text;
}
