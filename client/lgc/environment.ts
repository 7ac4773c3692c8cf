/**
 * Where the reference LGC runs: a segur-sim host reached by its URL, one sandbox of it, and what a practice
 * software would hold locally — its trust store and certificates (fetched once from the test PKI through the
 * admin API, as a vendor installs them), and the world's people (regenerated from the sandbox's seed and
 * sizes: the same seeded world the host serves, so the LGC knows its patients without reading the host).
 */
import { AdminClient, defaultAdminUrl } from '../admin.js';
import { generateWorld, type Patient, type Professional, type Structure, type World } from '../../fixtures/index.js';
import { segurJson } from '../segur-http.js';

export class LgcError extends Error {
  override name = 'LgcError';
}

export interface LgcConnectOptions {
  /** Admin/HTTP base URL of the host (default SEGUR_SIM_URL or http://127.0.0.1:7080). */
  url?: string;
  /** Sandbox the LGC works in; created when missing. Default `default`. */
  sandbox?: string;
}

export interface Credentials {
  certPem: string;
  /** Certificate followed by its intermediates. */
  chainPem: string;
  keyPem: string;
}

interface PkiFileView {
  name: string;
  path: string;
  kind: string;
  url: string;
}

export class LgcEnvironment {
  private readonly fileCache = new Map<string, Promise<string>>();

  private constructor(
    readonly admin: AdminClient,
    readonly sandbox: string,
    readonly world: World,
    readonly listeners: Readonly<Record<'http' | 'https' | 'smtp' | 'imap', { host: string; port: number; url: string }>>,
    private readonly pkiFiles: PkiFileView[],
  ) {}

  private ca = '';
  /** Root and intermediates of the test IGC-Santé chain (PEM bundle): the LGC's trust store. */
  get caPem(): string {
    return this.ca;
  }

  /** Reaches the host, makes sure the sandbox exists, fetches the trust store and rebuilds the world. */
  static async connect(opts: LgcConnectOptions = {}): Promise<LgcEnvironment> {
    const admin = new AdminClient(opts.url ?? defaultAdminUrl());
    const sandbox = opts.sandbox ?? 'default';
    const ready = await admin.ready();
    if (!ready.ready) throw new LgcError(`segur-sim at ${admin.baseUrl} is not ready yet (GET /_admin/ready)`);
    const info = await admin.request<{ id: string; seed: number; world: { patients: number; professionals: number; structures: number } }>('GET', `/_admin/sandboxes/${encodeURIComponent(sandbox)}`).catch(async (err: { code?: string }) => {
      if (err.code !== 'UnknownSandbox') throw err;
      await admin.createSandbox(sandbox);
      return admin.request<{ id: string; seed: number; world: { patients: number; professionals: number; structures: number } }>('GET', `/_admin/sandboxes/${encodeURIComponent(sandbox)}`);
    });
    const listeners = {} as Record<'http' | 'https' | 'smtp' | 'imap', { host: string; port: number; url: string }>;
    for (const l of ready.listeners) {
      const u = new URL(l.url);
      if (l.name === 'http' || l.name === 'https' || l.name === 'smtp' || l.name === 'imap') listeners[l.name] = { host: u.hostname, port: l.port, url: l.url.replace(/\/$/, '') };
    }
    for (const name of ['http', 'https', 'smtp', 'imap'] as const) if (!listeners[name]) throw new LgcError(`segur-sim at ${admin.baseUrl} has no ${name} listener`);
    const pki = await admin.request<{ files: PkiFileView[] }>('GET', '/_admin/pki');
    const env = new LgcEnvironment(admin, sandbox, generateWorld({ seed: info.seed, ...info.world }), listeners, pki.files);
    env.ca = await env.pkiFile('ca-bundle.pem');
    return env;
  }

  /** A PKI file by name (`ca-bundle.pem`, `INSI-AUTO.key.pem`, `<idNat>.fullchain.pem`...), fetched once. */
  pkiFile(name: string): Promise<string> {
    let found = this.fileCache.get(name);
    if (!found) {
      const file = this.pkiFiles.find((f) => f.url.endsWith(`/${encodeURIComponent(name)}`));
      if (!file) return Promise.reject(new LgcError(`the test PKI has no file ${name} (GET /_admin/pki lists them)`));
      found = fetch(`${this.admin.baseUrl}${file.url}`).then(async (res) => {
        if (!res.ok) throw new LgcError(`cannot fetch ${name} from the test PKI: HTTP ${res.status}`);
        return res.text();
      });
      this.fileCache.set(name, found);
      found.catch(() => this.fileCache.delete(name));
    }
    return found;
  }

  /** A professional's personal certificate (CPS-like, auth), by idNat. */
  async professionalCredentials(pro: Professional): Promise<Credentials> {
    const [certPem, chainPem, keyPem] = await Promise.all(['cert', 'fullchain', 'key'].map((k) => this.pkiFile(`${pro.idNat}.${k}.pem`)));
    return { certPem: certPem!, chainPem: chainPem!, keyPem: keyPem! };
  }

  /** An organisation certificate of the software (`INSI-AUTO`, `INSI-MANU`, `MSS-APP`). */
  async organisationCredentials(cn: string): Promise<Credentials> {
    const [certPem, chainPem, keyPem] = await Promise.all(['cert', 'fullchain', 'key'].map((k) => this.pkiFile(`${cn}.${k}.pem`)));
    return { certPem: certPem!, chainPem: chainPem!, keyPem: keyPem! };
  }

  /** The professional's first structure (where they practise). */
  structureOf(pro: Professional): Structure {
    const id = pro.exercices[0]?.activities[0]?.structureId;
    const s = this.world.structures.find((x) => x.id === id);
    if (!s) throw new LgcError(`${pro.id} has no structure in the world`);
    return s;
  }

  /** A professional by id, RPPS or idNat. */
  professional(key: string): Professional {
    const p = this.world.professionals.find((x) => x.id === key || x.rpps === key || x.idNat === key);
    if (!p) throw new LgcError(`no professional "${key}" in sandbox ${this.sandbox} (id, RPPS or idNat; segur-sim fixtures lists them)`);
    return p;
  }

  /** A patient by id or INS matricule. */
  patient(key: string): Patient {
    const p = this.world.patients.find((x) => x.id === key || x.ins?.matricule === key);
    if (!p) throw new LgcError(`no patient "${key}" in sandbox ${this.sandbox} (id or INS matricule)`);
    return p;
  }

  /** JSON call to the host outside the admin client (the Vitale reader, services' own admin routes). */
  json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return segurJson<T>(
      `${this.admin.baseUrl}${path}`,
      { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) },
      (status, code, message) => new LgcError(`${method} ${path}: HTTP ${status} ${code}: ${message}`),
      (cause) => `cannot reach segur-sim at ${this.admin.baseUrl}${cause}`,
    );
  }
}
