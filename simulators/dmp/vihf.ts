/**
 * VIHF (dmp.md §3): the SAML 2.0 assertion in `wsse:Security`. Reads it as the DMP does, accepting the real
 * spelling quirks (`Authentification_mode` vs `_Mode`, case of the mode values), and lists what is wrong.
 */
import { child, type XmlEl } from '../core/xml/tree.js';
import { NS } from './constants.js';
import type { AccessMode, AuthMode, Vihf, VihfRole } from './types.js';

export const VIHF_ATTRIBUTES = {
  version: 'VIHF_Version',
  authMode: 'Authentification_Mode',
  structureId: 'Identifiant_Structure',
  secteurActivite: 'Secteur_Activite',
  subjectId: 'urn:oasis:names:tc:xspa:1.0:subject:subject-id',
  role: 'urn:oasis:names:tc:xacml:2.0:subject:role',
  resourceId: 'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
  resourceUrn: 'Ressource_URN',
  purposeOfUse: 'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
  confidentiality: 'urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code',
  lpsNom: 'LPS_Nom',
  lpsVersion: 'LPS_Version',
  lpsHomologation: 'LPS_ID_HOMOLOGATION_DMP',
  lpsId: 'LPS_ID',
} as const;

export interface VihfReading {
  vihf?: Vihf;
  /** Problems that make the assertion unusable (no assertion, no NameID, unknown mode...). */
  errors: string[];
  /** Deviations a strict DMP might refuse but the samples show (reported in the journal). */
  warnings: string[];
}

/** `207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH` → INS and OID (CX.1 and CX.4 only, dmp.md §9). */
export function parseCxIns(cx: string): { ins: string; oid?: string } | undefined {
  const fields = cx.trim().replace(/^'|'$/g, '').split('^');
  const id = fields[0]?.trim();
  if (!id) return undefined;
  const authority = fields[3] ?? '';
  const oid = authority.split('&')[1] || undefined;
  return { ins: id, oid };
}

function values(attr: XmlEl): XmlEl[] {
  return attr.children.filter((c) => c.name === 'AttributeValue');
}

function codedOf(value: XmlEl): VihfRole | undefined {
  const el = value.children[0];
  if (el?.attrs.code) return { code: el.attrs.code, codeSystem: el.attrs.codeSystem ?? '', displayName: el.attrs.displayName };
  // `code^codeSystem` as text (Secteur_Activite style) is tolerated for roles too.
  const [code, codeSystem] = value.text.split('^');
  return code ? { code, codeSystem: codeSystem ?? '' } : undefined;
}

