/**
 * PKCS#12 export.
 *
 * Encryption: pbeWithSHA1And3-KeyTripleDES-CBC for the key bag, HMAC-SHA1 MAC, 2048 iterations. This is the
 * one format every consumer a Ségur client may use can open: OpenSSL 1.1 and 3 (default provider, no "legacy"
 * needed, unlike RC2-40), every Java 8+ KeyStore, Windows/.NET (including pre-2019 Windows that reject
 * AES/PBES2 PFX files) and the macOS keychain. The certificates are stored unencrypted, which OpenSSL/Java/Windows
 * all accept and which avoids RC2. These are throw-away test keys, so compatibility wins over strength.
 */
import forge from 'node-forge';

export const P12_ENCRYPTION = 'pbeWithSHA1And3-KeyTripleDES-CBC (key bag), certificates unencrypted, MAC HMAC-SHA1, 2048 iterations';

/** `chainPems` = leaf first, then its issuers up to the root (Java keystores want the full chain). */
export function buildPkcs12(keyPem: string, chainPems: string[], password: string, friendlyName: string): Buffer {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certs = chainPems.map((p) => forge.pki.certificateFromPem(p));
  const p12 = forge.pkcs12.toPkcs12Asn1(key, certs, password, { algorithm: '3des', friendlyName, count: 2048 });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}
