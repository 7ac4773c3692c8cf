/**
 * TLS for the mail listeners: the host's test-PKI server certificate for STARTTLS, and the verification of
 * client certificates (mTLS of applicative mailboxes). A server-side `TLSSocket` built by hand (STARTTLS)
 * never gets Node's `authorized` flag, so the chain is checked here against the simulator's CAs.
 */
import { X509Certificate } from 'node:crypto';
import tls, { type TLSSocket } from 'node:tls';
import { tlsServerOptions, type ClientCertInfo, type Pki } from '../core/pki/index.js';

export interface MailTls {
  /** Options for smtp-server (key, cert, ca, ciphers, minVersion) with `requestCert`. */
  serverOptions: tls.TlsOptions;
  secureContext: tls.SecureContext;
  /** The simulator's CA certificates, parsed once. */
  cas: X509Certificate[];
}

const cache = new WeakMap<Pki, MailTls>();

export function mailTls(pki: Pki): MailTls {
  let found = cache.get(pki);
  if (!found) {
    const options = tlsServerOptions(pki);
    found = {
      serverOptions: { ...options, requestCert: true, rejectUnauthorized: false },
      secureContext: tls.createSecureContext(options),
      cas: pki.caCertsPem.map((pem) => new X509Certificate(pem)),
    };
    cache.set(pki, found);
  }
  return found;
}

export interface MailClientCert extends ClientCertInfo {
  /** rfc822Name entries of the subjectAltName, lower-case. */
  emails: string[];
}

/** The client certificate of a TLS socket, verified against the simulator's CAs (chain + validity). */
export function verifyClientCert(socket: TLSSocket, cas: X509Certificate[], now = Date.now()): MailClientCert {
  const peer = socket.getPeerX509Certificate?.();
  if (!peer) return { present: false, authorized: false, error: 'NO_CLIENT_CERTIFICATE', emails: [] };
  const subject = parseDn(peer.subject);
  const issuer = parseDn(peer.issuer);
  const emails = (peer.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((n) => n.toLowerCase().startsWith('email:'))
    .map((n) => n.slice(6).trim().toLowerCase());
  const info: MailClientCert = {
    present: true,
    authorized: false,
    subject,
    issuer,
    fingerprint256: peer.fingerprint256,
    serialNumber: peer.serialNumber,
    validTo: peer.validTo,
    emails,
  };
  const ca = cas.find((c) => c.subject === peer.issuer && peer.checkIssued(c) && peer.verify(c.publicKey));
  if (!ca) info.error = 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
  else if (Date.parse(peer.validFrom) > now) info.error = 'CERT_NOT_YET_VALID';
  else if (Date.parse(peer.validTo) < now) info.error = 'CERT_HAS_EXPIRED';
  else if (Date.parse(ca.validTo) < now) info.error = 'CA_CERT_HAS_EXPIRED';
  else info.authorized = true;
  return info;
}

/** `C=FR\nO=...\nCN=...` (Node's X509Certificate form) to a flat record; repeated attributes joined with ", ". */
function parseDn(dn: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    out[key] = out[key] ? `${out[key]}, ${value}` : value;
  }
  return out;
}
