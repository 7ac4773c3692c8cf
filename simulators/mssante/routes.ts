/**
 * HTTP side of the MSSanté simulator: the trust list file under `/mssante`, a description of the mail
 * listeners, and admin views of a sandbox's mailboxes (`/_admin/sandboxes/<id>/mssante/...`).
 */
import { admin, AdminError } from '../core/admin/http.js';
import type { HostContext } from '../core/host-context.js';
import type { HostApp } from '../core/service.js';
import { DEFAULT_FOLDERS, MES_MAX_MESSAGE_BYTES, PLAIN_ENV, TRUST_LIST_FILE } from './constants.js';
import { directoryOf, normalizeAddress } from './directory.js';
import { decodedHeader } from './mime/message.js';
import { mssanteRuntime } from './runtime.js';
import { folderKey, mailStore } from './store/mail-store.js';
import { trustListXml } from './trust-list.js';
import { registerCitizenRoutes } from './citizen/routes.js';
import { registerCorrespondentRoutes } from './correspondents/routes.js';

export function registerMssanteRoutes(app: HostApp, host: HostContext): void {
  registerCitizenRoutes(app, host);
  registerCorrespondentRoutes(app, host);

  app.get(`/mssante/${TRUST_LIST_FILE}`, async (c) => {
    const exchange = c.get('exchange');
    const forced = await exchange.enter('trust-list');
    if (forced) return forced;
    const directory = directoryOf(exchange.sandbox.world, mssanteRuntime(host).extraApp);
    const xml = trustListXml(directory, new Date(host.clock.now()));
    exchange.summary = { domains: directory.trustDomains().length };
    return c.body(xml, 200, { 'content-type': 'application/xml; charset=utf-8' });
  });

  app.get('/mssante', async (c) => {
    const exchange = c.get('exchange');
    const forced = await exchange.enter('info');
    if (forced) return forced;
    const rt = mssanteRuntime(host);
    const listeners = Object.fromEntries(host.runtime.listeners.filter((l) => l.name === 'smtp' || l.name === 'imap').map((l) => [l.name, l.url]));
    return c.json({
      service: 'mssante',
      listeners,
      trustList: `/mssante/${TRUST_LIST_FILE}`,
      maxMessageBytes: rt.settings.maxMessageBytes,
      monEspaceSanteMaxBytes: MES_MAX_MESSAGE_BYTES,
      trainerMode: rt.settings.trainerPassword !== undefined ? { enabled: true, password: rt.settings.trainerPassword === 'segur-sim' ? 'segur-sim' : '(set by ' + PLAIN_ENV + ')' } : { enabled: false, enableWith: `${PLAIN_ENV}=1` },
      login: '<mailbox address>[+<sandbox>] (XOAUTH2 user=, PLAIN/LOGIN user name)',
      folders: DEFAULT_FOLDERS.map((f) => f.name),
    });
  });

  app.get('/_admin/sandboxes/:id/mssante/mailboxes', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const directory = directoryOf(sandbox.world, mssanteRuntime(host).extraApp);
      const store = await mailStore(sandbox, host.clock, host.log);
      const withState = new Set(store.accountAddresses());
      const all = c.req.query('all') === 'true';
      const mailboxes = directory
        .all()
        .filter((m) => all || withState.has(m.address))
        .map((m) => {
          const account = store.peekAccount(m.address);
          return {
            address: m.address,
            type: m.type,
            ownerKind: m.ownerKind,
            ownerId: m.ownerId,
            description: m.description,
            ...(m.magic.length ? { magic: m.magic } : {}),
            folders: account ? [...account.folders.values()].map((f) => ({ name: f.name, messages: f.messages.length, unseen: f.messages.filter((x) => !x.flags.has('\\Seen')).length, uidValidity: f.uidValidity, uidNext: f.uidNext, specialUse: f.specialUse })) : [],
          };
        });
      return c.json({ sandbox: sandbox.id, directorySize: directory.all().length, mailboxes });
    }),
  );

  app.get('/_admin/sandboxes/:id/mssante/mailboxes/:address/messages', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const address = normalizeAddress(c.req.param('address'));
      const directory = directoryOf(sandbox.world, mssanteRuntime(host).extraApp);
      if (!directory.get(address)) throw new AdminError(404, 'UnknownMailbox', `no mailbox ${address} in the world of sandbox ${sandbox.id}`);
      const store = await mailStore(sandbox, host.clock, host.log);
      const folderName = c.req.query('folder') ?? 'INBOX';
      const account = store.peekAccount(address);
      const folder = account?.folders.get(folderKey(folderName));
      if (!folder) {
        if (!account) return c.json({ sandbox: sandbox.id, mailbox: address, folder: folderName, messages: [] });
        throw new AdminError(404, 'UnknownFolder', `no folder ${folderName} in ${address}`);
      }
      const messages = await Promise.all(
        folder.messages.map(async (m) => {
          const parsed = await store.parsed(m.blob);
          const h = (name: string) => (parsed ? decodedHeader(parsed.mime.root, name) : undefined);
          return {
            uid: m.uid,
            flags: [...m.flags],
            size: m.size,
            internalDate: new Date(m.internalDate).toISOString(),
            from: h('from'),
            to: h('to'),
            subject: h('subject'),
            date: h('date'),
            messageId: h('message-id'),
            contentType: parsed?.mime.root.contentType.value,
            delivery: m.meta,
          };
        }),
      );
      return c.json({ sandbox: sandbox.id, mailbox: address, folder: folder.name, uidValidity: folder.uidValidity, uidNext: folder.uidNext, messages });
    }),
  );

  app.get('/_admin/sandboxes/:id/mssante/mailboxes/:address/messages/:uid', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const address = normalizeAddress(c.req.param('address'));
      const store = await mailStore(sandbox, host.clock, host.log);
      const folder = store.peekAccount(address)?.folders.get(folderKey(c.req.query('folder') ?? 'INBOX'));
      const uid = Number(c.req.param('uid'));
      const record = folder?.messages.find((m) => m.uid === uid);
      if (!record) throw new AdminError(404, 'UnknownMessage', `no message with UID ${c.req.param('uid')} in ${address} ${c.req.query('folder') ?? 'INBOX'}`);
      const raw = await store.raw(record.blob);
      if (!raw) throw new AdminError(500, 'MissingBlob', `the bytes of message ${uid} are missing from the store`);
      return c.body(new Uint8Array(raw), 200, { 'content-type': 'message/rfc822' });
    }),
  );
}
