/** Wire constants of the INSi téléservice (shared/protocols/insi.md §2–§5). */

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  ctxlps: 'urn:siram:lps:ctxlps',
  ctxbam: 'urn:siram:bam:ctxbam',
  siram: 'urn:siram',
  recSans: 'http://www.cnamts.fr/INSiRecSans',
  recVit: 'http://www.cnamts.fr/INSiRecVit',
  resultat: 'http://www.cnamts.fr/INSiResultat',
} as const;

export type InsiOperation = 'rechercherInsAvecTraitsIdentite' | 'rechercherInsAvecCarteVitale';

export const ACTION_PREFIX = 'urn:ServiceIdentiteCertifiee:1.0.0:';
export const ACTIONS: Record<InsiOperation, string> = {
  rechercherInsAvecTraitsIdentite: `${ACTION_PREFIX}rechercherInsAvecTraitsIdentite`,
  rechercherInsAvecCarteVitale: `${ACTION_PREFIX}rechercherInsAvecCarteVitale`,
};

/** Body root element → operation (§2.1 dispatch on the body QName). */
export const BODY_ROOTS: Record<string, InsiOperation> = {
  [`{${NS.recSans}}RECSANSVITALE`]: 'rechercherInsAvecTraitsIdentite',
  [`{${NS.recVit}}RECVITALE`]: 'rechercherInsAvecCarteVitale',
};

export type CrCode = '00' | '01' | '02';
/** §3.3: exact, unaccented labels. */
export const CR_LABELS: Record<CrCode, string> = {
  '00': 'OK',
  '01': 'Aucune identite trouvee',
  '02': 'Plusieurs identites trouvees',
};

export const OID_NIR = '1.2.250.1.213.1.4.8';
export const OID_NIA = '1.2.250.1.213.1.4.9';
export const OID_NIR_TEST = '1.2.250.1.213.1.4.10';

/** Certificate CNs INSi accepts in mTLS mode (§2.3 A). */
export const ALLOWED_CNS = ['INSI-AUTO', 'INSI-MANU'];

/** The padoa IDAM captured live (§2.5); always accepted. */
export const PADOA_IDAM = 'PDP17NF21DD0';

export const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

/** Text content escaping as the live service writes it: apostrophes stay raw (`L'accès`). */
export function escText(text: string): string {
  return text.replace(/[<>&]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : '&amp;'));
}

/** Attribute value escaping (double-quoted attributes). */
export function escAttr(text: string): string {
  return text.replace(/[<>&"]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '&' ? '&amp;' : '&quot;'));
}
