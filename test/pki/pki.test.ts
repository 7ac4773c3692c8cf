import { X509Certificate, createPrivateKey } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORG_CA_CN, PERSON_CA_CN, ROOT_CN, SIMULATOR_MARKER, WRONG_CN, ensurePki, type Pki } from '../../simulators/core/pki/index.js';
import { generateRsaKey, privateKeyPem } from '../../simulators/core/pki/keys.js';
import { issueCertificate } from '../../simulators/core/pki/x509.js';
import { call, sampleProfessionals, startEchoServer, tempDir, type EchoServer } from './helpers.js';

const STRUCTURE_ID = '10B0152872';
const pros = sampleProfessionals(3);
let dir: string;
let pki: Pki;

const caFile = (name: string): string => path.join(dir, 'ca', name);
const x509 = (pemOrDer: string | Buffer): X509Certificate => new X509Certificate(pemOrDer);

beforeAll(async () => {
  dir = tempDir('pki');
  pki = await ensurePki({ dir, professionals: pros, structureId: STRUCTURE_ID, hostnames: ['segur-sim.local'] });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('generation and reuse', () => {
  it('writes the IGC-Santé-named CA files, PEM and DER', () => {
    for (const f of ['ACR-EL.cer', 'ACI-EL-ORG.cer', 'ACI-EL-PER.cer', 'ACR-EL.pem', 'ACI-EL-ORG.pem', 'ACI-EL-PER.pem', 'ca-bundle.pem']) {
      expect(fs.statSync(caFile(f)).size).toBeGreaterThan(500);
    }
    const [root, org, per] = pki.caCertsPem.map((p) => x509(p));
    expect(root!.subject).toContain(`CN=${ROOT_CN}`);
    expect(root!.subject).toContain('O=ASIP-SANTE');
    expect(root!.subject).toContain(`OU=${SIMULATOR_MARKER}`);
    expect(org!.subject).toContain(`CN=${ORG_CA_CN}`);
    expect(per!.subject).toContain(`CN=${PERSON_CA_CN}`);
    // CA private keys are kept out of ca/, which clients copy.
    expect(fs.readdirSync(path.join(dir, 'ca')).some((f) => f.includes('key'))).toBe(false);
  });

  it('DER files are the same certificates as the PEM ones', () => {
    for (const [i, base] of ['ACR-EL', 'ACI-EL-ORG', 'ACI-EL-PER'].entries()) {
      const der = x509(fs.readFileSync(caFile(`${base}.cer`)));
      const pem = x509(fs.readFileSync(caFile(`${base}.pem`), 'utf8'));
      expect(der.fingerprint256).toBe(pem.fingerprint256);
      expect(der.fingerprint256).toBe(x509(pki.caCertsPem[i]!).fingerprint256);
      expect(der.ca).toBe(true);
    }
  });

  it('every certificate chains to the root', () => {
    const [root, org, per] = pki.caCertsPem.map((p) => x509(p)) as [X509Certificate, X509Certificate, X509Certificate];
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    for (const ica of [org, per]) {
      expect(ica.checkIssued(root)).toBe(true);
      expect(ica.verify(root.publicKey)).toBe(true);
    }
    const leaves = [pki.server, ...Object.values(pki.orgClients)];
    for (const leaf of leaves) {
      const x = x509(leaf.certPem);
      expect(x.checkIssued(org), leaf.name).toBe(true);
      expect(x.verify(org.publicKey), leaf.name).toBe(true);
      expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    }
    for (const p of pros) {
      const x = x509(pki.professional(p.id)!.certPem);
      expect(x.checkIssued(per)).toBe(true);
      expect(x.verify(per.publicKey)).toBe(true);
    }
    const chain = spawnSync('openssl', ['verify', '-CAfile', pki.caBundlePath, pki.orgClients['INSI-AUTO'].certPath], { encoding: 'utf8' });
    if (!chain.error) expect(chain.stdout).toContain(': OK');
  });

  it('server certificate covers localhost, loopback IPs and extra hostnames', () => {
    const x = x509(pki.server.certPem);
    expect(x.subject).toContain('CN=localhost');
    expect(x.subjectAltName).toContain('DNS:localhost');
    expect(x.subjectAltName).toContain('DNS:segur-sim.local');
    expect(x.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(x.subjectAltName).toMatch(/IP Address:(0:0:0:0:0:0:0:1|::1)/);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(Date.parse(x.validTo) - Date.now()).toBeGreaterThan(2.9 * 365 * 86_400_000);
  });

  it('organisation and personal subjects look like IGC-Santé / CPS ones', () => {
    expect(pki.orgClients['INSI-AUTO'].subject).toMatchObject({ CN: 'INSI-AUTO', OU: STRUCTURE_ID, C: 'FR' });
    expect(pki.orgClients['INSI-MANU'].subject.CN).toBe('INSI-MANU');
    expect(pki.orgClients['WRONG-CN'].subject.CN).toBe(WRONG_CN);
    expect(x509(pki.orgClients['MSS-APP'].certPem).subjectAltName).toMatch(/^email:/);
    const p = pros[1]!;
    const cert = pki.professional(p.rpps)!;
    expect(pki.professional(p.id)).toBe(cert);
    expect(pki.professional(p.idNat)).toBe(cert);
    expect(pki.professional('nobody')).toBeUndefined();
    expect(cert.subject).toEqual({ C: 'FR', title: p.profession, GN: p.firstName, CN: p.idNat, SN: p.lastName });
    // CPS-style multi-valued RDN: GN+CN+SN in one RDN.
    expect(x509(cert.certPem).subject).toMatch(/ \+ /);
  });

  it('second call reuses everything quickly and rewrites nothing', async () => {
    const manifest = path.join(dir, 'manifest.json');
    const before = fs.statSync(manifest).mtimeMs;
    const t0 = performance.now();
    const again = await ensurePki({ dir, professionals: pros, structureId: STRUCTURE_ID, hostnames: ['segur-sim.local'] });
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(500);
    expect(again.caCertsPem).toEqual(pki.caCertsPem);
    expect(again.server.certPem).toBe(pki.server.certPem);
    expect(again.professional(pros[0]!.id)!.certPem).toBe(pki.professional(pros[0]!.id)!.certPem);
    expect(fs.statSync(manifest).mtimeMs).toBe(before);
  });

  it('lists its files with a kind and a description', () => {
    const kinds = new Set(pki.files.map((f) => f.kind));
    for (const k of ['ca-der', 'ca-pem', 'ca-bundle', 'key', 'cert', 'chain', 'p12', 'manifest']) expect(kinds.has(k), k).toBe(true);
    for (const f of pki.files) {
      expect(fs.existsSync(f.path), f.path).toBe(true);
      expect(f.description.length).toBeGreaterThan(5);
    }
    expect(pki.files.filter((f) => f.kind === 'ca-der').map((f) => path.basename(f.path)).sort()).toEqual(['ACI-EL-ORG.cer', 'ACI-EL-PER.cer', 'ACR-EL.cer']);
  });

  it('PKCS#12 files load in Node and OpenSSL 3 with the documented password', () => {
    for (const c of [pki.server, ...Object.values(pki.orgClients), pki.professional(pros[0]!.id)!]) {
      const pfx = fs.readFileSync(c.p12Path);
      expect(() => tls.createSecureContext({ pfx, passphrase: pki.p12Password })).not.toThrow();
      expect(() => tls.createSecureContext({ pfx, passphrase: 'wrong' })).toThrow();
    }
    const r = spawnSync('openssl', ['pkcs12', '-in', pki.orgClients['INSI-AUTO'].p12Path, '-nodes', '-passin', `pass:${pki.p12Password}`], { encoding: 'utf8' });
    if (!r.error) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('CN = INSI-AUTO');
      expect(r.stdout).toContain('PRIVATE KEY');
    }
  });
});

describe('mTLS over real sockets', () => {
  let srv: EchoServer;
  beforeAll(async () => {
    srv = await startEchoServer(pki);
  });
  afterAll(async () => {
    await srv.close();
  });

  it('INSI-AUTO client (PEM key + chain) is verified; services see CN and OU', async () => {
    const c = pki.orgClients['INSI-AUTO'];
    const r = await call(srv.port, pki, { key: c.keyPem, cert: c.chainPem });
    expect(r.present).toBe(true);
    expect(r.authorized).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.subject).toMatchObject({ CN: 'INSI-AUTO', OU: STRUCTURE_ID });
    expect(r.issuer?.CN).toBe(ORG_CA_CN);
    expect(r.fingerprint256).toBe(x509(c.certPem).fingerprint256);
    expect(r.x5tS256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('INSI-MANU client loaded from the .p12 works too', async () => {
    const c = pki.orgClients['INSI-MANU'];
    const r = await call(srv.port, pki, { pfx: fs.readFileSync(c.p12Path), passphrase: pki.p12Password });
    expect(r.authorized).toBe(true);
    expect(r.subject?.CN).toBe('INSI-MANU');
    expect(r.fingerprint256).toBe(x509(c.certPem).fingerprint256);
  });

  it('a client without certificate gets through with present=false', async () => {
    const r = await call(srv.port, pki);
    expect(r.present).toBe(false);
    expect(r.authorized).toBe(false);
  });

  it('a certificate from a foreign CA is reported unauthorized with an error', async () => {
    const caKeys = await generateRsaKey();
    const leafKeys = await generateRsaKey();
    const foreignCa = [[{ type: 'C' as const, value: 'FR' }], [{ type: 'CN' as const, value: ROOT_CN }]];
    const now = Date.now();
    const ca = issueCertificate({ subject: foreignCa, publicKey: caKeys.publicKey, privateKey: caKeys.privateKey, profile: 'root-ca', notBefore: new Date(now - 1e6), notAfter: new Date(now + 1e9) });
    const leaf = issueCertificate({
      subject: [[{ type: 'CN', value: 'INSI-AUTO' }]],
      issuer: { dn: foreignCa, privateKey: caKeys.privateKey, publicKey: caKeys.publicKey },
      publicKey: leafKeys.publicKey, privateKey: leafKeys.privateKey, profile: 'client', notBefore: new Date(now - 1e6), notAfter: new Date(now + 1e9),
    });
    const r = await call(srv.port, pki, { key: privateKeyPem(leafKeys.privateKey), cert: leaf.pem + ca.pem });
    expect(r.present).toBe(true);
    expect(r.authorized).toBe(false);
    expect(r.error).toBeTruthy();
    expect(r.subject?.CN).toBe('INSI-AUTO');
  });

  it('the wrong-CN organisation certificate is valid but carries CN LOGICIEL-X', async () => {
    const c = pki.orgClients['WRONG-CN'];
    const r = await call(srv.port, pki, { key: c.keyPem, cert: c.chainPem });
    expect(r.authorized).toBe(true);
    expect(r.subject?.CN).toBe(WRONG_CN);
  });

  it("a professional's certificate shows its idNat as CN", async () => {
    const p = pros[2]!;
    const c = pki.professional(p.id)!;
    const r = await call(srv.port, pki, { key: c.keyPem, cert: c.chainPem });
    expect(r.authorized).toBe(true);
    expect(r.subject).toMatchObject({ CN: p.idNat, GN: p.firstName, SN: p.lastName, title: p.profession, C: 'FR' });
    expect(r.issuer?.CN).toBe(PERSON_CA_CN);
  });

  it('TLS 1.2 clients get one of the DMP-listed cipher suites', async () => {
    const c = pki.orgClients['INSI-AUTO'];
    const r = await call(srv.port, pki, { key: c.keyPem, cert: c.chainPem, maxVersion: 'TLSv1.2' });
    expect(r.protocol).toBe('TLSv1.2');
    expect(['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES128-GCM-SHA256']).toContain(r.cipher);
    expect(r.authorized).toBe(true);
  });
});