export function readVihf(security: XmlEl | undefined): VihfReading {
  const errors: string[] = [];
  const warnings: string[] = [];
  const assertion = security?.children.find((c) => c.name === 'Assertion' && c.ns === NS.saml2);
  if (!assertion) return { errors: ['no saml2:Assertion (VIHF) in wsse:Security'], warnings };

  const nameId = child(child(assertion, 'Subject', NS.saml2), 'NameID', NS.saml2)?.text ?? '';
  if (!nameId) errors.push('the VIHF has no Subject/NameID (the professional national id)');
  const authnContext = child(child(child(assertion, 'AuthnStatement', NS.saml2), 'AuthnContext', NS.saml2), 'AuthnContextClassRef', NS.saml2)?.text;
  const signed = assertion.children.some((c) => c.name === 'Signature');

  const attributes: Record<string, string[]> = {};
  const byLowerName = new Map<string, XmlEl>();
  const statement = child(assertion, 'AttributeStatement', NS.saml2);
  for (const attr of statement?.children ?? []) {
    if (attr.name !== 'Attribute') continue;
    const name = attr.attrs.Name ?? '';
    byLowerName.set(name.toLowerCase(), attr);
    attributes[name] = values(attr).map((v) => v.text || Object.entries(v.children[0]?.attrs ?? {}).map(([k, val]) => `${k}=${val}`).join(' '));
  }
  const attr = (name: string) => byLowerName.get(name.toLowerCase());
  const first = (name: string) => {
    const a = attr(name);
    return a ? values(a)[0]?.text || undefined : undefined;
  };

  const modeAttr = attr(VIHF_ATTRIBUTES.authMode);
  if (modeAttr && modeAttr.attrs.Name !== VIHF_ATTRIBUTES.authMode) warnings.push(`attribute spelled "${modeAttr.attrs.Name}" (accepted, as in the official samples)`);
  const modeText = (first(VIHF_ATTRIBUTES.authMode) ?? '').toUpperCase();
  let authMode: AuthMode = 'DIRECTE';
  if (modeText === 'DIRECTE' || modeText === 'INDIRECTE' || modeText === 'INDIRECTE_RENFORCEE') authMode = modeText;
  else errors.push(modeText ? `Authentification_Mode "${modeText}" is not DIRECTE, INDIRECTE or INDIRECTE_RENFORCEE` : 'no Authentification_Mode attribute');

  const roleAttr = attr(VIHF_ATTRIBUTES.role);
  const roleValues = roleAttr ? values(roleAttr).map(codedOf).filter((r): r is VihfRole => !!r) : [];
  if (roleValues.length === 0) errors.push('no subject:role attribute (profession or non-PS role)');

  const resourceId = first(VIHF_ATTRIBUTES.resourceId);
  const cx = resourceId ? parseCxIns(resourceId) : undefined;
  if (resourceId && !cx) errors.push(`resource-id "${resourceId}" is not a CX INS`);

  const pouAttr = attr(VIHF_ATTRIBUTES.purposeOfUse);
  const pou = pouAttr ? values(pouAttr)[0] : undefined;
  const pouCode = (pou?.children[0]?.attrs.code ?? pou?.text ?? 'normal').toLowerCase().replace(/-/g, '_');
  let purposeOfUse: AccessMode = 'normal';
  if (pouCode === 'normal' || pouCode === 'bris_de_glace' || pouCode === 'centre_15') purposeOfUse = pouCode;
  else errors.push(`PurposeOfUse "${pouCode}" is not normal, bris_de_glace or centre_15 (TRE_R248)`);
  if (!pouAttr) warnings.push('no purposeofuse attribute; normal access assumed');

  const version = first(VIHF_ATTRIBUTES.version);
  if (!version) warnings.push('no VIHF_Version attribute');
  else if (version !== '3.0') warnings.push(`VIHF_Version ${version} (the DMP v2 expects 3.0)`);
  const structureId = first(VIHF_ATTRIBUTES.structureId);
  if (!structureId) errors.push('no Identifiant_Structure attribute');
  const secteur = first(VIHF_ATTRIBUTES.secteurActivite);
  if (!secteur) errors.push('no Secteur_Activite attribute');
  const urn = first(VIHF_ATTRIBUTES.resourceUrn);
  if (urn !== 'urn:dmp') warnings.push(urn ? `Ressource_URN "${urn}" is not urn:dmp` : 'no Ressource_URN attribute');
  for (const name of [VIHF_ATTRIBUTES.lpsNom, VIHF_ATTRIBUTES.lpsVersion, VIHF_ATTRIBUTES.lpsHomologation]) if (!first(name)) warnings.push(`no ${name} attribute`);

  const confAttr = attr(VIHF_ATTRIBUTES.confidentiality);
  const confidentialityCodes = confAttr ? values(confAttr).map((v) => (v.children[0]?.attrs.code ?? v.text.split('^')[0] ?? '').trim()).filter(Boolean) : [];

  const vihf: Vihf = {
    nameId,
    authMode,
    authnContext,
    structureId,
    secteurActivite: secteur?.split('^')[0],
    subjectId: first(VIHF_ATTRIBUTES.subjectId),
    profession: roleValues[0],
    roles: roleValues.slice(1),
    resourceId,
    patientIns: cx?.ins,
    patientInsOid: cx?.oid,
    purposeOfUse,
    confidentialityCodes,
    lps: { nom: first(VIHF_ATTRIBUTES.lpsNom), version: first(VIHF_ATTRIBUTES.lpsVersion), homologation: first(VIHF_ATTRIBUTES.lpsHomologation), id: first(VIHF_ATTRIBUTES.lpsId) },
    version,
    signed,
    attributes,
  };
  return { vihf: errors.length && !nameId ? undefined : vihf, errors, warnings };
}

/** What the TLS layer saw of the client (`exchange.clientCert`), for `checkCard`. */
export interface ClientCertView {
  present: boolean;
  authorized: boolean;
  subject?: Record<string, string>;
}

/**
 * Coherence of the TLS client certificate with the VIHF (dmp.md §2.3): in DIRECTE mode the certificate is
 * the CPx card's, whose CN is the PS national id, so it should equal the NameID; in INDIRECTE modes it is
 * an organisation certificate. Returns journal warnings only: the rule the live DMP applies is not public,
 * so segur-sim reports rather than refuses. Plain HTTP (no TLS) gives nothing to compare.
 */
export function checkCard(vihf: Vihf, transport: 'http' | 'https', cert: ClientCertView | undefined): string[] {
  if (transport !== 'https') return [];
  if (!cert?.present) return vihf.authMode === 'DIRECTE' ? ['DIRECTE authentication without a TLS client certificate (the CPx card certificate is expected)'] : ['no TLS client certificate (an organisation authentication certificate is expected)'];
  const out: string[] = [];
  if (!cert.authorized) out.push('the TLS client certificate does not chain to the test IGC-Santé CAs');
  const cn = cert.subject?.CN;
  if (vihf.authMode === 'DIRECTE' && cn && cn !== vihf.nameId) out.push(`the card certificate CN ${cn} is not the VIHF NameID ${vihf.nameId}`);
  if (vihf.authMode !== 'DIRECTE' && cn && /^[0-9]\d{10,11}$/.test(cn) && cert.subject?.title) out.push(`${vihf.authMode} authentication with a personal (card) certificate ${cn}`);
  return out;
}
