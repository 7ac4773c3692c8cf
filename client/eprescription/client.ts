/**
 * ePrescription client of the reference LGC: the prescriber's ep4_creer / ep3_consulter / ep2_rechercher /
 * ep7_annuler and the executant's ep3_consulter / ep1_transmettreExecution, over the wire contract of
 * simulators/eprescription/README.md (SOAP 1.2, CNAM-style, as INSi). Three ways to authenticate: a PSC
 * access token (HTTP Bearer), the card (an assertion PS in wsse:Security), or a certificate (mTLS).
 */
import http from 'node:http';
import { buildAssertionPs, firstCertificatePem, subjectAttribute, type AssertionPs, type ProfessionalCredentials } from '../insi/assertion-ps.js';
import type { LpsInfo } from '../insi/envelope.js';
import { endpointUrl, keepAliveAgent, postBounded } from '../segur-http.js';
import { bodies, buildEnvelope, ENDPOINT_PATH, parseAnswer, readers, SOAP_CONTENT_TYPE, type BuiltRequest, type EpOperation } from './codec.js';
import { EPrescriptionInputError, EPrescriptionProtocolError, EPrescriptionTimeoutError, EPrescriptionTransportError } from './errors.js';
import type { EPrescription, EpActor, EpExecutant, EpExecution, EpPrescripteur, EpSearchCriteria } from './model.js';
import type { XmlElement } from '../insi/xml.js';

export type EPrescriptionAuth =
  | {
      mode: 'psc';
      /** The PSC access token, or a function giving a fresh one for each call. */
      accessToken: string | (() => string | Promise<string>);
      caPem?: string | string[];
      /** ContexteLPS/BAM Emetteur; default: the token's SubjectNameID (or `PSC`). */
      emetteur?: string;
    }
  | {
      mode: 'card';
      professional: ProfessionalCredentials;
      caPem?: string | string[];
      assertionAttributes?: Record<string, string>;
      emetteur?: string;
    }
  | {
      mode: 'certificate';
      /** Organisation or personal certificate of the test PKI: key and certificate (or chain) PEM. */
      keyPem: string;
      certPem: string;
      caPem?: string | string[];
      /** Default: the certificate's OU, else its CN. */
      emetteur?: string;
    };

export interface EPrescriptionClientOptions {
  /** Host root (`/eprescription` is appended) or the endpoint URL itself; a `/_sandbox/<id>` prefix is kept. */
  baseUrl: string;
  auth: EPrescriptionAuth;
  lps: LpsInfo;
  /** segur-sim extras (X-Segur-Sandbox / X-Segur-Scenario). */
  sandbox?: string;
  scenario?: string;
  /** Default per-call timeout (default 15 s); each call may override it. */
  timeoutMs?: number;
  maxResponseBytes?: number;
  now?: () => Date;
}

export interface CallOptions {
  /** This call's timeout: no answer by then ⇒ EPrescriptionTimeoutError. */
  timeoutMs?: number;
  messageId?: string;
  /** X-Segur-Scenario for this call only. */
  scenario?: string;
}

/** What travelled, for the LGC's journal. */
export interface EpExchange {
  operation: EpOperation;
  messageId: string;
  requestXml: string;
  responseXml: string;
  httpStatus: number;
}

const DEFAULT_TIMEOUT = 15_000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** SubjectNameID (or sub) of a JWT access token, without verifying it: only to fill the Emetteur. */
function tokenSubject(token: string): string | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { SubjectNameID?: string; sub?: string };
    return claims.SubjectNameID ?? claims.sub;
  } catch {
    return undefined;
  }
}

