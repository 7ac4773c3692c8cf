import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext, LoadResult } from '../lib.js';
import { kill, load, median, row, spawnServer, verdict } from '../lib.js';

const REALM = '/auth/realms/esante-wallet';
const CLIENT = 'segur-sim-lgc';
const BASIC = `Basic ${Buffer.from(`${CLIENT}:segur-sim-lgc-secret`).toString('base64')}`;
const REDIRECT = 'http://localhost:9999/cb';
const LOGIN_HINT = '899800000012';

function call(agent: Agent, url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One complete code flow, headless: authorize (autoApprove + login_hint) → code → token (PKCE, Basic). */
async function codeFlow(agent: Agent, base: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({ response_type: 'code', client_id: CLIENT, redirect_uri: REDIRECT, scope: 'openid scope_all', acr_values: 'eidas1', state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256', login_hint: LOGIN_HINT });
  const auth = await call(agent, `${base}${REALM}/protocol/openid-connect/auth?${q}`);
  const code = auth.location ? new URL(auth.location).searchParams.get('code') : null;
  if (!code) throw new Error(`authorize: ${auth.status} ${auth.body.slice(0, 200)}`);
  const token = await call(agent, `${base}${REALM}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
  });
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.body.slice(0, 200)}`);
  return (JSON.parse(token.body) as { access_token: string }).access_token;
}

/** Complete code flows per second with `concurrency` clients looping for `seconds`. */
async function flows(base: string, seconds: number, concurrency = 16): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await codeFlow(agent, base);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { requests: latencies.length, rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors, non2xx: 0 };
}

function introspect(base: string, token: string, seconds: number): Promise<LoadResult> {
  return load({ url: `${base}${REALM}/protocol/openid-connect/token/introspect`, method: 'POST', seconds, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC }, body: `token=${token}` });
}

/** Pro Santé Connect: code flows/s and introspections/s, segur-sim host vs bare oidc-provider with the same configuration. */
export async function pscBench(ctx: BenchContext): Promise<string[]> {
  const lines = ['Pro Santé Connect — headless code flows (authorize + token, PKCE) and introspections, host vs bare oidc-provider (same PSC configuration), same run'];
  const bare = await spawnServer(join(import.meta.dirname, '../servers/psc-bare.mjs'));
  const host = await spawnServer(join(import.meta.dirname, '../servers/psc-host.mjs'), [ctx.pkiDir, mkdtempSync(join(tmpdir(), 'bench-psc-'))]);
  try {
    const bareToken = await codeFlow(new Agent(), bare.url);
    const hostToken = await codeFlow(new Agent(), host.url);
    await flows(bare.url, 1);
    await flows(host.url, 1);
    const runs = { bareFlows: [] as LoadResult[], hostFlows: [] as LoadResult[], bareIntro: [] as LoadResult[], hostIntro: [] as LoadResult[] };
    for (let round = 0; round < ctx.rounds; round++) {
      runs.bareFlows.push(await flows(bare.url, ctx.seconds));
      runs.hostFlows.push(await flows(host.url, ctx.seconds));
      runs.bareIntro.push(await introspect(bare.url, bareToken, ctx.seconds));
      runs.hostIntro.push(await introspect(host.url, hostToken, ctx.seconds));
    }
    const bf = median(runs.bareFlows);
    const hf = median(runs.hostFlows);
    const bi = median(runs.bareIntro);
    const hi = median(runs.hostIntro);
    lines.push(row(`bare oidc-provider code flows/s (median of ${ctx.rounds})`, bf), row(`segur-sim PSC code flows/s (median of ${ctx.rounds})`, hf));
    lines.push(row(`bare oidc-provider introspections/s`, bi), row(`segur-sim PSC introspections/s`, hi));
    const rf = hf.rps / bf.rps;
    const ri = hi.rps / bi.rps;
    lines.push(verdict(rf >= 0.8, `code flows ${(rf * 100).toFixed(0)} % of bare (goal ≥ 80 %)`));
    lines.push(verdict(ri >= 0.8, `introspections ${(ri * 100).toFixed(0)} % of bare (goal ≥ 80 %)`));
  } finally {
    await Promise.all([kill(bare.child), kill(host.child)]);
  }
  return lines;
}
