import type { InsertedCard, VitaleBeneficiaryView, VitaleCardView, VitaleKind } from '../simulators/vitale/card.js';
import { defaultAdminUrl } from './admin.js';
import { segurJson } from './segur-http.js';

export type { VitaleBeneficiaryView, VitaleCardView, VitaleKind } from '../simulators/vitale/card.js';
export type InsertedVitaleCard = InsertedCard;

/** The virtual reader's state as the admin API shows it (`AdminClient.vitale()`). */
export interface VitaleReaderInfo {
  sandbox: string;
  inserted: InsertedVitaleCard | null;
  card: VitaleCardView | null;
}

/** A Vitale assertion as the reader issues it (`POST /_vitale/assertion`, JSON form). */
export interface IssuedVitaleAssertion {
  /** The `saml2:Assertion` XML, to put as is in `wsse:Security` next to the assertion PS for RECVITALE. */
  assertion: string;
  id: string;
  issueInstant: string;
  notBefore: string;
  notOnOrAfter: string;
  validitySeconds: number;
  serialNumber: string;
  nirOuvrantDroit: string;
  rang: number;
  beneficiaire: VitaleBeneficiaryView;
}

/**
 * A reader failure: `NoCard` (404), `CardBlocked` (403), `ReaderUnavailable` (503), `UnknownRang` (404),
 * `InvalidRang` (400), `Unreachable` (0, segur-sim not started) or whatever a scenario forced.
 */
export class VitaleReaderError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'VitaleReaderError';
  }
}

/**
 * Client of segur-sim's virtual carte Vitale / ApCV reader, what a practice software calls where it would
 * call the SESAM-Vitale components: read the card, choose a beneficiary, get the Vitale assertion, then
 * call INSi RECVITALE (COUVERTURE from `couvertureFor`, the assertion in `wsse:Security`).
 */
export class VitaleReader {
  readonly baseUrl: string;

  /**
   * @param baseUrl the simulator's HTTP base URL (env SEGUR_SIM_URL), without the sandbox prefix
   * @param sandbox sent as `X-Segur-Sandbox`
   * @param opts.scenario sent as `X-Segur-Scenario` (a library scenario applied to these calls only)
   */
  constructor(
    baseUrl: string = defaultAdminUrl(),
    readonly sandbox = 'default',
    readonly opts: { scenario?: string } = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  /** The card in the reader: serial number, kind, ouvrant droit, couverture codes and beneficiaries with rang. */
  readCard(): Promise<VitaleCardView> {
    return this.call<VitaleCardView>('GET', '/_vitale/card');
  }

  /** The Vitale assertion for the beneficiary of rang `rang` of the card in the reader, valid 20 minutes. */
  assertion(rang: number): Promise<IssuedVitaleAssertion> {
    if (!Number.isInteger(rang) || rang < 1) return Promise.reject(new VitaleReaderError(400, 'InvalidRang', `rang must be a positive integer (got ${rang})`));
    return this.call<IssuedVitaleAssertion>('POST', '/_vitale/assertion', { rang });
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-segur-sandbox': this.sandbox };
    if (this.opts.scenario) headers['x-segur-scenario'] = this.opts.scenario;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return segurJson<T>(
      `${this.baseUrl}${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      (status, code, message) => new VitaleReaderError(status, code, message),
      (cause) => `cannot reach the segur-sim Vitale reader at ${this.baseUrl}${cause}: is segur-sim started?`,
    );
  }
}

/** ContexteBAM/COUVERTURE for RECVITALE, in XSD order (insi.md §2.5), filled from the card for one beneficiary. */
export interface Couverture {
  GrandRegime: string;
  Organisme: string;
  CodeCentre: string;
  ASSURE: { Id: { Num: string; Cle: string } };
  BENEFICIAIRE: { Nir?: { Num: string; Cle: string }; DateNai: string; Rang: number };
}

/** The COUVERTURE fields for the beneficiary of rang `rang` (throws VitaleReaderError UnknownRang). */
export function couvertureFor(card: VitaleCardView, rang: number): Couverture {
  const b = card.beneficiaires.find((x) => x.rang === rang);
  if (!b) throw new VitaleReaderError(404, 'UnknownRang', `card ${card.serialNumber} has no beneficiary of rang ${rang} (rangs: ${card.beneficiaires.map((x) => x.rang).join(', ')})`);
  return {
    GrandRegime: card.couverture.grandRegime,
    Organisme: card.couverture.organisme,
    CodeCentre: card.couverture.codeCentre,
    ASSURE: { Id: { Num: card.ouvrantDroit.numIdentifiant, Cle: card.ouvrantDroit.cle } },
    BENEFICIAIRE: {
      ...(b.matriculeIndividu ? { Nir: { Num: b.matriculeIndividu.slice(0, 13), Cle: b.matriculeIndividu.slice(13) } } : {}),
      DateNai: b.dateNaissance,
      Rang: b.rang,
    },
  };
}
