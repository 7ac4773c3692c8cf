/**
 * ePrescription téléservice simulator (ordonnance numérique, EPU): SOAP 1.2 on `/eprescription` with the CNAM
 * TLSi transport (as INSi), operations ep4_creer, ep3_consulter, ep2_rechercher, ep1_transmettreExecution and
 * the mock extension ep7_annuler; WSDL at `GET /eprescription?wsdl`. The wire format is a segur-sim convention
 * (README.md): this file is the pipeline — body, envelope, scenario decision, authentication, IDAM, form, acting
 * professional — before the operation's business rules (rules.ts) on the sandbox's base (store.ts).
 */
import { z } from 'zod';
import { PRESCRIPTION_SUBTYPES } from '../../fixtures/prescriptions.js';
import type { RequestFacts } from '../../scenarios/engine/types.js';
import type { Exchange } from '../core/exchange.js';
import type { HostContext } from '../core/host-context.js';
import { rawHeader } from '../core/sandbox-routing.js';
import { serveWsdlGet } from '../core/soap/wsdl-get.js';
import type { HostApp, SimulatorService } from '../core/service.js';
import { DEFAULT_DENIED_IDAMS } from '../insi/service.js';
import { authenticate } from './auth.js';
import { ep1Response, ep2Response, ep3Response, ep4Response, ep7Response, parseRequest, type EpRequest } from './codec.js';
import { actionOf, ID_ALPHABET, PATH, SOAP12_CONTENT_TYPE } from './constants.js';
import { badRequestFault, epFault, fault, faultResponse, FAULTS, type FaultSpec } from './faults.js';
import type { EpProfessional, RecordedExecution } from './model.js';
import { checkExecution, dateOf, executantAccess, isPrescriberOf, lineStates, search, statutOf, type Refusal } from './rules.js';
import { epStore } from './store.js';
import { XSDS, wsdlXml } from './wsdl.js';

export interface EprescriptionServiceOptions {
  /** IDAM allow-list (default: any 1–32 letters/digits not denied). Environment: `SEGUR_SIM_EPRESCRIPTION_IDAMS=A,B`. */
  allowedIdams?: string[];
  /** IDAMs refused with siram_100 / desir_550 (default: INSi's deny-list). */
  deniedIdams?: string[];
  /** Largest request body accepted, in bytes (a prescription envelope is a few KB). */
  maxRequestBytes?: number;
}

const IDAM_SHAPE = /^[A-Za-z0-9]{1,32}$/;
const decoder = new TextDecoder();
const faultOutcome = z.object({ code: z.enum(['desir_1020', 'ep_102']) }).strict();

