/**
 * Errors of the DMP client. Every one extends DmpError, so a caller can catch them all; `retryable`
 * says whether the same call may succeed later (what the background feeding queue looks at).
 */

export class DmpError extends Error {
  override name = 'DmpError';
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable ?? false;
  }
}

/** What the caller asked cannot be sent (missing INS, empty document list, bad metadata). No network call. */
export class DmpInputError extends DmpError {
  override name = 'DmpInputError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * The DMP cannot be reached or does not serve right now: connection refused or reset, DNS, timeout,
 * HTTP 5xx/429 without a SOAP answer. Always retryable: the feeding queue keeps the document and
 * sends it when the DMP is back.
 */
export class DmpUnavailableError extends DmpError {
  override name = 'DmpUnavailableError';
  constructor(
    message: string,
    readonly kind: 'network' | 'timeout' | 'http-status' | 'tls',
    readonly httpStatus?: number,
    /** Seconds from a `Retry-After` header, when the server gave one. */
    readonly retryAfterSeconds?: number,
    cause?: unknown,
  ) {
    super(message, { retryable: true, cause });
  }
}

/** A transport problem that will not go away by itself (certificate refused, 4xx status, answer too large). */
export class DmpTransportError extends DmpError {
  override name = 'DmpTransportError';
  constructor(
    message: string,
    readonly kind: 'tls' | 'http-status' | 'too-large',
    readonly httpStatus?: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** Subcodes a SOAP fault may carry when the service itself is temporarily out (not a refusal of the request). */
const TRANSIENT_SUBCODE = /busy|outofresources|unavailable|indisponible|timeout|temporar/i;

/** A SOAP fault (SOAP 1.2 Code/Subcode/Reason, or SOAP 1.1 faultcode/faultstring). */
export class DmpSoapFault extends DmpError {
  override name = 'DmpSoapFault';
  constructor(
    readonly fault: {
      /** `Sender` / `Receiver` (SOAP 1.2 Code/Value without prefix), or the SOAP 1.1 faultcode. */
      code: string;
      /** First Subcode/Value as written (prefix kept: `wsa:MessageAddressingHeaderRequired`, `DMPAccessDeniedByRightsService`). */
      subcode?: string;
      reason: string;
      detail?: string;
      httpStatus: number;
      /** wsa:RelatesTo of the fault: the request's MessageID. */
      relatesTo?: string;
    },
  ) {
    super(`DMP SOAP fault ${fault.subcode ?? fault.code}: ${fault.reason}`, {
      retryable:
        /receiver|server/i.test(fault.code) ||
        fault.httpStatus === 502 ||
        fault.httpStatus === 503 ||
        fault.httpStatus === 504 ||
        TRANSIENT_SUBCODE.test(fault.subcode ?? ''),
    });
  }
  get code(): string {
    return this.fault.code;
  }
  get subcode(): string | undefined {
    return this.fault.subcode;
  }
  get reason(): string {
    return this.fault.reason;
  }
  get httpStatus(): number {
    return this.fault.httpStatus;
  }
}

/** One `rs:RegistryError` of an XDS answer. */
export interface RegistryErrorItem {
  errorCode: string;
  codeContext: string;
  location?: string;
  /** `Error` or `Warning` (the `…:ErrorSeverityType:` prefix removed). */
  severity: string;
}

const TRANSIENT_XDS = new Set(['XDSRegistryBusy', 'XDSRepositoryBusy', 'XDSRegistryOutOfResources', 'XDSRepositoryOutOfResources']);

/** An XDS answer with status Failure (or PartialSuccess when the caller treats it as failure): every RegistryError. */
export class DmpRegistryError extends DmpError {
  override name = 'DmpRegistryError';
  constructor(
    readonly status: string,
    readonly errors: RegistryErrorItem[],
  ) {
    super(
      `DMP XDS ${status.split(':').pop()}: ${errors.map((e) => `${e.errorCode}${e.location ? ` (${e.location})` : ''}: ${e.codeContext}`).join('; ') || 'no RegistryError given'}`,
      { retryable: errors.length > 0 && errors.every((e) => TRANSIENT_XDS.has(e.errorCode)) },
    );
  }
  /** Error codes, in order. */
  get codes(): string[] {
    return this.errors.map((e) => e.errorCode);
  }
  has(code: string): boolean {
    return this.errors.some((e) => e.errorCode === code);
  }
}

/**
 * An HL7v3 answer that is not an acceptance: acknowledgement AE/AR, or a reject message
 * (PRPA_IN201313UV02 / PRPA_IN201316UV02) with `acknowledgementDetail` code and text (DMPClosed...).
 */
export class DmpHl7Error extends DmpError {
  override name = 'DmpHl7Error';
  constructor(
    readonly ack: { typeCode: string; interaction?: string; details: { code?: string; text?: string; typeCode?: string }[] },
  ) {
    const what = ack.interaction ? `DMP HL7v3 ${ack.interaction}` : 'DMP HL7v3';
    const details = ack.details.map((d) => [d.code, d.text].filter(Boolean).join(' ')).join('; ');
    super(`${what} acknowledgement ${ack.typeCode}: ${details || 'no detail'}`);
  }
  get typeCode(): string {
    return this.ack.typeCode;
  }
  /** First acknowledgementDetail code (`DMPClosed`, `DMPFound`...). */
  get code(): string | undefined {
    return this.ack.details[0]?.code;
  }
}

/** A habilitations / patientsSpecific answer whose `output/status` is not DMPOk. */
export class DmpStatusError extends DmpError {
  override name = 'DmpStatusError';
  constructor(
    readonly status: string,
    readonly context?: string,
  ) {
    super(`DMP answered status ${status}${context ? `: ${context}` : ''}`);
  }
}

/** The answer is neither the expected message nor a fault (garbage, HTML, wrong element). */
export class DmpProtocolError extends DmpError {
  override name = 'DmpProtocolError';
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly body?: string,
  ) {
    super(message);
  }
}
