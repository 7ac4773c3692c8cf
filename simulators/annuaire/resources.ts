/**
 * The Annuaire Santé as FHIR resources, generated once per world (WeakMap) with everything a search needs
 * precomputed: per-parameter folded strings, token codings, references, the serialized JSON, and the
 * reverse links used by `_include` / `_revinclude`.
 *
 * Mapping (README "What is faithful"): every professional is a Practitioner (RPPS + IDNPS), every activity a
 * PractitionerRole, every structure an Organization (a FINESS structure also gets its legal entity, `partOf`).
 * MSS mailboxes go where the ANS puts them (uc-bal-mss.md): PER on the Practitioner when the box is
 * registered with the RPPS only (profession domains, Mailiz-style), on the PractitionerRole when it is
 * registered with the RPPS and the structure (the structure's own domain); CAB on the Practitioner (notes
 * §4.1); ORG and APP on the Organization.
 */
import type { Mailbox, Professional, Structure, World } from '../../fixtures/index.js';
import { EXT, META_SOURCE, PROFILES, SYSTEMS, type ResourceType } from './constants.js';

export interface Coding {
  system?: string;
  code: string;
}

export type Json = Record<string, unknown>;

/** One resource with its search views. */
export interface Indexed {
  type: ResourceType;
  id: string;
  resource: Json;
  /** `JSON.stringify(resource)`, computed once. */
  json: string;
  lastUpdated: number;
  /** Values of string parameters, as published (`:exact`). */
  str: Record<string, string[]>;
  /** Same values folded (case and accents) for the default and `:contains` matches. */
  fold: Record<string, string[]>;
  /** Codings of token parameters (`identifier` holds system + value). */
  tok: Record<string, Coding[]>;
  /** Target ids of reference parameters. */
  ref: Record<string, string[]>;
  /** The MSS mailboxes published on this resource (for facts, summaries and clients). */
  mailboxes: Mailbox[];
}

export interface AnnuaireIndex {
  world: World;
  all: Record<ResourceType, Indexed[]>;
  byId: Record<ResourceType, Map<string, Indexed>>;
  rolesByPractitioner: Map<string, Indexed[]>;
  rolesByOrganization: Map<string, Indexed[]>;
  /** Geographical entities by the id of the legal entity they are `partOf`. */
  partsByOrganization: Map<string, Indexed[]>;
  /** Practitioner resource of a world professional. */
  practitionerOf: Map<string, Indexed>;
  /** Organization resource (geographical entity) of a world structure. */
  organizationOf: Map<string, Indexed>;
  /** Where each mailbox is published: resource and, for roles, the structure. */
  mailboxHolder: Map<string, Indexed>;
}

const cache = new WeakMap<World, AnnuaireIndex>();

/** The index of a world, built on first use and kept as long as the world lives. */
export function annuaireIndex(world: World): AnnuaireIndex {
  let index = cache.get(world);
  if (!index) {
    index = buildIndex(world);
    cache.set(world, index);
  }
  return index;
}

/** Case- and accent-insensitive form used by string search (HAPI-like normalisation: punctuation kept). */
export function fold(value: string): string {
  return value
    .replace(/[Œœ]/g, 'oe')
    .replace(/[Ææ]/g, 'ae')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019]/g, "'")
    .toLowerCase();
}

export function upperNoAccent(value: string): string {
  return fold(value).toUpperCase();
}

