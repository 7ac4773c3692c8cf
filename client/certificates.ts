import { X509Certificate } from 'node:crypto';

/** Certificate helpers shared by the client modules (assertion PS for INSi, VIHF for the DMP). */

/** First PEM certificate of a bundle; `onMissing` gives the module's own input error. */
export function firstCertificatePem(pem: string, onMissing: () => Error = () => new Error('no PEM certificate found')): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw onMissing();
  return m[0] + '\n';
}

/**
 * Subject DN in RFC 2253 order (most specific RDN first, RDNs joined by ",", multi-valued RDNs by "+"),
 * e.g. `GN=OLIVIER+CN=00B6087510+SN=INFIRMCS,title=Infirmier,C=FR`. Node lists the RDNs one per line,
 * root first.
 */
export function subjectDn(certPem: string, onMissing?: () => Error): string {
  return new X509Certificate(firstCertificatePem(certPem, onMissing)).subject
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/\s*\+\s*/g, '+'))
    .reverse()
    .join(',');
}

/** The certificate's DER as base64 (the `ds:X509Certificate` content). */
export function certBase64(certPem: string, onMissing?: () => Error): string {
  return firstCertificatePem(certPem, onMissing)
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
}
