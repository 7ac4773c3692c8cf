/**
 * X.509 certificate issuance.
 *
 * node-forge encodes the TBSCertificate (extensions, SAN, validity); the names are encoded here (UTF8String,
 * multi-valued RDNs, which forge cannot produce) and the signature is made with Node's native RSA, which is
 * much faster than forge's JavaScript bignum arithmetic.
 */
import { X509Certificate, createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { ATTRIBUTE_OIDS, type Dn } from './names.js';

const { asn1 } = forge;

export type CertProfile = 'root-ca' | 'intermediate-ca' | 'server' | 'client' | 'personal';

export interface CertRequest {
  subject: Dn;
  /** Omitted for the self-signed root. */
  issuer?: { dn: Dn; privateKey: KeyObject; publicKey: KeyObject };
  publicKey: KeyObject;
  privateKey: KeyObject;
  profile: CertProfile;
  notBefore: Date;
  notAfter: Date;
  /** DNS names or IP addresses (server). */
  hosts?: string[];
  /** rfc822Name entries (applicative mailbox). */
  emails?: string[];
}

export interface IssuedX509 {
  pem: string;
  der: Buffer;
  fingerprint256: string;
  serialNumber: string;
  notAfter: string;
}

function nameToAsn1(dn: Dn): forge.asn1.Asn1 {
  const rdns = dn.map((rdn) => {
    const atvs = rdn.map(({ type, value }) => {
      // Country must be PrintableString (RFC 5280); everything else UTF8String, as IGC-Santé does for accented names.
      const tag = type === 'C' ? asn1.Type.PRINTABLESTRING : asn1.Type.UTF8;
      return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(ATTRIBUTE_OIDS[type]).getBytes()),
        asn1.create(asn1.Class.UNIVERSAL, tag, false, forge.util.encodeUtf8(value)),
      ]);
    });
    // DER orders the members of a SET OF by their encoding.
    const sorted = atvs
      .map((a) => ({ a, der: asn1.toDer(a).getBytes() }))
      .sort((x, y) => (x.der < y.der ? -1 : x.der > y.der ? 1 : 0))
      .map((x) => x.a);
    return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, sorted);
  });
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, rdns);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bit string (the PKCS#1 RSAPublicKey). */
function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'pkcs1', format: 'der' })).digest();
}

/** Positive 128-bit serial, as CAs/Browser rules ask for at least 64 bits of entropy. */
function randomSerialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return b.toString('hex');
}

function extensionsFor(req: CertRequest): object[] {
  const ext: object[] = [];
  const aki = req.issuer ? keyIdentifier(req.issuer.publicKey) : keyIdentifier(req.publicKey);
  switch (req.profile) {
    case 'root-ca':
      ext.push({ name: 'basicConstraints', cA: true, critical: true });
      ext.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
      break;
    case 'intermediate-ca':
      ext.push({ name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true });
      ext.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true });
      break;
    case 'server':
      ext.push({ name: 'basicConstraints', cA: false, critical: true });
      ext.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
      ext.push({ name: 'extKeyUsage', serverAuth: true });
      break;
    case 'client':
      ext.push({ name: 'basicConstraints', cA: false, critical: true });
      ext.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true });
      ext.push({ name: 'extKeyUsage', clientAuth: true });
      break;
    case 'personal':
      // One certificate stands for both CPS keys (authentication and signature), hence nonRepudiation too.
      ext.push({ name: 'basicConstraints', cA: false, critical: true });
      ext.push({ name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true, critical: true });
      ext.push({ name: 'extKeyUsage', clientAuth: true, emailProtection: true });
      break;
  }
  const altNames: object[] = [];
  for (const h of req.hosts ?? []) altNames.push(isIP(h) ? { type: 7, ip: h } : { type: 2, value: h });
  for (const e of req.emails ?? []) altNames.push({ type: 1, value: e });
  if (altNames.length > 0) ext.push({ name: 'subjectAltName', altNames });
  ext.push({ name: 'subjectKeyIdentifier' });
  if (req.profile !== 'root-ca') ext.push({ name: 'authorityKeyIdentifier', keyIdentifier: aki.toString('binary') });
  return ext;
}

const getTbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

export function issueCertificate(req: CertRequest): IssuedX509 {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(req.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = req.notBefore;
  cert.validity.notAfter = req.notAfter;
  cert.setExtensions(extensionsFor(req));
  cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  const tbs = getTbs(cert);
  // TBSCertificate = [version, serial, signature, issuer, validity, subject, spki, extensions]
  const tbsParts = tbs.value as forge.asn1.Asn1[];
  tbsParts[3] = nameToAsn1(req.issuer ? req.issuer.dn : req.subject);
  tbsParts[5] = nameToAsn1(req.subject);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  cert.tbsCertificate = tbs;
  cert.signature = sign('sha256', tbsDer, req.issuer ? req.issuer.privateKey : req.privateKey).toString('binary');
  const pem = forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  const x = new X509Certificate(pem);
  return { pem, der: x.raw, fingerprint256: x.fingerprint256, serialNumber: x.serialNumber, notAfter: new Date(x.validTo).toISOString() };
}

/** PEM → DER without a full X.509 parse (cheap enough for the warm path). */
export function pemToDer(pem: string): Buffer {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Buffer.from(b64, 'base64');
}
