/**
 * Scheduled sending by the simulated correspondents, through the scenario engine.
 *
 * - Business outcome `mssante.correspondent-send` (params = the admin API's body, plus `replace: last` /
 *   `delete: last` for "the last current document this correspondent sent to that mailbox").
 * - Operation `correspondents.tick`: every `SEGUR_SIM_MSSANTE_TICK_SECONDS` seconds (default 5, `0` turns
 *   it off) the host evaluates this operation in each sandbox where an active (or startup) scenario has a
 *   rule with that outcome, and sends what the decision carries. `times`, `after`, `window` and
 *   `probability` then schedule the sends ("one CR at 10 s, its replacement at 30 s"). `POST
 *   /_admin/sandboxes/<id>/mssante/correspondents/tick` runs one tick at once (CI, tests).
 * - `applyCorrespondentOutcomes(host, sandbox, decision)` sends for any decision carrying the outcome: the
 *   SMTP/IMAP stages may call it so a rule on `smtp.data` or `imap.select` triggers a send too.
 */
import { z } from 'zod';
import type { Decision, OutcomeDefinition, RuleSpec } from '../../../scenarios/engine/types.js';
import type { HostContext } from '../../core/host-context.js';
import type { Sandbox } from '../../core/sandbox.js';
import { MSSANTE_SERVICE_ID } from '../constants.js';
import { normalizeAddress } from '../directory.js';
import { correspondentLedger } from './ledger.js';
import { sendCorrespondentResult, type SendResult } from './send.js';

export const CORRESPONDENT_SEND_OUTCOME = 'mssante.correspondent-send';
export const TICK_OPERATION = 'correspondents.tick';
export const TICK_ENV = 'SEGUR_SIM_MSSANTE_TICK_SECONDS';
export const DEFAULT_TICK_SECONDS = 5;

export const correspondentSendParams = z
  .object({
    from: z.enum(['lab', 'imaging']).default('lab'),
    to: z.string().min(3).max(320),
    patientId: z.string().max(100).optional(),
    kind: z.enum(['cr-bio', 'cr-imagerie']).optional(),
    replace: z.string().max(128).optional(),
    delete: z.string().max(128).optional(),
    readReceipt: z.boolean().optional(),
  })
  .strict();

export type CorrespondentSendParams = z.infer<typeof correspondentSendParams>;

/** Register these with the scenario engine (service.ts `outcomes`). */
export const correspondentOutcomes: OutcomeDefinition[] = [
  {
    name: CORRESPONDENT_SEND_OUTCOME,
    service: MSSANTE_SERVICE_ID,
    description:
      'a simulated correspondent (lab | imaging) sends a CR de biologie / CR d\'imagerie (IHE_XDM.zip) to a mailbox; replace/delete: a uniqueId or "last". Fires on operation correspondents.tick (periodic) or on any mssante operation whose stage applies it',
    params: correspondentSendParams,
  },
];

/** `last` → the last current document this correspondent sent to this mailbox. */
async function resolveLast(sandbox: Sandbox, p: CorrespondentSendParams, which: 'replace' | 'delete'): Promise<string | undefined> {
  const value = p[which];
  if (value !== 'last') return value;
  const ledger = await correspondentLedger(sandbox);
  const to = normalizeAddress(p.to);
  const found = ledger
    .all()
    .filter((d) => d.state === 'current' && d.from === p.from && d.to === to)
    .sort((a, b) => b.sentAt - a.sentAt)[0];
  if (!found) throw new Error(`no current document sent by ${p.from} to ${to} to ${which}`);
  return found.uniqueId;
}

/** `replace`/`delete` with `last` resolved to a uniqueId (throws when there is none). */
export async function resolveTargets(sandbox: Sandbox, p: CorrespondentSendParams): Promise<{ replace?: string; delete?: string }> {
  const replace = await resolveLast(sandbox, p, 'replace');
  const del = await resolveLast(sandbox, p, 'delete');
  return { ...(replace ? { replace } : {}), ...(del ? { delete: del } : {}) };
}

