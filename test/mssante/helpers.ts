import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { generateWorld } from '../../fixtures/index.js';
import { headlessLogin, PscClient, setPscSandbox } from '../../client/psc/index.js';
import type { ConfigFlags } from '../../simulators/core/config/load.js';
import { startTestHost, type TestHost } from '../support/host.js';

export const world = generateWorld({ seed: 1 });
const REALM = '/auth/realms/esante-wallet';
const LGC = { clientId: 'segur-sim-lgc', clientSecret: 'segur-sim-lgc-secret', redirectUri: 'http://localhost:7080/callback' };

/** ps-001: hospital practitioner (PER on the CH domain; the CH's ORG boxes as delegate). */
export const alice = world.professionals[0]!;
/** ps-003: centre de santé practitioner. */
export const bob = world.professionals[2]!;
export const mailboxOf = (proId: string, type = 'PER') => world.mailboxes.find((m) => m.ownerId === proId && m.type === type)!.address;

/** Starts a host with some MSSanté environment variables set while the listeners are created. */
export async function startMailHost(env: Record<string, string> = {}, flags: ConfigFlags = {}): Promise<TestHost> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await startTestHost(flags);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export function port(th: TestHost, name: 'smtp' | 'imap'): number {
  return th.host.listeners.find((l) => l.name === name)!.port;
}

export function ca(th: TestHost): string[] {
  return th.host.context.pki.caCertsPem;
}

/**
 * A PSC access token for a professional, through the headless code flow. `viaPath` uses the
 * `/_sandbox/<id>` issuer (so the token's `iss` names the sandbox); otherwise the X-Segur-Sandbox header.
 */
export async function pscToken(th: TestHost, sandbox: string, idNat: string, viaPath = false): Promise<string> {
  await setPscSandbox(th.admin, sandbox, { autoApprove: true, authMode: 'CARD' });
  const issuer = viaPath ? `${th.http}/_sandbox/${sandbox}${REALM}` : `${th.http}${REALM}`;
  const client = await PscClient.create({ issuer, ...LGC, ...(viaPath ? {} : { sandbox }) });
  try {
    const tokens = await headlessLogin(client, { loginHint: idNat });
    return tokens.accessToken;
  } finally {
    client.close();
  }
}

export function smtpTransport(th: TestHost, auth: { user: string; accessToken?: string; pass?: string } | undefined, tls: Record<string, unknown> = {}) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: port(th, 'smtp'),
    secure: false,
    requireTLS: true,
    tls: { ca: ca(th), servername: 'localhost', ...tls },
    ...(auth ? { auth: auth.accessToken ? { type: 'OAuth2' as const, user: auth.user, accessToken: auth.accessToken } : { user: auth.user, pass: auth.pass ?? '' } } : {}),
  });
}

export function imapClient(th: TestHost, auth: { user: string; accessToken?: string; pass?: string }, tls: Record<string, unknown> = {}): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: port(th, 'imap'),
    secure: false,
    doSTARTTLS: true,
    tls: { ca: ca(th), servername: 'localhost', ...tls },
    auth: auth.accessToken ? { user: auth.user, accessToken: auth.accessToken } : { user: auth.user, pass: auth.pass ?? '' },
    logger: false,
    // Tests close their clients; no reconnect/IDLE keep-alive noise.
    emitLogs: false,
  });
}

/** A line-oriented raw IMAP (or SMTP) client: send lines, read until a tagged reply. */
export class RawClient {
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(public socket: Socket | TLSSocket) {
    this.listen(socket);
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = netConnect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  get closed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until the received text matches, returns everything received so far and clears it. */
  async until(re: RegExp, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.buffer)) {
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${re}; got ${JSON.stringify(this.buffer.slice(-500))}`);
      if (this.socket.destroyed) throw new Error(`connection closed waiting for ${re}; got ${JSON.stringify(this.buffer.slice(-500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const out = this.buffer;
    this.buffer = '';
    return out;
  }

  /** Sends a command and waits for its tagged reply. */
  async command(tag: string, line: string): Promise<string> {
    this.write(`${tag} ${line}\r\n`);
    return this.until(new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`));
  }

  /** IMAP STARTTLS: after the OK, wraps the socket in TLS. */
  async startTls(tag: string, caPem: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const reply = await this.command(tag, 'STARTTLS');
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, ca: caPem, servername: 'localhost', ...extra });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.listen(secure);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function xoauth2(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
}

export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error('waitFor: timeout');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function adminGet<T = unknown>(th: TestHost, path: string): Promise<T> {
  const res = await fetch(`${th.http}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** imapflow answers `false` (or undefined) where a command failed: fail the test there. */
export function must<T>(value: T | false | undefined): T {
  if (value === false || value === undefined) throw new Error('imapflow returned no result');
  return value;
}
