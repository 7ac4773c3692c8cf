import { searchPersonas } from '../../../fixtures/index.js';
import type { HostApp } from '../service.js';
import type { HostContext } from '../host-context.js';
import { DEFAULT_SANDBOX } from '../sandbox.js';
import { AdminError, admin, intQuery } from './http.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

const KINDS = ['patient', 'professional', 'structure', 'persona'] as const;
type Kind = (typeof KINDS)[number];

/** Personas of a sandbox's world (search by name, INS, RPPS, FINESS, mailbox) and the test PKI files. */
export function registerFixtureRoutes(app: HostApp, host: HostContext): void {
  app.get('/_admin/personas', (c) =>
    admin(() => {
      const sandbox = host.sandboxes.mustGet(c.req.query('sandbox') || DEFAULT_SANDBOX);
      const kind = c.req.query('kind');
      if (kind && !KINDS.includes(kind as Kind)) throw new AdminError(400, 'InvalidQuery', `query parameter "kind" must be one of ${KINDS.join(', ')}`);
      const results = searchPersonas(sandbox.world, { q: c.req.query('q') || undefined, kind: kind as Kind | undefined, limit: intQuery(c, 'limit') ?? 50 });
      return c.json({ sandbox: sandbox.id, seed: sandbox.seed, count: results.length, results });
    }),
  );

  app.get('/_admin/pki', (c) =>
    c.json({ dir: host.pki.dir, p12Password: host.pki.p12Password, files: host.pki.files.map((f) => ({ ...f, url: `/_admin/pki/files/${encodeURIComponent(basename(f.path))}` })) }),
  );

  app.get('/_admin/pki/files/:name', (c) =>
    admin(async () => {
      const file = host.pki.files.find((f) => basename(f.path) === c.req.param('name'));
      if (!file) throw new AdminError(404, 'UnknownFile', `no PKI file named "${c.req.param('name')}" (GET /_admin/pki lists them)`);
      const type = file.path.endsWith('.pem') ? 'application/x-pem-file' : file.path.endsWith('.p12') ? 'application/x-pkcs12' : 'application/pkix-cert';
      return c.body(new Uint8Array(await readFile(file.path)), 200, { 'content-type': type, 'content-disposition': `attachment; filename="${basename(file.path)}"` });
    }),
  );
}
