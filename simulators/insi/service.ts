/**
 * INSi téléservice simulator: SOAP 1.2 on `/lps` (`rechercherInsAvecTraitsIdentite` / `RECSANSVITALE`,
 * `rechercherInsAvecCarteVitale` / `RECVITALE`), its WSDL at `GET /lps?wsdl`. See README.md.
 */
import { z } from 'zod';
import { nirKey } from '../../fixtures/nir.js';
import type { InsiPersona, World } from '../../fixtures/types.js';
import type { RequestFacts, RuleSpec } from '../../scenarios/engine/types.js';
import type { Exchange } from '../core/exchange.js';
import { rawHeader } from '../core/sandbox-routing.js';
import { serveWsdlGet } from '../core/soap/wsdl-get.js';
import type { HostContext } from '../core/host-context.js';
import type { HostApp, SimulatorService } from '../core/service.js';
import { authenticate } from './auth.js';
import { individuFromIns, parseRequest, resultatXml, type IndividuView, type InsiRequest } from './codec.js';
import { OID_NIR, OID_NIR_TEST, PADOA_IDAM, SOAP12_CONTENT_TYPE, type CrCode } from './constants.js';
import { FAULTS, badRequestFault, faultResponse, insiFault, type FaultCode, type FaultSpec } from './faults.js';
import { baseOf, normalizeTrait, searchByCard, searchByTraits, type BaseEntry } from './matching.js';
import { checkVitaleAssertion } from './vitale-assertion.js';
import { XSDS, wsdlXml } from './wsdl.js';

export interface InsiServiceOptions {
  /**
   * IDAM allow-list. Absent or empty (the default): every IDAM made of 1–32 letters and digits is accepted,
   * except those in `deniedIdams` (so `FAKE-IDAM`, padoa's unknown-IDAM test, is refused). When given, only
   * these IDAMs (and padoa's `PDP17NF21DD0`) are accepted. Environment: `SEGUR_SIM_INSI_IDAMS=A,B,C`.
   */
  allowedIdams?: string[];
  /** IDAMs always refused with siram_100 / desir_550. */
  deniedIdams?: string[];
  /** `qualif` (default): NIR INS carry OID .8, as qualif answers; `test`: the TEST OID .10. Environment: `SEGUR_SIM_INSI_OID=test`. */
  oid?: 'qualif' | 'test';
  /** Largest request body INSi accepts, in bytes (a search envelope is about 2–4 KB). */
  maxRequestBytes?: number;
}

/** IDAMs refused by default: the unknown IDAMs clients use in their own tests. */
export const DEFAULT_DENIED_IDAMS = ['FAKEIDAM', 'INCONNU', 'UNKNOWN', 'INVALIDE', '000000000000'];
const IDAM_SHAPE = /^[A-Za-z0-9]{1,32}$/;

const crOutcome = z.object({ cr: z.enum(['00', '01', '02']) }).strict();
const mismatchOutcome = z
  .object({ kind: z.enum(['accent', 'first-name-order', 'birth-place', 'sex', 'ins-change']), value: z.string().min(1).optional() })
  .strict();
const faultOutcome = z.object({ code: z.enum(['desir_1020', 'insi_102', 'desir_550', 'DESIR_560']) }).strict();
const oidOutcome = z.object({ oid: z.enum(['test', 'qualif']) }).strict();

export type MismatchKind = z.infer<typeof mismatchOutcome>['kind'];

const decoder = new TextDecoder();

