/**
 * The HL7v3 `patient` of the DMP's GDP messages: writing it (TD0.2, TD1.3a, TD0.5, TD1.3b/TD1.4 echo) and
 * reading `patientPerson` + observations from a request (TD1.1, TD1.3b).
 */
import type { XmlEl } from '../../core/xml/tree.js';
import type { Dossier, LegalRepresentative, PatientAdmin, PostalAddress, Telecom } from '../dossiers.js';
import { a, bl, h, hAll, hl7Time, insC, t, XSI } from './common.js';

export const OBS = {
  compteInternet: { code: 'COMPTE_INTERNET_OUVERT', system: '1.2.250.1.213.4.1.2.9', display: undefined },
  rattachementEns: { code: 'RATTACHEMENT_ENS', system: '1.2.250.1.213.4.1.2.3', display: 'information de rattachement du DMP à un ENS' },
  oppositionBdg: { code: 'OPPOSITION_BRIS_DE_GLACE', system: '1.2.250.1.213.4.1.2.3', display: 'opposition au mode bris de glace' },
  oppositionUrgence: { code: 'OPPOSITION_ACCES_URGENCE', system: '1.2.250.1.213.4.1.2.3', display: "opposition à l'accès au mode urgence" },
  consentementOuverture: { code: 'CONSENTEMENT_OUVERTURE_DMP', system: '1.2.250.1.213.4.1.2.3', display: undefined },
  consentementReactivation: { code: 'CONSENTEMENT_REACTIVATION_DMP', system: '1.2.250.1.213.4.1.2.3', display: undefined },
} as const;

/** Closing reasons (system 1.2.250.1.213.4.1.2.4); only FERMETURE_DEMANDE_PATIENT is [C]. */
export const CLOSING_SYSTEM = '1.2.250.1.213.4.1.2.4';
export const CLOSING_REASONS: Record<string, string> = {
  FERMETURE_DEMANDE_PATIENT: 'Fermeture à la demande du patient',
  FERMETURE_DECES: 'Fermeture suite au décès du patient',
  FERMETURE_AUTRE: 'Fermeture pour un autre motif',
};

type ObsDef = { code: string; system: string; display?: string };

export function observation(def: ObsDef, value: boolean): string {
  const display = def.display ? ` displayName="${a(def.display)}"` : '';
  return `<subjectOf typeCode="SBJ"><administrativeObservation classCode="OBS" moodCode="EVN"><code code="${def.code}" codeSystem="${def.system}"${display}/>${bl(value)}</administrativeObservation></subjectOf>`;
}

/**
 * Closing information of a closed dossier [I]: the guide says TD0.2 returns the closing date, reason and
 * motive, its HL7 placement is not public; segur-sim writes an administrativeObservation coded in the
 * closing-reason system with the text and the closing date as effectiveTime.
 */
export function closingObservation(d: Dossier): string {
  if (d.status !== 'closed') return '';
  const code = d.closingReason ?? 'FERMETURE_DEMANDE_PATIENT';
  const text = d.closingText ?? CLOSING_REASONS[code] ?? code;
  const when = d.closedAt !== undefined ? `<effectiveTime value="${hl7Time(d.closedAt)}"/>` : '';
  return `<subjectOf typeCode="SBJ"><administrativeObservation classCode="OBS" moodCode="EVN"><code code="${a(code)}" codeSystem="${CLOSING_SYSTEM}" displayName="${a(CLOSING_REASONS[code] ?? code)}"/><text>${t(text)}</text>${when}</administrativeObservation></subjectOf>`;
}

export function nameXml(admin: Pick<PatientAdmin, 'prefix' | 'given' | 'family' | 'birthName'>, order: 'given-first' | 'family-first' = 'given-first'): string {
  const prefix = admin.prefix ? `<prefix>${t(admin.prefix)}</prefix>` : '';
  const given = `<given>${t(admin.given)}</given>`;
  const family = `<family qualifier="SP">${t(admin.family)}</family>` + (admin.birthName && admin.birthName !== admin.family ? `<family qualifier="BR">${t(admin.birthName)}</family>` : '');
  return `<name>${prefix}${order === 'given-first' ? given + family : family + given}</name>`;
}

