/**
 * Errors of the MSSanté client. Every one extends MssanteError; `retryable` says whether the same send
 * may succeed later (4xx SMTP replies, connection problems).
 */

export class MssanteError extends Error {
  override name = 'MssanteError';
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable ?? false;
  }
}

/** Nothing was sent: bad INS, documents of several patients, no recipient... */
export class MssanteInputError extends MssanteError {
  override name = 'MssanteInputError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** SMTP stage that refused. */
export type SmtpStage = 'connect' | 'tls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'unknown';

/** One refused recipient. */
export interface RefusedRecipient {
  address: string;
  code?: number;
  enhanced?: string;
  response?: string;
}

/**
 * The operator refused (an SMTP reply) or could not be reached. `code` is the SMTP reply code (535, 550,
 * 552, 421...), `enhanced` the RFC 3463 status (`5.7.1`, `5.1.1`, `5.3.4`...), `stage` where it happened,
 * `recipients` the refused recipients with their own reply.
 */
export class MssanteSmtpError extends MssanteError {
  override name = 'MssanteSmtpError';
  constructor(
    message: string,
    readonly stage: SmtpStage,
    readonly code: number | undefined,
    readonly enhanced: string | undefined,
    readonly response: string | undefined,
    readonly recipients: RefusedRecipient[] = [],
    cause?: unknown,
  ) {
    super(message, { retryable: code === undefined ? stage === 'connect' : code >= 400 && code < 500, cause });
  }

  /** XOAUTH2 / PLAIN refused (535 5.7.8): the token is inactive or does not open this mailbox. */
  get isAuthFailure(): boolean {
    return this.stage === 'auth' || this.code === 535;
  }
}

/** IMAP failure (connection, authentication, command refused). */
export class MssanteImapError extends MssanteError {
  override name = 'MssanteImapError';
  constructor(
    message: string,
    readonly kind: 'connect' | 'auth' | 'command',
    /** Server response code in brackets, e.g. `AUTHENTICATIONFAILED`. */
    readonly serverCode?: string,
    readonly response?: string,
    cause?: unknown,
  ) {
    super(message, { retryable: kind === 'connect', cause });
  }
}

/** `5.7.1` from `550 5.7.1 <addr>: ...`. */
export function enhancedStatus(response: string | undefined): string | undefined {
  return response ? /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(response.trim())?.[1] : undefined;
}
