/**
 * Who is looking at the Web PS (TD0.9, direct authentication only — dmp.md §4.12, PDT-INF-527). The real
 * context-passing mechanism is not public; segur-sim accepts, in this order:
 *
 * 1. the CPS card: an HTTPS client certificate of the test PKI (personal certificate, CN = idNat_PS);
 * 2. e-CPS through Pro Santé Connect: `Authorization: Bearer <PSC access token>` of this sandbox's PSC,
 *    validated in process (simulators/core/psc-token.ts), idNat from `SubjectNameID`;
 * 3. a simulator convenience for demos and tests, NOT a production mechanism: the `X-Segur-PS: <idNat>`
 *    header or the `?ps=<idNat>` query parameter.
 */
import type { Context } from 'hono';
import type { Professional, World } from '../../../fixtures/types.js';
import type { Exchange } from '../../core/exchange.js';
import type { HostContext } from '../../core/host-context.js';
import { validatePscToken } from '../../core/psc-token.js';
import { rawHeader } from '../../core/sandbox-routing.js';
import type { HostEnv } from '../../core/service.js';

export type WebPsAuthMethod = 'carte CPS (certificat TLS)' | 'e-CPS (Pro Santé Connect)' | 'en-tête X-Segur-PS (simulateur)' | 'paramètre ps (simulateur)';

export type WebPsAuth = { ok: true; professional: Professional; method: WebPsAuthMethod } | { ok: false; status: 401 | 403; reason: string };

function byIdNat(world: World, idNat: string): Professional | undefined {
  const id = idNat.trim();
  return world.professionals.find((p) => p.idNat === id || p.rpps === id);
}

export async function authenticateWebPs(c: Context<HostEnv>, host: HostContext, exchange: Exchange): Promise<WebPsAuth> {
  const world = exchange.sandbox.world;
  const raw = c.env?.incoming?.rawHeaders ?? [];
  const cert = exchange.clientCert;
  if (cert?.present && cert.authorized && cert.subject?.CN) {
    const p = byIdNat(world, cert.subject.CN);
    if (p) return { ok: true, professional: p, method: 'carte CPS (certificat TLS)' };
  }
  const authorization = rawHeader(raw, 'authorization');
  if (authorization && /^bearer\s+/i.test(authorization)) {
    const result = await validatePscToken(host, exchange.sandbox, authorization.replace(/^bearer\s+/i, '').trim());
    if (!result.active) return { ok: false, status: 401, reason: `jeton Pro Santé Connect refusé: ${result.error ?? 'inactif'}` };
    const idNat = result.claims?.SubjectNameID ?? result.claims?.preferred_username;
    const p = idNat ? byIdNat(world, idNat) : undefined;
    if (!p) return { ok: false, status: 403, reason: `le jeton Pro Santé Connect désigne ${idNat ?? 'un inconnu'}, absent de l’annuaire du simulateur` };
    return { ok: true, professional: p, method: 'e-CPS (Pro Santé Connect)' };
  }
  const header = rawHeader(raw, 'x-segur-ps');
  if (header) {
    const p = byIdNat(world, header);
    return p ? { ok: true, professional: p, method: 'en-tête X-Segur-PS (simulateur)' } : { ok: false, status: 403, reason: `X-Segur-PS: ${header} n’est pas un professionnel du simulateur` };
  }
  const url = c.req.url;
  const q = url.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)).get('ps') : null;
  if (q) {
    const p = byIdNat(world, q);
    return p ? { ok: true, professional: p, method: 'paramètre ps (simulateur)' } : { ok: false, status: 403, reason: `ps=${q} n’est pas un professionnel du simulateur` };
  }
  return {
    ok: false,
    status: 401,
    reason: 'authentification directe requise: carte CPS (certificat client TLS), e-CPS (Authorization: Bearer <jeton Pro Santé Connect>), ou pour le simulateur X-Segur-PS / ?ps=<idNat>',
  };
}