/** FHIR instant with an explicit offset, as the live API writes them. */
export function instant(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

const DAY = 86_400_000;

function num(id: string): number {
  return Number.parseInt(id.slice(id.indexOf('-') + 1), 10);
}

export const practitionerId = (p: Professional) => `003-${num(p.id)}-${p.rpps}`;
export const organizationId = (s: Structure) => `001-01-${num(s.id)}`;
export const legalEntityId = (s: Structure) => `001-02-${num(s.id)}`;
export const roleId = (p: Professional, k: number) => `005-${num(p.id)}-${k}`;
/** Identifiant de la situation d'exercice: RPPS + activity rank (segur-sim's convention). */
export const roleIdentifier = (p: Professional, k: number) => `${p.rpps}${String(k).padStart(2, '0')}`;

/** Street type abbreviations (RASS/AFNOR style) for the street prefixes the fixtures generate [I]. */
const STREET_TYPES: Record<string, string> = {
  rue: 'R', avenue: 'AV', boulevard: 'BD', place: 'PL', quai: 'QUAI', impasse: 'IMP', allee: 'ALL',
  chemin: 'CHE', passage: 'PAS', route: 'RTE', voie: 'VOIE', cours: 'CRS', square: 'SQ',
};

export interface StreetParts {
  number: string;
  type: string;
  name: string;
  line: string;
}

/** "19 Boulevard d'Assas" → number 19, type BD, name D'ASSAS, line "19 BD D'ASSAS". */
export function streetParts(line: string): StreetParts {
  const m = /^(\d+)\s+(\S+)\s+(.*)$/.exec(line.trim());
  if (!m) return { number: '', type: '', name: upperNoAccent(line), line: upperNoAccent(line) };
  const type = STREET_TYPES[fold(m[2]!)] ?? '';
  const name = upperNoAccent(type ? m[3]! : `${m[2]} ${m[3]}`);
  return { number: m[1]!, type, name, line: [m[1], type, name].filter(Boolean).join(' ') };
}

export function departementOf(s: Structure): string {
  return s.address.cog.slice(0, 2);
}

/** TRE_R66 catégorie d'établissement for FINESS structures [I: codes 355, 124, 620, 611 from the NOS table]. */
const CATEGORIE: Partial<Record<Structure['type'], string>> = { CH: '355', CENTRE_SANTE: '124', OFFICINE: '620', LBM: '611' };

function identifier(typeCode: string, system: string, value: string): Json {
  return { use: 'official', type: { coding: [{ system: SYSTEMS.identifierType, code: typeCode }] }, system, value };
}

function meta(type: ResourceType, lastUpdated: number, system: 'RPPS' | 'FINESS'): Json {
  return {
    versionId: '1',
    lastUpdated: instant(lastUpdated),
    source: META_SOURCE,
    profile: PROFILES[type],
    extension: [{ url: EXT.dataTrace, extension: [{ url: 'systeme-information', valueCode: system }] }],
  };
}

const mailboxRank = new WeakMap<Mailbox, number>();

/** Dématérialisation flag of a mailbox (deterministic; most boxes accept dematerialised documents). */
export function digitization(m: Mailbox, world: World): boolean {
  if (m.type !== 'PER') return true;
  if (!mailboxRank.has(m)) world.mailboxes.forEach((box, i) => mailboxRank.set(box, i));
  return (mailboxRank.get(m) ?? 0) % 4 !== 3;
}

/** A telecom entry of the `as-mailbox-mss` datatype profile, extensions in the live order. */
function mailboxTelecom(m: Mailbox, world: World): Json {
  const metadata: Json[] = [{ url: 'type', valueCodeableConcept: { coding: [{ system: SYSTEMS.typeBal, code: m.type }] } }];
  if (m.type !== 'PER') metadata.push({ url: 'description', valueString: m.description });
  metadata.push({ url: 'digitization', valueBoolean: digitization(m, world) });
  return {
    extension: [
      { url: EXT.emailType, valueCoding: { system: SYSTEMS.typeMessagerie, code: 'MSSANTE', display: 'MSSANTE' } },
      { url: EXT.mailboxMetadata, extension: metadata },
    ],
    system: 'email',
    value: m.address,
    use: 'work',
  };
}

function codingsOf(concepts: unknown): Coding[] {
  const out: Coding[] = [];
  for (const c of (concepts as { coding?: Coding[] }[] | undefined) ?? []) for (const coding of c.coding ?? []) out.push({ system: coding.system, code: coding.code });
  return out;
}

function identifierTokens(ids: Json[]): { identifier: Coding[]; 'identifier-type': Coding[] } {
  return {
    identifier: ids.map((i) => ({ system: i.system as string, code: i.value as string })),
    'identifier-type': ids.flatMap((i) => codingsOf([i.type])),
  };
}

function finish(
  type: ResourceType,
  resource: Json,
  lastUpdated: number,
  strings: Record<string, string[]>,
  tokens: Record<string, Coding[]>,
  refs: Record<string, string[]>,
  mailboxes: Mailbox[],
): Indexed {
  const fold_: Record<string, string[]> = {};
  for (const [k, values] of Object.entries(strings)) fold_[k] = values.map(fold);
  return { type, id: resource.id as string, resource, json: JSON.stringify(resource), lastUpdated, str: strings, fold: fold_, tok: tokens, ref: refs, mailboxes };
}

function buildIndex(world: World): AnnuaireIndex {
  const reference = Date.parse(`${world.referenceDate}T02:00:00Z`);
  const structures = new Map(world.structures.map((s) => [s.id, s]));
  const all: AnnuaireIndex['all'] = { Practitioner: [], PractitionerRole: [], Organization: [] };
  const practitionerOf = new Map<string, Indexed>();
  const organizationOf = new Map<string, Indexed>();
  const mailboxHolder = new Map<string, Indexed>();

  // Mailboxes: where each one is published.
  const onPractitioner = new Map<string, Mailbox[]>();
  const onRole = new Map<string, Mailbox[]>(); // key: professional id + structure id
  const onOrganization = new Map<string, Mailbox[]>();
  const push = <K>(map: Map<K, Mailbox[]>, key: K, m: Mailbox) => {
    const list = map.get(key);
    if (list) list.push(m);
    else map.set(key, [m]);
  };
  for (const m of world.mailboxes) {
    if (m.ownerKind === 'structure') push(onOrganization, m.ownerId, m);
    else if (m.type === 'PER' && m.structureId && m.address.endsWith(`@${structures.get(m.structureId)?.mssDomain}`)) push(onRole, `${m.ownerId}|${m.structureId}`, m);
    else push(onPractitioner, m.ownerId, m);
  }

  // Organizations: legal entity first (FINESS structures), then the geographical entity.
  world.structures.forEach((s, i) => {
    const lastUpdated = reference - ((i * 11) % 29) * DAY;
    const street = streetParts(s.address.line);
    const address = {
      extension: [{ url: EXT.inseeCode, valueCoding: { system: SYSTEMS.commune, code: s.address.cog } }],
      use: 'work',
      line: [street.line],
      city: upperNoAccent(s.address.city),
      district: departementOf(s),
      postalCode: s.address.postalCode,
      country: 'FRA',
    };
    const addressStrings = [street.line, address.city, s.address.postalCode, departementOf(s), 'FRA'];
    const system = s.finessET ? 'FINESS' : 'RPPS';
    let legal: Indexed | undefined;
    if (s.finessEJ) {
      const ids = [identifier('IDNST', SYSTEMS.idNatStruct, `1${s.finessEJ}`), identifier('FINEJ', SYSTEMS.finess, s.finessEJ), identifier('SIREN', SYSTEMS.sirene, s.siren)];
      const type = [{ extension: [{ url: EXT.organizationTypes, valueCode: 'organizationType' }], coding: [{ system: SYSTEMS.organizationType, code: 'LEGAL-ENTITY' }] }];
      const resource: Json = { resourceType: 'Organization', id: legalEntityId(s), meta: meta('Organization', lastUpdated, 'FINESS'), language: 'fr', identifier: ids, active: true, type, name: upperNoAccent(s.name), address: [address] };
      legal = finish(
        'Organization', resource, lastUpdated,
        { name: [resource.name as string], address: addressStrings, 'address-city': [address.city], 'address-postalcode': [s.address.postalCode], 'address-line': [street.line] },
        { ...identifierTokens(ids), type: codingsOf(type), active: [{ code: 'true' }], 'data-information-system': [{ code: 'FINESS' }] },
        {}, [],
      );
      all.Organization.push(legal);
    }
    const ids = s.finessET
      ? [identifier('IDNST', SYSTEMS.idNatStruct, s.idNat), identifier('FINEG', SYSTEMS.finess, s.finessET), identifier('SIRET', SYSTEMS.sirene, s.siret)]
      : [identifier('IDNST', SYSTEMS.idNatStruct, s.idNat), identifier('SIRET', SYSTEMS.sirene, s.siret)];
    const type: Json[] = [
      { extension: [{ url: EXT.organizationTypes, valueCode: 'organizationType' }], coding: [{ system: SYSTEMS.organizationType, code: 'GEOGRAPHICAL-ENTITY' }] },
      { extension: [{ url: EXT.organizationTypes, valueCode: 'secteurActiviteRASS' }], coding: [{ system: SYSTEMS.secteurActivite, code: s.secteurActivite.code, display: s.secteurActivite.label }] },
    ];
    const categorie = CATEGORIE[s.type];
    if (categorie) type.push({ coding: [{ system: SYSTEMS.categorieEtablissement, code: categorie }] });
    const boxes = onOrganization.get(s.id) ?? [];
    const resource: Json = { resourceType: 'Organization', id: organizationId(s), meta: meta('Organization', lastUpdated, system), language: 'fr', identifier: ids, active: true, type, name: upperNoAccent(s.name) };
    if (boxes.length) resource.telecom = boxes.map((m) => mailboxTelecom(m, world));
    resource.address = [address];
    if (legal) resource.partOf = { reference: `Organization/${legal.id}` };
    const org = finish(
      'Organization', resource, lastUpdated,
      { name: [resource.name as string], address: addressStrings, 'address-city': [address.city], 'address-postalcode': [s.address.postalCode], 'address-line': [street.line], 'mailbox-mss': boxes.map((m) => m.address) },
      { ...identifierTokens(ids), type: codingsOf(type), active: [{ code: 'true' }], 'data-information-system': [{ code: system }] },
      { partof: legal ? [legal.id] : [] },
      boxes,
    );
    all.Organization.push(org);
    organizationOf.set(s.id, org);
    for (const m of boxes) mailboxHolder.set(m.address, org);
  });

  // Practitioners and their roles.
  world.professionals.forEach((p, i) => {
    const lastUpdated = reference - ((i * 7) % 30) * DAY;
    const ids = [identifier('IDNPS', SYSTEMS.idNatPs, p.idNat), identifier('RPPS', SYSTEMS.rpps, p.rpps)];
    const cardStart = new Date(reference - (100 + ((i * 37) % 700)) * DAY);
    const cardEnd = new Date(cardStart.getTime());
    cardEnd.setUTCFullYear(cardEnd.getUTCFullYear() + 3);
    const smartcard = {
      extension: [
        { url: 'type', valueCodeableConcept: { coding: [{ system: SYSTEMS.typeCarte, code: p.card.type }] } },
        { url: 'number', valueString: p.card.number },
        { url: 'period', valuePeriod: { start: cardStart.toISOString().slice(0, 10), end: cardEnd.toISOString().slice(0, 10) } },
      ],
      url: EXT.smartcard,
    };
    const name: Json = { text: `${p.lastName} ${p.firstName}`, family: p.lastName, given: [p.firstName], prefix: [p.civility] };
    if (p.title) name.suffix = [p.title];
    const qualification: Json[] = [
      { code: { coding: [{ system: SYSTEMS.categorieProfessionnelle, code: 'C' }, { system: SYSTEMS.profession, code: p.profession.code, display: p.profession.label }] } },
    ];
    if (p.specialty) qualification.push({ code: { coding: [{ system: SYSTEMS.typeSavoirFaire, code: 'S' }, { system: SYSTEMS.specialiteOrdinale, code: p.specialty.code, display: p.specialty.label }] } });
    const boxes = onPractitioner.get(p.id) ?? [];
    const resource: Json = { resourceType: 'Practitioner', id: practitionerId(p), meta: meta('Practitioner', lastUpdated, 'RPPS'), language: 'fr', extension: [smartcard], identifier: ids, active: true, name: [name] };
    if (boxes.length) resource.telecom = boxes.map((m) => mailboxTelecom(m, world));
    resource.qualification = qualification;
    const nameParts = [p.lastName, p.firstName, p.civility, ...(p.title ? [p.title] : []), name.text as string];
    const practitioner = finish(
      'Practitioner', resource, lastUpdated,
      { name: nameParts, family: [p.lastName], given: [p.firstName], 'mailbox-mss': boxes.map((m) => m.address), 'number-smartcard': [p.card.number] },
      { ...identifierTokens(ids), 'qualification-code': codingsOf(qualification.map((q) => q.code)), active: [{ code: 'true' }], 'data-information-system': [{ code: 'RPPS' }], 'type-smartcard': [{ system: SYSTEMS.typeCarte, code: p.card.type }] },
      {}, boxes,
    );
    all.Practitioner.push(practitioner);
    practitionerOf.set(p.id, practitioner);
    for (const m of boxes) mailboxHolder.set(m.address, practitioner);

    let k = 0;
    for (const exercice of p.exercices) {
      for (const activity of exercice.activities) {
        k++;
        const s = structures.get(activity.structureId);
        const org = s ? organizationOf.get(s.id) : undefined;
        const roleUpdated = reference - ((i * 7 + k * 3) % 30) * DAY;
        const roleIds = [{ system: SYSTEMS.rpps, value: roleIdentifier(p, k) }];
        const code = [
          { coding: [{ system: SYSTEMS.genreActivite, code: 'GENR01' }] },
          { coding: [{ system: SYSTEMS.modeExercice, code: activity.mode }] },
        ];
        const roleBoxes = onRole.get(`${p.id}|${activity.structureId}`) ?? [];
        const role: Json = { resourceType: 'PractitionerRole', id: roleId(p, k), meta: meta('PractitionerRole', roleUpdated, 'RPPS'), language: 'fr', identifier: roleIds, active: true, practitioner: { reference: `Practitioner/${practitioner.id}` } };
        if (org) role.organization = { reference: `Organization/${org.id}` };
        role.code = code;
        if (roleBoxes.length) role.telecom = roleBoxes.map((m) => mailboxTelecom(m, world));
        const indexed = finish(
          'PractitionerRole', role, roleUpdated,
          { 'mailbox-mss': roleBoxes.map((m) => m.address) },
          { identifier: roleIds.map((r) => ({ system: r.system, code: r.value })), role: codingsOf(code), active: [{ code: 'true' }], 'data-information-system': [{ code: 'RPPS' }] },
          { practitioner: [practitioner.id], organization: org ? [org.id] : [] },
          roleBoxes,
        );
        all.PractitionerRole.push(indexed);
        for (const m of roleBoxes) mailboxHolder.set(m.address, indexed);
      }
    }
  });

  const byId = {} as AnnuaireIndex['byId'];
  for (const type of Object.keys(all) as ResourceType[]) byId[type] = new Map(all[type].map((r) => [r.id, r]));
  const group = (list: Indexed[], param: string) => {
    const map = new Map<string, Indexed[]>();
    for (const r of list) for (const target of r.ref[param] ?? []) map.set(target, [...(map.get(target) ?? []), r]);
    return map;
  };
  return {
    world,
    all,
    byId,
    rolesByPractitioner: group(all.PractitionerRole, 'practitioner'),
    rolesByOrganization: group(all.PractitionerRole, 'organization'),
    partsByOrganization: group(all.Organization, 'partof'),
    practitionerOf,
    organizationOf,
    mailboxHolder,
  };
}
