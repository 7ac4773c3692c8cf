/**
 * Admin routes of the simulated patient (Mon espace santé side):
 * `GET  /_admin/sandboxes/<id>/mssante/patients/<ins>/messages`
 * `POST /_admin/sandboxes/<id>/mssante/patients/<ins>/messages/<uid>/read`   `{ receipt?: boolean }`
 * `POST /_admin/sandboxes/<id>/mssante/patients/<ins>/messages/<uid>/reply`  `{ text, subject?, attachments? }`
 * `POST /_admin/sandboxes/<id>/mssante/patients/<ins>/messages`              `{ to, text, subject?, attachments? }`
 * A refusal by Mon espace santé's rules is `{ error: { code, message, rule, status, text, detail } }`.
 */
import { z } from 'zod';
import { admin, AdminError, jsonBody } from '../../core/admin/http.js';
import type { HostContext } from '../../core/host-context.js';
import type { HostApp } from '../../core/service.js';
import { CitizenError, listPatientMessages, patientBox, readPatientMessage, replyAsPatient, writeAsPatient } from './patient.js';

const attachment = z.object({ filename: z.string().min(1).max(255), contentType: z.string().max(255).optional(), contentBase64: z.string() }).strict();
const replyBody = z.object({ text: z.string(), subject: z.string().max(998).optional(), attachments: z.array(attachment).max(100).optional() }).strict();
const writeBody = replyBody.extend({ to: z.string().min(3).max(320) }).strict();
const readBody = z.object({ receipt: z.boolean().optional() }).strict();

function uidParam(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new AdminError(400, 'InvalidUid', `UID must be a positive integer (got "${value}")`);
  return n;
}

/** Runs a handler; CitizenErrors become JSON errors carrying MES's refusal. */
function citizen(fn: () => Promise<Response>): Promise<Response> {
  return admin(async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CitizenError) {
        return new Response(JSON.stringify({ error: { code: err.code, message: err.message, ...(err.refusal ?? {}) } }), { status: err.status, headers: { 'content-type': 'application/json; charset=utf-8' } });
      }
      throw err;
    }
  });
}

export function registerCitizenRoutes(app: HostApp, host: HostContext): void {
  const base = '/_admin/sandboxes/:id/mssante/patients/:ins/messages';
  app.get(base, (c) =>
    citizen(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const box = await patientBox(host, sandbox, c.req.param('ins'));
      return c.json({ sandbox: sandbox.id, ...(await listPatientMessages(box)) });
    }),
  );
  app.post(base, (c) =>
    citizen(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const body = await jsonBody(c, writeBody);
      const box = await patientBox(host, sandbox, c.req.param('ins'));
      return c.json(await writeAsPatient(host, sandbox, box, body.to, body));
    }),
  );
  app.post(`${base}/:uid/read`, (c) =>
    citizen(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const body = await jsonBody(c, readBody);
      const box = await patientBox(host, sandbox, c.req.param('ins'));
      return c.json({ sandbox: sandbox.id, patient: box.address, ...(await readPatientMessage(host, box, uidParam(c.req.param('uid')), body)) });
    }),
  );
  app.post(`${base}/:uid/reply`, (c) =>
    citizen(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const body = await jsonBody(c, replyBody);
      const box = await patientBox(host, sandbox, c.req.param('ins'));
      return c.json(await replyAsPatient(host, sandbox, box, uidParam(c.req.param('uid')), body));
    }),
  );
}