function envList(name: string): string[] | undefined {
  const v = process.env[name];
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

export function createInsiService(options: InsiServiceOptions = {}): SimulatorService {
  const allowed = new Set((options.allowedIdams ?? envList('SEGUR_SIM_INSI_IDAMS') ?? []).map((s) => s.toUpperCase()));
  const denied = new Set((options.deniedIdams ?? DEFAULT_DENIED_IDAMS).map((s) => s.toUpperCase()));
  const defaultOid = options.oid ?? (process.env.SEGUR_SIM_INSI_OID === 'test' ? 'test' : 'qualif');
  const maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;

  const idamKnown = (idam: string | undefined): boolean => {
    if (!idam) return false;
    const up = idam.trim().toUpperCase();
    if (up === PADOA_IDAM) return true;
    if (!IDAM_SHAPE.test(up) || denied.has(up)) return false;
    return allowed.size === 0 || allowed.has(up);
  };

  return {
    id: 'insi',
    title: 'INSi',
    mounts: ['/lps'],
    outcomes: [
      { name: 'insi.cr', service: 'insi', description: 'Forces the CR of a search: 00 (first candidate; natural result when nothing matches), 01 Aucune identite trouvee, 02 Plusieurs identites trouvees.', params: crOutcome },
      { name: 'insi.mismatch', service: 'insi', description: 'A CR 00 whose returned traits differ from the searched ones: accent (spelling variant of the birth name), first-name-order, birth-place, sex, ins-change (new active INS, the searched one in INSHISTO).', params: mismatchOutcome },
      { name: 'insi.fault', service: 'insi', description: 'Answers a SIRAM fault: desir_1020 (service unavailable), insi_102 (technical error), desir_550 (unknown IDAM), DESIR_560 (insufficient rights).', params: faultOutcome, outage: true },
      { name: 'insi.oid', service: 'insi', description: 'OID of returned NIR INS: qualif (.8, as the real qualification answers) or test (.10).', params: oidOutcome },
    ],
    magicRules: insiMagicRules,
    renderError: (error) => insiFault(error, error.messageId),
    routes(app: HostApp, host: HostContext) {
      app.get('/lps', (c) =>
        serveWsdlGet(c, { path: '/lps', wsdl: wsdlXml, xsds: XSDS, serviceLabel: 'Le service INSi', fault: (message, status) => faultResponse(badRequestFault(message, status)) }),
      );

      app.post('/lps', async (c) => {
        const exchange = c.get('exchange');
        const rawHeaders = c.env?.incoming?.rawHeaders ?? [];
        const buf = await c.req.arrayBuffer();
        if (buf.byteLength > maxRequestBytes) {
          return reject(exchange, badRequestFault(`Requête trop volumineuse : ${buf.byteLength} octets (maximum ${maxRequestBytes}).`, 413));
        }
        const text = decoder.decode(buf);
        const contentType = rawHeader(rawHeaders, 'content-type') ?? '';
        const parsed = parseRequest(text);
        if (!parsed.ok) return reject(exchange, parsed.fault, parsed.messageId);
        const req = parsed.request;
        checkTransportHeaders(exchange, req, contentType);
        return serve(exchange, host, req, { idamKnown, defaultOid });
      });
    },
  };
}

export const insiService: SimulatorService = createInsiService();

// ---------------------------------------------------------------------------------------------------------

async function reject(exchange: Exchange, fault: FaultSpec, messageId?: string): Promise<Response> {
  exchange.verdict('error', 'insi.envelope', fault.reason);
  exchange.summary = { rejected: fault.reason };
  // Still consult the engine: an unknown X-Segur-Scenario must be reported, the journal shows the decision, and
  // an outage (a scenario fault) hides the service before it even reads the body.
  await exchange.decide('invalid');
  const forced = await scenarioFault(exchange, messageId);
  if (forced) return forced;
  return faultResponse(fault, messageId);
}

/** The scenario's transport, HTTP or SOAP fault (SOAP ones in the siram shape, messageID echoed), else `insi.fault`. */
async function scenarioFault(exchange: Exchange, messageId: string | undefined): Promise<Response | undefined> {
  exchange.messageId = messageId;
  const soapFault = exchange.decision?.effects.find((e) => e.kind === 'soapFault');
  if (soapFault?.kind === 'soapFault') exchange.summary.fault = `${soapFault.subcode ?? ''}/${soapFault.code}`;
  const forced = await exchange.fault();
  if (forced) return forced;
  const outcome = exchange.outcome<{ code: FaultCode }>('insi.fault');
  if (outcome) {
    exchange.summary.fault = `${FAULTS[outcome.code].subcode}/${outcome.code}`;
    exchange.summary.why = `scenario outcome insi.fault (${exchange.decision?.channel})`;
    return faultResponse(FAULTS[outcome.code], messageId);
  }
  return undefined;
}

function checkTransportHeaders(exchange: Exchange, req: InsiRequest, contentType: string): void {
  const ct = contentType.toLowerCase();
  if (!ct.startsWith('application/soap+xml')) {
    exchange.verdict('warning', 'insi.content-type', `Content-Type "${contentType}" is not application/soap+xml (SOAP 1.2)`);
  }
  const action = /action="?([^";]+)"?/i.exec(contentType)?.[1];
  const expected = `urn:ServiceIdentiteCertifiee:1.0.0:${req.operation}`;
  if (action && action !== expected) exchange.verdict('warning', 'insi.action', `Content-Type action "${action}" does not match the body (${expected})`);
  if (!req.action) exchange.verdict('warning', 'insi.wsa-action', 'no wsa:Action header (every known client sends it)');
  else if (req.action !== expected) exchange.verdict('warning', 'insi.wsa-action', `wsa:Action "${req.action}" does not match the body (${expected})`);
  if (!req.messageId) exchange.verdict('warning', 'insi.message-id', 'no wsa:MessageID header (faults echo it)');
  if (req.dispatch === 'action') exchange.verdict('warning', 'insi.body', `body root ${req.bodyRoot} is not a known INSi element; dispatched on wsa:Action`);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const COG = /^[0-9][0-9AB][0-9]{3}$/;
