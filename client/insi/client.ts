/**
 * INSi client of the reference LGC. Talks to the service only over the wire protocol of insi.md:
 * SOAP 1.2 POST on `/lps`, mTLS with an INSI-AUTO/INSI-MANU organisation certificate, or one-way
 * TLS with a signed assertion PS (CPx mode).
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { buildAssertionPs, firstCertificatePem, subjectAttribute, type AssertionPs, type ProfessionalCredentials } from './assertion-ps.js';
import { endpointUrl, keepAliveAgent, postBounded } from '../segur-http.js';
import { InsiError, InsiInputError, InsiProtocolError, InsiTransportError } from './errors.js';
import {
  buildRecSansVitaleRequest,
  buildRecVitaleRequest,
  SOAP_CONTENT_TYPE,
  type BuiltRequest,
  type Couverture,
  type LpsInfo,
  type SearchTraits,
} from './envelope.js';
import { assertInsiCallAllowed, type IdentityState } from './identity.js';
import { parseInsiResponse, type InsiResult } from './response.js';
import { toRnivTrait } from '../../fixtures/rniv.js';

export type InsiAuth =
  | {
      mode: 'certificate';
      /** Organisation certificate (CN INSI-AUTO or INSI-MANU): key and certificate (or full chain) PEM. */
      keyPem: string;
      certPem: string;
      /** Trust anchors for the server certificate. */
      caPem?: string | string[];
      /** ContexteLPS/BAM Emetteur; default: the certificate's OU (the structure id). */
      emetteur?: string;
    }
  | {
      mode: 'cpx';
      professional: ProfessionalCredentials;
      caPem?: string | string[];
      /** AttributeStatement of the assertion PS (e.g. identifiantFacturation, secteurActivite). */
      assertionAttributes?: Record<string, string>;
      /** Default: the professional's idNat (the NameID), as padoa does. */
      emetteur?: string;
    };

export interface InsiClientOptions {
  /** e.g. `https://localhost:8443` (the client posts to `/lps`), or a URL already ending in `/lps`. */
  baseUrl: string;
  auth: InsiAuth;
  lps: LpsInfo;
  /** segur-sim extras (X-Segur-Sandbox / X-Segur-Scenario), ignored by a real server. */
  sandbox?: string;
  scenario?: string;
  /** Whole-exchange timeout (default 15 s). */
  timeoutMs?: number;
  /** Larger answers are refused (default 2 MiB). */
  maxResponseBytes?: number;
  /** Clock for message timestamps and the assertion PS validity. */
  now?: () => Date;
}

/** A successful exchange: the RESULTAT plus what travelled, for the LGC's journal. */
export type InsiCallResult = InsiResult & {
  messageId: string;
  operation: BuiltRequest['operation'];
  requestXml: string;
  responseXml: string;
  httpStatus: number;
  /** Traits as sent (RNIV-normalised), for trait searches. */
  sentTraits?: SearchTraits;
};

/** Card data as the Vitale reader returns it (structural: only the fields RECVITALE needs). */
export interface VitaleCardInput {
  ouvrantDroit: { matricule: string; numIdentifiant?: string; cle?: string };
  couverture?: { grandRegime?: string; organisme?: string; codeCentre?: string };
  beneficiaires: VitaleBeneficiaryInput[];
}

export interface VitaleBeneficiaryInput {
  rang: number;
  nomNaissance?: string;
  nomUsuel?: string;
  prenom?: string;
  dateNaissance?: string;
  rangNaissance?: number;
  matriculeIndividu?: string;
}

export interface SearchByVitaleInput {
  card: VitaleCardInput;
  /** The beneficiary, or its rang on the card. */
  beneficiary: number | VitaleBeneficiaryInput;
  /** The Vitale assertion XML (valid 20 minutes), placed in wsse:Security next to the assertion PS. */
  vitaleAssertion: string;
  identity?: Pick<IdentityState, 'attributes'>;
}

/** What the LGC holds for a patient, to search with (display forms accepted). */
export interface PatientSearchInput {
  birthName: string;
  /** Given names in civil order; several are tried one at a time, then all together (CNDA 2.07). */
  firstNames: string[] | string;
  sex: 'M' | 'F';
  birthDate: string;
  birthPlaceCog?: string;
  identity?: Pick<IdentityState, 'attributes'>;
}

export interface PatientSearchOutcome {
  /** The decisive answer: the first CR 00, else the last answer. */
  result: InsiCallResult;
  attempts: InsiCallResult[];
}

const DEFAULT_TIMEOUT = 15_000;
const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