export function telecomsXml(telecoms: Telecom[]): string {
  return telecoms.map((tc) => `<telecom${tc.use ? ` use="${a(tc.use)}"` : ''} value="${a(tc.value)}"/>`).join('');
}

export function addrXml(addr: PostalAddress | undefined, order: 'street-first' | 'city-first' = 'street-first'): string {
  if (!addr) return '';
  if (order === 'city-first') return `<addr>${addr.city ? `<city>${t(addr.city)}</city>` : ''}${addr.postalCode ? `<postalCode>${t(addr.postalCode)}</postalCode>` : ''}</addr>`;
  return (
    `<addr>${addr.lines.map((l) => `<streetAddressLine>${t(l)}</streetAddressLine>`).join('')}` +
    (addr.additionalLocator ? `<additionalLocator>${t(addr.additionalLocator)}</additionalLocator>` : '') +
    (addr.postalCode ? `<postalCode>${t(addr.postalCode)}</postalCode>` : '') +
    (addr.city ? `<city>${t(addr.city)}</city>` : '') +
    (addr.country ? `<country>${t(addr.country)}</country>` : '') +
    `</addr>`
  );
}

function legalRepresentativeXml(r: LegalRepresentative): string {
  return (
    `<personalRelationship classCode="PRS"><code code="${a(r.relation)}" codeSystem="2.16.840.1.113883.1.11.19579"/>` +
    addrXml(r.address) +
    telecomsXml(r.telecoms) +
    `<relationshipHolder1 classCode="PSN" determinerCode="INSTANCE"><name>${r.prefix ? `<prefix>${t(r.prefix)}</prefix>` : ''}<given>${t(r.given)}</given><family>${t(r.family)}</family></name></relationshipHolder1>` +
    `</personalRelationship>`
  );
}

export interface PatientXmlOptions {
  /** OID to write the INS under (the one the client used). */
  insOid: string;
  /** TD1.3a adds deceasedInd, addr, legal representatives, birthPlace and the oppositions. */
  detail: 'existence' | 'admin';
}

/** The `patient` element of a PRPA_IN201308UV02 (TD0.2 / TD1.3a). */
export function patientXml(d: Dossier, o: PatientXmlOptions): string {
  const ad = d.admin;
  let person = nameXml(ad) + telecomsXml(ad.telecoms) + `<administrativeGenderCode code="${ad.sex}"/>` + `<birthTime value="${a(ad.birthDate)}"/>`;
  let observations: string;
  if (o.detail === 'admin') {
    person +=
      `<deceasedInd value="${ad.deceased}"/>` +
      addrXml(ad.address) +
      d.legalRepresentatives.map(legalRepresentativeXml).join('') +
      `<birthPlace classCode="BIRTHPL">${ad.birthPlace?.city || ad.birthPlace?.postalCode ? addrXml({ lines: [], city: ad.birthPlace.city, postalCode: ad.birthPlace.postalCode }) : '<addr/>'}</birthPlace>`;
    observations = observation(OBS.oppositionBdg, d.oppositions.brisDeGlace) + observation(OBS.oppositionUrgence, d.oppositions.accesUrgence);
  } else {
    observations = observation(OBS.compteInternet, d.internetAccount) + observation(OBS.rattachementEns, d.mesAttached);
  }
  return (
    `<patient classCode="PAT">` +
    `<id extension="${insC(d.ins)}" root="1.2.250.1.213.1.4.2"/><id extension="${a(d.ins)}" root="${a(o.insOid)}"/>` +
    `<statusCode code="${d.status === 'closed' ? 'terminated' : 'active'}"/>` +
    `<patientPerson classCode="PSN" determinerCode="INSTANCE">${person}</patientPerson>` +
    observations +
    closingObservation(d) +
    `</patient>`
  );
}

// ---- reading a request's patient ----------------------------------------------------------------------------