function envList(name: string): string[] | undefined {
  const v = process.env[name];
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export function createEprescriptionService(options: EprescriptionServiceOptions = {}): SimulatorService {
  const allowed = new Set((options.allowedIdams ?? envList('SEGUR_SIM_EPRESCRIPTION_IDAMS') ?? []).map((s) => s.toUpperCase()));
  const denied = new Set((options.deniedIdams ?? DEFAULT_DENIED_IDAMS).map((s) => s.toUpperCase()));
  const maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;
  const idamKnown = (idam: string | undefined): boolean => {
    if (!idam) return false;
    const up = idam.trim().toUpperCase();
    if (!IDAM_SHAPE.test(up) || denied.has(up)) return false;
    return allowed.size === 0 || allowed.has(up);
  };

  return {
    id: 'eprescription',
    title: 'ePrescription',
    mounts: [PATH],
    outcomes: [
      { name: 'eprescription.fault', service: 'eprescription', description: 'Answers a SIRAM fault: desir_1020 (service unavailable) or ep_102 (technical error).', params: faultOutcome, outage: true },
      { name: 'eprescription.duplicate', service: 'eprescription', description: 'ep4_creer answers ep_402 (identifier already registered).', params: z.strictObject({}) },
      { name: 'eprescription.unknown', service: 'eprescription', description: 'ep3_consulter, ep1_transmettreExecution and ep7_annuler answer ep_404 (unknown identifier).', params: z.strictObject({}) },
      { name: 'eprescription.consent-refused', service: 'eprescription', description: 'A prescriber consulting the executions (ep3_consulter with Prescripteur) gets ep_410 (the patient opposed).', params: z.strictObject({}) },
    ],
    renderError: epFault,
    routes(app: HostApp, host: HostContext) {
      app.get(PATH, (c) =>
        serveWsdlGet(c, { path: PATH, wsdl: wsdlXml, xsds: XSDS, serviceLabel: 'Le service ePrescription', fault: (message, status) => faultResponse(badRequestFault(message, status)) }),
      );

      app.post(PATH, async (c) => {
        const exchange = c.get('exchange');
        const rawHeaders = c.env?.incoming?.rawHeaders ?? [];
        const buf = await c.req.arrayBuffer();
        if (buf.byteLength > maxRequestBytes) {
          return reject(exchange, badRequestFault(`Requête trop volumineuse : ${buf.byteLength} octets (maximum ${maxRequestBytes}).`, 413));
        }
        const parsed = parseRequest(decoder.decode(buf));
        if (!parsed.ok) return reject(exchange, parsed.fault, parsed.messageId);
        const req = parsed.request;
        checkTransportHeaders(exchange, req, rawHeader(rawHeaders, 'content-type') ?? '');
        return serve(exchange, host, req, rawHeader(rawHeaders, 'authorization'), idamKnown);
      });

      // Anything else under the mount: the service's own fault rather than the host's JSON 404.
      app.all(`${PATH}/*`, (c) => {
        c.get('exchange').operation = 'unknown-path';
        return faultResponse(badRequestFault(`Rien n'est servi à ${c.req.path} : le service ePrescription est en POST ${PATH}.`, 404));
      });
    },
  };
}

export const eprescriptionService: SimulatorService = createEprescriptionService();

// ---------------------------------------------------------------------------------------------------------

async function reject(exchange: Exchange, spec: FaultSpec, messageId?: string): Promise<Response> {
  exchange.verdict('error', 'eprescription.envelope', spec.reason);
  exchange.summary = { outcome: `${spec.subcode || spec.side}/${spec.code}`, rejected: spec.reason };
  // The engine still decides: an unknown X-Segur-Scenario is reported, and an outage hides the service before it reads the body.
  await exchange.decide('invalid');
  const forced = await scenarioFault(exchange, messageId);
  if (forced) return forced;
  return faultResponse(spec, messageId);
}

/** The scenario's transport, HTTP or SOAP fault (SOAP ones in the siram shape, messageID echoed), else `eprescription.fault`. */
async function scenarioFault(exchange: Exchange, messageId: string | undefined): Promise<Response | undefined> {
  exchange.messageId = messageId;
  const soapFault = exchange.decision?.effects.find((e) => e.kind === 'soapFault');
  if (soapFault?.kind === 'soapFault') exchange.summary.outcome = `${soapFault.subcode ?? ''}/${soapFault.code}`;
  const forced = await exchange.fault();
  if (forced) {
    if (exchange.cutBy) exchange.summary.outcome = `connection ${exchange.cutBy}`;
    return forced;
  }
  const outcome = exchange.outcome<{ code: 'desir_1020' | 'ep_102' }>('eprescription.fault');
  if (outcome) {
    const spec = FAULTS[outcome.code];
    exchange.summary.outcome = `${spec.subcode}/${spec.code}`;
    exchange.summary.why = `scenario outcome eprescription.fault (${exchange.decision?.channel})`;
    return faultResponse(spec, messageId);
  }
  return undefined;
}

/** The URL the request came in on, `/_sandbox/<id>` prefix kept, ending in `/eprescription`. */
function checkTransportHeaders(exchange: Exchange, req: EpRequest, contentType: string): void {
  if (!contentType.toLowerCase().startsWith('application/soap+xml')) {
    exchange.verdict('warning', 'eprescription.content-type', `Content-Type "${contentType}" is not application/soap+xml (SOAP 1.2)`);
  }
  const expected = actionOf(req.operation);
  const action = /action="?([^";]+)"?/i.exec(contentType)?.[1];
  if (action && action !== expected) exchange.verdict('warning', 'eprescription.action', `Content-Type action "${action}" does not match the body (${expected})`);
  if (!req.action) exchange.verdict('warning', 'eprescription.wsa-action', 'no wsa:Action header');
  else if (req.action !== expected) exchange.verdict('warning', 'eprescription.wsa-action', `wsa:Action "${req.action}" does not match the body (${expected})`);
  if (!req.messageId) exchange.verdict('warning', 'eprescription.message-id', 'no wsa:MessageID header (faults echo it)');
  if (req.dispatch === 'action') exchange.verdict('warning', 'eprescription.body', `body root ${req.bodyRoot} is not a known ePrescription element; dispatched on wsa:Action`);
  for (const w of req.warnings) exchange.verdict('warning', 'eprescription.body', w);
}

