/**
 * Shared helpers for the DMP socket tests (HL7v3/habilitations tests and the XDS tests):
 *
 * - `startDmpHost()` starts a whole host (memory store) like every socket test;
 * - `dmpCall(url, endpoint, action, bodyXml, opts)` sends one raw SOAP 1.2 request with the WS-Addressing
 *   headers and the VIHF assertion as the official v02.05.00 samples write them, and returns the status,
 *   the raw text and the parsed XML (simulators/core/xml/tree.ts);
 * - `vihfAssertion(opts)` builds that assertion alone (for hand-made envelopes);
 * - `pick*` helpers choose world patients/professionals by DMP situation (active, closed, oppositions,
 *   VALIDE/INTERDIT authorization, médecin traitant) from the seeded dossiers.
 *
 * Nothing here talks to the simulator's internals except the pickers, which read the seeded DossierBook
 * of a world (the same one every fresh sandbox starts from).
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Patient, Professional, World } from '../../fixtures/types.js';
import { parseXml, type XmlEl } from '../../simulators/core/xml/tree.js';
import { DossierBook, type Dossier } from '../../simulators/dmp/dossiers.js';
import { startTestHost, type TestHost } from '../support/host.js';

export const DMP_BASE = '/si-dmp-server/v2/services';
export type DmpEndpointName = 'patients' | 'patientsPDQ' | 'patientsSpecific' | 'habilitations' | 'registry' | 'repository';

export const NS = {
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  hl7: 'urn:hl7-org:v3',
  gdp: 'asip:ci-sis:gdp:2010',
  habilitations: 'urn:si-dmp-habilitations',
  patients: 'urn:si-dmp-patients',
  xdsb: 'urn:ihe:iti:xds-b:2007',
  rim: 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0',
  rs: 'urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0',
  query: 'urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0',
  lcm: 'urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

/** Request wsa:Action of each transaction (dmp.md §1.2). */
export const DMP_ACTIONS = {
  td02: 'urn:hl7-org:v3:PRPA_IN201307UV02',
  td05: 'urn:hl7-org:v3:PRPA_IN201305UV02',
  td11: 'urn:hl7-org:v3:PRPA_IN201311UV02',
  td14: 'urn:hl7-org:v3:PRPA_IN201314UV02',
  setAuthorization: 'urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorization',
  listAuthorizationByPatient: 'urn:si-dmp-habilitations:HabilitationsEndPoint:listAuthorizationByPatient',
  patientList: 'urn:si-dmp-patients:PatientSpecificEndPoint:patientList',
  iti41: 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b',
  iti43: 'urn:ihe:iti:2007:RetrieveDocumentSet',
  iti18: 'urn:ihe:iti:2007:RegistryStoredQuery',
  iti57: 'urn:ihe:iti:2010:UpdateDocumentSet',
} as const;

export const INS_TEST_OID = '1.2.250.1.213.1.4.10';

// ---------------------------------------------------------------------------------------------------------
// Host

export interface DmpTestHost extends TestHost {
  world: World;
  /** The seeded dossiers of the default world (what a fresh sandbox starts from). */
  dossiers: DossierBook;
}

export async function startDmpHost(...args: Parameters<typeof startTestHost>): Promise<DmpTestHost> {
  const t = await startTestHost(...args);
  const world = t.host.context.sandboxes.world();
  return Object.assign(t, { world, dossiers: new DossierBook(world) });
}

/** `<base>/si-dmp-server/v2/services/<endpoint>`, under `/_sandbox/<id>` when a sandbox is given. */
export function dmpUrl(base: string, endpoint: DmpEndpointName, sandbox?: string): string {
  return `${base}${sandbox ? `/_sandbox/${sandbox}` : ''}${DMP_BASE}/${endpoint}`;
}

// ---------------------------------------------------------------------------------------------------------
// VIHF

export interface Coded {
  code: string;
  codeSystem: string;
  displayName?: string;
}

