import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { zipSync } from 'fflate';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { generateWorld } from '../../../fixtures/index.js';
import type { BenchContext } from '../lib.js';
import { kill, spawnServer, verdict } from '../lib.js';

/**
 * MSSanté: SMTP messages/s accepted and stored (200 KB XDM attachments) by the simulator vs a bare smtp-server
 * sink with the same TLS and AUTH, alternated over ctx.rounds (medians); then IMAP FETCH latency on the mailbox
 * that received them.
 *
 * Client side (same for both servers): one nodemailer transport, pooled (CONNECTIONS keep-alive connections, no
 * message limit per connection), STARTTLS (TLS ≥ 1.2, the test PKI's CA) + AUTH PLAIN (the simulator in trainer
 * mode: a PSC token would only change the one AUTH per pooled connection), CONNECTIONS messages in flight. The
 * message is composed once (nodemailer MailComposer) and sent raw, so the load generator does not spend its core
 * base64-encoding 200 KB per message. Accepted = `250` after DATA, which the simulator only answers once the
 * message is in the recipient's INBOX (mail store append log + blob, file store).
 */
const CONNECTIONS = 16;
const IMAP_CLIENTS = 4;
const ATTACHMENT_BYTES = 200 * 1024;

interface SmtpRun {
  /** Server CPU time per accepted message (ms), from /proc. */
  cpuPerMsg?: number;
  sent: number;
  failed: number;
  rate: number;
  firstError?: string;
}

/** An IHE XDM-like zip: METADATA.XML, a CDA R2 document embedding a PDF (incompressible bytes), INDEX.HTM, README.TXT. */
function xdmZip(): Uint8Array {
  const pdf = randomBytes(ATTACHMENT_BYTES).toString('base64');
  const cda = `<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/><code code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="Note de consultation"/><title>CR de consultation</title><component><nonXMLBody><text mediaType="application/pdf" representation="B64">${pdf}</text></nonXMLBody></component></ClinicalDocument>`;
  const metadata = `<?xml version="1.0" encoding="UTF-8"?>\n<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"><rim:RegistryObjectList xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:ExtrinsicObject id="Doc01" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"/></rim:RegistryObjectList></lcm:SubmitObjectsRequest>`;
  const enc = (s: string) => new TextEncoder().encode(s);
  return zipSync({
    'IHE_XDM/SUBSET01/METADATA.XML': enc(metadata),
    'IHE_XDM/SUBSET01/DOC0001.XML': enc(cda),
    'INDEX.HTM': enc('<html><body><a href="IHE_XDM/SUBSET01/DOC0001.XML">CR de consultation</a></body></html>'),
    'README.TXT': enc('segur-sim bench XDM'),
  });
}

export async function composeRaw(from: string, to: string): Promise<{ raw: Buffer; zipBytes: number }> {
  const zip = xdmZip();
  const raw = await new MailComposer({
    from,
    to,
    subject: 'CR de consultation [bench]',
    text: 'Veuillez trouver ci-joint le compte rendu.',
    headers: { 'X-MSS-NIL': 'bench' },
    attachments: [{ filename: 'IHE_XDM.zip', content: Buffer.from(zip), contentType: 'application/zip' }],
  })
    .compile()
    .build();
  return { raw, zipBytes: zip.length };
}

export async function smtpLoad(opts: { port: number; ca: string[]; user: string; pass: string; from: string; to: string; raw: Buffer; seconds: number }): Promise<SmtpRun> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: opts.port,
    secure: false,
    requireTLS: true,
    tls: { ca: opts.ca, servername: 'localhost' },
    auth: { user: opts.user, pass: opts.pass },
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Infinity,
  });
  let sent = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      try {
        const info = await transport.sendMail({ envelope: { from: opts.from, to: [opts.to] }, raw: opts.raw });
        if (/^250 /.test(info.response) && info.accepted.length === 1) sent++;
        else {
          failed++;
          firstError ??= info.response;
        }
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  transport.close();
  return { sent, failed, rate: sent / elapsed, firstError };
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function imapFetchLoad(opts: { port: number; ca: string[]; user: string; pass: string; seconds: number; query: Record<string, boolean> }): Promise<{ samples: number[]; rate: number; errors: number; messages: number }> {
  const clients = await Promise.all(
    Array.from({ length: IMAP_CLIENTS }, async () => {
      const c = new ImapFlow({ host: '127.0.0.1', port: opts.port, secure: false, doSTARTTLS: true, tls: { ca: opts.ca, servername: 'localhost' }, auth: { user: opts.user, pass: opts.pass }, logger: false, emitLogs: false });
      c.on('error', () => undefined);
      await c.connect();
      await c.mailboxOpen('INBOX', { readOnly: true });
      return c;
    }),
  );
  const uids = (await clients[0]!.search({ all: true }, { uid: true })) || [];
  const samples: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  let n = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        const uid = uids[(n++ * 7919) % uids.length]!;
        const t0 = performance.now();
        try {
          const msg = await c.fetchOne(String(uid), opts.query, { uid: true });
          if (!msg) errors++;
          else samples.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.logout().catch(() => c.close())));
  return { samples: samples.sort((a, b) => a - b), rate: samples.length / elapsed, errors, messages: uids.length };
}

function medianOf(runs: SmtpRun[]): SmtpRun {
  return [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)]!;
}

const fmt = (r: SmtpRun) =>
  `${r.rate.toFixed(0).padStart(6)} msg/s   server CPU ${r.cpuPerMsg === undefined ? '?' : r.cpuPerMsg.toFixed(1)} ms/msg   (${r.sent} accepted${r.failed ? `, ${r.failed} failed: ${r.firstError}` : ''})`;
