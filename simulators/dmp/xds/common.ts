/**
 * What the four XDS transactions share: the patient's dossier and the rights checks in XDS shape, the
 * access trace, journal verdicts from validation problems, and the scenario outcomes.
 */
import { z } from 'zod';
import type { OutcomeDefinition } from '../../../scenarios/engine/types.js';
import type { Dossier } from '../dossiers.js';
import { checkAccess, dossierFor as dossierWithOutcomes, traceAccess, type RightsAction, type TraceWhat } from '../rights.js';
import type { DmpCall } from '../types.js';
import { xdsError, XdsFailure, type RegistryError } from './errors.js';
import type { Problem } from './validate.js';

export const ACCESS_DENIED = 'DMPAccessDeniedByRightsService';

/** Scenario outcomes of the XDS transactions (registered by the DMP service). */
export const xdsOutcomes: OutcomeDefinition[] = [
  {
    name: 'dmp.registry-error',
    service: 'dmp',
    description:
      'The XDS transaction (ITI-41, ITI-18, ITI-43 or ITI-57, as the rule matches) answers a Failure RegistryResponse with this error code (default XDSRegistryError) and context, without storing anything.',
    params: z.object({ code: z.string().min(1).default('XDSRegistryError'), context: z.string().optional(), location: z.string().optional() }),
  },
  {
    name: 'dmp.stale-version',
    service: 'dmp',
    description:
      'Before answering, another author replaces the requested document (ITI-43), the first matching Approved document (ITI-18) or the updated one (ITI-57): an RPLC by a second professional is injected, so the client sees its version Deprecated and a new version (ITI-57 then fails with XDSMetadataVersionError).',
    params: z.object({ author: z.string().regex(/^\d{12}$/).optional() }),
  },
];

/** The `dmp.registry-error` outcome of this exchange, as the RegistryError to answer. */
export function forcedRegistryError(call: DmpCall): RegistryError | undefined {
  const o = call.exchange.outcome<{ code?: string; context?: string; location?: string }>('dmp.registry-error');
  if (!o) return undefined;
  const code = o.code ?? 'XDSRegistryError';
  call.exchange.summary.why = `scenario outcome dmp.registry-error (${call.exchange.decision?.channel ?? 'scenario'})`;
  return xdsError(code, o.context ?? `Erreur simulée par le scénario (${code})`, o.location);
}

/**
 * The dossier of a patient for an XDS transaction, as the scenario outcomes make it (`dmp.absent`,
 * `dmp.closed`, `dmp.blocked`...): no DMP → XDSUnknownPatientId, closed DMP → DMPClosed, then the rights
 * service for `action` (refusal → its code, `DMPAccessDeniedByRightsService`). A refusal is traced.
 */
export async function dossierFor(call: DmpCall, ins: string, action: RightsAction, what: string | TraceWhat, location?: string): Promise<Dossier> {
  const dossier = dossierWithOutcomes(call, ins);
  if (!dossier) throw new XdsFailure(xdsError('XDSUnknownPatientId', `Le patient ${ins} n'a pas de DMP`, location));
  if (dossier.status === 'closed') {
    await traceXds(call, dossier, what, 'refused', 'DMPClosed');
    throw new XdsFailure(xdsError('DMPClosed', `Le DMP du patient ${ins} est fermé`, location));
  }
  const decision = checkAccess(call, dossier, action);
  if (!decision.allowed) {
    const code = decision.code ?? ACCESS_DENIED;
    await traceXds(call, dossier, what, 'refused', code);
    throw new XdsFailure(xdsError(code, decision.reason || 'Accès refusé par le service de gestion des droits', location));
  }
  return dossier;
}

/** Traces an access to the patient's dossier (rights.ts `traceAccess`: the Web PS history). */
export function traceXds(call: DmpCall, dossier: Dossier, what: string | TraceWhat, outcome: 'ok' | 'refused' | 'error', code?: string): Promise<void> {
  const w: TraceWhat = typeof what === 'string' ? { operation: what } : what;
  return traceAccess(call, dossier, code ? { ...w, code } : w, outcome);
}

/** Records every validation problem as a journal verdict; returns the errors to answer (none in lenient mode unless structural). */
export function problemsToErrors(call: DmpCall, problems: Problem[]): RegistryError[] {
  for (const p of problems) call.exchange.verdict(p.severity, `dmp.xds.${p.code}`, `${p.location ? `${p.location}: ` : ''}${p.context}`);
  const rejectAll = call.exchange.rejects;
  return problems.filter((p) => p.severity === 'error' && (p.structural || rejectAll)).map((p) => ({ code: p.code, context: p.context, location: p.location }));
}