/** Sends whatever `mssante.correspondent-send` outcomes the decision carries. Errors are journaled by the caller's log. */
export async function applyCorrespondentOutcomes(host: HostContext, sandbox: Sandbox, decision: Decision): Promise<SendResult[]> {
  const out: SendResult[] = [];
  for (const effect of decision.effects) {
    if (effect.kind !== 'outcome' || effect.name !== CORRESPONDENT_SEND_OUTCOME) continue;
    const p = effect.params as CorrespondentSendParams;
    const fired = decision.fired.map((f) => `${f.scenario}/${f.rule}`).join(', ');
    try {
      out.push(await sendCorrespondentResult(host, sandbox, { ...p, ...(await resolveTargets(sandbox, p)) }, { decision, reason: `scenario ${fired}` }));
    } catch (err) {
      host.log(`MSSanté correspondents: scheduled send (${fired}) failed: ${(err as Error).message}`);
      sandbox.journal.add({
        sandbox: sandbox.id,
        service: MSSANTE_SERVICE_ID,
        operation: 'correspondents.send',
        transport: 'internal',
        startedAt: host.clock.now(),
        endedAt: host.clock.now(),
        request: { method: 'SEND', headers: {} },
        response: { headers: {} },
        summary: { params: p, trigger: `scenario ${fired}` },
        decision,
        error: (err as Error).message,
      });
    }
  }
  return out;
}

function usesOutcome(rules: readonly RuleSpec[]): boolean {
  return rules.some((r) => r.effects.some((e) => 'outcome' in e && e.outcome.name === CORRESPONDENT_SEND_OUTCOME));
}

/** Does an active or startup scenario of this sandbox schedule correspondents? (Only those sandboxes tick.) */
export function schedulesCorrespondents(host: HostContext, sandbox: Sandbox): boolean {
  const names = [...host.engine.active(sandbox.scenarios).map((a) => a.name), ...host.engine.getStartup()];
  return names.some((n) => {
    const s = host.engine.getScenario(n);
    return s ? usesOutcome(s.rules) : false;
  });
}

/** One tick in one sandbox: evaluate `correspondents.tick`, send what the decision says. */
export async function tickSandbox(host: HostContext, sandbox: Sandbox): Promise<{ decision: Decision; sent: SendResult[] }> {
  const decision = host.engine.evaluate(sandbox.scenarios, { service: MSSANTE_SERVICE_ID, operation: TICK_OPERATION, sandbox: sandbox.id, facts: {} });
  const sent = await applyCorrespondentOutcomes(host, sandbox, decision);
  return { decision, sent };
}

const tickers = new WeakMap<HostContext, NodeJS.Timeout>();

export function tickSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TICK_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_TICK_SECONDS;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_TICK_SECONDS;
}

/** Starts the periodic tick of this host (once; the timer never keeps the process alive). */
export function startCorrespondentTicker(host: HostContext): void {
  if (tickers.has(host)) return;
  const seconds = tickSeconds();
  if (seconds <= 0) return;
  let running = false;
  let wasReady = false;
  const timer = setInterval(() => {
    // The host closed (ready once, not any more): stop, and let it be collected.
    if (wasReady && !host.runtime.ready) return stopCorrespondentTicker(host);
    wasReady ||= host.runtime.ready;
    if (running || !host.runtime.ready) return;
    running = true;
    void (async () => {
      for (const sandbox of host.sandboxes.list()) {
        if (!schedulesCorrespondents(host, sandbox)) continue;
        await tickSandbox(host, sandbox);
      }
    })()
      .catch((err) => host.log(`MSSanté correspondents: tick failed: ${(err as Error).message}`))
      .finally(() => (running = false));
  }, seconds * 1000);
  timer.unref();
  tickers.set(host, timer);
}

/** Stops the tick (tests, host shutdown). */
export function stopCorrespondentTicker(host: HostContext): void {
  const timer = tickers.get(host);
  if (timer) clearInterval(timer);
  tickers.delete(host);
}
