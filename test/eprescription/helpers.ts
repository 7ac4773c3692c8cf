/**
 * Request builders for the ePrescription tests, written from the README contract (not from the simulator's
 * codec), plus small readers of the answers.
 */
import { ean13Key } from '../../fixtures/prescriptions.js';
import { headlessLogin, PscClient, setPscSandbox } from '../../client/psc/index.js';
import type { TestHost } from '../support/host.js';
import { assertionPs, post, type Answer, type Tls } from '../insi/helpers.js';

export { assertionPs, get, post, tag, allTags, type Answer, type Tls } from '../insi/helpers.js';

export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
export const EP_NS = 'http://www.cnamts.fr/ePrescription';
export const IDAM = 'LGCTEST2026';
export const action = (op: string) => `urn:ServiceEPrescription:1.0.0:${op}`;

/** World (seed 1) professionals: ps-002 médecin (10), ps-004 pharmacien (21), ps-018 infirmier (60), ps-001 kiné (70). */
export const DOCTOR = { rpps: '99800000020', idNat: '899800000020' };
export const DOCTOR2 = { rpps: '99800000038', idNat: '899800000038' };
export const PHARMACIST = { rpps: '99800000046', idNat: '899800000046' };
export const NURSE = { rpps: '99800000186', idNat: '899800000186' };

export const cip13 = (seven: string) => `34009${seven}${ean13Key(`34009${seven}`)}`;
export const PARACETAMOL = cip13('3010101');
export const PARACETAMOL_EFF = cip13('3010118');

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export interface EnvOptions {
  idam?: string | null;
  /** Card mode: an assertion PS whose NameID is this idNat. */
  cps?: string;
  security?: string;
  messageId?: string;
  wsaAction?: string | null;
}

/** A TLSi envelope (ContexteBAM, ContexteLPS, wsa:Action, wsa:MessageID, wsse:Security) around `body`. */
export function envelope(op: string, body: string, o: EnvOptions = {}): string {
  const security = o.security ?? (o.cps ? assertionPs({ nameId: o.cps }) : '');
  const lps =
    o.idam === null
      ? ''
      : `<ctxlps:ContexteLPS Nature="CTXLPS" Version="01_00" xmlns:ctxlps="urn:siram:lps:ctxlps"><ctxlps:Id>1f7c2b8e-1111-4a4a-9c9c-0123456789ab</ctxlps:Id><ctxlps:Temps>2026-11-22T08:00:00Z</ctxlps:Temps><ctxlps:Emetteur>10B0152872</ctxlps:Emetteur><ctxlps:LPS><ctxlps:IDAM R="4">${o.idam ?? IDAM}</ctxlps:IDAM><ctxlps:Version>1.0</ctxlps:Version><ctxlps:Instance>636c9d43-0000-4000-8000-000000000000</ctxlps:Instance><ctxlps:Nom>urn:lps:segur-sim-test:1.0</ctxlps:Nom></ctxlps:LPS></ctxlps:ContexteLPS>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP12}"><soap:Header>` +
    `<ctxbam:ContexteBAM Version="01_02" xmlns:ctxbam="urn:siram:bam:ctxbam"><ctxbam:Id>0d6e1e4a-9ad5-4b0e-8d1c-2a3c1e1e3f11</ctxbam:Id><ctxbam:Temps>2026-11-22T08:00:00Z</ctxbam:Temps><ctxbam:Emetteur>10B0152872</ctxbam:Emetteur><ctxbam:COUVERTURE/></ctxbam:ContexteBAM>` +
    lps +
    (o.wsaAction === null ? '' : `<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">${o.wsaAction ?? action(op)}</wsa:Action>`) +
    `<wsa:MessageID xmlns:wsa="http://www.w3.org/2005/08/addressing">${o.messageId ?? 'uuid:0b5d0d53-7d4e-4e8e-9d62-5f9a3e1a1a11'}</wsa:MessageID>` +
    (security ? `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${security}</wsse:Security>` : '') +
    `</soap:Header><soap:Body><ep:${op} xmlns:ep="${EP_NS}">${body}</ep:${op}></soap:Body></soap:Envelope>`
  );
}