const NUM13 = /^\d{6}[AB0-9]\d{6}$/;

function validateTraits(exchange: Exchange, req: InsiRequest): string[] {
  const problems: string[] = [];
  if (req.traits) {
    const t = req.traits;
    if (!t.nomNaissance) problems.push('NomNaissance is missing');
    if (t.prenoms.length === 0 || t.prenoms.every((p) => !p)) problems.push('Prenom is missing');
    if (!t.sexe) problems.push('Sexe is missing');
    else if (t.sexe !== 'M' && t.sexe !== 'F') problems.push(`Sexe "${t.sexe}" is not M or F`);
    if (!t.dateNaissance) problems.push('DateNaissance is missing');
    else if (!DATE.test(t.dateNaissance)) problems.push(`DateNaissance "${t.dateNaissance}" is not YYYY-MM-DD`);
    if (t.lieuNaissance && !COG.test(t.lieuNaissance)) problems.push(`LieuNaissance "${t.lieuNaissance}" is not a 5-character COG`);
    if (t.prenoms.length > 1) exchange.verdict('warning', 'insi.prenom', `${t.prenoms.length} Prenom elements: validated clients send one; they are searched joined by a space`);
    for (const [field, value] of [['NomNaissance', t.nomNaissance], ['Prenom', t.prenoms.join(' ')]] as const) {
      if (value && normalizeTrait(value) !== value) exchange.verdict('info', 'insi.rniv', `${field} "${value}" is not in RNIV strict form (searched as "${normalizeTrait(value)}")`);
    }
  }
  if (req.vitale) {
    const v = req.vitale;
    const ind = v.matriculeIndividu?.numIdentifiant;
    const od = v.matriculeOD?.numIdentifiant;
    if (!ind && !od) problems.push('neither MatriculeIndividu nor MatriculeOD is given');
    if (ind && !NUM13.test(ind)) problems.push(`MatriculeIndividu/NumIdentifiant "${ind}" is not 13 characters`);
    if (od && !NUM13.test(od)) problems.push(`MatriculeOD/NumIdentifiant "${od}" is not 13 characters`);
    if (!v.nomNaissance) problems.push('NomNaissance is missing');
    if (!v.dateNaissance) problems.push('DateNaissance is missing');
    else if (!DATE.test(v.dateNaissance)) problems.push(`DateNaissance "${v.dateNaissance}" is not YYYY-MM-DD`);
    if (v.rangNaissance && !/^\d{1,2}$/.test(v.rangNaissance)) problems.push(`RangNaissance "${v.rangNaissance}" is not an integer`);
  }
  for (const p of problems) exchange.verdict('error', 'insi.body', p);
  return problems;
}

