/**
 * STARTTLS, LOGIN and AUTHENTICATE (XOAUTH2, PLAIN, LOGIN, EXTERNAL), SASL-IR included. Nothing but
 * STARTTLS works before TLS (LOGINDISABLED, PRIVACYREQUIRED).
 */
import { authenticateCertificate, authenticatePassword, authenticateToken, parseXoauth2, redactToken, xoauth2ErrorChallenge, type AuthResult } from '../../auth.js';
import { text } from '../parser.js';
import type { ImapSession, Reply } from '../session.js';
import { NOT_AUTHENTICATED, bad, no, ok, type CommandSpec } from './types.js';

export const authCommands: Record<string, CommandSpec> = {
  STARTTLS: {
    states: NOT_AUTHENTICATED,
    sync: false,
    async handler(s, cmd) {
      if (s.secure) return bad('TLS is already active');
      // The OK must leave in clear before the handshake starts: written here, then the upgrade.
      await s.write(Buffer.from(`${cmd.tag} OK Begin TLS negotiation now\r\n`));
      await s.startTls();
      return { status: 'OK', text: 'Begin TLS negotiation now', written: true, summary: { tls: s.secure, clientCertificate: s.cert?.present ? { authorized: s.cert.authorized, cn: s.cert.subject?.CN, error: s.cert.error } : undefined } };
    },
  },

  LOGIN: {
    states: NOT_AUTHENTICATED,
    async handler(s, cmd) {
      if (!s.secure) return no('LOGIN is disabled before STARTTLS', 'PRIVACYREQUIRED');
      const user = text(cmd.args[0]);
      const pass = text(cmd.args[1]);
      if (user === undefined || pass === undefined || cmd.args.length !== 2) return bad('LOGIN takes a user name and a password');
      return finish(s, await authenticatePassword(s.deps.auth, 'LOGIN', user, pass, s.cert), user, 'LOGIN');
    },
  },

  AUTHENTICATE: {
    states: NOT_AUTHENTICATED,
    async handler(s, cmd) {
      const mechanism = text(cmd.args[0])?.toUpperCase();
      if (!mechanism || cmd.args.length > 2) return bad('AUTHENTICATE takes a mechanism and an optional initial response');
      if (!s.secure) return no('Authentication is disabled before STARTTLS', 'PRIVACYREQUIRED');
      let initial = text(cmd.args[1]);
      const response = async (challenge = ''): Promise<string | undefined> => {
        if (initial !== undefined) {
          const value = initial;
          initial = undefined;
          return value;
        }
        await s.write(Buffer.from(`+ ${challenge}\r\n`));
        const line = await s.nextLine();
        return line?.toString('latin1').trim();
      };
      const cancelled = (v: string | undefined) => v === undefined || v === '*';
      switch (mechanism) {
        case 'XOAUTH2': {
          const b64 = await response();
          if (cancelled(b64)) return bad('AUTHENTICATE cancelled');
          const parsed = parseXoauth2(decode(b64!));
          if (!parsed) return bad('Invalid XOAUTH2 initial response: expected base64 of user=<address>^Aauth=Bearer <token>^A^A');
          const result = await authenticateToken(s.deps.auth, parsed.user, parsed.token);
          if (!result.ok) {
            // Gmail-style: a JSON error challenge, the client answers with an empty line, then NO.
            await s.write(Buffer.from(`+ ${Buffer.from(JSON.stringify(xoauth2ErrorChallenge())).toString('base64')}\r\n`));
            await s.nextLine();
          }
          return finish(s, result, parsed.user, 'XOAUTH2', redactToken(parsed.token));
        }
        case 'PLAIN': {
          const b64 = await response();
          if (cancelled(b64)) return bad('AUTHENTICATE cancelled');
          const fields = decode(b64!).split('\0');
          if (fields.length !== 3) return bad('Invalid PLAIN response: expected base64 of authzid NUL authcid NUL password');
          const [authzid, authcid, password] = fields as [string, string, string];
          const user = authcid || authzid;
          return finish(s, await authenticatePassword(s.deps.auth, 'PLAIN', user, password, s.cert), user, 'PLAIN');
        }
        case 'LOGIN': {
          const u = await response('VXNlcm5hbWU6');
          if (cancelled(u)) return bad('AUTHENTICATE cancelled');
          const p = await response('UGFzc3dvcmQ6');
          if (cancelled(p)) return bad('AUTHENTICATE cancelled');
          const user = decode(u!);
          return finish(s, await authenticatePassword(s.deps.auth, 'LOGIN', user, decode(p!), s.cert), user, 'LOGIN');
        }
        case 'EXTERNAL': {
          const b64 = await response();
          if (b64 === undefined || b64 === '*') return bad('AUTHENTICATE cancelled');
          const authzid = b64 === '=' || b64 === '' ? undefined : decode(b64);
          return finish(s, await authenticateCertificate(s.deps.auth, s.cert, authzid, 'EXTERNAL'), authzid ?? '(certificate)', 'EXTERNAL');
        }
        default:
          return no(`Unsupported authentication mechanism ${mechanism.slice(0, 30)}`, 'CANNOT');
      }
    },
  },
};

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

async function finish(s: ImapSession, result: AuthResult, login: string, method: string, token?: string): Promise<Reply> {
  if (!result.ok) {
    return {
      status: 'NO',
      code: 'AUTHENTICATIONFAILED',
      text: `Authentication failed (${result.reason})`,
      summary: { login, method, ...(token ? { token } : {}), reason: result.reason, sandbox: result.sandbox?.id ?? result.sandboxId },
      verdict: { level: 'error', rule: 'mssante.auth', message: result.reason },
      journalInto: result.sandbox,
    };
  }
  await s.login(result.identity);
  const id = result.identity;
  return ok('Logged in', `CAPABILITY ${s.capabilities().join(' ')}`, { login, method, mailbox: id.mailbox.address, mailboxType: id.mailbox.type, mode: id.mode, idNat: id.idNat, role: id.role, sandbox: id.sandbox.id });
}
