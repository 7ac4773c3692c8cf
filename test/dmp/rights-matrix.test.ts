/** rights.ts as a table: checkAccess, documentVisible, canChangeDocument, the scenario outcomes, traceAccess. */
import { describe, expect, it } from 'vitest';
import type { Dossier } from '../../simulators/dmp/dossiers.js';
import { habilitationAllows } from '../../simulators/dmp/habilitations/matrix.js';
import { canChangeDocument, checkAccess, documentVisible, traceAccess, type DocumentFacts, type RightsAction } from '../../simulators/dmp/rights.js';
import type { AccessMode, AuthMode, DmpCall, Vihf } from '../../simulators/dmp/types.js';

const MT = '810000000001';
const VALID = '810000000002';
const EXPIRED = '810000000003';
const BLOCKED = '810000000004';
const STRANGER = '810000000005';
const PHARMA = '810000000006';
const STRUCT = '10B0000001';

function dossier(over: Partial<Dossier> = {}): Dossier {
  const at = Date.UTC(2024, 0, 1);
  return {
    ins: '180000000000001',
    patientId: 'p1',
    status: 'active',
    mesAttached: true,
    oppositions: { brisDeGlace: false, accesUrgence: false },
    insOid: '1.2.250.1.213.1.4.10',
    internetAccount: true,
    createdAt: at,
    authorizations: new Map([
      [MT, { idNat: MT, status: 'VALIDE', since: at, lastAction: at }],
      [VALID, { idNat: VALID, status: 'VALIDE', since: at, lastAction: at }],
      [PHARMA, { idNat: PHARMA, status: 'VALIDE', since: at, lastAction: at }],
      [EXPIRED, { idNat: EXPIRED, status: 'EXPIRE', since: at, lastAction: at }],
      [BLOCKED, { idNat: BLOCKED, status: 'INTERDIT', since: at, lastAction: at }],
    ]),
    medecinTraitant: MT,
    legalRepresentatives: [],
    admin: { given: 'A', family: 'B', sex: 'F', birthDate: '19800101', telecoms: [], deceased: false },
    traces: [],
    ...over,
  };
}

interface Who {
  nameId?: string;
  authMode?: AuthMode;
  mode?: AccessMode;
  profession?: string;
  specialty?: string;
  nonPs?: boolean;
  structureId?: string;
  outcomes?: Record<string, Record<string, unknown>>;
}

function call(w: Who = {}): DmpCall {
  const vihf: Vihf = {
    nameId: w.nameId ?? VALID,
    authMode: w.authMode ?? 'DIRECTE',
    structureId: w.structureId ?? STRUCT,
    profession: w.nonPs ? { code: 'SECRETARIAT_MEDICAL', codeSystem: '1.2.250.1.213.1.1.4.6' } : { code: w.profession ?? '10', codeSystem: '1.2.250.1.71.1.2.7' },
    roles: w.specialty ? [{ code: w.specialty, codeSystem: '1.2.250.1.71.4.2.5' }] : [],
    purposeOfUse: w.mode ?? 'normal',
    confidentialityCodes: [],
    lps: {},
    signed: false,
    attributes: {},
  };
  const exchange = { outcome: (name: string) => w.outcomes?.[name] } as unknown as DmpCall['exchange'];
  return { exchange, vihf, now: Date.UTC(2025, 0, 1) } as DmpCall;
}

/** `null`: the patient has no DMP. */
const allowed = (w: Who, action: RightsAction, d: Dossier | null = dossier()) => checkAccess(call(w), d ?? undefined, action);