export const prescripteurXml = (rpps = DOCTOR.rpps, tagName = 'Prescripteur') =>
  `<ep:${tagName}><ep:RPPS>${rpps}</ep:RPPS><ep:Nom>MARTIN</ep:Nom><ep:Prenom>Claire</ep:Prenom><ep:Profession>10</ep:Profession><ep:Specialite>SM54</ep:Specialite><ep:NumeroAM>751234567</ep:NumeroAM></ep:${tagName}>`;

export const executantXml = (rpps: string | null = PHARMACIST.rpps, profession = '21', am: string | null = '751000011') =>
  `<ep:Executant>${rpps ? `<ep:RPPS>${rpps}</ep:RPPS>` : ''}<ep:Profession>${profession}</ep:Profession>${am ? `<ep:NumeroAM>${am}</ep:NumeroAM>` : ''}</ep:Executant>`;

export const PATIENT = { ins: '284076322000786', nom: 'DUPONT', prenom: 'Marie-Hélène', date: '1984-07-14' };

export const patientXml = (ins: string | null = PATIENT.ins) =>
  `<ep:Patient>${ins ? `<ep:INS><ep:Matricule>${ins}</ep:Matricule><ep:OID>1.2.250.1.213.1.4.8</ep:OID></ep:INS>` : ''}<ep:NomNaissance>${PATIENT.nom}</ep:NomNaissance><ep:NomUtilise>MARTIN</ep:NomUtilise><ep:Prenom>${esc(PATIENT.prenom)}</ep:Prenom><ep:DateNaissance>${PATIENT.date}</ep:DateNaissance><ep:Sexe>F</ep:Sexe></ep:Patient>`;

export const medicineLine = (n = 1, o: { quantite?: number; substituable?: boolean; cip?: string } = {}) =>
  `<ep:Ligne Numero="${n}" Type="medicament"><ep:Produit><ep:CIP13>${o.cip ?? PARACETAMOL}</ep:CIP13><ep:Libelle>Paracétamol 1 g, comprimé</ep:Libelle></ep:Produit>` +
  `<ep:Posologie>1 comprimé jusqu’à 3 fois par jour</ep:Posologie><ep:DureeJours>30</ep:DureeJours><ep:Quantite>${o.quantite ?? 2}</ep:Quantite><ep:Renouvellements>2</ep:Renouvellements>` +
  `<ep:Substituable>${o.substituable ?? true}</ep:Substituable><ep:Stupefiant>false</ep:Stupefiant><ep:Exception>false</ep:Exception><ep:ALD>false</ep:ALD><ep:ATMP>false</ep:ATMP><ep:Prevention>false</ep:Prevention><ep:NonRemboursable>false</ep:NonRemboursable><ep:HorsAMM>false</ep:HorsAMM></ep:Ligne>`;

export const deviceLine = (n = 2) =>
  `<ep:Ligne Numero="${n}" Type="dispositifMedical"><ep:Produit><ep:LPP>1104910</ep:LPP><ep:Libelle>Bandelettes d’autosurveillance glycémique</ep:Libelle></ep:Produit><ep:Quantite>3</ep:Quantite><ep:Renouvellements>0</ep:Renouvellements><ep:ALD>true</ep:ALD></ep:Ligne>`;

export const nursingLine = (n = 3) =>
  `<ep:Ligne Numero="${n}" Type="acteInfirmier"><ep:Acte><ep:Code>AMI</ep:Code><ep:Libelle>Injection sous-cutanée, 1 fois par jour pendant 10 jours</ep:Libelle></ep:Acte><ep:Quantite>10</ep:Quantite><ep:Domicile>true</ep:Domicile><ep:Urgent>false</ep:Urgent><ep:Prevention>false</ep:Prevention></ep:Ligne>`;

export interface PrescriptionOptions {
  id?: string | null;
  prescriber?: string;
  remplace?: string;
  debut?: string;
  fin?: string | null;
  redaction?: string;
  opposition?: boolean;
  lines?: string;
  ins?: string | null;
}

