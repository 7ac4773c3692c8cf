import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, type Pki } from '../../simulators/core/pki/index.js';
import { sampleProfessionals, tempDir } from './helpers.js';

const pros = sampleProfessionals(2);
let pristine: string;
let base: Pki;
const dirs: string[] = [];

const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;

/** A private copy of the generated PKI so each test can damage it freely. */
function copy(): string {
  const d = tempDir('pki-repair');
  fs.cpSync(pristine, d, { recursive: true });
  dirs.push(d);
  return d;
}

function truncate(file: string): void {
  const buf = fs.readFileSync(file);
  fs.writeFileSync(file, buf.subarray(0, Math.floor(buf.length / 3)));
}

beforeAll(async () => {
  pristine = tempDir('pki-pristine');
  dirs.push(pristine);
  base = await ensurePki({ dir: pristine, professionals: pros });
});

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('damaged PKI directories', () => {
  it('a truncated .p12 is rebuilt, keeping the certificate and the CA', async () => {
    const d = copy();
    const p12 = path.join(d, 'org', 'INSI-AUTO.p12');
    truncate(p12);
    const pki = await ensurePki({ dir: d, professionals: pros });
    expect(pki.caCertsPem).toEqual(base.caCertsPem);
    expect(pki.orgClients['INSI-AUTO'].certPem).toBe(base.orgClients['INSI-AUTO'].certPem);
    expect(() => tls.createSecureContext({ pfx: fs.readFileSync(p12), passphrase: pki.p12Password })).not.toThrow();
  });

  it('a truncated leaf key gets a new key and certificate from the same CA', async () => {
    const d = copy();
    truncate(path.join(d, 'org', 'INSI-MANU.key.pem'));
    const pki = await ensurePki({ dir: d, professionals: pros });
    expect(pki.caCertsPem).toEqual(base.caCertsPem);
    expect(fp(pki.orgClients['INSI-MANU'].certPem)).not.toBe(fp(base.orgClients['INSI-MANU'].certPem));
    expect(new X509Certificate(pki.orgClients['INSI-MANU'].certPem).checkPrivateKey(
      (await import('node:crypto')).createPrivateKey(fs.readFileSync(path.join(d, 'org', 'INSI-MANU.key.pem'))),
    )).toBe(true);
    expect(pki.orgClients['INSI-AUTO'].certPem).toBe(base.orgClients['INSI-AUTO'].certPem);
  });

  it('a truncated DER CA file is rewritten from the PEM without touching the CA', async () => {
    const d = copy();
    const der = path.join(d, 'ca', 'ACR-EL.cer');
    truncate(der);
    const pki = await ensurePki({ dir: d, professionals: pros });
    expect(pki.caCertsPem).toEqual(base.caCertsPem);
    expect(new X509Certificate(fs.readFileSync(der)).fingerprint256).toBe(fp(base.caCertsPem[0]!));
  });

  it('a corrupt manifest keeps the (intact) CA and reissues the leaves', async () => {
    const d = copy();
    fs.writeFileSync(path.join(d, 'manifest.json'), '{"format": "segur-sim-pki/1", "entr');
    const pki = await ensurePki({ dir: d, professionals: pros });
    expect(pki.caCertsPem).toEqual(base.caCertsPem);
    const root = new X509Certificate(pki.caCertsPem[1]!);
    expect(new X509Certificate(pki.server.certPem).checkIssued(root)).toBe(true);
    // And the repaired directory is reused as is afterwards.
    const again = await ensurePki({ dir: d, professionals: pros });
    expect(again.server.certPem).toBe(pki.server.certPem);
  });

  it('a truncated root key regenerates the whole chain without crashing', async () => {
    const d = copy();
    truncate(path.join(d, 'private', 'ACR-EL.key.pem'));
    const pki = await ensurePki({ dir: d, professionals: pros });
    expect(fp(pki.caCertsPem[0]!)).not.toBe(fp(base.caCertsPem[0]!));
    const [root, org, per] = pki.caCertsPem.map((p) => new X509Certificate(p));
    expect(org!.verify(root!.publicKey)).toBe(true);
    expect(per!.verify(root!.publicKey)).toBe(true);
    expect(new X509Certificate(pki.orgClients['INSI-AUTO'].certPem).verify(org!.publicKey)).toBe(true);
    expect(new X509Certificate(fs.readFileSync(path.join(d, 'ca', 'ACR-EL.cer'))).fingerprint256).toBe(fp(pki.caCertsPem[0]!));
  });

  it('left-over temp files and a directory squatting on a file name are cleaned up', async () => {
    const d = copy();
    fs.writeFileSync(path.join(d, 'org', 'INSI-AUTO.p12.tmp-12345-deadbeef'), 'half');
    const chain = path.join(d, 'server', 'localhost.fullchain.pem');
    fs.rmSync(chain);
    fs.mkdirSync(chain);
    const pki = await ensurePki({ dir: d, professionals: pros });
    expect(fs.existsSync(path.join(d, 'org', 'INSI-AUTO.p12.tmp-12345-deadbeef'))).toBe(false);
    expect(fs.readFileSync(chain, 'utf8')).toBe(pki.server.chainPem);
  });

  it('garbage in every file of a fresh dir is replaced by a working PKI', async () => {
    const d = copy();
    for (const sub of ['ca', 'private', 'org', 'server', 'professionals']) {
      for (const f of fs.readdirSync(path.join(d, sub))) fs.writeFileSync(path.join(d, sub, f), 'garbage');
    }
    fs.writeFileSync(path.join(d, 'manifest.json'), 'garbage');
    const pki = await ensurePki({ dir: d, professionals: pros });
    const root = new X509Certificate(fs.readFileSync(path.join(d, 'ca', 'ACR-EL.cer')));
    expect(root.verify(root.publicKey)).toBe(true);
    expect(() => tls.createSecureContext({ pfx: fs.readFileSync(pki.server.p12Path), passphrase: pki.p12Password })).not.toThrow();
  });

  it('a new professional is added without reissuing the others; a removed one loses its files', async () => {
    const d = copy();
    const more = [...pros, ...sampleProfessionals(3).slice(2)];
    const pki = await ensurePki({ dir: d, professionals: more });
    expect(pki.professional(pros[0]!.id)!.certPem).toBe(base.professional(pros[0]!.id)!.certPem);
    expect(pki.professional(more[2]!.id)!.subject.CN).toBe(more[2]!.idNat);
    const fewer = await ensurePki({ dir: d, professionals: [pros[0]!] });
    expect(fewer.professional(pros[1]!.id)).toBeUndefined();
    expect(fs.existsSync(base.professional(pros[1]!.id)!.p12Path.replace(pristine, d))).toBe(false);
  });

  it('changing the structure id reissues only the organisation certificates', async () => {
    const d = copy();
    const pki = await ensurePki({ dir: d, professionals: pros, structureId: '10B0999999' });
    expect(pki.orgClients['INSI-AUTO'].subject.OU).toBe('10B0999999');
    expect(new X509Certificate(pki.orgClients['INSI-AUTO'].certPem).subject).toContain('OU=10B0999999');
    expect(pki.server.certPem).toBe(base.server.certPem);
    expect(pki.caCertsPem).toEqual(base.caCertsPem);
  });

  it('concurrent calls on one dir do not generate twice', async () => {
    const d = tempDir('pki-concurrent');
    dirs.push(d);
    const [a, b] = await Promise.all([ensurePki({ dir: d, professionals: pros }), ensurePki({ dir: d, professionals: pros })]);
    expect(a.caCertsPem).toEqual(b.caCertsPem);
    expect(a.server.certPem).toBe(b.server.certPem);
  });
});
