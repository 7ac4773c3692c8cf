/**
 * HL7v3 and DMP-specific transactions: TD0.2, TD1.3a (PRPA_IN201307UV02), TD1.3b, TD1.4, TD1.2
 * (PRPA_IN201314UV02), TD1.1 (PRPA_IN201311UV02), TD0.5 (PDQ), TD0.3 and TD1.6 (habilitations), TD0.4
 * (patientsSpecific). Each handler reads its request with its codec, asks rights.ts, changes the dossier
 * through `store.record` (dossier.* events), traces the access, and answers in the transaction's shape.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { ACTIONS, NS, type DmpEndpoint } from '../constants.js';
import { adminOf, INS_OIDS, insKey, type Dossier, type PatientAdmin } from '../dossiers.js';
import { checkAccess, DMP_CODES, dossierFor, isMedecinTraitant, traceAccess, type RightsDecision } from '../rights.js';
import { DmpFault, type DmpCall, type DmpHandler, type DmpReply } from '../types.js';
import { h, hl7Time, insC, parseHl7Time, readHeader, type AckDetail, type Hl7Header } from './common.js';
import { OBS } from './patient.js';
import { renderQueryResponse, readPatientQuery, type QueryOutcome } from './td02.js';
import { readRegistrationRequest, renderRegistrationResponse } from './registration.js';
import { renderSetAuthorizationResponse, readSetAuthorization, SET_AUTHORIZATION_CONTEXT as CTX } from './td03.js';
import { readPatientList, renderPatientListResponse, type PatientListEntry } from './td04.js';
import { readPdqQuery, renderPdqResponse, type PdqMatch } from './td05.js';
import { readListAuthorization, renderListAuthorizationResponse, type AuthorizationEntry } from './td16.js';
import { DMP_OK } from './specific.js';
import { professionalLabel } from './people.js';

export interface Hl7HandlerEntry {
  endpoint: DmpEndpoint;
  /** Name in the journal and in scenario `operation` matchers (`TD0.2`...). */
  operation: string;
  /** The precise operation of one request when one action carries several transactions (TD0.2/TD1.3a...). */
  operationOf?: (body: XmlEl) => string;
  handle: DmpHandler;
}

const INS_PATTERN = /^[0-9][0-9AB][0-9]{13}$/;

function expectBody(call: DmpCall, name: string, ns: string): void {
  if (call.body.name !== name || call.body.ns !== ns) {
    throw new DmpFault(400, 'InvalidMessage', `the SOAP Body holds {${call.body.ns}}${call.body.name}; the action ${call.action} expects {${ns}}${name}`);
  }
}

function summarise(call: DmpCall, fields: Record<string, unknown>): void {
  Object.assign(call.exchange.summary, fields);
}

function refusal(decision: RightsDecision): AckDetail {
  return { code: decision.code ?? DMP_CODES.denied, text: decision.reason };
}

/** INS of the message vs VIHF resource-id: both name the patient; a difference is an error [I]. */
function checkInsCoherence(call: DmpCall, ins: string): AckDetail | undefined {
  const vihfIns = call.vihf.patientIns;
  if (vihfIns && insKey(vihfIns) !== insKey(ins)) {
    const text = `l’INS du message (${ins}) diffère de celui du VIHF (resource-id ${vihfIns})`;
    call.exchange.verdict('error', 'dmp.ins-coherence', text);
    if (call.exchange.rejects) return { code: DMP_CODES.invalidRequest, text };
  }
  return undefined;
}

function checkInsOid(call: DmpCall, oid: string | undefined): void {
  if (oid && !INS_OIDS.has(oid)) call.exchange.verdict('warning', 'dmp.ins-oid', `INS OID ${oid} is none of ${[...INS_OIDS].join(', ')}`);
}

// ---- TD0.2 / TD1.3a ------------------------------------------------------------------------------------------

function queryReason(body: XmlEl): string | undefined {
  return h(h(body, 'controlActProcess'), 'reasonCode')?.attrs.code;
}

