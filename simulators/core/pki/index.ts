/**
 * Test PKI of the simulator: an IGC-Santé-like CA chain, a localhost server certificate, organisation client
 * certificates (INSI-AUTO, INSI-MANU, a wrong-CN one, an MSSanté applicative mailbox) and one CPS-like personal
 * certificate per fixture professional.
 *
 * Generated once under `opts.dir`, then reused: the warm path reads the manifest and the files and checks their
 * hashes, without parsing any certificate. See README.md in this folder for the file layout.
 */
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { generateRsaKey, privateKeyPem, type KeyPair } from './keys.js';
import {
  dnToNodeString,
  dnToRecord,
  orgCaDn,
  organisationDn,
  personCaDn,
  personalDn,
  rootDn,
  serverDn,
  type Dn,
} from './names.js';
import { P12_ENCRYPTION, buildPkcs12 } from './pkcs12.js';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  readIfFile,
  readManifest,
  removeTempFiles,
  sha256,
  withDirLock,
  writeAtomic,
  type FileRole,
  type Manifest,
  type ManifestEntry,
  type ManifestFile,
} from './store.js';
import { buildTlsServerOptions, clientCertInfo as readClientCert, type ClientCertInfo, type PkiTlsServerOptions, type TlsServerTuning } from './tls.js';
import { issueCertificate, pemToDer, type CertProfile } from './x509.js';

export type { ClientCertInfo, TlsServerTuning } from './tls.js';
export { LPS_TLS12_CIPHERS } from './tls.js';
export { ORG_CA_CN, PERSON_CA_CN, ROOT_CN, SIMULATOR_MARKER } from './names.js';

export interface ProfessionalInput {
  id: string;
  rpps: string;
  /** National identifier, "8" + RPPS; becomes the certificate CN like on a CPS card. */
  idNat: string;
  firstName: string;
  lastName: string;
  profession: string;
}

export interface PkiOptions {
  dir: string;
  professionals: ProfessionalInput[];
  /** OU of the organisation certificates (INSi clients copy it into Emetteur). */
  structureId?: string;
  /** O of the organisation certificates. */
  structureName?: string;
  /** Applicative mailbox (MSSanté BAL APP) carried by the MSS-APP certificate as CN and rfc822Name. */
  mssAppMailbox?: string;
  /** Extra names or IP addresses for the server certificate, on top of localhost, 127.0.0.1 and ::1. */
  hostnames?: string[];
  log?: (msg: string) => void;
}

export interface IssuedCert {
  name: string;
  keyPem: string;
  certPem: string;
  /** The certificate followed by its issuing intermediate: what a TLS peer should send. */
  chainPem: string;
  p12Path: string;
  certPath: string;
  keyPath: string;
  chainPath: string;
  subject: Record<string, string>;
  fingerprint256: string;
}

export type OrgClientName = 'INSI-AUTO' | 'INSI-MANU' | 'WRONG-CN' | 'MSS-APP';

export interface PkiFile {
  name: string;
  path: string;
  kind: string;
  description: string;
}

export interface Pki {
  dir: string;
  /** Root, organisations intermediate, personal intermediate. */
  caCertsPem: string[];
  caBundlePath: string;
  server: IssuedCert;
  orgClients: Record<OrgClientName, IssuedCert>;
  /** Looks up by fixture id, RPPS or idNat. */
  professional(idOrRpps: string): IssuedCert | undefined;
  professionals: IssuedCert[];
  files: PkiFile[];
  p12Password: string;
  p12Encryption: string;
}

export const P12_PASSWORD = 'segur-sim';
export const DEFAULT_STRUCTURE_ID = '10B0000001';
export const DEFAULT_STRUCTURE_NAME = 'CENTRE DE SANTE SEGUR-SIM';
export const DEFAULT_MSS_APP_MAILBOX = 'logiciel.segur-sim@simulateur.mssante.fr';
/** CN of the organisation certificate INSi must refuse with DESIR_560. */
export const WRONG_CN = 'LOGICIEL-X';

