/**
 * The "assertion PS" of CPx mode (insi.md §2.3 B, §2.4): a SAML 2.0 assertion signed with the
 * professional's personal (CPS-like) certificate, enveloped XML-DSig, exc-c14n, rsa-sha256,
 * placed in wsse:Security. Issuer = the certificate's subject DN, NameID = the national id.
 */
import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { certBase64 as derBase64, firstCertificatePem as firstPem, subjectDn as dnOf } from '../certificates.js';
import { SignedXml } from 'xml-crypto';
import { InsiInputError } from './errors.js';
import { NS } from './envelope.js';
import { escapeXml } from './xml.js';

export interface ProfessionalCredentials {
  /** PKCS#8 or PKCS#1 private key (PEM) of the personal certificate. */
  keyPem: string;
  /** The personal certificate (PEM); a full chain is accepted, the first certificate is used. */
  certPem: string;
  /** National identifier of the card holder (idNat_PS, e.g. `8` + RPPS). */
  idNat: string;
}

export interface AssertionPsOptions {
  now?: Date;
  /** Validity in seconds (default 3600: "expires after 1h"). */
  validitySeconds?: number;
  /** AttributeStatement entries (names are not validated by the service, §2.4). */
  attributes?: Record<string, string>;
  /** NameID/@NameQualifier (default "CPS"). */
  nameQualifier?: string;
}

export interface AssertionPs {
  xml: string;
  id: string;
  issuer: string;
  notBefore: Date;
  notOnOrAfter: Date;
}

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

const missingCert = () => new InsiInputError('no PEM certificate found', 'certPem');

/** First PEM certificate of a bundle. */
export const firstCertificatePem = (pem: string): string => firstPem(pem, missingCert);

/** Subject DN in RFC 2253 order, e.g. `GN=OLIVIER+CN=00B6087510+SN=INFIRMCS,title=Infirmier,C=FR`. */
export const subjectDn = (certPem: string): string => dnOf(certPem, missingCert);

const certBase64 = (certPem: string): string => derBase64(certPem, missingCert);

/** One attribute of the subject (first occurrence), e.g. `OU` for the mTLS Emetteur. */
export function subjectAttribute(certPem: string, attr: string): string | undefined {
  const cert = new X509Certificate(firstCertificatePem(certPem));
  for (const line of cert.subject.split('\n')) {
    for (const raw of line.split('+')) {
      const part = raw.trim();
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq) === attr) return part.slice(eq + 1);
    }
  }
  return undefined;
}



/** Builds and signs an assertion PS. */
export function buildAssertionPs(pro: ProfessionalCredentials, opts: AssertionPsOptions = {}): AssertionPs {
  if (!pro?.keyPem || !pro.certPem || !pro.idNat) throw new InsiInputError('CPx mode needs the professional key, certificate and idNat', 'professional');
  const now = opts.now ?? new Date();
  const notOnOrAfter = new Date(now.getTime() + (opts.validitySeconds ?? 3600) * 1000);
  const id = `_${randomUUID()}`;
  const issuer = subjectDn(pro.certPem);
  const attrs = Object.entries(opts.attributes ?? {})
    .map(([name, value]) => `<Attribute Name="${escapeXml(name)}"><AttributeValue>${escapeXml(value)}</AttributeValue></Attribute>`)
    .join('');
  const unsigned =
    `<Assertion xmlns="${NS.saml}" ID="${id}" IssueInstant="${now.toISOString()}" Version="2.0">` +
    `<Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">${escapeXml(issuer)}</Issuer>` +
    `<Subject><NameID NameQualifier="${escapeXml(opts.nameQualifier ?? 'CPS')}">${escapeXml(pro.idNat)}</NameID></Subject>` +
    `<Conditions NotBefore="${now.toISOString()}" NotOnOrAfter="${notOnOrAfter.toISOString()}"/>` +
    (attrs ? `<AttributeStatement>${attrs}</AttributeStatement>` : '') +
    `</Assertion>`;
  let key;
  try {
    key = createPrivateKey(pro.keyPem);
  } catch (err) {
    throw new InsiInputError(`cannot read the professional's private key: ${(err as Error).message}`, 'keyPem');
  }
  const sig = new SignedXml({
    privateKey: key.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicCert: firstCertificatePem(pro.certPem),
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
    getKeyInfoContent: () => `<X509Data><X509Certificate>${certBase64(pro.certPem)}</X509Certificate></X509Data>`,
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  sig.computeSignature(unsigned, { location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' } });
  return { xml: sig.getSignedXml(), id, issuer, notBefore: now, notOnOrAfter };
}

/** Verifies an assertion's signature against the certificate it carries (used by tests and diagnostics). */
export function verifyAssertionPs(xml: string): boolean {
  const m = /<X509Certificate>([^<]+)<\/X509Certificate>/.exec(xml);
  if (!m?.[1]) return false;
  const pem = `-----BEGIN CERTIFICATE-----\n${m[1].match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
  const sig = new SignedXml({ publicCert: pem });
  const signature = /<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">[\s\S]*<\/Signature>/.exec(xml);
  if (!signature) return false;
  sig.loadSignature(signature[0]);
  try {
    return sig.checkSignature(xml);
  } catch {
    return false;
  }
}