const patientQuery: DmpHandler = async (call) => {
  expectBody(call, 'PRPA_IN201307UV02', NS.hl7);
  const header = readHeader(call.body);
  const query = readPatientQuery(header);
  const reason = query.reason === 'CNSLT_DATA' ? 'CNSLT_DATA' : 'TEST_EXST';
  const operation = reason === 'CNSLT_DATA' ? 'TD1.3a' : 'TD0.2';
  const reply = (outcome: QueryOutcome): DmpReply => ({ action: ACTIONS.td02Response, body: renderQueryResponse({ call, header, query, reason, outcome }) });
  summarise(call, { td: operation, ins: query.ins });
  if (query.reason !== 'TEST_EXST' && query.reason !== 'CNSLT_DATA') {
    call.exchange.verdict('error', 'dmp.reason-code', `reasonCode "${query.reason ?? ''}" is neither TEST_EXST nor CNSLT_DATA`);
    summarise(call, { queryResponseCode: 'QE' });
    return reply({ kind: 'error', detail: { code: DMP_CODES.invalidRequest, text: `reasonCode "${query.reason ?? ''}" inconnu (TEST_EXST ou CNSLT_DATA)` }, queryResponseCode: 'QE' });
  }
  if (!query.ins || !INS_PATTERN.test(query.ins)) {
    call.exchange.verdict('error', 'dmp.ins', `patientIdentifier "${query.ins ?? ''}" is not a 15-character INS`);
    summarise(call, { queryResponseCode: 'QE' });
    return reply({ kind: 'error', detail: { code: DMP_CODES.invalidRequest, text: 'parameterList/patientIdentifier: INS absent ou mal formé' }, queryResponseCode: 'QE' });
  }
  checkInsOid(call, query.insOid);
  const incoherent = checkInsCoherence(call, query.ins);
  if (incoherent) return reply({ kind: 'error', detail: incoherent });

  const dossier = dossierFor(call, query.ins);
  const decision = checkAccess(call, dossier, reason === 'TEST_EXST' ? 'existence' : 'admin-data');
  const authorization = decision.authorization ?? 'NON_EXISTE';
  let outcome: QueryOutcome;
  if (!dossier) outcome = { kind: 'not-found', authorization: 'NON_EXISTE' };
  else if (!decision.allowed) outcome = { kind: 'error', detail: refusal(decision) };
  else outcome = { kind: 'found', dossier, authorization, mt: isMedecinTraitant(dossier, call.vihf.nameId) };
  summarise(call, {
    queryResponseCode: outcome.kind === 'found' ? 'OK' : outcome.kind === 'not-found' ? 'NF' : 'AE',
    authorization,
    status: dossier?.status,
    ...(decision.allowed ? {} : { refused: decision.code, reason: decision.reason }),
  });
  await traceAccess(call, dossier, operation, decision.allowed ? 'ok' : 'refused');
  return reply(outcome);
};

// ---- TD1.3b / TD1.4 / TD1.2 -----------------------------------------------------------------------------------

const REVISE_OPERATIONS: Record<string, string> = { MODIF_DATA: 'TD1.3b', FERM: 'TD1.4', REAC: 'TD1.2' };

