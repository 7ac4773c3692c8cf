/** Errors raised by the INSi client. Every one extends InsiError, so a caller can catch them all. */

export class InsiError extends Error {
  override name = 'InsiError';
  /** True when the same call may succeed later (temporary unavailability, timeout, connection reset). */
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable ?? false;
  }
}

/** The traits or card data cannot be sent (not RNIV-valid, missing field). No network call was made. */
export class InsiInputError extends InsiError {
  override name = 'InsiInputError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The identity status forbids calling INSi (DOUT or FICT, RNIV EXI SI 09). No network call was made. */
export class InsiCallForbiddenError extends InsiError {
  override name = 'InsiCallForbiddenError';
  constructor(
    message: string,
    readonly attributes: readonly string[],
  ) {
    super(message);
  }
}

/** A SOAP 1.2 fault from the service (HTTP 500, `siram:Erreur` detail). */
export class InsiFault extends InsiError {
  override name = 'InsiFault';
  constructor(
    readonly fault: {
      /** Detail code, e.g. `desir_550`, `insi_102`, `DESIR_560`. */
      code?: string;
      /** Subcode without its prefix, e.g. `siram_100`, `siram_40`. */
      subcode?: string;
      /** `Sender` or `Receiver` (prefix removed). */
      faultCode?: string;
      severite?: string;
      /** The request's wsa:MessageID as echoed in `siram:Erreur/@messageID`. */
      messageId?: string;
      reason?: string;
      detail?: string;
      httpStatus?: number;
    },
  ) {
    super(
      `INSi fault ${fault.subcode ?? fault.faultCode ?? '?'}/${fault.code ?? '?'}: ${fault.detail ?? fault.reason ?? 'no text'}`,
      { retryable: fault.subcode === 'siram_40' },
    );
  }
  get code(): string | undefined {
    return this.fault.code;
  }
  get subcode(): string | undefined {
    return this.fault.subcode;
  }
  get severite(): string | undefined {
    return this.fault.severite;
  }
  get messageId(): string | undefined {
    return this.fault.messageId;
  }
}

/** Network-level failure: connection refused or reset, TLS handshake, timeout, unexpected HTTP status. */
export class InsiTransportError extends InsiError {
  override name = 'InsiTransportError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'tls' | 'http-status' | 'too-large',
    readonly httpStatus?: number,
    cause?: unknown,
  ) {
    super(message, { retryable: kind === 'timeout' || kind === 'network' || (httpStatus !== undefined && httpStatus >= 502 && httpStatus <= 504), cause });
  }
}

/** The service answered something that is neither a RESULTAT nor a SOAP fault (garbage, wrong shape). */
export class InsiProtocolError extends InsiError {
  override name = 'InsiProtocolError';
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly body?: string,
  ) {
    super(message);
  }
}
