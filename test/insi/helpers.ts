import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
export const ACTION_SANS = 'urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite';
export const ACTION_VIT = 'urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale';
export const PADOA_IDAM = 'PDP17NF21DD0';

export interface Traits {
  nom: string;
  prenom: string | string[];
  sexe: string;
  date: string;
  lieu?: string;
}

export type HeaderName = 'BAM' | 'LPS' | 'Action' | 'MessageID' | 'Security';

export interface EnvelopeOptions {
  idam?: string | null;
  order?: HeaderName[];
  security?: string;
  messageId?: string;
  wsaAction?: string;
  bodyId?: boolean;
  couverture?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');

/** A padoa-shaped envelope (namespace prefixes as padoa's soap client writes them). */
export function envelope(body: string, action: string, opts: EnvelopeOptions = {}): string {
  const messageId = opts.messageId ?? 'uuid:4bb69d9e-064f-4dc3-836a-db69046e439a';
  const headers: Record<HeaderName, string> = {
    BAM: `<ctxbam:ContexteBAM Version="01_02"><ctxbam:Id>0d6e1e4a-9ad5-4b0e-8d1c-2a3c1e1e3f11</ctxbam:Id><ctxbam:Temps>2023-09-26T08:51:16.840Z</ctxbam:Temps><ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE>${opts.couverture ?? ''}</ctxbam:COUVERTURE></ctxbam:ContexteBAM>`,
    LPS:
      opts.idam === null
        ? ''
        : `<ctxlps:ContexteLPS Nature="CTXLPS" Version="01_00"><ctxlps:Id>1f7c2b8e-1111-4a4a-9c9c-0123456789ab</ctxlps:Id><ctxlps:Temps>2023-09-26T08:51:16.840Z</ctxlps:Temps><ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${opts.idam ?? PADOA_IDAM}</ctxlps:IDAM><ctxlps:Version>2022</ctxlps:Version><ctxlps:Instance>636c9d43-0000-4000-8000-000000000000</ctxlps:Instance><ctxlps:Nom>urn:lps:padoa:2022</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`,
    Action: `<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">${opts.wsaAction ?? action}</wsa:Action>`,
    MessageID: `<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">${messageId}</wsa:MessageID>`,
    Security: opts.security ? `<wsse:Security>${opts.security}</wsse:Security>` : '',
  };
  const order = opts.order ?? ['BAM', 'LPS', 'Action', 'MessageID', 'Security'];
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="${SOAP12}" xmlns:insi_recsans_ins="http://www.cnamts.fr/INSiRecSans" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:ctxbam="urn:siram:bam:ctxbam" xmlns:ctxlps="urn:siram:lps:ctxlps" xmlns:siram="urn:siram">` +
    `<soap:Header>${order.map((h) => headers[h]).join('')}</soap:Header><soap:Body${opts.bodyId ? ' Id="_0"' : ''}>${body}</soap:Body></soap:Envelope>`
  );
}

export function recsansBody(t: Traits): string {
  const p = 'insi_recsans_ins';
  const prenoms = Array.isArray(t.prenom) ? t.prenom : [t.prenom];
  return (
    `<${p}:RECSANSVITALE xmlns="http://www.cnamts.fr/INSiRecSans"><${p}:NomNaissance>${esc(t.nom)}</${p}:NomNaissance>` +
    prenoms.map((x) => `<${p}:Prenom>${esc(x)}</${p}:Prenom>`).join('') +
    `<${p}:Sexe>${t.sexe}</${p}:Sexe><${p}:DateNaissance>${t.date}</${p}:DateNaissance>` +
    (t.lieu ? `<${p}:LieuNaissance>${t.lieu}</${p}:LieuNaissance>` : '') +
    `</${p}:RECSANSVITALE>`
  );
}

export function recvitBody(v: { individu?: string; od?: string; nom: string; date: string; rang?: number }): string {
  const m = (tag: string, nir?: string) => (nir ? `<ins:${tag}><ins:NumIdentifiant>${nir.slice(0, 13)}</ins:NumIdentifiant>${nir.length === 15 ? `<ins:Cle>${nir.slice(13)}</ins:Cle>` : ''}</ins:${tag}>` : '');
  return (
    `<ins:RECVITALE xmlns:ins="http://www.cnamts.fr/INSiRecVit">${m('MatriculeIndividu', v.individu)}${m('MatriculeOD', v.od)}` +
    `<ins:NomNaissance>${esc(v.nom)}</ins:NomNaissance><ins:DateNaissance>${v.date}</ins:DateNaissance><ins:RangNaissance>${v.rang ?? 1}</ins:RangNaissance></ins:RECVITALE>`
  );
}

/** A CPx "assertion PS": structure as the padoa fixture (Issuer, ds:Signature, Subject/NameID, attributes). */
export function assertionPs(opts: { notOnOrAfter?: string; withSignature?: boolean; nameId?: string } = {}): string {
  const conditions = opts.notOnOrAfter ? `<Conditions NotBefore="2020-01-01T00:00:00Z" NotOnOrAfter="${opts.notOnOrAfter}"/>` : '';
  const signature =
    opts.withSignature === false
      ? ''
      : `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#_c6a7"><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>AAAA</DigestValue></Reference></SignedInfo><SignatureValue>AAAA</SignatureValue><KeyInfo><X509Data><X509Certificate>AAAA</X509Certificate></X509Data></KeyInfo></Signature>`;
  return (
    `<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="_c6a7" IssueInstant="2022-04-12T15:07:10.065Z" Version="2.0">` +
    `<Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">2.5.4.42=OLIVIER+CN=00B6087510+SN=INFIRMCS ADELI8751,T=Infirmier,C=FR</Issuer>` +
    signature +
    `<Subject><NameID NameQualifier="CPS">${opts.nameId ?? '00B6087510'}</NameID></Subject>${conditions}` +
    `<AttributeStatement><Attribute Name="identifiantFacturation"><AttributeValue>123456789</AttributeValue></Attribute><Attribute Name="secteurActivite"><AttributeValue>SA05</AttributeValue></Attribute></AttributeStatement></Assertion>`
  );
}

/** The Vitale assertion as simulators/vitale issues it (segur-sim contract). */
export function vitaleAssertion(opts: { serial?: string; nirOD: string; rang?: number; issuedAtMs?: number }): string {
  const issued = opts.issuedAtMs ?? Date.now();
  const i = new Date(issued).toISOString();
  const until = new Date(issued + 20 * 60_000).toISOString();
  return (
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_vitale-0b0b0b0b-1111-4222-8333-444444444444" IssueInstant="${i}" Version="2.0">` +
    `<saml2:Issuer>urn:segur-sim:vitale</saml2:Issuer><saml2:Subject><saml2:NameID>${opts.serial ?? '0036443354'}</saml2:NameID></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${i}" NotOnOrAfter="${until}"/><saml2:AttributeStatement>` +
    `<saml2:Attribute Name="NirOuvrantDroit"><saml2:AttributeValue>${opts.nirOD}</saml2:AttributeValue></saml2:Attribute>` +
    `<saml2:Attribute Name="RangBeneficiaire"><saml2:AttributeValue>${opts.rang ?? 1}</saml2:AttributeValue></saml2:Attribute></saml2:AttributeStatement></saml2:Assertion>`
  );
}

export interface Tls {
  key?: string;
  cert?: string;
  ca: string[];
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** POST over http or https (node's own clients, so mTLS works), with a SOAP 1.2 content type by default. */
export function post(url: string, body: string | Buffer, opts: { tls?: Tls; headers?: Record<string, string>; action?: string | false } = {}): Promise<Answer> {
  const action = opts.action === undefined ? ACTION_SANS : opts.action;
  const headers: Record<string, string | number> = {
    'content-type': action ? `application/soap+xml;charset=UTF-8;action="${action}"` : 'application/soap+xml;charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...opts.headers,
  };
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'POST', headers, ...(opts.tls ? { ...opts.tls, servername: 'localhost' } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function get(url: string, tls?: Tls): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'GET', ...(tls ? { ...tls, servername: 'localhost' } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${name}>`).exec(xml);
  return m?.[1];
}

export function allTags(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<(?:\\w+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:\\w+:)?${name}>`, 'g'))].map((m) => m[1]!);
}