const patientRevise: DmpHandler = async (call) => {
  expectBody(call, 'PRPA_IN201314UV02', NS.hl7);
  const header = readHeader(call.body);
  const req = readRegistrationRequest(header);
  const reason = req.reason === 'MODIF_DATA' || req.reason === 'FERM' || req.reason === 'REAC' ? req.reason : undefined;
  const operation = reason ? REVISE_OPERATIONS[reason]! : 'TD1.3b';
  const reject = (detail: AckDetail): DmpReply => {
    summarise(call, { ack: 'AE', refused: detail.code, reason: detail.text });
    return { action: ACTIONS.td13bResponse, body: renderRegistrationResponse({ call, header, request: 'PRPA_IN201314UV02', reason: reason ?? 'MODIF_DATA', result: { ok: false, detail } }) };
  };
  const ins = req.patient.ins ?? call.vihf.patientIns;
  summarise(call, { td: operation, ins, reasonCode: req.reason });
  if (!reason) {
    call.exchange.verdict('error', 'dmp.reason-code', `reasonCode "${req.reason ?? ''}" is none of MODIF_DATA, FERM, REAC`);
    return reject({ code: DMP_CODES.invalidRequest, text: `reasonCode "${req.reason ?? ''}" inconnu (MODIF_DATA, FERM ou REAC)` });
  }
  if (!ins || !INS_PATTERN.test(insKey(ins))) return reject({ code: DMP_CODES.invalidRequest, text: 'subject1/patient/id: INS absent ou mal formé' });
  checkInsOid(call, req.patient.insOid);
  const incoherent = checkInsCoherence(call, ins);
  if (incoherent) return reject(incoherent);
  if (req.authorId && req.authorId !== call.vihf.nameId) call.exchange.verdict('warning', 'dmp.author', `author/assignedEntity/id ${req.authorId} differs from the VIHF NameID ${call.vihf.nameId}`);

  const dossier = dossierFor(call, ins);
  const decision = checkAccess(call, dossier, reason === 'MODIF_DATA' ? 'admin-update' : reason === 'FERM' ? 'close' : 'reactivate');
  if (!decision.allowed || !dossier) {
    await traceAccess(call, dossier, { operation, code: decision.code }, 'refused');
    return reject(refusal(decision));
  }
  const base = { at: call.now, ins: dossier.ins, by: call.vihf.nameId };
  let status: 'active' | 'terminated' = 'active';
  let admin: PatientAdmin = dossier.admin;
  if (reason === 'FERM') {
    if (req.patient.statusCode && req.patient.statusCode !== 'terminated') call.exchange.verdict('warning', 'dmp.status-code', `a closing request carries patient statusCode "${req.patient.statusCode}" (expected terminated)`);
    await call.store.record({ ...base, t: 'dossier.closed', reason: req.issueCode ?? 'FERMETURE_DEMANDE_PATIENT', text: req.issueText });
    status = 'terminated';
  } else if (reason === 'REAC') {
    const consent = req.patient.observations.get(OBS.consentementReactivation.code);
    if (consent === false) return reject({ code: DMP_CODES.invalidRequest, text: 'CONSENTEMENT_REACTIVATION_DMP à false: réactivation impossible sans le consentement du patient' });
    await call.store.record({ ...base, t: 'dossier.reactivated' });
  } else {
    const changes: Partial<PatientAdmin> = { ...req.patient.admin };
    const oppositions: Partial<Dossier['oppositions']> = {};
    const bdg = req.patient.observations.get(OBS.oppositionBdg.code);
    const urg = req.patient.observations.get(OBS.oppositionUrgence.code);
    if (bdg !== undefined) oppositions.brisDeGlace = bdg;
    if (urg !== undefined) oppositions.accesUrgence = urg;
    await call.store.record({ ...base, t: 'dossier.admin', admin: changes, oppositions, ...(req.patient.legalRepresentatives ? { legalRepresentatives: req.patient.legalRepresentatives } : {}) });
    admin = call.store.dossiers.get(dossier.ins)?.admin ?? { ...admin, ...changes };
  }
  summarise(call, { ack: 'AA', status });
  await traceAccess(call, dossier, operation, 'ok');
  return { action: ACTIONS.td13bResponse, body: renderRegistrationResponse({ call, header, request: 'PRPA_IN201314UV02', reason, result: { ok: true, status, admin } }) };
};

// ---- TD1.1 --------------------------------------------------------------------------------------------------