export class EPrescriptionClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly opts: EPrescriptionClientOptions;
  private readonly now: () => Date;
  private assertion: AssertionPs | undefined;

  constructor(opts: EPrescriptionClientOptions) {
    this.opts = opts;
    this.now = opts.now ?? (() => new Date());
    const invalid = (message: string) => new EPrescriptionInputError(message, 'baseUrl');
    const url = endpointUrl(opts.baseUrl, ENDPOINT_PATH, invalid);
    this.url = url;
    const auth = opts.auth;
    if (!['psc', 'card', 'certificate'].includes(auth?.mode)) throw new EPrescriptionInputError(`unknown auth mode ${String((auth as { mode?: string })?.mode)}`, 'auth.mode');
    if (auth.mode === 'certificate' && (!auth.keyPem || !auth.certPem)) throw new EPrescriptionInputError('certificate mode needs keyPem and certPem', 'auth');
    if (auth.mode === 'card' && !auth.professional?.idNat) throw new EPrescriptionInputError('card mode needs professional.idNat', 'auth.professional');
    this.agent = keepAliveAgent(url, { maxSockets: 8, ca: auth.caPem, ...(auth.mode === 'certificate' ? { key: auth.keyPem, cert: auth.certPem } : {}) }, invalid);
    if (url.protocol === 'http:' && auth.mode === 'certificate') throw new EPrescriptionInputError('certificate mode needs an https baseUrl', 'baseUrl');
  }

  get endpoint(): string {
    return this.url.toString();
  }

  close(): void {
    this.agent.destroy();
  }

  /** ep4_creer: registers the prescription (the identifier computed by the software, see identifier.ts). */
  async create(prescription: EPrescription, call: CallOptions = {}): Promise<{ identifiant: string; dateEnregistrement: string } & EpExchange> {
    const r = await this.exchange('ep4_creer', bodies.creer(prescription), call);
    return { ...readers.creer(r.element), ...r.exchange };
  }

  /** ep3_consulter: the executant after a scan, or the prescriber reading the dispensations. */
  async consult(identifiant: string, actor: EpActor, call: CallOptions = {}) {
    const r = await this.exchange('ep3_consulter', bodies.consulter(identifiant, actor), call);
    return { ...readers.consulter(r.element), ...r.exchange };
  }

  /** ep2_rechercher: an executant must name the patient; a prescriber sees their own prescriptions. */
  async search(actor: EpActor, criteria: EpSearchCriteria = {}, call: CallOptions = {}) {
    const r = await this.exchange('ep2_rechercher', bodies.rechercher(actor, criteria), call);
    return { ...readers.rechercher(r.element), ...r.exchange };
  }

  /** ep1_transmettreExecution: a dispensation / execution, line by line. */
  async recordExecution(identifiant: string, executant: EpExecutant, execution: EpExecution, call: CallOptions = {}) {
    const r = await this.exchange('ep1_transmettreExecution', bodies.transmettreExecution(identifiant, executant, execution), call);
    return { ...readers.transmettreExecution(r.element), ...r.exchange };
  }

  /** ep7_annuler (a segur-sim mock extension: no public evidence of it). */
  async cancel(identifiant: string, prescripteur: EpPrescripteur, motif?: string, call: CallOptions = {}) {
    const r = await this.exchange('ep7_annuler', bodies.annuler(identifiant, prescripteur, motif), call);
    return { ...readers.annuler(r.element), ...r.exchange };
  }

  /** The assertion PS of card mode, renewed when less than 5 minutes of validity remain. */
  private assertionPs(): AssertionPs | undefined {
    const auth = this.opts.auth;
    if (auth.mode !== 'card') return undefined;
    const now = this.now();
    if (!this.assertion || this.assertion.notOnOrAfter.getTime() - now.getTime() < 5 * 60_000) {
      this.assertion = buildAssertionPs(auth.professional, { now, attributes: auth.assertionAttributes });
    }
    return this.assertion;
  }

  private async credentials(): Promise<{ emetteur: string; security?: string[]; bearer?: string }> {
    const auth = this.opts.auth;
    switch (auth.mode) {
      case 'psc': {
        const token = typeof auth.accessToken === 'function' ? await auth.accessToken() : auth.accessToken;
        if (!token) throw new EPrescriptionInputError('PSC mode needs an access token', 'auth.accessToken');
        return { emetteur: auth.emetteur ?? tokenSubject(token) ?? 'PSC', bearer: token };
      }
      case 'card':
        return { emetteur: auth.emetteur ?? auth.professional.idNat, security: [this.assertionPs()!.xml] };
      case 'certificate': {
        const pem = firstCertificatePem(auth.certPem);
        const emetteur = auth.emetteur ?? subjectAttribute(pem, 'OU') ?? subjectAttribute(pem, 'CN');
        if (!emetteur) throw new EPrescriptionInputError('the certificate has neither OU nor CN: give auth.emetteur', 'auth.emetteur');
        return { emetteur };
      }
    }
  }

  private async exchange(operation: EpOperation, body: string, call: CallOptions): Promise<{ element: XmlElement; exchange: EpExchange }> {
    const cred = await this.credentials();
    const req = buildEnvelope(operation, body, {
      lps: this.opts.lps,
      emetteur: cred.emetteur,
      messageId: call.messageId,
      now: this.now(),
      security: cred.security,
      bodyId: cred.security ? '_0' : undefined,
    });
    const { status, text } = await this.post(req, cred.bearer, call);
    let parsed;
    try {
      parsed = parseAnswer(text, operation, status);
    } catch (err) {
      if (err instanceof EPrescriptionProtocolError && status !== 200 && status !== 500) {
        throw new EPrescriptionTransportError(`the ePrescription service answered HTTP ${status} without a SOAP body`, 'http-status', status, err);
      }
      throw err;
    }
    if (parsed.kind === 'fault') throw parsed.fault;
    if (status !== 200) throw new EPrescriptionProtocolError(`${operation}Reponse with HTTP ${status} (expected 200)`, status, text.slice(0, 2000));
    return { element: parsed.element, exchange: { operation, messageId: req.messageId, requestXml: req.xml, responseXml: text, httpStatus: status } };
  }

  private async post(req: BuiltRequest, bearer: string | undefined, call: CallOptions): Promise<{ status: number; text: string }> {
    const timeoutMs = call.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT;
    const headers: Record<string, string | number> = { 'Content-Type': `${SOAP_CONTENT_TYPE};action="${req.action}"`, Accept: 'application/soap+xml' };
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    if (this.opts.sandbox) headers['X-Segur-Sandbox'] = this.opts.sandbox;
    const scenario = call.scenario ?? this.opts.scenario;
    if (scenario) headers['X-Segur-Scenario'] = scenario;
    const answer = await postBounded(this.url, Buffer.from(req.xml, 'utf8'), { headers, agent: this.agent, timeoutMs, maxBytes: this.opts.maxResponseBytes ?? DEFAULT_MAX_BYTES }, (f) => {
      switch (f.kind) {
        case 'timeout':
          return new EPrescriptionTimeoutError(f.timeoutMs);
        case 'too-large':
          return new EPrescriptionTransportError(`answer larger than ${f.limit} bytes`, 'too-large', f.status);
        case 'cut':
          return new EPrescriptionTransportError('answer interrupted: the connection closed', 'network', f.status);
        case 'response':
          return new EPrescriptionTransportError(`answer interrupted: ${f.error.message}`, 'network', f.status, f.error);
        case 'request': {
          const tls = /CERT|SSL|TLS|certificate|self[- ]signed|alert/i.test(`${f.error.code ?? ''} ${f.error.message}`);
          return new EPrescriptionTransportError(`cannot reach the ePrescription service at ${this.url.host}: ${f.error.message}`, tls ? 'tls' : 'network', undefined, f.error);
        }
      }
    });
    return { status: answer.status, text: answer.body.toString('utf8') };
  }
}