export class InsiClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly opts: InsiClientOptions;
  private readonly now: () => Date;
  private readonly emetteur: string;
  private assertion: AssertionPs | undefined;

  constructor(opts: InsiClientOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    const invalid = (message: string) => new InsiInputError(message, 'baseUrl');
    const url = endpointUrl(opts.baseUrl, '/lps', invalid);
    this.url = url;
    const auth = opts.auth;
    this.agent = keepAliveAgent(url, { maxSockets: 16, ca: auth.caPem, ...(auth.mode === 'certificate' ? { key: auth.keyPem, cert: auth.certPem } : {}) }, invalid);
    if (auth.mode === 'certificate') {
      if (!auth.keyPem || !auth.certPem) throw new InsiInputError('certificate mode needs keyPem and certPem', 'auth');
      const ou = auth.emetteur ?? subjectAttribute(firstCertificatePem(auth.certPem), 'OU');
      if (!ou) throw new InsiInputError('the organisation certificate has no OU: give auth.emetteur', 'auth.emetteur');
      this.emetteur = ou;
    } else if (auth.mode === 'cpx') {
      if (!auth.professional?.idNat) throw new InsiInputError('CPx mode needs professional.idNat', 'auth.professional');
      this.emetteur = auth.emetteur ?? auth.professional.idNat;
    } else {
      throw new InsiInputError(`unknown auth mode ${(auth as { mode: string }).mode}`, 'auth.mode');
    }
  }

  /** The endpoint actually called. */
  get endpoint(): string {
    return this.url.toString();
  }

  /** The Emetteur written in ContexteLPS/ContexteBAM. */
  get emitter(): string {
    return this.emetteur;
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  /** The current assertion PS (CPx mode), renewed when less than 5 minutes of validity remain. */
  assertionPs(): AssertionPs | undefined {
    const auth = this.opts.auth;
    if (auth.mode !== 'cpx') return undefined;
    const now = this.now();
    if (!this.assertion || this.assertion.notOnOrAfter.getTime() - now.getTime() < 5 * 60_000) {
      this.assertion = buildAssertionPs(auth.professional, { now, attributes: auth.assertionAttributes });
    }
    return this.assertion;
  }

  /**
   * rechercherInsAvecTraitsIdentite with one `<Prenom>`. Refuses before any network call when the
   * identity is DOUT/FICT or the traits have no valid RNIV form. Throws InsiFault on a SOAP fault.
   */
  async searchByTraits(traits: SearchTraits, options: { identity?: Pick<IdentityState, 'attributes'>; messageId?: string } = {}): Promise<InsiCallResult> {
    if (options.identity) assertInsiCallAllowed(options.identity);
    const cpx = this.opts.auth.mode === 'cpx';
    const req = buildRecSansVitaleRequest(traits, {
      lps: this.opts.lps,
      emetteur: this.emetteur,
      messageId: options.messageId,
      now: this.now(),
      security: cpx ? [this.assertionPs()!.xml] : undefined,
      bodyId: cpx ? '_0' : undefined,
    });
    const out = await this.exchange(req);
    return { ...out, sentTraits: req.traits };
  }

  /**
   * The LGC's search for a patient record: checks the status machine, then tries each given name,
   * then all of them joined (CNDA 2.07, padoa), stopping at the first CR 00. Faults propagate.
   */
  async searchPatient(patient: PatientSearchInput): Promise<PatientSearchOutcome> {
    if (patient.identity) assertInsiCallAllowed(patient.identity);
    const names = (Array.isArray(patient.firstNames) ? patient.firstNames : [patient.firstNames])
      .flatMap((n) => toRnivTrait(n).split(' '))
      .filter((n) => n !== '');
    if (names.length === 0) throw new InsiInputError('no first name to search with', 'firstNames');
    const candidates = names.length > 1 ? [...names, names.join(' ')] : names;
    const attempts: InsiCallResult[] = [];
    for (const prenom of candidates) {
      const res = await this.searchByTraits({
        nomNaissance: patient.birthName,
        prenom,
        sexe: patient.sex,
        dateNaissance: patient.birthDate,
        lieuNaissance: patient.birthPlaceCog,
      });
      attempts.push(res);
      if (res.cr === '00') break;
    }
    return { result: attempts[attempts.length - 1]!, attempts };
  }

  /**
   * rechercherInsAvecCarteVitale: COUVERTURE and the body come from the card; the Vitale assertion
   * travels in wsse:Security (after the assertion PS in CPx mode; alone in certificate mode).
   */
  async searchByVitale(input: SearchByVitaleInput, options: { messageId?: string } = {}): Promise<InsiCallResult> {
    if (input.identity) assertInsiCallAllowed(input.identity);
    const { card } = input;
    if (!card || !Array.isArray(card.beneficiaires)) throw new InsiInputError('card data has no beneficiaries', 'card');
    const b = typeof input.beneficiary === 'number' ? card.beneficiaires.find((x) => x.rang === input.beneficiary) : input.beneficiary;
    if (!b) throw new InsiInputError(`no beneficiary with rang ${String(input.beneficiary)} on this card`, 'beneficiary');
    if (!input.vitaleAssertion || !input.vitaleAssertion.includes('Assertion')) throw new InsiInputError('a Vitale assertion is required for RECVITALE', 'vitaleAssertion');
    const od = card.ouvrantDroit;
    const odNum = od.numIdentifiant ?? od.matricule.slice(0, 13);
    const odCle = od.cle ?? (od.matricule.length === 15 ? od.matricule.slice(13) : undefined);
    const couverture: Couverture = {
      grandRegime: card.couverture?.grandRegime,
      organisme: card.couverture?.organisme,
      codeCentre: card.couverture?.codeCentre,
      assure: { num: odNum, cle: odCle },
      beneficiaire: {
        nir: b.matriculeIndividu ? { num: b.matriculeIndividu.slice(0, 13), cle: b.matriculeIndividu.slice(13) || undefined } : undefined,
        dateNai: b.dateNaissance,
        rang: b.rang,
      },
    };
    const cpx = this.opts.auth.mode === 'cpx';
    const security = [...(cpx ? [this.assertionPs()!.xml] : []), input.vitaleAssertion];
    const req = buildRecVitaleRequest(
      {
        matriculeIndividu: b.matriculeIndividu,
        matriculeOD: od.matricule,
        nomNaissance: b.nomNaissance ?? b.nomUsuel,
        dateNaissance: b.dateNaissance,
        rangNaissance: b.rangNaissance ?? 1,
      },
      { lps: this.opts.lps, emetteur: this.emetteur, messageId: options.messageId, now: this.now(), security, bodyId: cpx ? '_0' : undefined, couverture },
    );
    return this.exchange(req);
  }

  private async exchange(req: BuiltRequest): Promise<InsiCallResult> {
    const { status, body } = await this.post(req);
    let parsed;
    try {
      parsed = parseInsiResponse(body, status);
    } catch (err) {
      if (err instanceof InsiProtocolError && status !== 200 && status !== 500) {
        throw new InsiTransportError(`INSi answered HTTP ${status} without a SOAP body`, 'http-status', status, err);
      }
      throw err;
    }
    if (parsed.kind === 'fault') throw parsed.fault;
    if (status !== 200) throw new InsiProtocolError(`RESULTAT with HTTP ${status} (expected 200)`, status, body.slice(0, 2000));
    return { ...parsed.result, messageId: req.messageId, operation: req.operation, requestXml: req.xml, responseXml: body, httpStatus: status };
  }

  private async post(req: BuiltRequest): Promise<{ status: number; body: string }> {
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const maxBytes = this.opts.maxResponseBytes ?? DEFAULT_MAX_BYTES;
    const payload = Buffer.from(req.xml, 'utf8');
    const headers: Record<string, string | number> = {
      'Content-Type': SOAP_CONTENT_TYPE,
      Accept: 'application/soap+xml, text/xml',
    };
    if (this.opts.sandbox) headers['X-Segur-Sandbox'] = this.opts.sandbox;
    if (this.opts.scenario) headers['X-Segur-Scenario'] = this.opts.scenario;
    const answer = await postBounded(this.url, payload, { headers, agent: this.agent, timeoutMs, maxBytes }, (f) => {
      switch (f.kind) {
        case 'too-large':
          return new InsiTransportError(`INSi answer larger than ${f.limit} bytes`, 'too-large', f.status);
        case 'timeout':
          return new InsiTransportError(`INSi did not answer within ${f.timeoutMs} ms`, 'timeout');
        case 'cut':
          return new InsiTransportError('INSi answer interrupted: the connection closed', 'network', f.status);
        case 'response':
          return new InsiTransportError(`INSi answer interrupted: ${f.error.message}`, 'network', f.status, f.error);
        case 'request': {
          const tls = /CERT|SSL|TLS|certificate|self[- ]signed|alert/i.test(`${f.error.code ?? ''} ${f.error.message}`);
          return new InsiTransportError(`cannot reach INSi at ${this.url.host}: ${f.error.message}`, tls ? 'tls' : 'network', undefined, f.error);
        }
      }
    });
    return { status: answer.status, body: answer.body.toString('utf8') };
  }
}

/** A fresh installation id for ContexteLPS/Instance. */
export function newLpsInstance(): string {
  return randomUUID();
}

