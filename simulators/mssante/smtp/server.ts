/**
 * SMTP submission (port 587 in production) on `smtp-server`: STARTTLS with the test PKI, AUTH XOAUTH2 with
 * a Pro Santé Connect token (PLAIN/LOGIN in trainer mode), mTLS for applicative mailboxes, SIZE, DSN,
 * ENHANCEDSTATUSCODES; recipients outside the trust space refused; delivery into the sandbox's mail store.
 */
import { randomBytes } from 'node:crypto';
import type { Server as NetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { HostContext } from '../../core/host-context.js';
import { authenticateCertificate, authenticatePassword, authenticateToken, maySendAs, redactToken, xoauth2ErrorChallenge, type AuthContext, type AuthResult, type MailIdentity } from '../auth.js';
import { MES_MAX_MESSAGE_BYTES, OPERATOR_HOSTNAME, type MssanteSettings } from '../constants.js';
import { domainOf, normalizeAddress } from '../directory.js';
import { decodedHeader, parseMime } from '../mime/message.js';
import { StoredBody, type JournalBody } from '../../core/journal/journal.js';
import { mailStore, type MailStore } from '../store/mail-store.js';
import { MAILBOX_FULL_OUTCOME, TcpExchange, type MailboxFullParams, type TcpOperation } from '../tcp-exchange.js';
import { mailTls, verifyClientCert, type MailClientCert } from '../tls.js';
import { deliver, screenSubmission, type DeliveryOutcome, type PlannedRecipient } from './delivery.js';
import { installEnhancedCodes, smtpError } from './replies.js';

export const SMTP_REPLY_OUTCOME = 'mssante.smtp-reply';
export const BOUNCE_OUTCOME = 'mssante.bounce';

interface Transaction {
  id: string;
  mailFrom: string;
  recipients: PlannedRecipient[];
  rejected: { address: string; reply: string }[];
  /** Scenario decisions taken on accepted recipients (magic mss-bounce...), for the DATA journal entry. */
  rcptDecisions: { address: string; channel: string; explain: string }[];
  startedAt: number;
}

interface ConnectionState {
  exchange: TcpExchange;
  cert?: MailClientCert;
  tx?: Transaction;
}

export function createSmtpServer(host: HostContext, settings: MssanteSettings, auth: AuthContext): NetServer {
  const tls = mailTls(host.pki);
  const states = new Map<string, ConnectionState>();

  const authMethods = settings.trainerPassword !== undefined ? ['XOAUTH2', 'PLAIN', 'LOGIN'] : ['XOAUTH2'];

  const server: SMTPServer = new SMTPServer({
    ...tls.serverOptions,
    name: OPERATOR_HOSTNAME,
    banner: 'segur-sim MSSanté operator (simulated, test data only)',
    size: settings.maxMessageBytes,
    authMethods,
    // Applicative mailboxes authenticated by their TLS certificate send without AUTH: checked at MAIL FROM.
    authOptional: true,
    hideDSN: false,
    hideENHANCEDSTATUSCODES: false,
    hideREQUIRETLS: true,
    allowInsecureAuth: false,
    disableReverseLookup: true,
    logger: false,
    socketTimeout: 5 * 60_000,
    closeTimeout: 2_000,
    maxRecipients: 1000,

    onConnect(session, callback) {
      // No AUTH before STARTTLS, not even advertised (RFC 3207 §4.2, as submission servers do).
      session.disabledCommands = ['AUTH'];
      const connection = [...server.connections].find((c) => c.id === session.id);
      if (connection) installEnhancedCodes(connection);
      const socketOf = () => (connection as unknown as { _socket?: import('node:net').Socket } | undefined)?._socket;
      const state: ConnectionState = { exchange: new TcpExchange(host, 'smtp', socketOf, { address: session.remoteAddress }) };
      states.set(session.id, state);
      void (async () => {
        const op = await state.exchange.decide('smtp.connect', { client: session.remoteAddress });
        if (await applyFault(state, op, { command: 'CONNECT' })) return callback(smtpError(421, '4.3.2', 'Service not available'));
        const forced = forcedReply(op);
        if (forced) {
          state.exchange.journal({ operation: op, request: { command: 'CONNECT' }, response: { status: forced.responseCode, text: forced.message } });
          return callback(forced);
        }
        if (TcpExchange.fired(op)) state.exchange.journal({ operation: op, request: { command: 'CONNECT' }, response: { status: 220, text: 'greeting' } });
        callback();
      })().catch((err) => callback(internal(host, err)));
    },

    onSecure(socket, session, callback) {
      session.disabledCommands = [];
      const state = states.get(session.id);
      if (state) {
        state.cert = verifyClientCert(socket as TLSSocket, tls.cas);
        if (state.cert.present) state.exchange.certificate = state.cert.subject;
      }
      callback();
    },

    onAuth(authData: SMTPServerAuthentication, session, callback) {
      const state = states.get(session.id);
      if (!state) return callback(smtpError(454, '4.7.0', 'Temporary authentication failure'));
      void (async () => {
        const login = authData.username ?? '';
        const op = await state.exchange.decide('smtp.auth', { login: login.toLowerCase(), method: authData.method });
        const command = `AUTH ${authData.method} ${login}${authData.accessToken ? ` token=${redactToken(authData.accessToken)}` : ''}`;
        if (await applyFault(state, op, { command })) return callback(smtpError(454, '4.7.0', 'Temporary authentication failure'));
        const forced = forcedReply(op);
        if (forced) {
          state.exchange.journal({ operation: op, request: { command }, response: { status: forced.responseCode, text: forced.message } });
          return callback(forced);
        }
        let result: AuthResult;
        if (authData.method === 'XOAUTH2') result = await authenticateToken(auth, login, authData.accessToken ?? '');
        else if (authData.method === 'PLAIN' || authData.method === 'LOGIN') result = await authenticatePassword(auth, authData.method, login, authData.password ?? '', state.cert);
        else result = { ok: false, reason: `${authData.method} is not offered` };
        if (result.ok && state.exchange.tokenExpired(op, result.identity.expiresAt)) result = { ok: false, reason: 'PSC token rejected by introspection: token expired (segur-sim scenario)', sandbox: result.identity.sandbox };
        if (result.ok) {
          state.exchange.bind(result.identity.sandbox);
          state.exchange.journal({ operation: op, request: { command }, response: { status: 235, text: '2.7.0 Authentication successful' }, summary: identitySummary(result.identity) });
          return callback(null, { user: result.identity });
        }
        state.exchange.journal({
          operation: op,
          request: { command },
          response: { status: 535, text: '5.7.8 Authentication credentials invalid' },
          summary: { login, method: authData.method, reason: result.reason },
          verdicts: [{ level: 'error', rule: 'mssante.auth', message: result.reason }],
          into: result.sandbox,
        });
        // XOAUTH2: the Gmail-style JSON challenge (334), then 535 once the client answers it.
        if (authData.method === 'XOAUTH2') return callback(null, { data: xoauth2ErrorChallenge() });
        callback(smtpError(535, '5.7.8', `Authentication credentials invalid (${result.reason})`));
      })().catch((err) => callback(internal(host, err)));
    },

    onMailFrom(address: SMTPServerAddress, session, callback) {
      const state = states.get(session.id);
      if (!state) return callback(smtpError(451, '4.3.0', 'Local error in processing'));
      void (async () => {
        const command = `MAIL FROM:<${address.address}>${formatArgs(address.args)}`;
        let identity = session.user as MailIdentity | undefined;
        if (!identity) {
          if (!session.secure) return callback(smtpError(530, '5.7.0', 'Must issue a STARTTLS command first'));
          const byCert = await authenticateCertificate(auth, state.cert, undefined, 'CERTIFICATE');
          if (!byCert.ok) {
            state.exchange.journal({ operation: 'smtp.mail', request: { command }, response: { status: 530, text: '5.7.0 Authentication required' }, summary: { reason: byCert.reason }, into: byCert.sandbox });
            return callback(smtpError(530, '5.7.0', 'Authentication required (AUTH XOAUTH2 with a Pro Santé Connect token, or the applicative mailbox certificate)'));
          }
          identity = byCert.identity;
          session.user = identity;
          state.exchange.bind(identity.sandbox);
        }
        const sender = address.address ? normalizeAddress(address.address) : '';
        const op = await state.exchange.decide('smtp.mail', { login: identity.mailbox.address, sender });
        if (await applyFault(state, op, { command })) return callback(smtpError(451, '4.3.0', 'Local error in processing'));
        const forced = forcedReply(op);
        if (forced) {
          state.exchange.journal({ operation: op, request: { command }, response: { status: forced.responseCode, text: forced.message } });
          return callback(forced);
        }
        if (expireLogin(state, op, session, identity, command, callback)) return;
        const may = maySendAs(identity, sender);
        if (!may.ok) {
          const text = `5.7.1 <${sender}>: Sender address rejected: not owned by user ${identity.mailbox.address}`;
          state.exchange.journal({ operation: op, request: { command }, response: { status: 553, text }, summary: { reason: may.reason }, verdicts: [{ level: 'error', rule: 'mssante.sender', message: may.reason }] });
          return callback(smtpError(553, '5.7.1', `<${sender}>: Sender address rejected: not owned by user ${identity.mailbox.address}`));
        }
        state.tx = { id: queueId(), mailFrom: sender, recipients: [], rejected: [], rcptDecisions: [], startedAt: host.clock.now() };
        if (TcpExchange.fired(op)) state.exchange.journal({ operation: op, request: { command }, response: { status: 250, text: '2.1.0 Ok' }, summary: { transaction: state.tx.id } });
        callback();
      })().catch((err) => callback(internal(host, err)));
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      const state = states.get(session.id);
      const identity = session.user as MailIdentity | undefined;
      if (!state?.tx || !identity) return callback(smtpError(503, '5.5.1', 'Error: need MAIL command'));
      const tx = state.tx;
      void (async () => {
        const rcpt = normalizeAddress(address.address);
        const command = `RCPT TO:<${address.address}>${formatArgs(address.args)}`;
        const directory = identity.directory;
        const entry = directory.get(rcpt);
        const op = await state.exchange.decide('smtp.rcpt', { login: identity.mailbox.address, sender: tx.mailFrom, recipient: rcpt, recipientType: entry?.type });
        if (await applyFault(state, op, { command })) return callback(smtpError(451, '4.3.0', 'Local error in processing'));
        const reject = (code: number, enhanced: string, text: string, rule: string) => {
          tx.rejected.push({ address: rcpt, reply: `${code} ${enhanced} ${text}` });
          state.exchange.journal({ operation: op, request: { command }, response: { status: code, text: `${enhanced} ${text}` }, summary: { transaction: tx.id, recipient: rcpt }, verdicts: [{ level: 'error', rule, message: text }] });
          callback(smtpError(code, enhanced, text));
        };
        const forced = forcedReply(op);
        if (forced) return reject(forced.responseCode ?? 550, forced.enhanced, forced.text, 'scenario');
        if (expireLogin(state, op, session, identity, command, callback)) return;
        const full = TcpExchange.outcome<MailboxFullParams>(op, MAILBOX_FULL_OUTCOME);
        if (full) {
          const text = full.text ?? `<${rcpt}>: Recipient address rejected: Mailbox full (quota exceeded)`;
          return full.permanent ? reject(552, '5.2.2', text, 'mssante.quota') : reject(452, '4.2.2', text, 'mssante.quota');
        }
        const domain = domainOf(rcpt);
        if (!domain || !directory.isLocalDomain(domain)) {
          return reject(550, '5.7.1', `<${rcpt}>: Recipient address rejected: domain ${domain || '(none)'} is not in the MSSanté trust space (liste blanche)`, 'mssante.trust-space');
        }
        if (!entry) return reject(550, '5.1.1', `<${rcpt}>: Recipient address rejected: User unknown in virtual mailbox table`, 'mssante.recipient.unknown');
        const bounce = TcpExchange.outcome<{ status: string; diagnostic?: string }>(op, BOUNCE_OUTCOME);
        if (op.decision.channel !== 'default') tx.rcptDecisions.push({ address: rcpt, channel: op.decision.channel, explain: op.decision.explain });
        tx.recipients.push({
          address: rcpt,
          notify: address.dsn?.notify,
          orcpt: address.dsn?.orcpt,
          ...(bounce ? { bounce: { status: bounce.status, diagnostic: bounce.diagnostic ?? `550 ${bounce.status} <${rcpt}>: Recipient address rejected: Mailbox unavailable` } } : {}),
        });
        callback();
      })().catch((err) => callback(internal(host, err)));
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const state = states.get(session.id);
      const identity = session.user as MailIdentity | undefined;
      const chunks: Buffer[] = [];
      let kept = 0;
      stream.on('data', (chunk: Buffer) => {
        // Past the limit the bytes are counted (stream.byteLength) but not kept.
        if (kept <= settings.maxMessageBytes) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      stream.once('end', () => {
        void (async () => {
          if (!state?.tx || !identity) return callback(smtpError(503, '5.5.1', 'Error: need MAIL command'));
          const tx = state.tx;
          state.tx = undefined;
          const raw = Buffer.concat(chunks);
          const recipients = tx.recipients.map((r) => r.address);
          const op = await state.exchange.decide('smtp.data', { login: identity.mailbox.address, sender: tx.mailFrom, recipients, size: stream.byteLength });
          const headers = { 'mail-from': tx.mailFrom, 'rcpt-to': recipients.join(', ') };
          if (await applyFault(state, op, { command: 'DATA', headers })) return callback(smtpError(451, '4.3.0', 'Local error in processing'));
          const forced = forcedReply(op);
          if (forced) {
            state.exchange.journal({ operation: op, request: { command: 'DATA', headers, body: raw }, response: { status: forced.responseCode, text: forced.message }, summary: { transaction: tx.id } });
            return callback(forced);
          }
          if (expireLogin(state, op, session, identity, 'DATA', callback)) return;
          if (stream.sizeExceeded || stream.byteLength > settings.maxMessageBytes) {
            const text = `Message size exceeds fixed maximum message size (${settings.maxMessageBytes} bytes)`;
            state.exchange.journal({ operation: op, request: { command: 'DATA', headers }, response: { status: 552, text: `5.3.4 ${text}` }, summary: { transaction: tx.id, size: stream.byteLength }, verdicts: [{ level: 'error', rule: 'mssante.size', message: text }] });
            return callback(smtpError(552, '5.3.4', text));
          }
          const directory = identity.directory;
          for (const r of tx.recipients) {
            if (!r.bounce && raw.length > MES_MAX_MESSAGE_BYTES && directory.get(r.address)?.type === 'PAT') {
              r.bounce = { status: '5.3.4', diagnostic: `552 5.3.4 Message size exceeds fixed limit: Mon espace santé accepts at most ${MES_MAX_MESSAGE_BYTES} bytes` };
            }
          }
          // Content validation (validation/README.md): strict refuses as an operator would, lenient reports.
          const screening = screenSubmission(raw, { mode: host.config.mode, recipients: tx.recipients.map((r) => ({ address: r.address, type: directory.get(r.address)?.type })) });
          if (screening.refusal) {
            const { code, enhanced, text } = screening.refusal;
            const refused = submitSummary(raw, tx, { results: [], stored: raw }, identity, session.envelope.dsn);
            state.exchange.journal({ operation: op, request: { command: 'DATA', headers, body: raw }, response: { status: code, text: `${enhanced} ${text}` }, summary: { ...refused, validation: screening.validation }, verdicts: screening.verdicts });
            return callback(smtpError(code, enhanced, text));
          }
          const store = await mailStore(identity.sandbox, host.clock, host.log);
          const dsnArgs = session.envelope.dsn;
          const outcome = await deliver({
            store,
            raw,
            mailFrom: tx.mailFrom,
            envelopeDsn: { ret: dsnArgs?.ret ?? null, envid: dsnArgs?.envid ?? null },
            recipients: tx.recipients,
            transaction: tx.id,
            client: { helo: session.hostNameAppearsAs || session.clientHostname, address: session.remoteAddress, login: identity.mailbox.address, tls: session.tlsOptions ? `${session.tlsOptions.standardName ?? session.tlsOptions.name}` : undefined },
            arrival: new Date(host.clock.now()),
          });
          const summary = submitSummary(raw, tx, outcome, identity, dsnArgs);
          state.exchange.journal({ operation: op, request: { command: 'DATA', headers, body: receivedBody(store, raw, outcome.copy) }, response: { status: 250, text: `2.0.0 Ok: queued as ${tx.id}` }, summary: { ...summary, validation: screening.validation }, verdicts: screening.verdicts });
          callback(null, `Ok: queued as ${tx.id}`);
        })().catch((err) => callback(internal(host, err)));
      });
    },

    onClose(session) {
      const state = states.get(session.id);
      states.delete(session.id);
      void state?.exchange.close();
    },
  });

  server.on('error', (err) => host.log(`MSSanté SMTP: ${err.message}`));
  const net = server.server;
  // The host calls this before close(): end every session politely, then drop the sockets.
  (net as NetServer & { closeAllConnections?: () => void }).closeAllConnections = () => {
    for (const connection of server.connections) {
      try {
        connection.send(421, 'segur-sim is shutting down, closing connection');
      } catch {
        /* socket already gone */
      }
      (connection as unknown as { _socket?: import('node:net').Socket })._socket?.destroy();
    }
  };
  return net;

  /**
   * The `mssante.token-expired` outcome at MAIL/RCPT/DATA: the session's login is dropped (a new AUTH is
   * needed) and the stage answers the chosen code. Calls back and returns true when it applies.
   */
  function expireLogin(state: ConnectionState, op: TcpOperation, session: SMTPServerSession, identity: MailIdentity, command: string, callback: (err: Error) => void): boolean {
    const expired = state.exchange.tokenExpired(op, identity.expiresAt);
    if (!expired) return false;
    const [enhanced, defaultText] = expired.smtpCode === 454 ? ['4.7.0', 'Temporary authentication failure: access token expired'] : expired.smtpCode === 535 ? ['5.7.8', 'Authentication credentials invalid: access token expired'] : ['5.7.0', 'Authentication required: access token expired'];
    const text = expired.text ?? defaultText;
    session.user = undefined;
    state.tx = undefined;
    state.exchange.journal({ operation: op, request: { command }, response: { status: expired.smtpCode, text: `${enhanced} ${text}` }, verdicts: [{ level: 'warning', rule: 'mssante.token-expired', message: text }] });
    callback(smtpError(expired.smtpCode, enhanced, text));
    return true;
  }

  async function applyFault(state: ConnectionState, op: TcpOperation, request: { command: string; headers?: Record<string, string> }): Promise<boolean> {
    const fault = TcpExchange.transportFault(op);
    if (!fault) return false;
    state.exchange.journal({ operation: op, request, response: {}, error: `connection ${fault === 'reset' ? 'reset' : 'hung'} by scenario` });
    await state.exchange.cut(fault);
    return true;
  }
}

/** The `mssante.smtp-reply` outcome of a decision, as the error to answer with. */
function forcedReply(op: TcpOperation): (Error & { responseCode?: number; enhanced: string; text: string }) | undefined {
  const params = TcpExchange.outcome<{ code: number; enhanced?: string; message?: string }>(op, SMTP_REPLY_OUTCOME);
  if (!params) return undefined;
  const enhanced = params.enhanced ?? `${String(params.code)[0]}.0.0`;
  const text = params.message ?? 'Simulated failure (segur-sim scenario)';
  return Object.assign(smtpError(params.code, enhanced, text), { enhanced, text });
}

function identitySummary(identity: MailIdentity): Record<string, unknown> {
  return { mailbox: identity.mailbox.address, mailboxType: identity.mailbox.type, method: identity.method, mode: identity.mode, idNat: identity.idNat, role: identity.role, sandbox: identity.sandbox.id };
}

function submitSummary(raw: Buffer, tx: Transaction, outcome: Awaited<ReturnType<typeof deliver>>, identity: MailIdentity, dsn: { ret: string | null; envid: string | null } | undefined): Record<string, unknown> {
  // Only the top-level header is summarised: parsing it alone spares a walk through every byte of the message.
  const headerEnd = raw.indexOf('\r\n\r\n');
  const mime = parseMime(raw, 0, headerEnd < 0 ? raw.length : headerEnd + 4);
  const h = (name: string) => decodedHeader(mime.root, name);
  return {
    transaction: tx.id,
    login: identity.mailbox.address,
    from: tx.mailFrom,
    to: outcome.results,
    rejected: tx.rejected,
    ...(tx.rcptDecisions.length ? { recipientDecisions: tx.rcptDecisions } : {}),
    size: raw.length,
    subject: h('subject'),
    messageId: h('message-id'),
    mss: { nil: h('x-mss-nil'), ins: h('x-mss-ins'), codeCda: h('x-mss-codecda'), mes: h('x-mss-mes') },
    dsn: { ret: dsn?.ret ?? null, envid: dsn?.envid ?? null, notify: Object.fromEntries(tx.recipients.map((r) => [r.address, r.notify ?? null])) },
    ...(outcome.dsn ? { report: outcome.dsn } : {}),
  };
}

/** The DATA bytes for the journal: read back from the mail store once delivered, so no second copy is held. */
function receivedBody(store: MailStore, raw: Buffer, copy: DeliveryOutcome['copy']): JournalBody {
  if (copy?.offset === undefined) return raw;
  const { blob, offset } = copy;
  return new StoredBody(raw, async () => (await store.raw(blob))?.subarray(offset));
}

function formatArgs(args: SMTPServerAddress['args']): string {
  if (!args) return '';
  return Object.entries(args)
    .map(([k, v]) => (v === true ? ` ${k}` : ` ${k}=${v}`))
    .join('');
}

/** A Postfix-like queue id. */
function queueId(): string {
  return randomBytes(5).toString('hex').toUpperCase();
}

function internal(host: HostContext, err: unknown): Error {
  host.log(`MSSanté SMTP internal error: ${(err as Error).stack ?? err}`);
  return smtpError(451, '4.3.0', 'Local error in processing (segur-sim internal error, see the host log)');
}
