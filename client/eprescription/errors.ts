/** Errors of the ePrescription client. All extend EPrescriptionError (`retryable` says whether a retry may help). */

export class EPrescriptionError extends Error {
  override name = 'EPrescriptionError';
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable ?? false;
  }
}

/** Nothing was sent: a field is missing or ill-formed. */
export class EPrescriptionInputError extends EPrescriptionError {
  override name = 'EPrescriptionInputError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface FaultInfo {
  /** Detail code: `ep_404`, `desir_550`… */
  code?: string;
  /** Subcode without prefix: `siram_80`… */
  subcode?: string;
  /** `Sender` / `Receiver`. */
  faultCode?: string;
  severite?: string;
  messageId?: string;
  reason?: string;
  detail?: string;
  httpStatus?: number;
}

/** A SOAP 1.2 fault (the service said KO). The subclass tells the family, `code` the exact case. */
export class EPrescriptionFault extends EPrescriptionError {
  override name = 'EPrescriptionFault';
  constructor(readonly fault: FaultInfo) {
    super(`ePrescription fault ${fault.subcode ?? fault.faultCode ?? '?'}/${fault.code ?? '?'}: ${fault.detail ?? fault.reason ?? 'no text'}`, {
      retryable: fault.subcode === 'siram_40',
    });
  }
  get code(): string | undefined {
    return this.fault.code;
  }
  get subcode(): string | undefined {
    return this.fault.subcode;
  }
}

/** siram_10: malformed request (ep_400, ep_401). */
export class EPrescriptionRequestFault extends EPrescriptionFault {
  override name = 'EPrescriptionRequestFault';
}
/** siram_20: no credential, invalid or expired assertion / PSC token (desir_520..522). */
export class EPrescriptionAuthFault extends EPrescriptionFault {
  override name = 'EPrescriptionAuthFault';
}
/** siram_40: service unavailable or technical error (desir_1020, ep_102): retryable. */
export class EPrescriptionUnavailableFault extends EPrescriptionFault {
  override name = 'EPrescriptionUnavailableFault';
}
/** siram_80: business refusal (unknown id, expired, executed, opposition...). */
export class EPrescriptionBusinessFault extends EPrescriptionFault {
  override name = 'EPrescriptionBusinessFault';
}
/** siram_100: not allowed (unknown IDAM, not the acting professional, not the author). */
export class EPrescriptionForbiddenFault extends EPrescriptionFault {
  override name = 'EPrescriptionForbiddenFault';
}

/** The typed fault for a subcode. */
export function faultFor(info: FaultInfo): EPrescriptionFault {
  switch (info.subcode) {
    case 'siram_10':
      return new EPrescriptionRequestFault(info);
    case 'siram_20':
      return new EPrescriptionAuthFault(info);
    case 'siram_40':
      return new EPrescriptionUnavailableFault(info);
    case 'siram_80':
      return new EPrescriptionBusinessFault(info);
    case 'siram_100':
      return new EPrescriptionForbiddenFault(info);
    default:
      return new EPrescriptionFault(info);
  }
}

/** Network-level failure: connection refused or reset, TLS, unexpected HTTP status, answer too large. */
export class EPrescriptionTransportError extends EPrescriptionError {
  override name = 'EPrescriptionTransportError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'tls' | 'http-status' | 'too-large',
    readonly httpStatus?: number,
    cause?: unknown,
  ) {
    super(message, { retryable: kind === 'timeout' || kind === 'network' || (httpStatus !== undefined && httpStatus >= 502 && httpStatus <= 504), cause });
  }
}

/** No answer within the call's timeout: whether the prescription was registered is unknown (§B8). */
export class EPrescriptionTimeoutError extends EPrescriptionTransportError {
  override name = 'EPrescriptionTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the ePrescription service did not answer within ${timeoutMs} ms`, 'timeout');
  }
}

/** The answer is neither the expected response nor a SOAP fault. */
export class EPrescriptionProtocolError extends EPrescriptionError {
  override name = 'EPrescriptionProtocolError';
  constructor(
    message: string,
    readonly httpStatus?: number,
    readonly body?: string,
  ) {
    super(message);
  }
}
