/**
 * A professional at work in the reference LGC: logged in with Pro Santé Connect, and the service clients
 * built the way a certified practice software builds them (INSi with the INSI-AUTO organisation certificate,
 * the DMP with a PSC-mode VIHF and the professional's certificate, MSSanté with the PSC token...).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OidGenerator } from '../../fixtures/documents/index.js';
import type { Patient, Professional, Structure } from '../../fixtures/index.js';
import { EPrescriptionClient } from '../eprescription/index.js';
import { MssanteSender } from '../mssante/index.js';
import { buildVihf, DmpClient, INS_OID, vihfFromBuilder, type DmpLps, type VihfRequest, type VihfSource } from '../dmp/index.js';
import { InsiClient, type LpsInfo } from '../insi/index.js';
import { approveCiba, headlessLogin, PscClient, setPscSandbox, startCiba, type PscUserInfo } from '../psc/index.js';
import { VitaleReader } from '../vitale.js';
import type { LgcEnvironment } from './environment.js';
import type { LgcRecords } from './records.js';

/** The reference LGC as the national services know it (its authorisation numbers are segur-sim's own). */
export const LGC_SOFTWARE = {
  insi: { idam: 'SEGURSIM0001', version: '1.0', instance: '6f0c8f4e-3c2b-4c55-9b59-4a1f2d7a9e10', nom: 'urn:lps:segur-sim-lgc:1.0' } satisfies LpsInfo,
  dmp: { nom: 'SEGUR-SIM LGC', version: '1.0', homologation: 'DMP-SEGURSIM-0001', oid: '1.2.250.1.999.7301.20', id: 'segur-sim-lgc' } satisfies DmpLps,
  /** The simulator's registered LGC client (simulators/psc/README.md). */
  psc: { clientId: 'segur-sim-lgc', clientSecret: 'segur-sim-lgc-secret', redirectUri: 'http://localhost:7080/callback' },
  /** X-MSS-NIL: the product reference sent on every MSSanté message. */
  mssNil: 'SEGURSIM-LGC-1.0',
  /** XDS sourceId of the submission sets the LGC writes. */
  sourceId: '1.2.250.1.999.7301.20',
} as const;

const PSC_REALM = '/auth/realms/esante-wallet';

export interface LgcSessionOptions {
  env: LgcEnvironment;
  records: LgcRecords;
  professional: Professional;
  /** A library scenario applied to this session's calls only (`X-Segur-Scenario`). */
  scenario?: string;
  /** Per-call timeout of the service clients (default 15 s). */
  timeoutMs?: number;
  /** Where the LGC keeps files of its own (the DMP feeding queue); default: a new temporary directory. */
  dataDir?: string;
}

export class LgcSession {
  readonly env: LgcEnvironment;
  readonly records: LgcRecords;
  readonly professional: Professional;
  readonly structure: Structure;
  readonly timeoutMs: number;
  readonly dataDir: string;
  /** uniqueIds of the documents this session writes (unique across sessions: seeded with the start time). */
  readonly oids: OidGenerator;
  private psc: PscClient | undefined;
  private info: PscUserInfo | undefined;
  private readonly closers: (() => void)[] = [];