describe('checkAccess', () => {
  it('feeding needs an active DMP, no authorization; never for the blocked PS', () => {
    expect(allowed({ nameId: STRANGER }, 'feed').allowed).toBe(true);
    expect(allowed({ nameId: STRANGER, authMode: 'INDIRECTE' }, 'feed').allowed).toBe(true);
    expect(allowed({ nameId: STRANGER, mode: 'bris_de_glace' }, 'feed').allowed).toBe(true);
    expect(allowed({ nameId: BLOCKED }, 'feed')).toMatchObject({ allowed: false, code: 'DMPAccessDeniedByRightsService', authorization: 'INTERDIT' });
    expect(allowed({}, 'feed', dossier({ status: 'closed' }))).toMatchObject({ allowed: false, code: 'DMPClosed' });
    expect(allowed({}, 'feed', null)).toMatchObject({ allowed: false, code: 'DMPNotFound' });
  });

  it('consultation: VALIDE only in normal mode', () => {
    expect(allowed({ nameId: VALID }, 'consult')).toMatchObject({ allowed: true, authorization: 'VALIDE' });
    expect(allowed({ nameId: MT }, 'consult').allowed).toBe(true);
    expect(allowed({ nameId: STRANGER }, 'consult')).toMatchObject({ allowed: false, authorization: 'NON_EXISTE' });
    expect(allowed({ nameId: EXPIRED }, 'consult')).toMatchObject({ allowed: false, authorization: 'EXPIRE' });
    expect(allowed({ nameId: BLOCKED }, 'consult').allowed).toBe(false);
  });

  it('bris de glace: direct authentication, no opposition; the blocked PS stays blocked', () => {
    expect(allowed({ nameId: STRANGER, mode: 'bris_de_glace' }, 'consult').allowed).toBe(true);
    expect(allowed({ nameId: STRANGER, mode: 'bris_de_glace' }, 'consult', dossier({ oppositions: { brisDeGlace: true, accesUrgence: false } })).allowed).toBe(false);
    expect(allowed({ nameId: STRANGER, mode: 'bris_de_glace', authMode: 'INDIRECTE_RENFORCEE' }, 'consult').allowed).toBe(false);
    expect(allowed({ nameId: BLOCKED, mode: 'bris_de_glace' }, 'consult').allowed).toBe(false);
  });

  it('centre 15: allowed unless OPPOSITION_ACCES_URGENCE; TD0.5 only there', () => {
    expect(allowed({ nameId: STRANGER, mode: 'centre_15' }, 'consult').allowed).toBe(true);
    expect(allowed({ nameId: STRANGER, mode: 'centre_15' }, 'consult', dossier({ oppositions: { brisDeGlace: false, accesUrgence: true } })).allowed).toBe(false);
    expect(allowed({ mode: 'centre_15' }, 'pdq').allowed).toBe(true);
    expect(allowed({ mode: 'normal' }, 'pdq').allowed).toBe(false);
  });

  it('structure certificate and CPE: no consultation, only the reference search; médecin du travail: no consultation', () => {
    expect(allowed({ nameId: VALID, authMode: 'INDIRECTE' }, 'consult').allowed).toBe(false);
    expect(allowed({ nameId: VALID, authMode: 'INDIRECTE' }, 'search-reference').allowed).toBe(true);
    expect(allowed({ nameId: '3123456789/SEC1', nonPs: true }, 'consult').allowed).toBe(false);
    expect(allowed({ nameId: '3123456789/SEC1', nonPs: true }, 'search-reference').allowed).toBe(true);
    expect(allowed({ nameId: VALID, specialty: 'SM45' }, 'consult').allowed).toBe(false);
    expect(allowed({ nameId: VALID, specialty: 'SM45' }, 'feed').allowed).toBe(true);
  });

  it('authorizations: normal mode only, MT status for médecins, removal of the MT status by the MT only', () => {
    expect(allowed({ nameId: STRANGER }, 'set-authorization').allowed).toBe(true);
    for (const mode of ['bris_de_glace', 'centre_15'] as const) expect(allowed({ nameId: STRANGER, mode }, 'set-authorization').allowed).toBe(false);
    expect(allowed({ nameId: STRANGER, authMode: 'INDIRECTE' }, 'set-authorization').allowed).toBe(false);
    expect(allowed({ nameId: STRANGER, specialty: 'SM45' }, 'set-authorization').allowed).toBe(false);
    expect(allowed({ nameId: BLOCKED }, 'set-authorization').allowed).toBe(false);
    expect(allowed({ nameId: PHARMA, profession: '21' }, 'declare-mt').allowed).toBe(false);
    expect(allowed({ nameId: VALID }, 'declare-mt').allowed).toBe(true);
    expect(allowed({ nameId: VALID }, 'remove-mt').allowed).toBe(false);
    expect(allowed({ nameId: MT }, 'remove-mt').allowed).toBe(true);
  });

  it('TD1.3b/TD1.4 only for a DMP not attached to Mon espace santé; TD1.4 on a closed DMP is DMPClosed; TD1.1 only without DMP', () => {
    expect(allowed({}, 'close')).toMatchObject({ allowed: false, code: 'DMPAttachedToMES' });
    expect(allowed({}, 'close', dossier({ mesAttached: false })).allowed).toBe(true);
    expect(allowed({}, 'close', dossier({ mesAttached: false, status: 'closed' }))).toMatchObject({ allowed: false, code: 'DMPClosed' });
    expect(allowed({}, 'admin-update', dossier({ mesAttached: false })).allowed).toBe(true);
    expect(allowed({}, 'reactivate', dossier({ status: 'closed' })).allowed).toBe(true);
    expect(allowed({}, 'reactivate')).toMatchObject({ allowed: false, code: 'DMPNotClosed' });
    expect(allowed({}, 'create')).toMatchObject({ allowed: false, code: 'DMPFound' });
    expect(allowed({}, 'create', null).allowed).toBe(true);
  });

  it('TD0.9 Web PS only in direct authentication', () => {
    expect(allowed({ nameId: VALID }, 'web-ps').allowed).toBe(true);
    expect(allowed({ nameId: VALID, authMode: 'INDIRECTE_RENFORCEE' }, 'web-ps').allowed).toBe(false);
  });

  it('applies the scenario outcomes: absent, closed, opposition, blocked', () => {
    expect(allowed({ outcomes: { 'dmp.absent': {} } }, 'feed')).toMatchObject({ allowed: false, code: 'DMPNotFound' });
    expect(allowed({ outcomes: { 'dmp.closed': {} } }, 'feed')).toMatchObject({ allowed: false, code: 'DMPClosed' });
    expect(allowed({ nameId: STRANGER, mode: 'bris_de_glace', outcomes: { 'dmp.opposition': { kind: 'bris_de_glace' } } }, 'consult').allowed).toBe(false);
    expect(allowed({ nameId: STRANGER, mode: 'centre_15', outcomes: { 'dmp.opposition': { kind: 'bris_de_glace' } } }, 'consult').allowed).toBe(true);
    expect(allowed({ nameId: MT, outcomes: { 'dmp.blocked': {} } }, 'consult')).toMatchObject({ allowed: false, authorization: 'INTERDIT' });
    expect(allowed({ nameId: MT, outcomes: { 'dmp.blocked': {} } }, 'existence')).toMatchObject({ allowed: true, authorization: 'INTERDIT' });
  });
});