const patientAdd: DmpHandler = async (call) => {
  expectBody(call, 'PRPA_IN201311UV02', NS.hl7);
  const header = readHeader(call.body);
  const req = readRegistrationRequest(header);
  const reject = (detail: AckDetail): DmpReply => {
    summarise(call, { ack: 'AE', refused: detail.code, reason: detail.text });
    return { action: ACTIONS.td11Response, body: renderRegistrationResponse({ call, header, request: 'PRPA_IN201311UV02', reason: 'CREA_RD', result: { ok: false, detail } }) };
  };
  const ins = req.patient.ins ?? call.vihf.patientIns;
  summarise(call, { td: 'TD1.1', ins, reasonCode: req.reason });
  if (req.reason !== 'CREA_RD') call.exchange.verdict('warning', 'dmp.reason-code', `reasonCode "${req.reason ?? ''}" (expected CREA_RD)`);
  if (!ins || !INS_PATTERN.test(insKey(ins))) return reject({ code: DMP_CODES.invalidRequest, text: 'subject1/patient/id: INS absent ou mal formé' });
  checkInsOid(call, req.patient.insOid);
  const incoherent = checkInsCoherence(call, ins);
  if (incoherent) return reject(incoherent);
  const existing = dossierFor(call, ins);
  const decision = checkAccess(call, existing, 'create');
  if (!decision.allowed) {
    await traceAccess(call, existing, { operation: 'TD1.1', code: decision.code }, 'refused');
    return reject(refusal(decision));
  }
  if (req.patient.observations.get(OBS.consentementOuverture.code) !== true) {
    return reject({ code: DMP_CODES.invalidRequest, text: 'CONSENTEMENT_OUVERTURE_DMP absent ou à false: création impossible sans le consentement du patient' });
  }
  const key = insKey(ins);
  const patient = call.store.dossiers.patientByIns(key);
  const fromWorld = patient ? adminOf(patient) : undefined;
  const given = req.patient.admin;
  const admin: PatientAdmin = {
    ...(fromWorld ?? { given: '', family: '', sex: 'M', birthDate: '', telecoms: [], deceased: false }),
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
  } as PatientAdmin;
  if (!admin.family || !admin.given || !admin.birthDate) return reject({ code: DMP_CODES.invalidRequest, text: 'patientPerson: nom, prénom et date de naissance sont requis pour créer un DMP' });
  await call.store.record({
    t: 'dossier.created',
    at: call.now,
    ins: key,
    patientId: patient?.id,
    insOid: req.patient.insOid,
    admin,
    oppositions: { brisDeGlace: req.patient.observations.get(OBS.oppositionBdg.code) ?? false, accesUrgence: req.patient.observations.get(OBS.oppositionUrgence.code) ?? false },
    by: call.vihf.nameId,
  });
  summarise(call, { ack: 'AA', status: 'active' });
  await traceAccess(call, call.store.dossiers.get(key), 'TD1.1', 'ok');
  return { action: ACTIONS.td11Response, body: renderRegistrationResponse({ call, header, request: 'PRPA_IN201311UV02', reason: 'CREA_RD', result: { ok: true, status: 'active', admin } }) };
};

// ---- TD0.5 --------------------------------------------------------------------------------------------------

/** Upper case, no accents, letters only: how names are compared for PDQ [I]. */
export function normaliseName(s: string | undefined): string {
  return (s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '');
}

const PDQ_MAX_RESULTS = 20;

const pdq: DmpHandler = async (call) => {
  expectBody(call, 'PRPA_IN201305UV02', NS.hl7);
  const header = readHeader(call.body);
  const query = readPdqQuery(header);
  const reply = (result: Parameters<typeof renderPdqResponse>[0]['result']): DmpReply => ({ action: ACTIONS.td05Response, body: renderPdqResponse({ call, header, query, result }) });
  summarise(call, { td: 'TD0.5', family: query.family, given: query.given, birthDate: query.birthDate });
  const decision = checkAccess(call, undefined, 'pdq');
  if (!decision.allowed) {
    summarise(call, { refused: decision.code, reason: decision.reason });
    return reply({ ok: false, detail: refusal(decision), queryResponseCode: 'AE' });
  }
  const family = normaliseName(query.family);
  if (!family) return reply({ ok: false, detail: { code: DMP_CODES.invalidRequest, text: 'livingSubjectName/value/family est requis' }, queryResponseCode: 'QE' });
  const given = normaliseName(query.given);
  const matches: PdqMatch[] = [];
  for (const d of call.store.dossiers.list()) {
    if (d.status !== 'active') continue;
    const names = [normaliseName(d.admin.family), normaliseName(d.admin.birthName)].filter(Boolean);
    let score = names.includes(family) ? 100 : names.some((n) => n.startsWith(family)) ? 70 : 0;
    if (!score) continue;
    if (given) {
      const g = normaliseName(d.admin.given);
      if (g !== given && !g.startsWith(given)) continue;
    }
    if (query.birthDate && d.admin.birthDate !== query.birthDate) continue;
    if (query.sex && d.admin.sex !== query.sex) continue;
    if (!given && !query.birthDate) score = Math.min(score, 100);
    matches.push({ dossier: d, score });
  }
  matches.sort((x, y) => y.score - x.score);
  summarise(call, { results: matches.length });
  return reply({ ok: true, matches: matches.slice(0, PDQ_MAX_RESULTS), total: matches.length });
};

// ---- TD0.3 --------------------------------------------------------------------------------------------------