  constructor(readonly opts: LgcSessionOptions) {
    this.env = opts.env;
    this.records = opts.records;
    this.professional = opts.professional;
    this.structure = opts.env.structureOf(opts.professional);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'segur-sim-lgc-'));
    this.oids = new OidGenerator(['segur-sim-lgc', opts.env.sandbox, opts.professional.id, Date.now(), Math.random()]);
  }

  /** The professional's personal MSSanté mailbox. */
  get mailbox(): string {
    const box = this.env.world.mailboxes.find((m) => m.ownerId === this.professional.id && m.type === 'PER');
    if (!box) throw new Error(`${this.professional.id} has no personal MSSanté mailbox`);
    return box.address;
  }

  /** SMTP submission (STARTTLS, XOAUTH2 with the PSC access token) from the personal mailbox. */
  async mssSender(): Promise<MssanteSender> {
    const c = new MssanteSender({
      smtp: { host: this.env.listeners.smtp.host, port: this.env.listeners.smtp.port },
      tls: { ca: this.env.caPem, servername: 'localhost' },
      auth: { user: this.mailbox, sandbox: this.sandbox, accessToken: await this.accessToken() },
      nil: LGC_SOFTWARE.mssNil,
      application: { name: 'segur-sim reference LGC', version: '1.0', vendor: 'segur-sim' },
      timeoutMs: this.timeoutMs,
    });
    this.closers.push(() => c.close());
    return c;
  }

  get sandbox(): string {
    return this.env.sandbox;
  }

  get userinfo(): PscUserInfo | undefined {
    return this.info;
  }

  private async pscClient(): Promise<PscClient> {
    if (!this.psc) {
      this.psc = await PscClient.create({ issuer: `${this.env.listeners.http.url}${PSC_REALM}`, ...LGC_SOFTWARE.psc, sandbox: this.sandbox, skipIssuerCheck: true });
      const c = this.psc;
      this.closers.push(() => c.close());
    }
    return this.psc;
  }

  /**
   * Pro Santé Connect authorization-code flow in the (headless) browser. The professional's confirmation
   * on the e-CPS is the sandbox's headless mode (`autoApprove`), switched on here.
   */
  async loginCodeFlow(): Promise<PscUserInfo> {
    const c = await this.pscClient();
    await setPscSandbox(this.env.admin, this.sandbox, { autoApprove: true, authMode: 'MOBILE' });
    await headlessLogin(c, { loginHint: this.professional.idNat });
    this.info = await c.userinfo();
    return this.info;
  }

  /**
   * CIBA (decoupled): the LGC asks PSC to push a confirmation to the professional's e-CPS; the simulated
   * device approves it (what the professional does on the phone) while the LGC polls.
   */
  async loginCiba(channel: 'MOBILE' | 'CARD' = 'MOBILE'): Promise<{ bindingMessage: string; userinfo: PscUserInfo }> {
    const c = await this.pscClient();
    // Headless mode would approve at once: the device's own approval is what this step shows.
    await setPscSandbox(this.env.admin, this.sandbox, { autoApprove: false });
    let r;
    try {
      const pending = await startCiba(c, { loginHint: this.professional.idNat, channel });
      const result = pending.poll();
      await approveCiba(this.env.admin, this.sandbox, pending.authReqId);
      r = { ...(await result), bindingMessage: pending.bindingMessage };
    } finally {
      await setPscSandbox(this.env.admin, this.sandbox, { autoApprove: true });
    }
    if (r.status !== 'approved') throw new Error(`CIBA ended ${r.status}${'error' in r && r.error ? ` (${r.error})` : ''}`);
    this.info = await c.userinfo();
    return { bindingMessage: r.bindingMessage, userinfo: this.info };
  }

  /** The current PSC access token (refreshed when near expiry). */
  async accessToken(): Promise<string> {
    if (!this.psc?.isAuthenticated) throw new Error('not logged in with Pro Santé Connect');
    return this.psc.accessToken();
  }

  vitale(): VitaleReader {
    return new VitaleReader(this.env.listeners.http.url, this.sandbox, this.opts.scenario ? { scenario: this.opts.scenario } : {});
  }

  /** INSi over HTTPS with the INSI-AUTO organisation certificate (certificate mode). */
  async insi(): Promise<InsiClient> {
    const org = await this.env.organisationCredentials('INSI-AUTO');
    const c = new InsiClient({
      baseUrl: this.env.listeners.https.url,
      auth: { mode: 'certificate', keyPem: org.keyPem, certPem: org.chainPem, caPem: this.env.caPem },
      lps: LGC_SOFTWARE.insi,
      sandbox: this.sandbox,
      scenario: this.opts.scenario,
      timeoutMs: this.timeoutMs,
    });
    this.closers.push(() => c.close());
    return c;
  }

  /**
   * The DMP over HTTPS with the professional's certificate; the VIHF in PSC mode (userinfo + access token)
   * once logged in with PSC, in card mode otherwise.
   */
  async dmp(extra: { scenario?: string; timeoutMs?: number } = {}): Promise<DmpClient> {
    const cred = await this.env.professionalCredentials(this.professional);
    const pro = this.professional;
    const lps = LGC_SOFTWARE.dmp;
    const vihf: VihfSource = this.psc?.isAuthenticated && this.info
      ? async (req: VihfRequest) =>
          buildVihf({ mode: 'psc', authenticationMode: 'DIRECTE', userinfo: this.info!, accessToken: await this.accessToken(), issuerCertPem: cred.certPem, lps: { nom: lps.nom, version: lps.version, homologationDmp: lps.homologation, id: lps.id }, patient: req.patient, now: new Date() })
      : vihfFromBuilder(
          {
            mode: 'card',
            subject: {
              nameId: pro.idNat,
              subjectId: `${pro.firstName} ${pro.lastName}`,
              roles: [{ code: pro.profession.code, codeSystem: '1.2.250.1.71.1.2.7', displayName: pro.profession.label }, ...(pro.specialty ? [{ code: pro.specialty.code, codeSystem: '1.2.250.1.71.4.2.5', displayName: pro.specialty.label }] : [])],
              structureId: this.structure.idNat,
              secteurActivite: this.structure.secteurActivite.code,
            },
            issuerCertPem: cred.certPem,
          },
          LGC_SOFTWARE.dmp,
        );
    const c = new DmpClient({
      baseUrl: this.env.listeners.https.url,
      vihf,
      tls: { cert: cred.chainPem, key: cred.keyPem, ca: this.env.caPem },
      lps: LGC_SOFTWARE.dmp,
      sandbox: this.sandbox,
      scenario: extra.scenario ?? this.opts.scenario,
      defaultInsOid: INS_OID.nirTest,
      timeoutMs: extra.timeoutMs ?? this.timeoutMs,
    });
    this.closers.push(() => c.close());
    return c;
  }

  /** The ePrescription téléservice over HTTPS, authenticated by the PSC access token (e-CPS). */
  ePrescription(extra: { timeoutMs?: number } = {}): EPrescriptionClient {
    const c = new EPrescriptionClient({
      baseUrl: this.env.listeners.https.url,
      auth: { mode: 'psc', accessToken: () => this.accessToken(), caPem: this.env.caPem },
      lps: LGC_SOFTWARE.insi,
      sandbox: this.sandbox,
      scenario: this.opts.scenario,
      timeoutMs: extra.timeoutMs ?? this.timeoutMs,
    });
    this.closers.push(() => c.close());
    return c;
  }

  /** The patient's INS as the DMP and documents name it. */
  insOf(patient: Patient): { ins: string; oid: string } {
    if (!patient.ins) throw new Error(`${patient.id} has no INS`);
    return { ins: patient.ins.matricule, oid: patient.ins.type === 'NIA' ? '1.2.250.1.213.1.4.9' : INS_OID.nirTest };
  }

  close(): void {
    for (const close of this.closers.splice(0)) close();
  }
}
