import { z } from 'zod';
import type { HostApp } from '../service.js';
import type { HostContext } from '../host-context.js';
import type { Sandbox } from '../sandbox.js';
import { admin, jsonBody } from './http.js';

const createBody = z.object({ id: z.string().optional(), seed: z.number().int().min(0).optional() }).strict();

export function describeSandbox(host: HostContext, sandbox: Sandbox) {
  return {
    id: sandbox.id,
    seed: sandbox.seed,
    createdAt: sandbox.createdAt,
    activeScenarios: host.engine.active(sandbox.scenarios),
    journalEntries: sandbox.journal.size,
    world: { patients: sandbox.world.patients.length, professionals: sandbox.world.professionals.length, structures: sandbox.world.structures.length },
  };
}

/** Create, list, reset (back to the seeded world) and delete sandboxes. */
export function registerSandboxRoutes(app: HostApp, host: HostContext): void {
  app.get('/_admin/sandboxes', (c) => c.json({ sandboxes: host.sandboxes.list().map((s) => describeSandbox(host, s)) }));

  app.post('/_admin/sandboxes', (c) =>
    admin(async () => {
      const body = await jsonBody(c, createBody);
      const id = body.id ?? `sbx-${crypto.randomUUID().slice(0, 8)}`;
      const sandbox = await host.sandboxes.create(id, { seed: body.seed });
      return c.json(describeSandbox(host, sandbox), 201);
    }),
  );

  app.get('/_admin/sandboxes/:id', (c) => admin(() => c.json(describeSandbox(host, host.sandboxes.mustGet(c.req.param('id'))))));

  app.post('/_admin/sandboxes/:id/reset', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.reset(c.req.param('id'));
      return c.json(describeSandbox(host, sandbox));
    }),
  );

  app.delete('/_admin/sandboxes/:id', (c) =>
    admin(async () => {
      await host.sandboxes.delete(c.req.param('id'));
      return c.body(null, 204);
    }),
  );
}