const medianCpu = (runs: SmtpRun[]) => {
  const v = runs.map((r) => r.cpuPerMsg).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : undefined;
};

export async function mssanteBench(ctx: BenchContext): Promise<string[]> {
  const world = generateWorld({ seed: 1 });
  const pro = (i: number) => world.mailboxes.find((m) => m.ownerId === world.professionals[i]!.id && m.type === 'PER')!.address;
  const from = pro(0);
  const to = pro(2);
  const { raw, zipBytes } = await composeRaw(from, to);
  const lines = [
    `MSSanté — SMTP submission, ${CONNECTIONS} pooled keep-alive connections (STARTTLS + AUTH PLAIN, trainer mode), ${Math.round(raw.length / 1024)} KB messages (${Math.round(zipBytes / 1024)} KB IHE_XDM.zip), accepted = 250 after DATA = stored (file store, journal on), vs a bare smtp-server sink (same TLS/AUTH, discards)`,
  ];
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-mssante-'));
  const ca = [readFileSync(join(ctx.pkiDir, 'ca/ca-bundle.pem'), 'utf8')];
  const host = await spawnServer(join(import.meta.dirname, '../servers/mssante-host.mjs'), [ctx.pkiDir, dataDir]);
  const sink = await spawnServer(join(import.meta.dirname, '../servers/mssante-sink.mjs'), [ctx.pkiDir]);
  try {
    const [smtpPort, imapPort] = host.url.split(',').map(Number) as [number, number];
    const sinkPort = Number(sink.url);
    const common = { ca, pass: 'segur-sim', from, to, raw };
    const measured = async (pid: number | undefined, run: Promise<SmtpRun> | (() => Promise<SmtpRun>)) => {
      const before = cpuMs(pid);
      const r = await (typeof run === 'function' ? run() : run);
      const after = cpuMs(pid);
      if (before !== undefined && after !== undefined && r.sent) r.cpuPerMsg = (after - before) / r.sent;
      return r;
    };
    const onHost = (seconds: number) => measured(host.child.pid, () => smtpLoad({ ...common, port: smtpPort, user: from, seconds }));
    const onSink = (seconds: number) => measured(sink.child.pid, () => smtpLoad({ ...common, port: sinkPort, user: from, seconds }));
    const warmHost = await onHost(1);
    if (warmHost.failed) lines.push(`  WARNING: warm-up on the simulator: ${warmHost.failed} failed (${warmHost.firstError})`);
    await onSink(1);
    let acceptedByHost = warmHost.sent;
    const hostRuns: SmtpRun[] = [];
    const sinkRuns: SmtpRun[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      sinkRuns.push(await onSink(ctx.seconds));
      hostRuns.push(await onHost(ctx.seconds));
      acceptedByHost += hostRuns.at(-1)!.sent;
    }
    const h = medianOf(hostRuns);
    const s = medianOf(sinkRuns);
    const ratio = h.rate / s.rate;
    lines.push(`  ${`bare smtp-server sink (median of ${ctx.rounds})`.padEnd(44)} ${fmt(s)}`);
    lines.push(`  ${`segur-sim MSSanté (median of ${ctx.rounds})`.padEnd(44)} ${fmt(h)}`);
    lines.push(`  rounds: sink ${sinkRuns.map((r) => r.rate.toFixed(0)).join(' / ')}; simulator ${hostRuns.map((r) => r.rate.toFixed(0)).join(' / ')} msg/s`);
    const hostCpu = medianCpu(hostRuns);
    const sinkCpu = medianCpu(sinkRuns);
    if (hostCpu !== undefined && sinkCpu !== undefined) {
      lines.push(`  server CPU per message (medians, independent of the load on the other core): simulator ${hostCpu.toFixed(1)} ms, sink ${sinkCpu.toFixed(1)} ms → one free core would take ≈ ${Math.round(1000 / hostCpu)} msg/s (simulator) vs ≈ ${Math.round(1000 / sinkCpu)} msg/s (sink), ratio ${((sinkCpu / hostCpu) * 100).toFixed(0)} %`);
    }
    lines.push(verdict(h.rate >= 200, `${h.rate.toFixed(0)} msg/s accepted and stored (goal ≥ 200 msg/s)`));
    lines.push(verdict(ratio >= 0.6, `throughput ratio ${(ratio * 100).toFixed(0)} % of the bare sink (goal ≥ 60 %)`));

    lines.push(`MSSanté — IMAP FETCH by UID, ${IMAP_CLIENTS} imapflow sessions (STARTTLS + AUTH PLAIN), one request in flight each, random messages of the INBOX that received them`);
    let stored: number | undefined;
    for (const [label, query] of [
      ['UID FETCH (UID ENVELOPE BODYSTRUCTURE)', { uid: true, envelope: true, bodyStructure: true }],
      ['UID FETCH BODY.PEEK[] (whole ~270 KB message)', { uid: true, source: true }],
    ] as const) {
      const r = await imapFetchLoad({ port: imapPort, ca, user: to, pass: 'segur-sim', seconds: ctx.seconds, query });
      stored ??= r.messages;
      lines.push(
        `  ${label.padEnd(44)} ${r.rate.toFixed(0).padStart(6)} fetch/s   p50 ${percentile(r.samples, 50).toFixed(1).padStart(5)} ms   p99 ${percentile(r.samples, 99).toFixed(1).padStart(6)} ms   (${r.samples.length} fetches, mailbox of ${r.messages}${r.errors ? `, ${r.errors} errors` : ''})`,
      );
    }
    lines.push(verdict(stored === acceptedByHost, `every accepted message is stored: ${acceptedByHost} accepted (warm-up included), ${stored} in the recipient's INBOX`));
  } finally {
    await kill(host.child);
    await kill(sink.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}