export interface RequestPatient {
  ins?: string;
  insOid?: string;
  statusCode?: string;
  admin: Partial<PatientAdmin>;
  /** Observation code → boolean value. */
  observations: Map<string, boolean>;
  legalRepresentatives?: LegalRepresentative[];
}

function readAddr(el: XmlEl | undefined): PostalAddress | undefined {
  if (!el) return undefined;
  const lines = hAll(el, 'streetAddressLine').map((x) => x.text).filter(Boolean);
  const out: PostalAddress = { lines };
  const loc = h(el, 'additionalLocator')?.text;
  if (loc) out.additionalLocator = loc;
  const pc = h(el, 'postalCode')?.text;
  if (pc) out.postalCode = pc;
  const city = h(el, 'city')?.text;
  if (city) out.city = city;
  const country = h(el, 'country')?.text;
  if (country) out.country = country;
  return out;
}

function readTelecoms(el: XmlEl): Telecom[] {
  return hAll(el, 'telecom')
    .filter((x) => x.attrs.value)
    .map((x) => (x.attrs.use ? { use: x.attrs.use, value: x.attrs.value! } : { value: x.attrs.value! }));
}

/** Reads `subject1/patient` of a registration request (TD1.1, TD1.3b, TD1.4, TD1.2). */
export function readRequestPatient(patient: XmlEl | undefined): RequestPatient {
  const out: RequestPatient = { admin: {}, observations: new Map() };
  if (!patient) return out;
  const ids = hAll(patient, 'id');
  const insId = ids.find((i) => /^1\.2\.250\.1\.213\.1\.4\.(8|9|10|11)$/.test(i.attrs.root ?? '')) ?? ids.find((i) => i.attrs.root !== '1.2.250.1.213.1.4.2');
  out.ins = insId?.attrs.extension;
  out.insOid = insId?.attrs.root;
  out.statusCode = h(patient, 'statusCode')?.attrs.code;
  const person = h(patient, 'patientPerson');
  if (person) {
    const name = h(person, 'name');
    if (name) {
      const prefix = h(name, 'prefix')?.text;
      if (prefix) out.admin.prefix = prefix;
      const given = hAll(name, 'given').map((g) => g.text).filter(Boolean).join(' ');
      if (given) out.admin.given = given;
      for (const f of hAll(name, 'family')) {
        if (f.attrs.qualifier === 'BR') out.admin.birthName = f.text;
        else if (f.text) out.admin.family = f.text;
      }
      if (!out.admin.family && out.admin.birthName) out.admin.family = out.admin.birthName;
    }
    const telecoms = readTelecoms(person);
    if (telecoms.length) out.admin.telecoms = telecoms;
    const sex = h(person, 'administrativeGenderCode')?.attrs.code;
    if (sex === 'M' || sex === 'F') out.admin.sex = sex;
    const birth = h(person, 'birthTime')?.attrs.value;
    if (birth) out.admin.birthDate = birth.slice(0, 8);
    const addr = readAddr(h(person, 'addr'));
    if (addr) out.admin.address = addr;
    const deceased = h(person, 'deceasedInd')?.attrs.value;
    if (deceased) out.admin.deceased = deceased === 'true';
    const reps = hAll(person, 'personalRelationship');
    if (reps.length) {
      out.legalRepresentatives = reps.map((r) => {
        const n = h(h(r, 'relationshipHolder1'), 'name');
        return {
          relation: h(r, 'code')?.attrs.code ?? 'GRD',
          prefix: h(n, 'prefix')?.text || undefined,
          given: hAll(n, 'given').map((g) => g.text).join(' '),
          family: h(n, 'family')?.text ?? '',
          address: readAddr(h(r, 'addr')),
          telecoms: readTelecoms(r),
        };
      });
    }
  }
  for (const s of hAll(patient, 'subjectOf')) {
    const obs = h(s, 'administrativeObservation');
    const code = h(obs, 'code')?.attrs.code;
    const value = h(obs, 'value')?.attrs.value;
    if (code && value !== undefined) out.observations.set(code, value === 'true');
  }
  return out;
}
