/** TLS listener options and the client-certificate view that services consume. */
import type { PeerCertificate, SecureContextOptions, TLSSocket } from 'node:tls';
import { createHash } from 'node:crypto';

/**
 * TLS 1.2 suites the DMP documents for LPS (PDT-INF-579), in that order. TLS 1.3 stays available (its suites are
 * not governed by this string) because Pro Santé Connect web flows use it.
 */
export const LPS_TLS12_CIPHERS = ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'].join(':');

export interface TlsMaterial {
  server: { keyPem: string; chainPem: string };
  caCertsPem: string[];
}

export interface TlsServerTuning {
  /** Refuse TLS 1.3 like the real INSi/DMP front ends (default: allow it). */
  tls12Only?: boolean;
  /** Accept any TLS 1.2 suite OpenSSL offers instead of only the LPS list (default false). */
  anyCipher?: boolean;
}

export type PkiTlsServerOptions = SecureContextOptions & {
  requestCert: true;
  rejectUnauthorized: false;
  ca: string[];
  minVersion: 'TLSv1.2';
};

/**
 * Ask every client for a certificate but let the handshake succeed without one (or with an untrusted one):
 * each service decides, e.g. INSi answers DESIR_560 on a wrong CN, which a handshake failure could not express.
 */
export function buildTlsServerOptions(pki: TlsMaterial, tuning: TlsServerTuning = {}): PkiTlsServerOptions {
  return {
    key: pki.server.keyPem,
    cert: pki.server.chainPem,
    ca: [...pki.caCertsPem],
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    ...(tuning.tls12Only ? { maxVersion: 'TLSv1.2' as const } : {}),
    ...(tuning.anyCipher ? {} : { ciphers: LPS_TLS12_CIPHERS, honorCipherOrder: true }),
  };
}

export interface ClientCertInfo {
  present: boolean;
  /** True only when the chain verified against the simulator CAs (and the certificate is within validity). */
  authorized: boolean;
  error?: string;
  subject?: Record<string, string>;
  issuer?: Record<string, string>;
  fingerprint256?: string;
  serialNumber?: string;
  validTo?: string;
  /** RFC 8705 `cnf.x5t#S256` value (base64url SHA-256 of the DER), for certificate-bound PSC tokens. */
  x5tS256?: string;
}

/** Node gives string[] for repeated attributes (two OUs); services get one string, values joined with ", ". */
function flatten(name: PeerCertificate['subject'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!name) return out;
  for (const [k, v] of Object.entries(name as unknown as Record<string, string | string[]>)) {
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

export function clientCertInfo(socket: TLSSocket): ClientCertInfo {
  const cert = socket.getPeerCertificate?.(false) as PeerCertificate | null | undefined;
  if (!cert || !cert.raw || Object.keys(cert).length === 0) {
    return { present: false, authorized: false, error: 'NO_CLIENT_CERTIFICATE' };
  }
  const authorized = socket.authorized === true;
  const err = socket.authorizationError as unknown;
  const info: ClientCertInfo = {
    present: true,
    authorized,
    subject: flatten(cert.subject),
    issuer: flatten(cert.issuer),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    validTo: cert.valid_to,
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
  };
  if (!authorized) info.error = err instanceof Error ? (((err as NodeJS.ErrnoException).code ?? err.message) as string) : String(err ?? 'UNAUTHORIZED');
  return info;
}
