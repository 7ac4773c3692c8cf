/**
 * Admin routes of the simulated correspondents:
 * `POST /_admin/sandboxes/<id>/mssante/correspondents/send` `{ from?: lab|imaging, to, patientId?, kind?, replace?, delete?, readReceipt? }`
 * `GET  /_admin/sandboxes/<id>/mssante/correspondents`       the cast and what it sent
 * `POST /_admin/sandboxes/<id>/mssante/correspondents/tick`  evaluate `correspondents.tick` now
 */
import { admin, AdminError, jsonBody } from '../../core/admin/http.js';
import type { HostContext } from '../../core/host-context.js';
import type { HostApp } from '../../core/service.js';
import { correspondent } from './cast.js';
import { correspondentLedger } from './ledger.js';
import { correspondentSendParams, resolveTargets, startCorrespondentTicker, tickSandbox } from './schedule.js';
import { CorrespondentError, sendCorrespondentResult } from './send.js';

export function registerCorrespondentRoutes(app: HostApp, host: HostContext): void {
  startCorrespondentTicker(host);

  const wrap = (fn: () => Promise<Response>) =>
    admin(async () => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof CorrespondentError) throw new AdminError(err.status, err.code, err.message);
        throw err;
      }
    });

  app.post('/_admin/sandboxes/:id/mssante/correspondents/send', (c) =>
    wrap(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const body = await jsonBody(c, correspondentSendParams.partial({ from: true }));
      const params = { ...body, from: body.from ?? (body.kind === 'cr-imagerie' ? 'imaging' : 'lab') } as const;
      let targets;
      try {
        targets = await resolveTargets(sandbox, params);
      } catch (err) {
        throw new AdminError(404, 'UnknownDocument', (err as Error).message);
      }
      return c.json(await sendCorrespondentResult(host, sandbox, { ...params, ...targets, from: body.from }));
    }),
  );

  app.get('/_admin/sandboxes/:id/mssante/correspondents', (c) =>
    wrap(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const ledger = await correspondentLedger(sandbox);
      const cast = (['lab', 'imaging'] as const).map((id) => {
        const k = correspondent(sandbox.world, id);
        return k ? { id, label: k.label, address: k.address, author: `${k.author.firstName} ${k.author.lastName}`, authorId: k.author.id, structureId: k.structure.id, defaultKind: k.defaultKind, nil: k.nil } : { id, missing: true };
      });
      return c.json({ sandbox: sandbox.id, correspondents: cast, documents: ledger.all() });
    }),
  );

  app.post('/_admin/sandboxes/:id/mssante/correspondents/tick', (c) =>
    wrap(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const { decision, sent } = await tickSandbox(host, sandbox);
      return c.json({ sandbox: sandbox.id, channel: decision.channel, explain: decision.explain, fired: decision.fired, sent });
    }),
  );
}