const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 3652;
const LEAF_VALIDITY_DAYS = 1095;
/** Back-dating absorbs clock skew between the simulator and clients (VMs, containers). */
const BACKDATE_MS = DAY_MS;
const CA_RENEW_MARGIN_MS = 90 * DAY_MS;
const LEAF_RENEW_MARGIN_MS = 30 * DAY_MS;
/** Bump when a certificate profile changes so existing leaves are reissued. */
const PROFILE_VERSION = 1;

type EntityKind = ManifestEntry['kind'];

interface Plan {
  key: string;
  kind: EntityKind;
  name: string;
  /** Relative base path without extension. */
  base: string;
  issuerKey?: string;
  subject: Dn;
  profile: CertProfile;
  hosts?: string[];
  emails?: string[];
  validityDays: number;
  spec: string;
  description: string;
  /** PKCS#12 friendlyName (the alias a Java keystore shows). */
  alias: string;
}

interface Material {
  keyPem: string;
  certPem: string;
  fingerprint256: string;
  serialNumber: string;
  notAfter: string;
  privateKey?: KeyObject;
}

const ORG_CLIENTS: { name: OrgClientName; cn: (o: ResolvedOptions) => string; file: string; description: string }[] = [
  { name: 'INSI-AUTO', cn: () => 'INSI-AUTO', file: 'INSI-AUTO', description: 'INSi organisation certificate for unattended calls' },
  { name: 'INSI-MANU', cn: () => 'INSI-MANU', file: 'INSI-MANU', description: 'INSi organisation certificate for operator-triggered calls' },
  { name: 'WRONG-CN', cn: () => WRONG_CN, file: `wrong-cn-${WRONG_CN}`, description: `organisation certificate with CN ${WRONG_CN}, refused by INSi (DESIR_560)` },
  { name: 'MSS-APP', cn: (o) => o.mssAppMailbox, file: 'MSS-APP', description: 'MSSanté applicative mailbox (BAL APP) certificate' },
];

interface ResolvedOptions {
  dir: string;
  professionals: ProfessionalInput[];
  structureId: string;
  structureName: string;
  mssAppMailbox: string;
  hostnames: string[];
  log: (msg: string) => void;
}

function specHash(parts: unknown): string {
  return sha256(JSON.stringify({ v: PROFILE_VERSION, parts })).slice(0, 32);
}

function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_') || '_';
}

function buildPlans(o: ResolvedOptions): Plan[] {
  const plans: Plan[] = [];
  const ca = (key: string, name: string, base: string, subject: Dn, issuerKey: string | undefined, description: string): void => {
    const profile: CertProfile = issuerKey ? 'intermediate-ca' : 'root-ca';
    plans.push({ key, kind: 'ca', name, base, issuerKey, subject, profile, validityDays: CA_VALIDITY_DAYS, spec: specHash([subject, profile]), description, alias: name });
  };
  ca('ca:root', 'ACR-EL', 'ACR-EL', rootDn(), undefined, 'root CA (TEST AC RACINE IGC-SANTE ELEMENTAIRE)');
  ca('ca:org', 'ACI-EL-ORG', 'ACI-EL-ORG', orgCaDn(), 'ca:root', 'intermediate CA for servers and organisations');
  ca('ca:per', 'ACI-EL-PER', 'ACI-EL-PER', personCaDn(), 'ca:root', 'intermediate CA for personal (CPS-like) certificates');

  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...o.hostnames])];
  const sdn = serverDn();
  plans.push({
    key: 'server', kind: 'server', name: 'server', base: 'server/localhost', issuerKey: 'ca:org', subject: sdn, profile: 'server', hosts,
    validityDays: LEAF_VALIDITY_DAYS, spec: specHash([sdn, hosts]), description: `HTTPS server certificate (${hosts.join(', ')})`, alias: 'localhost',
  });
  for (const c of ORG_CLIENTS) {
    const subject = organisationDn(c.cn(o), o.structureId, o.structureName);
    const emails = c.name === 'MSS-APP' ? [o.mssAppMailbox] : undefined;
    plans.push({
      key: `org:${c.name}`, kind: 'organisation', name: c.name, base: `org/${c.file}`, issuerKey: 'ca:org', subject, profile: 'client', emails,
      validityDays: LEAF_VALIDITY_DAYS, spec: specHash([subject, emails ?? null]), description: c.description, alias: c.cn(o),
    });
  }
  const usedBases = new Set<string>();
  for (const p of o.professionals) {
    let base = `professionals/${safeFileName(p.idNat)}`;
    if (usedBases.has(base)) base = `${base}-${safeFileName(p.id)}`;
    usedBases.add(base);
    const subject = personalDn(p);
    plans.push({
      key: `pro:${p.id}`, kind: 'professional', name: p.id, base, issuerKey: 'ca:per', subject, profile: 'personal',
      validityDays: LEAF_VALIDITY_DAYS, spec: specHash([subject]), description: `personal certificate of ${p.firstName} ${p.lastName} (${p.profession}, idNat ${p.idNat})`, alias: p.idNat,
    });
  }
  return plans;
}