interface ServeOptions {
  idamKnown: (idam: string | undefined) => boolean;
  defaultOid: 'qualif' | 'test';
}

async function serve(exchange: Exchange, host: HostContext, req: InsiRequest, opts: ServeOptions): Promise<Response> {
  const now = host.clock.now();
  const auth = authenticate(exchange.transport, exchange.clientCert, req.security, now);
  const base = baseOf(exchange.sandbox.world);
  const facts: RequestFacts = { idam: req.lps?.idam, authMode: auth.mode, cn: auth.cn };

  let matches: BaseEntry[];
  const searchedIns: string[] = [];
  let traitsSummary: Record<string, unknown>;
  if (req.traits) {
    const { matches: m, searched } = searchByTraits(base, req.traits);
    matches = m;
    facts.birthName = searched.nom || undefined;
    facts.firstName = searched.prenom || undefined;
    facts.sex = searched.sexe || undefined;
    facts.birthDate = searched.date || undefined;
    facts.birthPlace = searched.lieu || undefined;
    traitsSummary = { ...searched };
  } else {
    const v = req.vitale!;
    matches = searchByCard(base, v);
    for (const m of [v.matriculeIndividu, v.matriculeOD]) if (m?.numIdentifiant) searchedIns.push(m.numIdentifiant + (m.cle ?? ''));
    facts.birthName = normalizeTrait(v.nomNaissance) || undefined;
    facts.birthDate = v.dateNaissance || undefined;
    traitsSummary = { matriculeIndividu: v.matriculeIndividu?.numIdentifiant, matriculeOD: v.matriculeOD?.numIdentifiant, nom: v.nomNaissance, date: v.dateNaissance, rang: v.rangNaissance };
  }
  const insFacts = [...searchedIns, ...matches.map((m) => m.ins.matricule)];
  facts.ins = insFacts.length === 0 ? undefined : insFacts.length === 1 ? insFacts[0] : insFacts;

  const summary: Record<string, unknown> = { operation: req.operation, authMode: auth.mode, idam: req.lps?.idam, searched: traitsSummary };
  exchange.summary = summary;
  await exchange.decide(req.operation, facts);

  const fail = (fault: FaultSpec, why: string) => {
    summary.fault = `${fault.subcode}/${fault.code}`;
    summary.why = why;
    return faultResponse(fault, req.messageId);
  };

  // 1. Scenario faults (transport, HTTP, soap-fault effects), then the insi.fault outcome.
  const forced = await scenarioFault(exchange, req.messageId);
  if (forced) return forced;

  // 2. Authentication.
  if (auth.fault) {
    exchange.verdict('error', 'insi.auth', auth.problem ?? auth.fault);
    return fail(FAULTS[auth.fault], auth.problem ?? auth.fault);
  }
  // 3. ContexteLPS and IDAM.
  if (!req.lps) {
    exchange.verdict('error', 'insi.contexte-lps', 'no ContexteLPS header');
    if (exchange.rejects) return fail(FAULTS.insi_401, 'no ContexteLPS header');
  } else {
    if (!req.lps.version) exchange.verdict('warning', 'insi.contexte-lps', 'ContexteLPS without the required Version attribute');
    if (!req.lps.id || !req.lps.temps || !req.lps.emetteur) exchange.verdict('warning', 'insi.contexte-lps', 'ContexteLPS lacks Id, Temps or Emetteur');
    if (!opts.idamKnown(req.lps.idam)) {
      exchange.verdict('error', 'insi.idam', `IDAM "${req.lps.idam ?? ''}" is not an authorised software number`);
      return fail(FAULTS.desir_550, `unknown IDAM "${req.lps.idam ?? ''}"`);
    }
    if (auth.mode === 'certificate' && auth.principal && req.lps.emetteur && req.lps.emetteur !== auth.principal) {
      exchange.verdict('info', 'insi.emetteur', `Emetteur "${req.lps.emetteur}" differs from the certificate OU "${auth.principal}"`);
    }
  }
  if (!req.bamPresent) exchange.verdict('warning', 'insi.contexte-bam', 'no ContexteBAM header');
  // 4. Body.
  const problems = validateTraits(exchange, req);
  if (problems.length && exchange.rejects) {
    return fail({ ...FAULTS.insi_400, detail: `Requête non conforme : ${problems.join('; ')}.` }, problems.join('; '));
  }
  // 5. Vitale assertion (RECVITALE).
  if (req.vitale) {
    const vit = checkVitaleAssertion(req.security, now);
    if (!vit.ok) {
      exchange.verdict('error', 'insi.vitale-assertion', vit.problems.join('; '));
      return fail(vit.reason === 'expired' ? FAULTS.insi_302 : FAULTS.insi_301, vit.problems.join('; '));
    }
    summary.vitaleCard = vit.assertion.serialNumber;
    const od = req.vitale.matriculeOD?.numIdentifiant;
    if (od && vit.assertion.nirOuvrantDroit.slice(0, 13) !== od) {
      exchange.verdict('error', 'insi.vitale-assertion', `the assertion's NirOuvrantDroit ${vit.assertion.nirOuvrantDroit} is not the request's MatriculeOD ${od} (card changed?)`);
      return fail(FAULTS.insi_303, 'card changed between the assertion and the request');
    }
  }

  // 6. Result.
  let cr: CrCode = matches.length === 0 ? '01' : matches.length === 1 ? '00' : '02';
  const forcedCr = exchange.outcome<{ cr: CrCode }>('insi.cr');
  if (forcedCr && !(forcedCr.cr === '00' && matches.length === 0)) cr = forcedCr.cr;
  const oidMode = exchange.outcome<{ oid: 'test' | 'qualif' }>('insi.oid')?.oid ?? opts.defaultOid;
  let individu: IndividuView | undefined;
  if (cr === '00') {
    const entry = matches[0]!;
    individu = individuFromIns(entry.ins, oidMode === 'test' ? (o) => (o === OID_NIR ? OID_NIR_TEST : o) : undefined);
    const mismatch = exchange.outcome<{ kind: MismatchKind; value?: string }>('insi.mismatch');
    if (mismatch) {
      individu = applyMismatch(individu, mismatch.kind, mismatch.value, host.clock.now());
      summary.mismatch = mismatch.kind;
    }
  }
  summary.cr = cr;
  summary.candidates = matches.length;
  if (individu) summary.ins = individu.numIdentifiant + individu.cle;
  return new Response(resultatXml(cr, individu), { status: 200, headers: { 'content-type': SOAP12_CONTENT_TYPE } });
}

