import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateWorld } from '../../../fixtures/index.js';
import type { BenchContext, LoadResult } from '../lib.js';
import { kill, median, row, spawnServer, verdict } from '../lib.js';

const ACTION = 'urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite';

/** A padoa-shaped RECSANSVITALE envelope (mTLS mode: no wsse:Security). */
function envelope(t: { nom: string; prenom: string; sexe: string; date: string }, i: number): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;');
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:insi_recsans_ins="http://www.cnamts.fr/INSiRecSans" xmlns:ctxbam="urn:siram:bam:ctxbam" xmlns:ctxlps="urn:siram:lps:ctxlps"><soap:Header>` +
    `<ctxbam:ContexteBAM Version="01_02"><ctxbam:Id>bam-${i}</ctxbam:Id><ctxbam:Temps>2026-03-02T08:00:00.000Z</ctxbam:Temps><ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE></ctxbam:COUVERTURE></ctxbam:ContexteBAM>` +
    `<ctxlps:ContexteLPS Nature="CTXLPS" Version="01_00"><ctxlps:Id>lps-${i}</ctxlps:Id><ctxlps:Temps>2026-03-02T08:00:00.000Z</ctxlps:Temps><ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">PDP17NF21DD0</ctxlps:IDAM><ctxlps:Version>2022</ctxlps:Version><ctxlps:Instance>636c9d43-0000-4000-8000-000000000000</ctxlps:Instance><ctxlps:Nom>urn:lps:bench:1</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>` +
    `<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">${ACTION}</wsa:Action><wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}</wsa:MessageID>` +
    `</soap:Header><soap:Body><insi_recsans_ins:RECSANSVITALE><insi_recsans_ins:NomNaissance>${esc(t.nom)}</insi_recsans_ins:NomNaissance><insi_recsans_ins:Prenom>${esc(t.prenom)}</insi_recsans_ins:Prenom>` +
    `<insi_recsans_ins:Sexe>${t.sexe}</insi_recsans_ins:Sexe><insi_recsans_ins:DateNaissance>${t.date}</insi_recsans_ins:DateNaissance></insi_recsans_ins:RECSANSVITALE></soap:Body></soap:Envelope>`
  );
}

/** autocannon over HTTPS keep-alive with the INSI-AUTO client certificate (mTLS), rotating request bodies. */
async function loadTls(url: string, bodies: string[], seconds: number, tlsOptions: Record<string, unknown>): Promise<LoadResult> {
  let i = 0;
  const result = await autocannon({
    url,
    duration: seconds,
    connections: 32,
    pipelining: 1,
    tlsOptions,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': `application/soap+xml;charset=UTF-8;action="${ACTION}"` },
        setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }),
      },
    ],
  } as autocannon.Options);
  return { requests: result.requests.total, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

/** INSi RECSANSVITALE over HTTPS keep-alive (mTLS INSI-AUTO), 10 000-patient world, journal on, vs a canned endpoint on the same host. */
export async function insiBench(ctx: BenchContext): Promise<string[]> {
  const lines = ['INSi — RECSANSVITALE over HTTPS keep-alive (mTLS INSI-AUTO), 10 000-patient world, journal on, vs a canned RESULTAT on the same host'];
  const world = generateWorld({ seed: 1, patients: 10_000, professionals: 300, structures: 40 });
  const found = world.patients.filter((p) => p.ins && !p.magic?.length && !p.traits.includes('homonym')).slice(0, 500);
  const bodies = found.map((p, i) => envelope({ nom: p.ins!.traits.nomNaissance, prenom: p.ins!.traits.prenom, sexe: p.ins!.traits.sexe, date: p.ins!.traits.dateNaissance }, i));
  const pki = ctx.pkiDir;
  const tlsOptions = {
    key: readFileSync(join(pki, 'org/INSI-AUTO.key.pem')),
    cert: readFileSync(join(pki, 'org/INSI-AUTO.fullchain.pem')),
    ca: readFileSync(join(pki, 'ca/ca-bundle.pem')),
  };
  const server = await spawnServer(join(import.meta.dirname, '../servers/insi-host.mjs'), [pki, mkdtempSync(join(tmpdir(), 'bench-insi-'))]);
  try {
    // Sanity: the simulator must really answer CR 00 for these bodies before we time it.
    const probe = await loadTls(`${server.url}/lps`, bodies.slice(0, 1), 1, tlsOptions);
    if (probe.non2xx || probe.errors) lines.push(`  WARNING: warm-up got ${probe.errors} errors, ${probe.non2xx} non-2xx`);
    await loadTls(`${server.url}/_canned/lps`, bodies, 1, tlsOptions);
    const insiRuns: LoadResult[] = [];
    const cannedRuns: LoadResult[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      cannedRuns.push(await loadTls(`${server.url}/_canned/lps`, bodies, ctx.seconds, tlsOptions));
      insiRuns.push(await loadTls(`${server.url}/lps`, bodies, ctx.seconds, tlsOptions));
    }
    const canned = median(cannedRuns);
    const insi = median(insiRuns);
    const ratio = insi.rps / canned.rps;
    lines.push(row(`canned RESULTAT (median of ${ctx.rounds})`, canned), row(`INSi RECSANSVITALE (median of ${ctx.rounds})`, insi));
    lines.push(verdict(insi.rps >= 2000, `${Math.round(insi.rps)} req/s (goal ≥ 2 000 req/s)`));
    lines.push(verdict(ratio >= 0.5, `throughput ratio ${(ratio * 100).toFixed(0)} % of the canned endpoint (goal ≥ 50 %)`));
  } finally {
    await kill(server.child);
  }
  return lines;
}
