/**
 * MSSanté operator simulator: SMTP submission and IMAP4rev1 (the ports the host reserves), the trust list
 * under `/mssante`, admin views of the mailboxes. See README.md in this folder.
 */
import { z } from 'zod';
import type { World } from '../../fixtures/index.js';
import type { RuleSpec } from '../../scenarios/engine/types.js';
import { jsonError } from '../core/errors/renderers.js';
import type { SimulatorService } from '../core/service.js';
import { MSSANTE_SERVICE_ID } from './constants.js';
import { correspondentOutcomes } from './correspondents/schedule.js';
import { directoryOf } from './directory.js';
import { createImapServer } from './imap/server.js';
import { IMAP_REPLY_OUTCOME } from './imap/session.js';
import { MAILBOX_FULL_OUTCOME, TOKEN_EXPIRED_OUTCOME } from './tcp-exchange.js';
import { registerMssanteRoutes } from './routes.js';
import { mssanteRuntime } from './runtime.js';
import { BOUNCE_OUTCOME, createSmtpServer, SMTP_REPLY_OUTCOME } from './smtp/server.js';
import { mailTls } from './tls.js';

export const mssanteService: SimulatorService = {
  id: MSSANTE_SERVICE_ID,
  title: 'MSSanté',
  mounts: ['/mssante'],
  outcomes: [
    ...correspondentOutcomes,
    {
      name: SMTP_REPLY_OUTCOME,
      service: MSSANTE_SERVICE_ID,
      description: 'SMTP: answer the operation (smtp.connect, smtp.auth, smtp.mail, smtp.rcpt, smtp.data) with this reply instead of serving it (4xx temporary, 5xx permanent; at smtp.connect the greeting refuses and the connection closes)',
      params: z.object({
        code: z.number().int().min(400).max(599),
        enhanced: z
          .string()
          .regex(/^[45]\.\d{1,3}\.\d{1,3}$/)
          .optional(),
        message: z.string().max(400).optional(),
      }),
    },
    {
      name: IMAP_REPLY_OUTCOME,
      service: MSSANTE_SERVICE_ID,
      description: 'IMAP: answer the command (imap.<command>, imap.connect) with NO / BAD, or BYE and close the connection',
      params: z.object({ status: z.enum(['NO', 'BAD', 'BYE']), code: z.string().max(80).optional(), text: z.string().max(400).optional() }),
    },
    {
      name: TOKEN_EXPIRED_OUTCOME,
      service: MSSANTE_SERVICE_ID,
      description:
        'SMTP/IMAP: the session\'s PSC access token expires now (when: now) or is checked against its real exp (when: exp). IMAP: * BYE Session invalidated - AccessTokenExpired (imap: bye) or NO [AUTHENTICATIONFAILED] and back to not authenticated (imap: no); SMTP: the login is dropped and the stage answers smtpCode (530 5.7.0, 454 4.7.0 or 535 5.7.8)',
      params: z.object({
        when: z.enum(['now', 'exp']).default('now'),
        imap: z.enum(['bye', 'no']).default('bye'),
        smtpCode: z.union([z.literal(530), z.literal(454), z.literal(535)]).default(530),
        text: z.string().max(400).optional(),
      }),
    },
    {
      name: MAILBOX_FULL_OUTCOME,
      service: MSSANTE_SERVICE_ID,
      description: 'Mailbox over quota. SMTP (smtp.rcpt): 452 4.2.2 (or 552 5.2.2 with permanent: true); IMAP (imap.append, imap.copy, imap.move, imap.uid-copy, imap.uid-move): NO [OVERQUOTA]',
      params: z.object({ permanent: z.boolean().default(false), text: z.string().max(400).optional() }),
    },
    {
      name: BOUNCE_OUTCOME,
      service: MSSANTE_SERVICE_ID,
      description: 'SMTP (smtp.rcpt): accept the recipient, then bounce: nothing is delivered and the sender receives a DSN failure report',
      params: z.object({
        status: z
          .string()
          .regex(/^5\.\d{1,3}\.\d{1,3}$/)
          .default('5.1.1'),
        diagnostic: z.string().max(400).optional(),
      }),
    },
  ],
  magicRules(world: World): RuleSpec[] {
    return directoryOf(world)
      .all()
      .filter((m) => m.magic.includes('mss-bounce'))
      .map((m) => ({
        id: `mss-bounce-${m.ownerId}-${m.type.toLowerCase()}`,
        description: `magic fixture mss-bounce: messages to ${m.address} bounce with a DSN`,
        match: { operation: 'smtp.rcpt', facts: { recipient: m.address } },
        effects: [{ outcome: { name: BOUNCE_OUTCOME, with: {} } }],
      }));
  },
  routes(app, host) {
    registerMssanteRoutes(app, host);
  },
  tcpListeners(host) {
    const rt = mssanteRuntime(host);
    return {
      smtp: createSmtpServer(host, rt.settings, rt.auth),
      imap: createImapServer({ host, settings: rt.settings, auth: rt.auth, tls: mailTls(host.pki) }),
    };
  },
  renderError: jsonError,
};