const doc = (over: Partial<DocumentFacts> = {}): DocumentFacts => ({
  authorIds: ['810000000099'],
  authorStructureIds: ['10B0000099'],
  classCode: '10',
  typeCode: '11488-4',
  confidentiality: ['N'],
  status: 'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved',
  ...over,
});

describe('documentVisible', () => {
  const masked = doc({ confidentiality: ['N', 'MASQUE_PS'] });
  it('MASQUE_PS: the MT and the author see it, other PS do not, nobody in bris de glace but the author', () => {
    expect(documentVisible(call({ nameId: MT }), dossier(), masked)).toBe(true);
    expect(documentVisible(call({ nameId: VALID }), dossier(), masked)).toBe(false);
    expect(documentVisible(call({ nameId: VALID }), dossier(), { ...masked, authorIds: [VALID] })).toBe(true);
    expect(documentVisible(call({ nameId: MT, mode: 'bris_de_glace' }), dossier(), masked)).toBe(false);
    expect(documentVisible(call({ nameId: VALID, mode: 'bris_de_glace' }), dossier(), { ...masked, authorIds: [VALID] })).toBe(true);
  });

  it('INVISIBLE_PATIENT documents stay visible to professionals', () => {
    expect(documentVisible(call({ nameId: VALID }), dossier(), doc({ confidentiality: ['N', 'INVISIBLE_PATIENT'] }))).toBe(true);
  });

  it('the habilitation matrix filters by profession (pharmacien: prescriptions, biology; not a consultation report)', () => {
    const pharma = call({ nameId: PHARMA, profession: '21' });
    expect(documentVisible(pharma, dossier(), doc({ classCode: '42', typeCode: '29551-9' }))).toBe(true);
    expect(documentVisible(pharma, dossier(), doc({ classCode: '10', typeCode: '11502-2' }))).toBe(true);
    expect(documentVisible(pharma, dossier(), doc({ classCode: '10', typeCode: '11488-4' }))).toBe(false);
    expect(documentVisible(pharma, dossier(), doc({ classCode: '10', typeCode: '11488-4', authorIds: [PHARMA] }))).toBe(true);
    expect(habilitationAllows('10', '31', 'x')).toBe(true);
    expect(habilitationAllows('99', '42', 'x')).toBe(false);
  });

  it('structure certificate / CPE: only their structure’s documents; médecin du travail: own only; blocked: nothing', () => {
    expect(documentVisible(call({ authMode: 'INDIRECTE', structureId: '10B0000099' }), dossier(), doc())).toBe(true);
    expect(documentVisible(call({ authMode: 'INDIRECTE', structureId: '10B0000001' }), dossier(), doc())).toBe(false);
    expect(documentVisible(call({ nonPs: true, nameId: '3/x', structureId: '10B0000099' }), dossier(), doc())).toBe(true);
    expect(documentVisible(call({ nameId: VALID, specialty: 'SM45' }), dossier(), doc())).toBe(false);
    expect(documentVisible(call({ nameId: BLOCKED }), dossier(), doc({ authorIds: [BLOCKED] }))).toBe(false);
  });
});