const setAuthorization: DmpHandler = async (call) => {
  expectBody(call, 'setAuthorization', NS.habilitations);
  const req = readSetAuthorization(call.body);
  const reply = (status: string, context: string | undefined): DmpReply => {
    summarise(call, { status, context });
    return { action: ACTIONS.setAuthorizationResponse, body: renderSetAuthorizationResponse(status, context) };
  };
  const ins = call.vihf.patientIns;
  summarise(call, { td: 'TD0.3', ins, action: req.action, role: req.role });
  if (req.action !== 'AJOUT' && req.action !== 'SUPPRESSION') {
    call.exchange.verdict('error', 'dmp.td03', `action "${req.action ?? ''}" is neither AJOUT nor SUPPRESSION`);
    return reply(DMP_CODES.invalidRequest, `action "${req.action ?? ''}" inconnue (AJOUT ou SUPPRESSION)`);
  }
  if (req.role && req.role !== 'MEDECIN_TRAITANT') {
    call.exchange.verdict('error', 'dmp.td03', `role "${req.role}" is not MEDECIN_TRAITANT`);
    return reply(DMP_CODES.invalidRequest, `role "${req.role}" inconnu (MEDECIN_TRAITANT)`);
  }
  if (!ins) return reply(DMP_CODES.invalidRequest, 'le VIHF ne porte pas l’INS du patient (attribut resource-id)');
  const dossier = dossierFor(call, ins);
  const mt = req.role === 'MEDECIN_TRAITANT';
  const decision = checkAccess(call, dossier, req.action === 'AJOUT' ? (mt ? 'declare-mt' : 'set-authorization') : mt ? 'remove-mt' : 'remove-authorization');
  if (!decision.allowed || !dossier) {
    await traceAccess(call, dossier, { operation: 'TD0.3', code: decision.code }, 'refused');
    return reply(decision.code ?? DMP_CODES.denied, decision.reason);
  }
  const me = call.vihf.nameId;
  const current = decision.authorization ?? 'NON_EXISTE';
  const base = { at: call.now, ins: dossier.ins };
  let context: string;
  if (req.action === 'AJOUT') {
    if (current !== 'VALIDE') await call.store.record({ ...base, t: 'dossier.authorization', idNat: me, status: 'VALIDE' });
    if (mt) {
      if (dossier.medecinTraitant === me && current === 'VALIDE') context = CTX.mtAlready;
      else {
        await call.store.record({ ...base, t: 'dossier.mt', idNat: me });
        context = CTX.mtAdded;
      }
    } else context = current === 'VALIDE' ? CTX.alreadyPresent : current === 'EXPIRE' ? CTX.renewed : CTX.added;
  } else if (mt) {
    await call.store.record({ ...base, t: 'dossier.mt', idNat: null });
    context = CTX.mtRemoved;
  } else if (current === 'NON_EXISTE') context = CTX.absent;
  else {
    await call.store.record({ ...base, t: 'dossier.authorization', idNat: me, status: null });
    context = CTX.removed;
  }
  await traceAccess(call, dossier, 'TD0.3', 'ok');
  return reply(DMP_OK, context);
};

// ---- TD1.6 --------------------------------------------------------------------------------------------------