export interface VihfOptions {
  /** Patient INS (15 chars) for `resource-id`; omitted when undefined (patient-less calls: TD0.4, TD0.5). */
  ins?: string;
  /** OID of the INS in the CX (default `.10`, the test OID every official sample uses). */
  insOid?: string;
  /** PS national id (NameID); default the sample's `899900063480`. */
  nameId?: string;
  /** First role value: profession (TRE_G15) or non-PS role; default Médecin (10). */
  profession?: Coded;
  /** Second role value (savoir-faire for médecins); default SM26; `null` omits it. */
  specialty?: Coded | null;
  /** `DIRECTE` (default), `INDIRECTE`, `INDIRECTE_RENFORCEE`, or anything to test refusals; `null` omits it. */
  authMode?: string | null;
  /** Attribute name of the mode: the samples spell it `Authentification_mode` (default); the IG `_Mode`. */
  authModeName?: string;
  /** `normal` (default), `bris_de_glace`, `centre_15`; `null` omits the attribute. */
  purposeOfUse?: string | null;
  structureId?: string | null;
  /** `Secteur_Activite` code (default SA07). */
  secteur?: string | null;
  subjectId?: string;
  confidentiality?: string[];
  authnContext?: string;
  /** Extra `<saml2:Attribute>` elements (raw XML). */
  extraAttributes?: string;
  /** Attributes to leave out, by exact Name. */
  omit?: string[];
  /** An empty NameID. */
  noNameId?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const MEDECIN: Coded = { code: '10', codeSystem: '1.2.250.1.71.1.2.7', displayName: 'Médecin' };
const SM26: Coded = { code: 'SM26', codeSystem: '1.2.250.1.71.4.2.5', displayName: 'Qualifié en Médecine Générale (SM)' };

function stringAttr(name: string, value: string): string {
  return `<saml2:Attribute Name="${esc(name)}"><saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">${esc(value)}</saml2:AttributeValue></saml2:Attribute>`;
}

function roleValue(r: Coded): string {
  return `<saml2:AttributeValue><Role xmlns="urn:hl7-org:v3" code="${esc(r.code)}" codeSystem="${esc(r.codeSystem)}"${r.displayName ? ` displayName="${esc(r.displayName)}"` : ''} xsi:type="CE"/></saml2:AttributeValue>`;
}

const POU_DISPLAY: Record<string, string> = { normal: 'Accès normal', bris_de_glace: 'Accès en mode bris de glace', centre_15: 'Accès en mode centre de régulation' };

/** A VIHF 3.0 assertion shaped like the official unsigned DIRECTE sample (attribute order included). */
export function vihfAssertion(o: VihfOptions = {}): string {
  const omit = new Set(o.omit ?? []);
  const attrs: [string, string][] = [];
  const add = (name: string, xml: string) => attrs.push([name, xml]);
  if (o.structureId !== null) add('Identifiant_Structure', stringAttr('Identifiant_Structure', o.structureId ?? '499900063480001'));
  if (o.secteur !== null) add('Secteur_Activite', stringAttr('Secteur_Activite', `${o.secteur ?? 'SA07'}^1.2.250.1.71.4.2.4`));
  if (o.subjectId) add('urn:oasis:names:tc:xspa:1.0:subject:subject-id', stringAttr('urn:oasis:names:tc:xspa:1.0:subject:subject-id', o.subjectId));
  const roles = [o.profession ?? MEDECIN, ...(o.specialty === null ? [] : [o.specialty ?? ((o.profession ?? MEDECIN).code === '10' ? SM26 : undefined)])].filter((r): r is Coded => !!r);
  add('urn:oasis:names:tc:xacml:2.0:subject:role', `<saml2:Attribute Name="urn:oasis:names:tc:xacml:2.0:subject:role">${roles.map(roleValue).join('')}</saml2:Attribute>`);
  add('VIHF_Version', stringAttr('VIHF_Version', '3.0'));
  const modeName = o.authModeName ?? 'Authentification_mode';
  if (o.authMode !== null) add(modeName, stringAttr(modeName, o.authMode ?? 'DIRECTE'));
  if (o.ins) add('urn:oasis:names:tc:xacml:2.0:resource:resource-id', stringAttr('urn:oasis:names:tc:xacml:2.0:resource:resource-id', `${o.ins}^^^&${o.insOid ?? INS_TEST_OID}&ISO^NH`));
  add('Ressource_URN', stringAttr('Ressource_URN', 'urn:dmp'));
  if (o.purposeOfUse !== null) {
    const pou = o.purposeOfUse ?? 'normal';
    add(
      'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
      `<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"><saml2:AttributeValue><PurposeOfUse xmlns="urn:hl7-org:v3" code="${esc(pou)}" codeSystem="1.2.250.1.213.1.1.4.248" codeSystemName="mode acces VIHF 2.0" displayName="${esc(POU_DISPLAY[pou] ?? pou)}" xsi:type="CE"/></saml2:AttributeValue></saml2:Attribute>`,
    );
  }
  if (o.confidentiality?.length) {
    add(
      'urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code',
      `<saml2:Attribute Name="urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code">${o.confidentiality.map((c) => `<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:string">${esc(c)}^1.2.250.1.213.1.1.4.13</saml2:AttributeValue>`).join('')}</saml2:Attribute>`,
    );
  }
  add('LPS_ID', stringAttr('LPS_ID', '01.01.01.01'));
  add('LPS_Nom', stringAttr('LPS_Nom', 'LPS GIE-SV'));
  add('LPS_Version', stringAttr('LPS_Version', '1'));
  add('LPS_ID_HOMOLOGATION_DMP', stringAttr('LPS_ID_HOMOLOGATION_DMP', 'NumAutorisation'));
  const nameId = o.noNameId ? '' : (o.nameId ?? '899900063480');
  return (
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_${randomUUID()}" IssueInstant="2019-06-26T08:08:55.469Z" Version="2.0">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">CN=${esc(nameId || 'inconnu')},OU=Medecin,O=TEST,C=FR</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID>${esc(nameId)}</saml2:NameID></saml2:Subject>` +
    `<saml2:AuthnStatement AuthnInstant="2019-06-26T08:08:55.482Z"><saml2:AuthnContext><saml2:AuthnContextClassRef>${esc(o.authnContext ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI')}</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement>${attrs.filter(([n]) => !omit.has(n)).map(([, x]) => x).join('')}${o.extraAttributes ?? ''}</saml2:AttributeStatement>` +
    `</saml2:Assertion>`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Envelope and call

export interface TlsClient {
  key?: string;
  cert?: string;
  ca: string[] | string;
}

export interface DmpCallOptions extends VihfOptions {
  /** The whole assertion XML, replacing the built one; `null` sends a `wsse:Security` without assertion. */
  assertion?: string | null;
  /** Leave `wsse:Security` out altogether. */
  noSecurity?: boolean;
  /** WS-Addressing headers to leave out (`MessageID`, `ReplyTo`, `Action`, `To`). */
  omitWsa?: ('MessageID' | 'ReplyTo' | 'Action' | 'To')[];
  messageId?: string;
  /** SOAP 1.1 envelope namespace instead of 1.2. */
  soap11?: boolean;
  /** Extra HTTP headers (`X-Segur-Sandbox`, `X-Segur-Scenario`...). */
  headers?: Record<string, string>;
  /** Content-Type (default `application/soap+xml; charset=UTF-8; action="<action>"`). */
  contentType?: string;
  /** Client TLS material for https URLs (CA always needed for the test PKI). */
  tls?: TlsClient;
  /** Send these bytes as the body instead of building an envelope. */
  raw?: string | Uint8Array;
}

export interface DmpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed response (undefined when not XML, e.g. a multipart body: parse `text` yourself). */
  xml?: XmlEl;
  /** The first element of the SOAP Body, when there is one. */
  body?: XmlEl;
  /** `soap:Fault` Subcode/Value text, when the answer is a fault. */
  faultSubcode?: string;
  faultReason?: string;
}

/** A request envelope as the official samples write it: MessageID, empty To, ReplyTo, Action, Security. */
export function dmpEnvelope(action: string, bodyXml: string, o: DmpCallOptions = {}): string {
  const omit = new Set(o.omitWsa ?? []);
  const wsa = `xmlns="${NS.wsa}"`;
  const security = o.noSecurity
    ? ''
    : `<wsse:Security xmlns:wsse="${NS.wsse}">${o.assertion === null ? '' : (o.assertion ?? vihfAssertion(o))}</wsse:Security>`;
  const header =
    (omit.has('MessageID') ? '' : `<MessageID ${wsa}>${o.messageId ?? `urn:uuid:${randomUUID()}`}</MessageID>`) +
    (omit.has('To') ? '' : `<To ${wsa}/>`) +
    (omit.has('ReplyTo') ? '' : `<ReplyTo mustUnderstand="true" ${wsa}><Address>http://www.w3.org/2005/08/addressing/anonymous</Address></ReplyTo>`) +
    (omit.has('Action') ? '' : `<Action mustUnderstand="true" ${wsa}>${action}</Action>`) +
    security;
  return `<soap:Envelope xmlns:soap="${o.soap11 ? NS.soap11 : NS.soap12}"><soap:Header>${header}</soap:Header><soap:Body>${bodyXml}</soap:Body></soap:Envelope>`;
}

/** Low-level POST (node http/https, so a client certificate can be presented). */
export function post(url: string, body: string | Uint8Array, headers: Record<string, string>, tls?: TlsClient): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const u = new URL(url);
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  return new Promise((resolve, reject) => {
    const opts = { method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers: { ...headers, 'content-length': String(payload.length) } };
    const done = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = u.protocol === 'https:' ? httpsRequest({ ...opts, key: tls?.key, cert: tls?.cert, ca: tls?.ca, rejectUnauthorized: !!tls?.ca }, done) : httpRequest(opts, done);
    req.on('error', reject);
    req.end(payload);
  });
}

/** Parses a SOAP response text; tolerant (never throws). */
export function readSoap(text: string): Pick<DmpResponse, 'xml' | 'body' | 'faultSubcode' | 'faultReason'> {
  let xml: XmlEl | undefined;
  try {
    xml = parseXml(text, { maxDepth: 256 });
  } catch {
    return {};
  }
  const bodyEl = xml.children.find((c) => c.name === 'Body');
  const body = bodyEl?.children[0];
  if (body?.name !== 'Fault') return { xml, body };
  const code = body.children.find((c) => c.name === 'Code');
  const subcode = code?.children.find((c) => c.name === 'Subcode')?.children.find((c) => c.name === 'Value')?.text;
  const reason = body.children.find((c) => c.name === 'Reason')?.children.find((c) => c.name === 'Text')?.text;
  return { xml, body, faultSubcode: subcode, faultReason: reason };
}

/**
 * One DMP SOAP call: `url` is the host base (`t.http` / `t.https`, optionally with `/_sandbox/<id>`),
 * `endpoint` the service, `action` the wsa:Action, `bodyXml` the SOAP Body's content.
 */
export async function dmpCall(url: string, endpoint: DmpEndpointName, action: string, bodyXml: string, opts: DmpCallOptions = {}): Promise<DmpResponse> {
  const target = url.includes(DMP_BASE) ? url : `${url}${DMP_BASE}/${endpoint}`;
  const payload = opts.raw ?? dmpEnvelope(action, bodyXml, opts);
  const headers = { 'content-type': opts.contentType ?? `application/soap+xml; charset=UTF-8; action="${action}"`, ...opts.headers };
  const res = await post(target, payload, headers, opts.tls);
  return { ...res, ...readSoap(res.text) };
}

// ---------------------------------------------------------------------------------------------------------
// XML reading helpers

/** Every descendant (depth-first) with this local name. */
export function findAll(el: XmlEl | undefined, name: string): XmlEl[] {
  const out: XmlEl[] = [];
  const walk = (e: XmlEl) => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  if (el) walk(el);
  return out;
}

/** First descendant with this local name. */
export function find(el: XmlEl | undefined, name: string): XmlEl | undefined {
  return findAll(el, name)[0];
}

/** Follows a path of local names from `el` (children only). */
export function at(el: XmlEl | undefined, ...path: string[]): XmlEl | undefined {
  let cur = el;
  for (const p of path) cur = cur?.children.find((c) => c.name === p);
  return cur;
}

// ---------------------------------------------------------------------------------------------------------
// Picking people from the seeded world

export interface VihfPerson {
  nameId: string;
  profession: Coded;
  specialty?: Coded | null;
  structureId: string;
  secteur: string;
  subjectId: string;
}

/** The VIHF options of a world professional (first activity's structure). */
export function vihfOf(world: World, p: Professional): VihfPerson {
  const activity = p.exercices[0]?.activities[0];
  const structure = activity ? world.structures.find((s) => s.id === activity.structureId) : undefined;
  return {
    nameId: p.idNat,
    profession: { code: p.profession.code, codeSystem: '1.2.250.1.71.1.2.7', displayName: p.profession.label },
    specialty: p.specialty ? { code: p.specialty.code, codeSystem: '1.2.250.1.71.4.2.5', displayName: p.specialty.label } : null,
    structureId: structure?.idNat ?? '499900063480001',
    secteur: (activity?.secteurActivite.code ?? structure?.secteurActivite.code ?? 'SA07'),
    subjectId: `${p.firstName} ${p.lastName}`,
  };
}

export function insOf(p: Patient): string {
  if (!p.ins) throw new Error(`patient ${p.id} has no INS`);
  return p.ins.matricule;
}

/** The seeded dossiers matching a predicate (empty when none). */
export function dossiersWhere(t: { dossiers: DossierBook }, pred: (d: Dossier) => boolean): Dossier[] {
  return t.dossiers.list().filter(pred);
}

/** A seeded dossier and its patient; throws when the seeds have none (the test is then wrong, not green). */
export function pickDossier(t: { world: World; dossiers: DossierBook }, pred: (d: Dossier) => boolean, what = 'a matching dossier'): { dossier: Dossier; patient: Patient; ins: string } {
  const dossier = dossiersWhere(t, pred)[0];
  if (!dossier) throw new Error(`the seeded world has no ${what}`);
  const patient = t.world.patients.find((p) => p.id === dossier.patientId);
  if (!patient) throw new Error(`dossier ${dossier.ins} points to unknown patient ${dossier.patientId}`);
  return { dossier, patient, ins: dossier.ins };
}

/** A patient of the world without a DMP (TD0.2 answers NF). */
export function pickPatientWithoutDmp(t: { world: World; dossiers: DossierBook }): Patient {
  const p = t.world.patients.find((x) => x.ins && !t.dossiers.get(x.ins.matricule));
  if (!p) throw new Error('every world patient has a DMP');
  return p;
}

export function professionalById(world: World, idNat: string): Professional {
  const p = world.professionals.find((x) => x.idNat === idNat);
  if (!p) throw new Error(`no professional ${idNat}`);
  return p;
}

/** An active dossier and a professional holding a VALIDE authorization on it (not blocked). */
export function pickAuthorizedPair(t: { world: World; dossiers: DossierBook }, opts: { profession?: string; mt?: boolean } = {}): { dossier: Dossier; patient: Patient; ins: string; professional: Professional; vihf: VihfPerson } {
  for (const dossier of t.dossiers.list()) {
    if (dossier.status !== 'active') continue;
    for (const a of dossier.authorizations.values()) {
      if (a.status !== 'VALIDE') continue;
      if (opts.mt !== undefined && (dossier.medecinTraitant === a.idNat) !== opts.mt) continue;
      const professional = t.world.professionals.find((p) => p.idNat === a.idNat);
      if (!professional || (opts.profession && professional.profession.code !== opts.profession)) continue;
      const patient = t.world.patients.find((p) => p.id === dossier.patientId)!;
      return { dossier, patient, ins: dossier.ins, professional, vihf: vihfOf(t.world, professional) };
    }
  }
  throw new Error(`the seeded world has no VALIDE authorization${opts.profession ? ` for profession ${opts.profession}` : ''}${opts.mt !== undefined ? ` (mt=${opts.mt})` : ''}`);
}

/** A professional with no authorization at all on this dossier, of a profession (default médecin). */
export function pickUnauthorizedProfessional(t: { world: World; dossiers: DossierBook }, dossier: Dossier, profession = '10'): Professional {
  const p = t.world.professionals.find((x) => x.profession.code === profession && !dossier.authorizations.has(x.idNat) && !(x.magic ?? []).some((m) => m.startsWith('dmp-')));
  if (!p) throw new Error(`no professional ${profession} without authorization on ${dossier.ins}`);
  return p;
}

/** The professional every seeded dossier blocks (`dmp-blocked` magic) or one INTERDIT on this dossier. */
export function pickBlockedProfessional(t: { world: World; dossiers: DossierBook }, dossier?: Dossier): Professional {
  if (dossier) {
    for (const a of dossier.authorizations.values()) {
      if (a.status === 'INTERDIT') {
        const p = t.world.professionals.find((x) => x.idNat === a.idNat);
        if (p) return p;
      }
    }
  }
  const magic = t.world.professionals.find((x) => (x.magic ?? []).includes('dmp-blocked'));
  if (!magic) throw new Error('the seeded world has no blocked professional');
  return magic;
}

// ---------------------------------------------------------------------------------------------------------
// Request bodies as the official v02.05.00 samples write them

const HL7_WRAPPER_HEAD = (message: string) =>
  `<id root="1.3.6.1.4.1.48364.1.1" extension="1633a409-3d61-4869-aed8-74d92ae20272"/><creationTime value="20210519174507"/>` +
  `<interactionId root="2.16.840.1.113883.1.6" extension="${message}"/><processingCode code="D"/><processingModeCode code="T"/><acceptAckCode code="AL"/>` +
  `<receiver typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE"><id root="1.2.250.1.213.4.1.1.1"/><softwareName>DMP</softwareName></device></receiver>` +
  `<sender typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE"><id root="1.3.6.1.4.1.48364"/><softwareName>LPS GIE-SV</softwareName></device></sender>`;

/** TD0.2 (TEST_EXST) / TD1.3a (CNSLT_DATA) `PRPA_IN201307UV02`. */
export function td02Body(ins: string, reason: string = 'TEST_EXST', oid = INS_TEST_OID): string {
  const display = reason === 'CNSLT_DATA' ? 'Consultation des données de gestion de dossier' : "Test d'existence de dossier";
  return (
    `<urn:PRPA_IN201307UV02 ITSVersion="XML_1.0" xmlns="urn:hl7-org:v3" xmlns:urn="urn:hl7-org:v3">${HL7_WRAPPER_HEAD('PRPA_IN201307UV02')}` +
    `<attentionLine xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>` +
    `<urn:controlActProcess classCode="CACT" moodCode="EVN"><reasonCode code="${reason}" codeSystem="1.2.250.1.213.1.1.4.11" displayName="${display}"/>` +
    `<queryByParameter><queryId root="1.3.6.1.4.1.48364.2" extension="87d5fd8f-72b2-43bf-938c-0402bf850d25"/><statusCode code="new"/>` +
    `<parameterList><dataSource xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>` +
    `<patientIdentifier><value root="${oid}" extension="${ins}"/><semanticsText>Patient.id</semanticsText></patientIdentifier></parameterList></queryByParameter>` +
    `</urn:controlActProcess></urn:PRPA_IN201307UV02>`
  );
}

export interface RevisePatient {
  ins: string;
  statusCode?: string;
  prefix?: string;
  family?: string;
  given?: string;
  sex?: string;
  birthTime?: string;
  telecoms?: { use?: string; value: string }[];
  address?: { line: string; postalCode: string; city: string };
  observations?: Record<string, boolean>;
}

function patientXml(p: RevisePatient): string {
  const name = `<name>${p.prefix ? `<prefix>${p.prefix}</prefix>` : ''}${p.family ? `<family qualifier="SP">${esc(p.family)}</family>` : ''}${p.given ? `<given>${esc(p.given)}</given>` : ''}</name>`;
  const person =
    name +
    (p.telecoms ?? []).map((tc) => `<telecom value="${esc(tc.value)}"${tc.use ? ` use="${tc.use}"` : ''}/>`).join('') +
    (p.sex ? `<administrativeGenderCode code="${p.sex}"/>` : '') +
    (p.birthTime ? `<birthTime value="${p.birthTime}"/>` : '') +
    (p.address ? `<addr><streetAddressLine>${esc(p.address.line)}</streetAddressLine><postalCode>${p.address.postalCode}</postalCode><city>${esc(p.address.city)}</city><country>France</country></addr>` : '');
  const obs = Object.entries(p.observations ?? {})
    .map(([code, v]) => `<subjectOf typeCode="SBJ"><administrativeObservation classCode="OBS" moodCode="EVN"><code code="${code}" codeSystem="1.2.250.1.213.4.1.2.3"/><value xsi:type="BL" value="${v}"/></administrativeObservation></subjectOf>`)
    .join('');
  return (
    `<patient classCode="PAT"><id root="${INS_TEST_OID}" extension="${p.ins}"/><statusCode code="${p.statusCode ?? 'active'}"/>` +
    `<patientPerson classCode="PSN" determinerCode="INSTANCE">${person}</patientPerson>${obs}</patient>`
  );
}

const AUTHOR = (nameId: string, structureId = '499900063480001') =>
  `<author typeCode="AUT"><assignedEntity classCode="ASSIGNED"><id root="1.2.250.1.71.4.2.1" extension="${nameId}"/><code code="1.2.250.1.71.4.2.5" displayName="Qualifié en Médecine Générale (SM)"/>` +
  `<assignedPerson classCode="PSN" determinerCode="INSTANCE"><name xsi:type="PN"><family>LIBRE</family><given>MAX</given></name></assignedPerson>` +
  `<representedOrganization classCode="ORG" determinerCode="INSTANCE"><id root="1.2.250.1.71.4.2.2" extension="${structureId}"/><name>CABINET DR LIBRE</name></representedOrganization></assignedEntity></author>`;

const REVISE_DISPLAY: Record<string, string> = { MODIF_DATA: 'Modification des données de gestion du dossier', FERM: 'Fermeture de dossier', REAC: 'Réactivation de dossier' };

/** TD1.3b (MODIF_DATA) / TD1.4 (FERM) / TD1.2 (REAC) `PRPA_IN201314UV02`. */
export function td14Body(reason: string, patient: RevisePatient, opts: { nameId?: string; closingReason?: string } = {}): string {
  const closing =
    reason === 'FERM'
      ? `<reasonOf typeCode="RSON"><detectedIssueEvent classCode="ALRT" moodCode="EVN"><code code="${opts.closingReason ?? 'FERMETURE_DEMANDE_PATIENT'}" codeSystem="1.2.250.1.213.4.1.2.4"/><text>${opts.closingReason ?? 'FERMETURE_DEMANDE_PATIENT'}</text></detectedIssueEvent></reasonOf>`
      : '';
  return (
    `<PRPA_IN201314UV02 ITSVersion="XML_1.0" xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${HL7_WRAPPER_HEAD('PRPA_IN201314UV02')}` +
    `<controlActProcess classCode="CACT" moodCode="EVN"><reasonCode code="${reason}" codeSystem="1.2.250.1.213.1.1.4.11" displayName="${REVISE_DISPLAY[reason] ?? reason}"/>` +
    `<subject typeCode="SUBJ" contextConductionInd="false"><registrationRequest classCode="REG" moodCode="RQO"><statusCode code="active"/>` +
    `<subject1 typeCode="SBJ">${patientXml({ statusCode: reason === 'FERM' ? 'terminated' : 'active', ...patient })}</subject1>${AUTHOR(opts.nameId ?? '899900063480')}` +
    `</registrationRequest></subject>${closing}</controlActProcess></PRPA_IN201314UV02>`
  );
}

/** TD1.1 `PRPA_IN201311UV02` (CREA_RD), consent observation included unless told. */
export function td11Body(patient: RevisePatient, opts: { nameId?: string; consent?: boolean } = {}): string {
  const observations = { ...(opts.consent === undefined || opts.consent ? { CONSENTEMENT_OUVERTURE_DMP: true } : { CONSENTEMENT_OUVERTURE_DMP: false }), OPPOSITION_BRIS_DE_GLACE: false, OPPOSITION_ACCES_URGENCE: false, ...patient.observations };
  return (
    `<PRPA_IN201311UV02 ITSVersion="XML_1.0" xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${HL7_WRAPPER_HEAD('PRPA_IN201311UV02')}` +
    `<controlActProcess classCode="CACT" moodCode="EVN"><reasonCode code="CREA_RD" codeSystem="1.2.250.1.213.1.1.4.11" displayName="Création de dossier"/>` +
    `<subject typeCode="SUBJ" contextConductionInd="false"><registrationRequest classCode="REG" moodCode="RQO"><statusCode code="active"/>` +
    `<subject1 typeCode="SBJ">${patientXml({ ...patient, observations })}</subject1>${AUTHOR(opts.nameId ?? '899900063480')}` +
    `</registrationRequest></subject></controlActProcess></PRPA_IN201311UV02>`
  );
}

/** TD0.5 PDQ `PRPA_IN201305UV02` by family name (and optional given name / birth date). */
export function td05Body(family: string, opts: { given?: string; birthTime?: string } = {}): string {
  const given = opts.given ? `<given>${esc(opts.given)}</given>` : '';
  const birth = opts.birthTime ? `<livingSubjectBirthTime><value value="${opts.birthTime}"/><semanticsText>LivingSubject.birthTime</semanticsText></livingSubjectBirthTime>` : '';
  return (
    `<urn:PRPA_IN201305UV02 ITSVersion="XML_1.0" xmlns="urn:hl7-org:v3" xmlns:urn="urn:hl7-org:v3">${HL7_WRAPPER_HEAD('PRPA_IN201305UV02')}` +
    `<urn:controlActProcess classCode="CACT" moodCode="EVN"><code code="PRPA_TE201305UV02" codeSystem="2.16.840.1.113883.1.6"/>` +
    `<queryByParameter><queryId root="1.3.6.1.4.1.48364.2" extension="4cf69f11-f58c-4a49-8dd3-2cca7c342e40"/><statusCode code="new"/>` +
    `<parameterList>${birth}<livingSubjectName><value><family>${esc(family)}</family>${given}</value><semanticsText>LivingSubject.name</semanticsText></livingSubjectName></parameterList>` +
    `</queryByParameter></urn:controlActProcess></urn:PRPA_IN201305UV02>`
  );
}

/** TD0.3 `setAuthorization`. */
export function setAuthorizationBody(action: string, role?: string): string {
  return `<setAuthorization xmlns="urn:si-dmp-habilitations"><action>${action}</action>${role ? `<role>${role}</role>` : ''}</setAuthorization>`;
}

/** TD1.6 `listAuthorizationByPatient`. */
export function listAuthorizationBody(mode = 'TOUTE'): string {
  return `<listAuthorizationByPatient xmlns="urn:si-dmp-habilitations"><mode>${mode}</mode></listAuthorizationByPatient>`;
}

/** TD0.4 `patientList`. */
export function patientListBody(startDate: string, dateType: string, psOwnerId?: string): string {
  return `<patientList xmlns="urn:si-dmp-patients"><startDate>${startDate}</startDate><dateType>${dateType}</dateType>${psOwnerId ? `<psOwnerId>${psOwnerId}</psOwnerId>` : ''}</patientList>`;
}

/** `output/status` and `output/context` of a habilitations / patientsSpecific answer. */
export function outputOf(res: DmpResponse): { status?: string; context?: string; output?: XmlEl } {
  const output = at(res.body, 'output');
  return { output, status: at(output, 'status')?.text, context: at(output, 'context')?.text };
}