describe('canChangeDocument', () => {
  it('own documents only (the structure’s in indirect mode); patient documents by the MT', () => {
    expect(canChangeDocument(call({ nameId: VALID }), dossier(), doc({ authorIds: [VALID] })).allowed).toBe(true);
    expect(canChangeDocument(call({ nameId: VALID }), dossier(), doc()).allowed).toBe(false);
    expect(canChangeDocument(call({ authMode: 'INDIRECTE', structureId: '10B0000099' }), dossier(), doc()).allowed).toBe(true);
    expect(canChangeDocument(call({ nameId: MT }), dossier(), doc({ classCode: '90' })).allowed).toBe(true);
    expect(canChangeDocument(call({ nameId: VALID }), dossier(), doc({ classCode: '90' })).allowed).toBe(false);
    expect(canChangeDocument(call({ nameId: BLOCKED }), dossier(), doc({ authorIds: [BLOCKED] })).allowed).toBe(false);
    expect(canChangeDocument(call({ nameId: VALID }), dossier({ status: 'closed' }), doc({ authorIds: [VALID] }))).toMatchObject({ allowed: false, code: 'DMPClosed' });
  });

  it('no masking in bris de glace / centre 15; archiving there for médecins', () => {
    const own = doc({ authorIds: [VALID] });
    expect(canChangeDocument(call({ nameId: VALID, mode: 'bris_de_glace' }), dossier(), own, 'mask').allowed).toBe(false);
    expect(canChangeDocument(call({ nameId: VALID, mode: 'centre_15' }), dossier(), doc(), 'archive').allowed).toBe(true);
    expect(canChangeDocument(call({ nameId: PHARMA, profession: '21', mode: 'centre_15' }), dossier(), doc(), 'archive').allowed).toBe(false);
  });
});

describe('traceAccess', () => {
  it('records one trace.access event per call, and nothing without a dossier', async () => {
    const events: Record<string, unknown>[] = [];
    const d = dossier();
    const c = call({ nameId: VALID });
    c.store = { dossiers: { get: (ins: string) => (ins === d.ins ? d : undefined) }, record: async (e: Record<string, unknown>) => void events.push(e) } as unknown as DmpCall['store'];
    await traceAccess(c, d, { operation: 'TD3.2', documentUniqueId: '1.2.3' });
    await traceAccess(c, undefined, 'TD3.1');
    await traceAccess(c, '999999999999999', 'TD3.1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ t: 'trace.access', ins: d.ins, at: Date.UTC(2025, 0, 1), trace: { nameId: VALID, operation: 'TD3.2', mode: 'normal', outcome: 'ok', documentUniqueId: '1.2.3', label: 'Consultation d’un document' } });
  });
});