/** Relative file paths of an entity. CA private keys live apart so that copying `ca/` never copies a key. */
function filesOf(plan: Plan): Record<FileRole, string | undefined> {
  if (plan.kind === 'ca') {
    return { key: `private/${plan.base}.key.pem`, cert: `ca/${plan.base}.pem`, der: `ca/${plan.base}.cer`, chain: undefined, p12: undefined };
  }
  return { key: `${plan.base}.key.pem`, cert: `${plan.base}.cert.pem`, der: undefined, chain: `${plan.base}.fullchain.pem`, p12: `${plan.base}.p12` };
}

const abs = (dir: string, rel: string): string => path.join(dir, ...rel.split('/'));

function renewMargin(plan: Plan): number {
  return plan.kind === 'ca' ? CA_RENEW_MARGIN_MS : LEAF_RENEW_MARGIN_MS;
}

/** Fast path: trust the manifest when every core file still has the recorded hash. */
function loadFromManifest(dir: string, plan: Plan, entry: ManifestEntry | undefined, issuer: Material | undefined, now: number): Material | undefined {
  if (!entry || entry.kind !== plan.kind || entry.spec !== plan.spec) return undefined;
  if (plan.issuerKey && (!issuer || entry.issuerFingerprint !== issuer.fingerprint256)) return undefined;
  if (!(Date.parse(entry.notAfter) - now > renewMargin(plan))) return undefined;
  const f = filesOf(plan);
  const keyRec = entry.files.key;
  const certRec = entry.files.cert;
  if (!keyRec || !certRec || keyRec.path !== f.key || certRec.path !== f.cert) return undefined;
  const key = readIfFile(abs(dir, keyRec.path));
  const cert = readIfFile(abs(dir, certRec.path));
  if (!key || !cert || sha256(key) !== keyRec.sha256 || sha256(cert) !== certRec.sha256) return undefined;
  return { keyPem: key.toString('utf8'), certPem: cert.toString('utf8'), fingerprint256: entry.fingerprint256, serialNumber: entry.serialNumber, notAfter: entry.notAfter };
}

/**
 * A CA whose manifest entry is lost or stale but whose key and certificate are intact is kept: clients may
 * already trust it, so it is never replaced while it is valid.
 */
function salvageCa(dir: string, plan: Plan, issuer: Material | undefined, now: number): Material | undefined {
  if (plan.kind !== 'ca') return undefined;
  const f = filesOf(plan);
  const key = readIfFile(abs(dir, f.key!));
  const cert = readIfFile(abs(dir, f.cert!));
  if (!key || !cert) return undefined;
  try {
    const x = new X509Certificate(cert);
    const privateKey = createPrivateKey(key);
    if (!x.ca || !x.checkPrivateKey(privateKey)) return undefined;
    if (x.subject !== dnToNodeString(plan.subject)) return undefined;
    if (Date.parse(x.validFrom) > now + BACKDATE_MS || !(Date.parse(x.validTo) - now > renewMargin(plan))) return undefined;
    const signer = issuer ? new X509Certificate(issuer.certPem) : x;
    if (!x.checkIssued(signer) || !x.verify(signer.publicKey)) return undefined;
    return {
      keyPem: key.toString('utf8'),
      certPem: cert.toString('utf8'),
      fingerprint256: x.fingerprint256,
      serialNumber: x.serialNumber,
      notAfter: new Date(x.validTo).toISOString(),
      privateKey,
    };
  } catch {
    return undefined;
  }
}

