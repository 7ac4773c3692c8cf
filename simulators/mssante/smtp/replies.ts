/**
 * SMTP replies with the enhanced status code (RFC 3463) the operator means. smtp-server derives the code
 * from the reply number alone (550 → 5.1.1, 552 → 5.2.2...); a refusal for policy needs 5.7.1 and one for
 * size 5.3.4, so each connection's reply writer is taught to take a leading `x.y.z ` from the text.
 */
import type { SMTPServer } from 'smtp-server';

type SMTPConnection = SMTPServer['connections'] extends Set<infer C> ? C : never;

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3}) ([\s\S]*)$/;

/** An error smtp-server answers with: `code enhanced text`. */
export function smtpError(code: number, enhanced: string, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(`${enhanced} ${text}`), { responseCode: code });
}

interface PatchableConnection {
  send(code: number, data?: unknown, context?: unknown): void;
  _getEnhancedStatusCode(code: number, context?: unknown): string;
}

/** Lets a reply text starting with an enhanced code choose it (instance-level; smtp-server's own codes otherwise). */
export function installEnhancedCodes(connection: SMTPConnection): void {
  const conn = connection as unknown as PatchableConnection;
  if (typeof conn.send !== 'function' || typeof conn._getEnhancedStatusCode !== 'function') return;
  const send = conn.send.bind(conn);
  const derive = conn._getEnhancedStatusCode.bind(conn);
  let override: string | undefined;
  conn._getEnhancedStatusCode = (code, context) => {
    const derived = derive(code, context);
    return override && derived ? override : derived;
  };
  conn.send = (code, data, context) => {
    const match = typeof data === 'string' ? ENHANCED.exec(data) : null;
    if (!match || match[1]![0] !== String(code)[0]) return send(code, data, context);
    override = match[1];
    try {
      send(code, match[2], context);
    } finally {
      override = undefined;
    }
  };
}
