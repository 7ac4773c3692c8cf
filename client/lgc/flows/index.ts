/**
 * The Ségur flows the reference LGC runs end to end, by name (`segur-sim flow <name>`, suites), and the
 * default cast: the world's main médecin traitant and a patient of theirs with a carte Vitale, a
 * qualified-able INS and an open DMP holding documents.
 */
import { dmpDossierSeedFor, seededDmpEntries } from '../../../fixtures/dmp.js';
import { dmpCast } from '../../../fixtures/professionals.js';
import type { Patient, Professional, World } from '../../../fixtures/index.js';
import { LgcError, type LgcEnvironment } from '../environment.js';
import { LgcRecords } from '../records.js';
import { FlowRun, type FlowOutput, type FlowResult } from '../run.js';
import { LgcSession } from '../session.js';
import { childHealthFlow, defaultChild } from './child-health.js';
import { consultationFlow } from './consultation.js';
import { productionFlow } from './production.js';
import { receptionFlow } from './reception.js';
import { resilienceFlow } from './resilience.js';

export interface FlowContext {
  session: LgcSession;
  run: FlowRun;
  patient: Patient;
}

export interface FlowDefinition {
  name: string;
  title: string;
  description: string;
  run(ctx: FlowContext): Promise<unknown>;
  /** The default patient when none is given (default: `defaultPatient`). */
  patient?: (world: World, pro: Professional, records: LgcRecords) => Patient;
}

export const FLOWS: readonly FlowDefinition[] = [
  {
    name: 'consultation',
    title: 'Consultation',
    description: 'PSC login (code flow, then CIBA) → carte Vitale → INSi → 1-click qualification → TD0.2 → DMP information recorded → DMP consulted (counts, search, import, PDF and CDA N3 views, newer versions)',
    run: ({ session, run, patient }) => consultationFlow(session, run, { patient }),
  },
  {
    name: 'production',
    title: 'Production',
    description: 'VSM (CDA N3 + PDF) and CR de consultation → background DMP feed with a cancellable deferral → MSSanté to a correspondent found in the Annuaire Santé and to the patient’s Mon espace santé mailbox → ePrescription “en Y”',
    run: ({ session, run, patient }) => productionFlow(session, run, { patient }),
  },
  {
    name: 'reception',
    title: 'Reception',
    description: 'lab and imaging results arrive by MSSanté → IMAP (XOAUTH2) → worklist → matched by INS → integrated; a replacement and a deletion request handled',
    run: ({ session, run, patient }) => receptionFlow(session, run, { patient }),
  },
  {
    name: 'resilience',
    title: 'Resilience',
    description: 'INSi outage → provisional identity kept, retried until qualified; DMP down during feeding → queued → sent alone when back; ePrescription KO → DMP without 2D code (scenarios insi-outage, dmp-outage, eprescription-outage)',
    run: ({ session, run, patient }) => resilienceFlow(session, run, { patient }),
    // A patient new to the LGC: the flow registers them at the desk.
    patient: (world, _pro, records) => {
      const p = world.patients.find((x) => x.ins?.type === 'NIR' && !x.magic?.length && !x.identity.insiForbidden && !records.patient(x.id));
      if (!p) throw new LgcError('every patient of the world is already in the LGC records');
      return p;
    },
  },
  {
    name: 'child-health',
    title: 'Child health and vaccination',
    description: 'wave 2: the growth measures (CSE-MDE) and the vaccination note (VAC-NOTE), CDA R2 N3, written and fed to the child’s DMP, then found there',
    run: ({ session, run, patient }) => childHealthFlow(session, run, { patient }),
    patient: (world) => defaultChild(world),
  },
];

export function flowByName(name: string): FlowDefinition {
  const f = FLOWS.find((x) => x.name === name);
  if (!f) throw new LgcError(`unknown flow "${name}" (known: ${FLOWS.map((x) => x.name).join(', ')})`);
  return f;
}

/** The professional flows log in as by default: the main médecin traitant of the seeded DMPs. */
export function defaultProfessional(world: World): Professional {
  const pro = dmpCast(world.professionals).mainMedecinTraitant;
  if (!pro) throw new LgcError('the world has no médecin to log in as');
  return pro;
}

/**
 * A patient for the flows: an ouvrant droit whose card carries their own NIR, with an NIR INS and no magic
 * behaviour, an open DMP with at least three documents, on which `pro` is médecin traitant when possible.
 */
export function defaultPatient(world: World, pro: Professional, _records?: LgcRecords): Patient {
  const candidates = world.patients.filter((p) => {
    if (!p.ins || p.ins.type !== 'NIR' || p.magic?.length || p.vitale?.role !== 'ouvrant-droit' || p.identity.insiForbidden) return false;
    const d = dmpDossierSeedFor(world, p.id);
    return d?.status === 'active' && seededDmpEntries(world, p.id).length >= 3;
  });
  const mine = candidates.find((p) => dmpDossierSeedFor(world, p.id)!.authorizations.some((a) => a.psIdNat === pro.idNat && a.status === 'VALIDE'));
  const p = mine ?? candidates[0];
  if (!p) throw new LgcError('the world has no patient fit for the flows (carte Vitale, NIR INS, open DMP with documents)');
  return p;
}

export interface RunFlowOptions {
  env: LgcEnvironment;
  /** The LGC's records; default: a fresh in-memory store. */
  records?: LgcRecords;
  /** Professional id, RPPS or idNat (default: the main médecin traitant). */
  professional?: string;
  /** Patient id or INS matricule (default: `defaultPatient`). */
  patient?: string;
  /** A library scenario applied to this flow's calls only (X-Segur-Scenario). */
  scenario?: string;
  timeoutMs?: number;
  out?: FlowOutput;
}

/** Runs one flow; never throws for a failing step (the result says where it stopped). */
export async function runFlow(name: string, opts: RunFlowOptions): Promise<FlowResult & { outcome?: unknown }> {
  const def = flowByName(name);
  const { env } = opts;
  const pro = opts.professional ? env.professional(opts.professional) : defaultProfessional(env.world);
  const records = opts.records ?? (await LgcRecords.open(undefined, env.sandbox));
  const patient = opts.patient ? env.patient(opts.patient) : (def.patient ?? defaultPatient)(env.world, pro, records);
  const session = new LgcSession({ env, records, professional: pro, scenario: opts.scenario, timeoutMs: opts.timeoutMs });
  const run = new FlowRun(def.name, env.sandbox, opts.out);
  run.note(`${pro.firstName} ${pro.lastName} (RPPS ${pro.rpps}) with ${patient.firstName} ${patient.birthName} (${patient.id})`);
  let outcome: unknown;
  // The clients' own timers (feeding-queue deferrals, retry back-offs) are unref'd, as a library's should
  // be: while a flow runs, this keeps the process from exiting under them.
  const alive = setInterval(() => undefined, 60_000);
  try {
    outcome = await def.run({ session, run, patient });
  } catch (err) {
    run.fail(err);
  } finally {
    clearInterval(alive);
    session.close();
  }
  return { ...run.result(), outcome };
}