function privateKeyOf(m: Material): KeyObject {
  m.privateKey ??= createPrivateKey(m.keyPem);
  return m.privateKey;
}

function resolveOptions(opts: PkiOptions): ResolvedOptions {
  return {
    dir: path.resolve(opts.dir),
    professionals: opts.professionals,
    structureId: opts.structureId ?? DEFAULT_STRUCTURE_ID,
    structureName: opts.structureName ?? DEFAULT_STRUCTURE_NAME,
    mssAppMailbox: opts.mssAppMailbox ?? DEFAULT_MSS_APP_MAILBOX,
    hostnames: opts.hostnames ?? [],
    log: opts.log ?? (() => undefined),
  };
}

/**
 * Generate what is missing under `opts.dir`, reuse what exists. A valid CA is never regenerated; a leaf is
 * reissued when its files are damaged, its subject inputs changed, its issuer changed or it nears expiry.
 */
export async function ensurePki(opts: PkiOptions): Promise<Pki> {
  const o = resolveOptions(opts);
  return withDirLock(o.dir, () => ensureLocked(o));
}

async function ensureLocked(o: ResolvedOptions): Promise<Pki> {
  const { dir, log } = o;
  const started = Date.now();
  removeTempFiles(dir);
  const manifest = readManifest(dir);
  const old = manifest?.entries ?? {};
  const plans = buildPlans(o);
  const now = Date.now();
  let changed = !manifest || manifest.p12Password !== P12_PASSWORD || manifest.p12Encryption !== P12_ENCRYPTION;

  // 1. Decide what can be kept. A regenerated issuer forces its children to be reissued.
  const kept = new Map<string, Material>();
  const toIssue: Plan[] = [];
  for (const plan of plans) {
    const issuer = plan.issuerKey ? kept.get(plan.issuerKey) : undefined;
    if (plan.issuerKey && !issuer) {
      toIssue.push(plan);
      continue;
    }
    let m = loadFromManifest(dir, plan, old[plan.key], issuer, now);
    if (!m && plan.kind === 'ca') {
      m = salvageCa(dir, plan, issuer, now);
      if (m) log(`pki: kept existing CA ${plan.name} (manifest entry missing or stale)`);
    }
    if (m) kept.set(plan.key, m);
    else toIssue.push(plan);
  }

  // 2. Start every key generation at once; the thread pool runs them in parallel while we sign and export.
  const keyJobs = new Map<string, Promise<KeyPair>>();
  for (const plan of toIssue) {
    const job = generateRsaKey();
    job.catch(() => undefined); // awaited below; avoids an unhandled rejection if an earlier step throws
    keyJobs.set(plan.key, job);
  }
  if (toIssue.length > 0) log(`pki: generating ${toIssue.length} certificate(s) in ${dir}`);

  // 3. Issue in dependency order and (re)write whatever derived file is missing or damaged.
  const material = new Map<string, Material>();
  const entries: Record<string, ManifestEntry> = {};
  const issued = new Map<string, IssuedCert>();
  const files: PkiFile[] = [];
  for (const plan of plans) {
    const f = filesOf(plan);
    const issuer = plan.issuerKey ? material.get(plan.issuerKey) : undefined;
    let m = kept.get(plan.key);
    const fresh = !m;
    if (!m) {
      const kp = await keyJobs.get(plan.key)!;
      const notBefore = new Date(now - BACKDATE_MS);
      let notAfter = new Date(now + plan.validityDays * DAY_MS);
      // A leaf never outlives its issuer.
      if (issuer && Date.parse(issuer.notAfter) < notAfter.getTime()) notAfter = new Date(issuer.notAfter);
      const x = issueCertificate({
        subject: plan.subject,
        issuer: issuer ? { dn: plans.find((p) => p.key === plan.issuerKey)!.subject, privateKey: privateKeyOf(issuer), publicKey: createPublicKey(privateKeyOf(issuer)) } : undefined,
        publicKey: kp.publicKey,
        privateKey: kp.privateKey,
        profile: plan.profile,
        notBefore,
        notAfter,
        hosts: plan.hosts,
        emails: plan.emails,
      });
      m = { keyPem: privateKeyPem(kp.privateKey), certPem: x.pem, fingerprint256: x.fingerprint256, serialNumber: x.serialNumber, notAfter: x.notAfter, privateKey: kp.privateKey };
      // Until the manifest (written last) records their hashes, a crash here just means "issue again".
      writeAtomic(abs(dir, f.cert!), m.certPem);
      writeAtomic(abs(dir, f.key!), m.keyPem, 0o600);
      changed = true;
    }
    material.set(plan.key, m);

    const rec: Partial<Record<FileRole, ManifestFile>> = {
      key: { path: f.key!, sha256: sha256(m.keyPem) },
      cert: { path: f.cert!, sha256: sha256(m.certPem) },
    };
    const oldEntry = old[plan.key];
    let chainPem = m.certPem;
    if (plan.kind === 'ca') {
      const der = pemToDer(m.certPem);
      const onDisk = readIfFile(abs(dir, f.der!));
      if (!onDisk || !onDisk.equals(der)) {
        writeAtomic(abs(dir, f.der!), der);
        changed = true;
      }
      rec.der = { path: f.der!, sha256: sha256(der) };
    } else {
      chainPem = ensureTrailingNewline(m.certPem) + issuer!.certPem;
      const onDisk = readIfFile(abs(dir, f.chain!));
      if (!onDisk || onDisk.toString('utf8') !== chainPem) {
        writeAtomic(abs(dir, f.chain!), chainPem);
        changed = true;
      }
      rec.chain = { path: f.chain!, sha256: sha256(chainPem) };
      const p12Path = abs(dir, f.p12!);
      const p12Old = !fresh && oldEntry && oldEntry.files.p12?.path === f.p12 ? oldEntry.files.p12 : undefined;
      const p12OnDisk = p12Old ? readIfFile(p12Path) : undefined;
      if (p12Old && p12OnDisk && sha256(p12OnDisk) === p12Old.sha256) {
        rec.p12 = p12Old;
      } else {
        const root = material.get('ca:root')!;
        const p12 = buildPkcs12(m.keyPem, [m.certPem, issuer!.certPem, root.certPem], P12_PASSWORD, plan.alias);
        writeAtomic(p12Path, p12, 0o600);
        rec.p12 = { path: f.p12!, sha256: sha256(p12) };
        changed = true;
      }
    }
    entries[plan.key] = {
      kind: plan.kind,
      name: plan.name,
      spec: plan.spec,
      issuer: plan.issuerKey,
      issuerFingerprint: issuer?.fingerprint256,
      fingerprint256: m.fingerprint256,
      serialNumber: m.serialNumber,
      notAfter: m.notAfter,
      files: rec,
    };
    if (!oldEntry || JSON.stringify(oldEntry) !== JSON.stringify(entries[plan.key])) changed = true;
    files.push(...describeFiles(dir, plan, f));
    if (plan.kind !== 'ca') {
      issued.set(plan.key, {
        name: plan.name,
        keyPem: m.keyPem,
        certPem: m.certPem,
        chainPem,
        p12Path: abs(dir, f.p12!),
        certPath: abs(dir, f.cert!),
        keyPath: abs(dir, f.key!),
        chainPath: abs(dir, f.chain!),
        subject: dnToRecord(plan.subject),
        fingerprint256: m.fingerprint256,
      });
    }
  }

  // 4. Trust bundle, clean-up of entities that disappeared, manifest last.
  const caCertsPem = ['ca:root', 'ca:org', 'ca:per'].map((k) => material.get(k)!.certPem);
  const bundle = caCertsPem.map(ensureTrailingNewline).join('');
  const bundlePath = abs(dir, 'ca/ca-bundle.pem');
  const bundleOnDisk = readIfFile(bundlePath);
  if (!bundleOnDisk || bundleOnDisk.toString('utf8') !== bundle) {
    writeAtomic(bundlePath, bundle);
    changed = true;
  }
  files.push({ name: 'ca-bundle', path: bundlePath, kind: 'ca-bundle', description: 'root + both intermediates (PEM): the trust store for clients and for mTLS' });

  const keepPaths = new Set(Object.values(entries).flatMap((e) => Object.values(e.files).map((x) => x!.path)));
  for (const e of Object.values(old)) {
    for (const rec of Object.values(e.files ?? {})) {
      if (!rec || typeof rec.path !== 'string' || keepPaths.has(rec.path)) continue;
      const target = path.resolve(dir, rec.path);
      if (target.startsWith(dir + path.sep)) fs.rmSync(target, { force: true });
      changed = true;
    }
  }

  if (changed) {
    const next: Manifest = { format: MANIFEST_FORMAT, updatedAt: new Date().toISOString(), p12Password: P12_PASSWORD, p12Encryption: P12_ENCRYPTION, entries };
    writeAtomic(abs(dir, MANIFEST_FILE), JSON.stringify(next, null, 2) + '\n');
  }
  files.push({ name: 'manifest', path: abs(dir, MANIFEST_FILE), kind: 'manifest', description: 'inventory with hashes; delete the whole directory to start over' });
  log(`pki: ${toIssue.length === 0 ? 'reused' : `issued ${toIssue.length}, reused ${plans.length - toIssue.length}`} in ${Date.now() - started} ms (${dir})`);

  const professionals = o.professionals.map((p) => issued.get(`pro:${p.id}`)!);
  const byAlias = new Map<string, IssuedCert>();
  o.professionals.forEach((p, i) => {
    for (const alias of [p.idNat, p.rpps, p.id]) byAlias.set(alias, professionals[i]!);
  });
  const org = (n: OrgClientName): IssuedCert => issued.get(`org:${n}`)!;
  return {
    dir,
    caCertsPem,
    caBundlePath: bundlePath,
    server: issued.get('server')!,
    orgClients: { 'INSI-AUTO': org('INSI-AUTO'), 'INSI-MANU': org('INSI-MANU'), 'WRONG-CN': org('WRONG-CN'), 'MSS-APP': org('MSS-APP') },
    professional: (idOrRpps: string) => byAlias.get(idOrRpps),
    professionals,
    files,
    p12Password: P12_PASSWORD,
    p12Encryption: P12_ENCRYPTION,
  };
}

function ensureTrailingNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

function describeFiles(dir: string, plan: Plan, f: Record<FileRole, string | undefined>): PkiFile[] {
  const out: PkiFile[] = [];
  const add = (role: FileRole, kind: string, what: string): void => {
    const rel = f[role];
    if (rel) out.push({ name: plan.name, path: abs(dir, rel), kind, description: `${plan.description}: ${what}` });
  };
  if (plan.kind === 'ca') {
    add('der', 'ca-der', 'certificate (DER, named like the IGC-Santé file clients pin)');
    add('cert', 'ca-pem', 'certificate (PEM)');
    add('key', 'ca-key', 'private key (PKCS#8 PEM, simulator only)');
  } else {
    add('key', 'key', 'private key (PKCS#8 PEM, unencrypted)');
    add('cert', 'cert', 'certificate (PEM)');
    add('chain', 'chain', 'certificate + issuing intermediate (PEM)');
    add('p12', 'p12', `PKCS#12 with key and full chain, password "${P12_PASSWORD}"`);
  }
  return out;
}

/** Options for `https.createServer` / `tls.createServer`: request a client certificate, let services decide. */
export function tlsServerOptions(pki: Pki, tuning?: TlsServerTuning): PkiTlsServerOptions {
  return buildTlsServerOptions({ server: { keyPem: pki.server.keyPem, chainPem: pki.server.chainPem }, caCertsPem: pki.caCertsPem }, tuning);
}

/** The verified client certificate of a TLS connection, as services see it. */
export function clientCertInfo(socket: TLSSocket): ClientCertInfo {
  return readClientCert(socket);
}
