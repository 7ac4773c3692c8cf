/**
 * RSA-2048 key generation, off the event loop.
 *
 * Key generation dominates a cold start. OpenSSL 3's RSA keygen (crypto.generateKeyPair) measured ~2x slower
 * here than drawing the two 1024-bit primes with crypto.generatePrime (same OpenSSL Miller-Rabin testing) and
 * assembling the key ourselves, so we do the latter and fall back to generateKeyPair if anything looks off.
 * Both run on libuv's thread pool, so many keys are generated in parallel while the main thread signs.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, generatePrime, sign, verify, type KeyObject } from 'node:crypto';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const E = 65537n;

function prime1024(): Promise<bigint> {
  return new Promise((resolve, reject) => {
    generatePrime(1024, { bigint: true }, (err, p) => (err ? reject(err) : resolve(p as bigint)));
  });
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

function b64u(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** Builds the key from two primes; undefined when they do not make a proper 2048-bit key with e = 65537. */
function assemble(a: bigint, b: bigint): KeyPair | undefined {
  const [p, q] = a > b ? [a, b] : [b, a];
  const n = p * q;
  if (p === q || n.toString(2).length !== 2048 || (p - 1n) % E === 0n || (q - 1n) % E === 0n) return undefined;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(E, lambda);
  const jwk = {
    kty: 'RSA', n: b64u(n), e: b64u(E), d: b64u(d), p: b64u(p), q: b64u(q),
    dp: b64u(d % (p - 1n)), dq: b64u(d % (q - 1n)), qi: b64u(modInverse(q, p)),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  // Cheap self-test (~1 ms) so a bad assembly can never reach a certificate.
  const probe = Buffer.from('segur-sim');
  if (!verify('sha256', probe, publicKey, sign('sha256', probe, privateKey))) return undefined;
  return { privateKey, publicKey };
}

function opensslKeyPair(): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    );
  });
}

/** RSA 2048 / e = 65537: what IGC-Santé issues and what every PKCS#12 consumer (Java, Windows, OpenSSL) accepts. */
export async function generateRsaKey(): Promise<KeyPair> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const [a, b] = await Promise.all([prime1024(), prime1024()]);
      const kp = assemble(a, b);
      if (kp) return kp;
    } catch {
      break;
    }
  }
  return opensslKeyPair();
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
