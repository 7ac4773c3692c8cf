/** Errors of the PSC client. OAuth errors keep the server's `error` code (e.g. `invalid_grant`). */
export class PscError extends Error {
  constructor(
    message: string,
    /** OAuth `error` code from the server, or a client-side code (`discovery_failed`, `no_session`, ...). */
    readonly code: string,
    readonly status?: number,
    readonly description?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PscError';
  }
}

/** The session can no longer be refreshed (refresh token expired or revoked): the user must log in again (REM CONF.10). */
export class PscSessionEndedError extends PscError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`PSC session ended: ${reason}`, 'session_ended', undefined, reason, options);
    this.name = 'PscSessionEndedError';
  }
}

/** Bad input given to a builder (VIHF) or a client method. */
export class PscInputError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'PscInputError';
  }
}

interface OAuthLikeError {
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * Normalises what openid-client throws (ResponseBodyError, AuthorizationResponseError, ClientError,
 * WWWAuthenticateChallengeError, network TypeError) into a PscError carrying the OAuth `error` code.
 */
export function toPscError(err: unknown, context: string): PscError {
  if (err instanceof PscError) return err;
  const e = (err ?? {}) as OAuthLikeError;
  if (typeof e.error === 'string') {
    const description = typeof e.error_description === 'string' ? e.error_description : undefined;
    return new PscError(`${context}: ${e.error}${description ? ` (${description})` : ''}`, e.error, typeof e.status === 'number' ? e.status : undefined, description, { cause: err });
  }
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const netCode = typeof cause?.code === 'string' ? cause.code : undefined;
  const code = typeof e.code === 'string' ? e.code : netCode ?? 'request_failed';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  return new PscError(`${context}: ${msg}${netCode && netCode !== code ? ` (${netCode})` : ''}`, code, undefined, undefined, { cause: err });
}