/** An ep4_creer body: one medicine (2 boxes), one device (3), one nursing act (10) by default. */
export function ep4Body(o: PrescriptionOptions = {}): string {
  const today = new Date().toISOString().slice(0, 10);
  return (
    `<ep:EPrescription>${o.id === null ? '' : `<ep:Identifiant>${o.id ?? '01S2TBPZ2JCNZZYGHZ'}</ep:Identifiant>`}<ep:DateRedaction>${o.redaction ?? o.debut ?? today}</ep:DateRedaction>` +
    `<ep:DebutValidite>${o.debut ?? today}</ep:DebutValidite>${o.fin === null ? '' : `<ep:FinValidite>${o.fin ?? '2099-12-31'}</ep:FinValidite>`}` +
    `${patientXml(o.ins)}${prescripteurXml(o.prescriber)}${o.remplace ? prescripteurXml(o.remplace, 'Remplace') : ''}` +
    `<ep:OppositionConsultationExecution>${o.opposition ?? false}</ep:OppositionConsultationExecution><ep:SousType>MED-1096</ep:SousType>` +
    `${o.lines ?? medicineLine() + deviceLine() + nursingLine()}</ep:EPrescription>`
  );
}

export const ep3Executant = (id: string, executant = executantXml()) => `<ep:Identifiant>${id}</ep:Identifiant>${executant}`;
export const ep3Prescripteur = (id: string, rpps = DOCTOR.rpps) => `<ep:Identifiant>${id}</ep:Identifiant>${prescripteurXml(rpps)}`;

export interface ExecutedLine {
  n: number;
  mode?: string;
  q?: number;
  produit?: string;
  motif?: string;
  accord?: string;
}

export function ep1Body(id: string, lines: ExecutedLine[], executant = executantXml()): string {
  const today = new Date().toISOString().slice(0, 10);
  return (
    `<ep:Identifiant>${id}</ep:Identifiant>${executant}<ep:Execution><ep:DateExecution>${today}</ep:DateExecution>` +
    lines
      .map(
        (l) =>
          `<ep:LigneExecutee Numero="${l.n}"><ep:Mode>${l.mode ?? 'CONFORME'}</ep:Mode><ep:Quantite>${l.q ?? 1}</ep:Quantite>` +
          (l.produit ? `<ep:ProduitDelivre><ep:CIP13>${l.produit}</ep:CIP13><ep:Libelle>Substitut</ep:Libelle></ep:ProduitDelivre>` : '') +
          (l.motif ? `<ep:Motif>${l.motif}</ep:Motif>` : '') +
          (l.accord ? `<ep:DateAccordPrescripteur>${l.accord}</ep:DateAccordPrescripteur>` : '') +
          '</ep:LigneExecutee>',
      )
      .join('') +
    '</ep:Execution>'
  );
}

/** POSTs an operation to `<base>/eprescription` with a SOAP 1.2 content type naming the action. */
export function call(base: string, op: string, body: string, o: EnvOptions & { tls?: Tls; headers?: Record<string, string> } = {}): Promise<Answer> {
  return post(`${base}/eprescription`, envelope(op, body, o), { action: action(op), tls: o.tls, headers: o.headers });
}

/** The detail code of a fault answer (`siram:Erreur/@code`). */
export const faultCode = (a: Answer) => /<siram:Erreur[^>]*\scode="([^"]+)"/.exec(a.body)?.[1];
export const subcode = (a: Answer) => /<soap:Subcode><soap:Value>soap:([^<]+)</.exec(a.body)?.[1];

/** A random identifier of the assumed alphabet, so tests never collide. */
export function newId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPRSTUVWXYZ';
  let s = '';
  for (let i = 0; i < 18; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

const REALM = '/auth/realms/esante-wallet';
const LGC = { clientId: 'segur-sim-lgc', clientSecret: 'segur-sim-lgc-secret', redirectUri: 'http://localhost:7080/callback' };

/** A real PSC access token for a professional of the sandbox, through the headless code flow (client/psc). */
export async function pscToken(th: TestHost, sandbox: string, idNat: string): Promise<string> {
  await setPscSandbox(th.admin, sandbox, { autoApprove: true, authMode: 'CARD' });
  const client = await PscClient.create({ issuer: `${th.http}${REALM}`, ...LGC, sandbox });
  try {
    return (await headlessLogin(client, { loginHint: idNat })).accessToken;
  } finally {
    client.close();
  }
}