// ---------------------------------------------------------------------------------------------------------
// Mismatch outcomes

/**
 * Spelling variant of a birth name as INSi could hold it (returned traits are unaccented upper case, so an
 * "accent" difference shows as another spelling): hyphen → space, else space → hyphen, else apostrophe
 * dropped, else an umlaut transliteration (E inserted after the first A/O/U: MULLER → MUELLER).
 */
export function spellingVariant(name: string): string {
  if (name.includes('-')) return name.replace(/-+/g, ' ');
  if (name.includes(' ')) return name.replace(/ /g, '-');
  if (name.includes("'")) return name.replace(/'/g, '');
  const i = name.search(/[AOU]/);
  return i === -1 ? `${name}E` : `${name.slice(0, i + 1)}E${name.slice(i + 1)}`;
}

function applyMismatch(ind: IndividuView, kind: MismatchKind, value: string | undefined, nowMs: number): IndividuView {
  const traits = { ...ind.traits };
  switch (kind) {
    case 'accent':
      traits.nomNaissance = value ?? spellingVariant(traits.nomNaissance);
      return { ...ind, traits };
    case 'first-name-order': {
      const names = traits.listePrenom.split(' ');
      traits.listePrenom = value ?? (names.length > 1 ? [...names.slice(1), names[0]!].join(' ') : traits.listePrenom);
      return { ...ind, traits };
    }
    case 'birth-place':
      traits.lieuNaissance = value ?? (traits.lieuNaissance === '99999' ? '63220' : '99999');
      return { ...ind, traits };
    case 'sex':
      traits.sexe = traits.sexe === 'M' ? 'F' : 'M';
      return { ...ind, traits };
    case 'ins-change': {
      // A new active matricule (order number + 1, key recomputed); the searched one moves to INSHISTO.
      let num = value && /^\d{6}[AB0-9]\d{6}$/.test(value.slice(0, 13)) ? value.slice(0, 13) : undefined;
      if (!num) {
        const order = (Number(ind.numIdentifiant.slice(10)) + 1) % 1000;
        num = ind.numIdentifiant.slice(0, 10) + String(order).padStart(3, '0');
      }
      const today = new Date(nowMs).toISOString().slice(0, 10);
      const previous = { matricule: ind.numIdentifiant + ind.cle, numIdentifiant: ind.numIdentifiant, cle: ind.cle, oid: ind.oid, dateFin: today };
      return { ...ind, numIdentifiant: num, cle: nirKey(num), history: [...ind.history, previous] };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Magic rules

/**
 * One rule per magic patient and per behaving persona, so the journal shows channel `magic`:
 * `insi-cr01` → CR 01, `insi-homonym` → CR 02 when searched without LieuNaissance, `insi-technical-error` →
 * insi_102; personas `always-cr01` (HOUILLES), `technical-error` (D'ÆION), `homonym-without-cog` (DE VINCI).
 */
export function insiMagicRules(world: World): RuleSpec[] {
  const rules: RuleSpec[] = [];
  for (const p of world.patients) {
    if (!p.magic?.length || !p.ins) continue;
    const ins = p.ins.matricule;
    for (const tag of p.magic) {
      if (tag === 'insi-cr01') rules.push({ id: `magic-${p.id}-cr01`, description: `${p.id}: insi-cr01`, match: { service: 'insi', facts: { ins } }, effects: [{ outcome: { name: 'insi.cr', with: { cr: '01' } } }] });
      else if (tag === 'insi-homonym') rules.push({ id: `magic-${p.id}-homonym`, description: `${p.id}: insi-homonym (02 without LieuNaissance)`, match: { service: 'insi', facts: { ins, birthPlace: { exists: false } } }, effects: [{ outcome: { name: 'insi.cr', with: { cr: '02' } } }] });
      else if (tag === 'insi-technical-error') rules.push({ id: `magic-${p.id}-technical-error`, description: `${p.id}: insi-technical-error`, match: { service: 'insi', facts: { ins } }, effects: [{ outcome: { name: 'insi.fault', with: { code: 'insi_102' } } }] });
    }
  }
  const byTraits = (p: InsiPersona) => ({ birthName: p.nomNaissance, birthDate: p.dateNaissance });
  for (const p of world.personas) {
    if (p.behaviour === 'always-cr01') rules.push({ id: `magic-${p.id}`, description: `persona ${p.id}: always CR 01`, match: { service: 'insi', facts: byTraits(p) }, effects: [{ outcome: { name: 'insi.cr', with: { cr: '01' } } }] });
    else if (p.behaviour === 'technical-error') rules.push({ id: `magic-${p.id}`, description: `persona ${p.id}: insi_102 (qualif answered a technical error)`, match: { service: 'insi', facts: byTraits(p) }, effects: [{ outcome: { name: 'insi.fault', with: { code: 'insi_102' } } }] });
    else if (p.behaviour === 'homonym-without-cog' && p.ins) rules.push({ id: `magic-${p.id}`, description: `persona ${p.id}: CR 02 without LieuNaissance`, match: { service: 'insi', facts: { ins: p.ins.matricule, birthPlace: { exists: false } } }, effects: [{ outcome: { name: 'insi.cr', with: { cr: '02' } } }] });
  }
  return rules;
}