const listAuthorizations: DmpHandler = async (call) => {
  expectBody(call, 'listAuthorizationByPatient', NS.habilitations);
  const { mode: rawMode } = readListAuthorization(call.body);
  const mode = rawMode ?? 'TOUTE';
  const reply = (entries: AuthorizationEntry[], status: string, context: string | undefined): DmpReply => {
    summarise(call, { status, context, entries: entries.length });
    return { action: ACTIONS.listAuthorizationByPatientResponse, body: renderListAuthorizationResponse(entries, status, context) };
  };
  const ins = call.vihf.patientIns;
  summarise(call, { td: 'TD1.6', ins, mode });
  if (mode !== 'ACTIVE' && mode !== 'INTERDITE' && mode !== 'TOUTE') {
    call.exchange.verdict('error', 'dmp.td16', `mode "${mode}" is none of ACTIVE, INTERDITE, TOUTE`);
    return reply([], DMP_CODES.invalidRequest, `mode "${mode}" inconnu (ACTIVE, INTERDITE ou TOUTE)`);
  }
  if (!ins) return reply([], DMP_CODES.invalidRequest, 'le VIHF ne porte pas l’INS du patient (attribut resource-id)');
  const dossier = dossierFor(call, ins);
  const decision = checkAccess(call, dossier, 'list-authorizations');
  if (!decision.allowed || !dossier) {
    await traceAccess(call, dossier, { operation: 'TD1.6', code: decision.code }, 'refused');
    return reply([], decision.code ?? DMP_CODES.denied, decision.reason);
  }
  const world = call.store.dossiers.world;
  const entries: AuthorizationEntry[] = [];
  const sorted = [...dossier.authorizations.values()].sort((x, y) => x.since - y.since || x.idNat.localeCompare(y.idNat));
  for (const auth of sorted) {
    const m = auth.status === 'VALIDE' ? 'ACTIVE' : auth.status === 'INTERDIT' ? 'INTERDITE' : undefined;
    if (!m || (mode !== 'TOUTE' && mode !== m)) continue;
    const p = world.professionals.find((x) => x.idNat === auth.idNat);
    const label = p ? professionalLabel(p) : undefined;
    entries.push({
      nationalId: auth.idNat,
      firstName: p?.firstNameRniv,
      lastName: p?.lastNameRniv,
      codeSpeciality: label ? [label.code] : [],
      libSpeciality: label ? [label.display] : [],
      startOfAuthorization: hl7Time(auth.since),
      lastActionDate: hl7Time(auth.lastAction),
      mode: m,
      specificRight: dossier.medecinTraitant === auth.idNat && auth.status === 'VALIDE' ? ['MEDECIN_TRAITANT'] : [],
    });
  }
  await traceAccess(call, dossier, 'TD1.6', 'ok');
  return reply(entries, DMP_OK, '');
};

// ---- TD0.4 --------------------------------------------------------------------------------------------------

const patientList: DmpHandler = async (call) => {
  expectBody(call, 'patientList', NS.patients);
  const req = readPatientList(call.body);
  const reply = (entries: PatientListEntry[], status: string, context?: string): DmpReply => {
    summarise(call, { status, context, entries: entries.length });
    return { action: ACTIONS.patientListResponse, body: renderPatientListResponse(entries, status, context) };
  };
  const dateType = req.dateType ?? 'LASTAUTORIZATION';
  summarise(call, { td: 'TD0.4', startDate: req.startDate, dateType, psOwnerId: req.psOwnerId });
  const decision = checkAccess(call, undefined, 'patient-list');
  if (!decision.allowed) return reply([], decision.code ?? DMP_CODES.denied, decision.reason);
  if (dateType !== 'LASTAUTORIZATION' && dateType !== 'LASTDOC') {
    call.exchange.verdict('error', 'dmp.td04', `dateType "${dateType}" is neither LASTAUTORIZATION nor LASTDOC`);
    return reply([], DMP_CODES.invalidRequest, `dateType "${dateType}" inconnu (LASTAUTORIZATION ou LASTDOC)`);
  }
  const start = req.startDate ? parseHl7Time(req.startDate) : 0;
  if (start === undefined) {
    call.exchange.verdict('error', 'dmp.td04', `startDate "${req.startDate}" is not YYYYMMDD[hhmmss]`);
    return reply([], DMP_CODES.invalidRequest, `startDate "${req.startDate}" mal formée (AAAAMMJJ[hhmmss])`);
  }
  // Whose authorizations: the caller (PS); for a CPE or a structure certificate, the PS named by psOwnerId
  // (who must work in the caller's structure) or every PS of the structure (structure certificate only) [I].
  const world = call.store.dossiers.world;
  const structure = world.structures.find((s) => s.idNat === call.vihf.structureId);
  const staffOf = (idNat: string) => !!structure && world.professionals.some((p) => p.idNat === idNat && p.exercices.some((e) => e.activities.some((act) => act.structureId === structure.id)));
  let owners: Set<string>;
  const kind = call.vihf.authMode === 'INDIRECTE' ? 'indirect' : /^\d+$/.test(call.vihf.profession?.code ?? '') ? 'ps' : 'cpe';
  if (kind === 'ps') owners = new Set([call.vihf.nameId]);
  else if (req.psOwnerId) {
    if (!staffOf(req.psOwnerId)) return reply([], DMP_CODES.denied, `le PS ${req.psOwnerId} n’exerce pas dans la structure ${call.vihf.structureId ?? ''}`);
    owners = new Set([req.psOwnerId]);
  } else if (kind === 'indirect' && structure) {
    owners = new Set(world.professionals.filter((p) => staffOf(p.idNat)).map((p) => p.idNat));
  } else return reply([], DMP_CODES.invalidRequest, 'psOwnerId est requis pour un porteur de CPE');

  const entries: PatientListEntry[] = [];
  for (const d of call.store.dossiers.list()) {
    if (d.status !== 'active') continue;
    const auths = [...owners].map((o) => d.authorizations.get(o)).filter((x) => x?.status === 'VALIDE');
    if (!auths.length) continue;
    let lastAdd = d.lastDocumentAt;
    if (dateType === 'LASTDOC') {
      const docs = documentsSince(call, d, start!);
      if (!docs.since) continue;
      lastAdd = docs.last;
    } else if (Math.max(...auths.map((x) => x!.since)) < start!) continue;
    const lastAccess = [...d.traces].reverse().find((tr) => owners.has(tr.nameId) && tr.outcome === 'ok');
    entries.push({
      identifiers: [
        { nationalId: insC(d.ins), nationalIdType: '1.2.250.1.213.1.4.2' },
        { nationalId: d.ins, nationalIdType: d.insOid },
      ],
      lastName: d.admin.family,
      patronymicalName: d.admin.birthName,
      firstName: d.admin.given,
      dateOfBirth: d.admin.birthDate,
      mt: [...owners].some((o) => d.medecinTraitant === o),
      message: false,
      lastAccessDate: lastAccess ? hl7Time(lastAccess.at) : undefined,
      lastUpdateDate: d.lastUpdateAt !== undefined ? hl7Time(d.lastUpdateAt) : undefined,
      lastAddDate: lastAdd !== undefined ? hl7Time(lastAdd) : undefined,
    });
  }
  return reply(entries, DMP_OK);
};