/** Who acts in the body: the prescriber for ep4/ep7, the executant for ep1, either for ep3/ep2. */
function actingOf(req: EpRequest): { role: 'prescripteur' | 'executant'; pro: EpProfessional | undefined } {
  switch (req.operation) {
    case 'ep4_creer':
      return { role: 'prescripteur', pro: req.prescription.prescripteur };
    case 'ep7_annuler':
      return { role: 'prescripteur', pro: req.prescripteur };
    case 'ep1_transmettreExecution':
      return { role: 'executant', pro: req.executant };
    default:
      return req.executant ? { role: 'executant', pro: req.executant } : { role: 'prescripteur', pro: req.prescripteur };
  }
}

function identifierOf(req: EpRequest): string | undefined {
  if (req.operation === 'ep4_creer') return req.prescription.identifiant || undefined;
  if (req.operation === 'ep2_rechercher') return req.critere.identifiant;
  return req.identifiant || undefined;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function serve(exchange: Exchange, host: HostContext, req: EpRequest, authorization: string | undefined, idamKnown: (idam: string | undefined) => boolean): Promise<Response> {
  const now = host.clock.now();
  const today = dateOf(now);
  const store = await epStore(exchange.sandbox, host.log);
  const auth = await authenticate({ host, sandbox: exchange.sandbox, transport: exchange.transport, cert: exchange.clientCert, authorization, security: req.security, nowMs: now });
  const acting = actingOf(req);
  const identifier = identifierOf(req);
  const record = identifier && req.operation !== 'ep4_creer' && req.operation !== 'ep2_rechercher' ? store.get(identifier) : undefined;
  const ins = req.operation === 'ep4_creer' ? req.prescription.patient.ins?.matricule : req.operation === 'ep2_rechercher' ? req.critere.ins?.matricule : record?.prescription.patient.ins?.matricule;
  const rpps = acting.pro?.rpps ?? auth.rpps;
  const facts: RequestFacts = { identifier, rpps, ins, role: acting.role, profession: acting.pro?.profession, authMode: auth.mode, idam: req.lps?.idam };

  const summary: Record<string, unknown> = { operation: req.operation, identifier, outcome: undefined, role: acting.role, rpps, authMode: auth.mode, idam: req.lps?.idam };
  if (ins) summary.ins = ins;
  exchange.summary = summary;
  await exchange.decide(req.operation, facts);

  const fail = (spec: FaultSpec, why: string) => {
    summary.outcome = `${spec.subcode}/${spec.code}`;
    summary.why = why;
    exchange.verdict('error', 'eprescription.refused', `${spec.code}: ${why}`);
    return faultResponse(spec, req.messageId);
  };
  const refuse = (r: Refusal) => fail(fault(r.code, r.detail), r.why);

  // 1. Scenario faults (transport, HTTP, soap-fault effects), then the eprescription.fault outcome.
  const forced = await scenarioFault(exchange, req.messageId);
  if (forced) return forced;
  // 2. Authentication.
  if (auth.fault) return fail(FAULTS[auth.fault], auth.problem ?? auth.fault);
  // 3. ContexteLPS and IDAM.
  if (!req.lps) {
    exchange.verdict('error', 'eprescription.contexte-lps', 'no ContexteLPS header (no IDAM: the software cannot be identified)');
    if (exchange.rejects) return fail(fault('desir_550', 'En-tête ContexteLPS absent : numéro d\'autorisation du logiciel inconnu.'), 'no ContexteLPS header');
  } else if (!idamKnown(req.lps.idam)) {
    return fail(FAULTS.desir_550, `unknown IDAM "${req.lps.idam ?? ''}"`);
  }
  if (!req.bamPresent) exchange.verdict('warning', 'eprescription.contexte-bam', 'no ContexteBAM header');
  // 4. Form.
  if (req.badIdentifier !== undefined) return fail(fault('ep_401', `Identifiant "${req.badIdentifier}" invalide : 18 caractères [0-9A-Z] attendus.`), `identifier "${req.badIdentifier}" is not 18 × [0-9A-Z]`);
  if (req.problems.length) return fail(fault('ep_400', `Requête non conforme : ${req.problems.join(' ; ')}.`), req.problems.join('; '));
  if (identifier && /[ILOQ]/.test(identifier)) exchange.verdict('warning', 'eprescription.identifier', `identifier ${identifier} has a character outside the base-32 alphabet segur-sim assumes (${ID_ALPHABET})`);
  // 5. The acting professional: the authenticated one in PSC and card modes (and with a personal certificate).
  if (auth.mode !== 'certificate' && !acting.pro?.rpps) {
    return fail(fault('ep_400', `Requête non conforme : ${acting.role === 'executant' ? 'Executant' : 'Prescripteur'}/RPPS est obligatoire hors authentification par certificat.`), `no ${acting.role} RPPS outside certificate mode`);
  }
  if (auth.rpps !== undefined && acting.pro?.rpps && acting.pro.rpps !== auth.rpps) {
    return fail(
      fault('ep_403', `Le professionnel authentifié (${auth.principal}) n'est pas le ${acting.role === 'executant' ? 'professionnel exécutant' : 'prescripteur'} de la requête (RPPS ${acting.pro.rpps}).`),
      `authenticated ${auth.principal} (${auth.mode}) is not the ${acting.role} ${acting.pro.rpps} of the body`,
    );
  }

  // 6. The operation.
  const dateEnregistrement = isoSeconds(now);
  switch (req.operation) {
    case 'ep4_creer': {
      const p = req.prescription;
      if (req.allocate) {
        p.identifiant = store.allocateId();
        summary.identifier = p.identifiant;
        summary.allocated = true;
      }
      if (exchange.outcome('eprescription.duplicate')) return fail(FAULTS.ep_402, `scenario outcome eprescription.duplicate (${exchange.decision?.channel})`);
      if (store.get(p.identifiant)) return fail(fault('ep_402', `L'e-prescription ${p.identifiant} est déjà enregistrée.`), `identifier ${p.identifiant} already registered`);
      for (const s of p.sousTypes) if (!(s in PRESCRIPTION_SUBTYPES)) exchange.verdict('warning', 'eprescription.sous-type', `SousType "${s}" is not a CI-SIS code of 1.2.250.1.213.1.1.4.322 (${Object.keys(PRESCRIPTION_SUBTYPES).join(', ')})`);
      await store.record({ t: 'create', at: dateEnregistrement, p });
      summary.outcome = 'OK';
      summary.lines = p.lignes.length;
      return ok(ep4Response(p.identifiant, dateEnregistrement));
    }
    case 'ep3_consulter': {
      if (exchange.outcome('eprescription.unknown')) return fail(FAULTS.ep_404, `scenario outcome eprescription.unknown (${exchange.decision?.channel})`);
      if (!record) return fail(fault('ep_404', `Aucune e-prescription n'a l'identifiant ${req.identifiant}.`), `unknown identifier ${req.identifiant}`);
      if (req.executant) {
        const refusal = executantAccess(record, today);
        if (refusal) return refuse(refusal);
      } else {
        if (!isPrescriberOf(record, req.prescripteur?.rpps)) {
          return fail(fault('ep_403', `Le prescripteur ${req.prescripteur?.rpps ?? ''} n'est ni l'auteur ni le prescripteur remplacé de l'e-prescription ${record.prescription.identifiant}.`), `prescriber ${req.prescripteur?.rpps} is not the author (or replaced prescriber)`);
        }
        if (exchange.outcome('eprescription.consent-refused')) return fail(FAULTS.ep_410, `scenario outcome eprescription.consent-refused (${exchange.decision?.channel})`);
        if (record.prescription.oppositionConsultationExecution) return fail(FAULTS.ep_410, 'the patient opposed the prescriber consulting executions (OppositionConsultationExecution true)');
      }
      const statut = statutOf(record, today);
      Object.assign(summary, { outcome: 'OK', statut, executions: record.executions.length });
      return ok(ep3Response(record, statut, lineStates(record)));
    }
    case 'ep2_rechercher': {
      const c = req.critere;
      if (req.executant && !c.ins && !(c.nomNaissance && c.prenom && c.dateNaissance)) {
        return fail(fault('ep_400', 'Requête non conforme : un exécutant doit désigner le patient (INS, ou NomNaissance + Prenom + DateNaissance).'), 'executant search without the patient (INS or traits)');
      }
      const results = search(store, req, c, today);
      Object.assign(summary, { outcome: 'OK', results: results.length });
      return ok(ep2Response(results));
    }
    case 'ep1_transmettreExecution': {
      if (exchange.outcome('eprescription.unknown')) return fail(FAULTS.ep_404, `scenario outcome eprescription.unknown (${exchange.decision?.channel})`);
      if (!record) return fail(fault('ep_404', `Aucune e-prescription n'a l'identifiant ${req.identifiant}.`), `unknown identifier ${req.identifiant}`);
      const refusal = executantAccess(record, today) ?? checkExecution(record, req.executant!, req.execution, (w) => exchange.verdict('warning', 'eprescription.execution', w));
      if (refusal) return refuse(refusal);
      const e: RecordedExecution = { numeroExecution: record.executions.length + 1, dateEnregistrement, executant: req.executant!, ...req.execution };
      // Checked and applied with no await in between: a concurrent execution sees this one.
      const written = store.record({ t: 'execute', at: dateEnregistrement, id: record.prescription.identifiant, e });
      const statut = statutOf(record, today);
      await written;
      Object.assign(summary, { outcome: 'OK', numeroExecution: e.numeroExecution, statut });
      return ok(ep1Response(e.numeroExecution, statut));
    }
    case 'ep7_annuler': {
      if (exchange.outcome('eprescription.unknown')) return fail(FAULTS.ep_404, `scenario outcome eprescription.unknown (${exchange.decision?.channel})`);
      if (!record) return fail(fault('ep_404', `Aucune e-prescription n'a l'identifiant ${req.identifiant}.`), `unknown identifier ${req.identifiant}`);
      if (record.prescription.prescripteur.rpps !== req.prescripteur?.rpps) {
        return fail(fault('ep_403', `Seul l'auteur de l'e-prescription ${record.prescription.identifiant} peut l'annuler.`), `prescriber ${req.prescripteur?.rpps} is not the author`);
      }
      if (record.cancelled) return refuse({ code: 'ep_407', detail: `L'e-prescription ${record.prescription.identifiant} est déjà annulée.`, why: 'already cancelled' });
      if (record.executions.length) {
        return refuse({ code: 'ep_411', detail: `L'e-prescription ${record.prescription.identifiant} a déjà ${record.executions.length} exécution(s) enregistrée(s).`, why: 'cancellation refused: executions recorded' });
      }
      await store.record({ t: 'cancel', at: dateEnregistrement, id: record.prescription.identifiant, ...(req.motif ? { motif: req.motif } : {}) });
      Object.assign(summary, { outcome: 'OK', statut: 'ANNULEE' });
      return ok(ep7Response('ANNULEE'));
    }
  }
}

function ok(xml: string): Response {
  return new Response(xml, { status: 200, headers: { 'content-type': SOAP12_CONTENT_TYPE } });
}