/**
 * Whether a dossier got a document since `start` for TD0.4 LASTDOC, and when the last one came when known
 * (bounded cost [I]): documents fed in this sandbox are known from the traces; a seeded dossier holds 3 to
 * 8 documents dated between its creation and the world's reference date, so a startDate before its
 * creation qualifies it without a lookup (lastAddDate then omitted unless known), a startDate after the
 * reference date cannot match a seeded document, and only a startDate in between asks the registry
 * (which then builds that patient's seeded documents).
 */
function documentsSince(call: DmpCall, d: Dossier, start: number): { since: boolean; last?: number } {
  const known = d.lastDocumentAt;
  if (known !== undefined && known >= start) return { since: true, last: known };
  if (!d.seeded) return { since: false, last: known };
  if (start <= d.createdAt) return { since: true, last: known };
  const reference = Date.parse(`${call.store.dossiers.world.referenceDate}T23:59:59Z`);
  if (start > reference) return { since: false, last: known };
  let last = known;
  for (const s of call.store.registry.submissionSetsOf(d.ins)) {
    const at = parseHl7Time(s.meta.submissionTime) ?? s.registeredAt;
    if (last === undefined || at > last) last = at;
  }
  return { since: last !== undefined && last >= start, last };
}

export const hl7Handlers: Record<string, Hl7HandlerEntry> = {
  [ACTIONS.td02]: { endpoint: 'patients', operation: 'TD0.2', operationOf: (body) => (queryReason(body) === 'CNSLT_DATA' ? 'TD1.3a' : 'TD0.2'), handle: patientQuery },
  [ACTIONS.td13b]: { endpoint: 'patients', operation: 'TD1.3b', operationOf: (body) => REVISE_OPERATIONS[queryReason(body) ?? ''] ?? 'TD1.3b', handle: patientRevise },
  [ACTIONS.td11]: { endpoint: 'patients', operation: 'TD1.1', handle: patientAdd },
  [ACTIONS.td05]: { endpoint: 'patientsPDQ', operation: 'TD0.5', handle: pdq },
  [ACTIONS.setAuthorization]: { endpoint: 'habilitations', operation: 'TD0.3', handle: setAuthorization },
  [ACTIONS.listAuthorizationByPatient]: { endpoint: 'habilitations', operation: 'TD1.6', handle: listAuthorizations },
  [ACTIONS.patientList]: { endpoint: 'patientsSpecific', operation: 'TD0.4', handle: patientList },
};

export type { Hl7Header };
