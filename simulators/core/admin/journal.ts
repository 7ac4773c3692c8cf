import { streamSSE } from 'hono/streaming';
import type { JournalEntry, JournalFilter } from '../journal/journal.js';
import type { HostApp } from '../service.js';
import type { HostContext } from '../host-context.js';
import { AdminError, admin, intQuery, timeQuery } from './http.js';
import type { Context } from 'hono';

function filterOf(c: Context): JournalFilter {
  const verdict = c.req.query('verdict');
  if (verdict && verdict !== 'error' && verdict !== 'warning') throw new AdminError(400, 'InvalidQuery', 'query parameter "verdict" must be "error" or "warning"');
  return {
    service: c.req.query('service') || undefined,
    operation: c.req.query('operation') || undefined,
    afterSeq: intQuery(c, 'after'),
    since: timeQuery(c, 'since'),
    until: timeQuery(c, 'until'),
    status: intQuery(c, 'status'),
    channel: c.req.query('channel') || undefined,
    verdict: verdict as JournalFilter['verdict'],
    q: c.req.query('q') || undefined,
    limit: intQuery(c, 'limit'),
  };
}

function matches(entry: JournalEntry, f: JournalFilter): boolean {
  return (!f.service || entry.service === f.service) && (!f.operation || entry.operation === f.operation);
}

/** Query, export, stream (SSE) and clear a sandbox's journal; fetch whole bodies of capped entries. */
export function registerJournalRoutes(app: HostApp, host: HostContext): void {
  app.get('/_admin/sandboxes/:id/journal', (c) =>
    admin(() => {
      const sandbox = host.sandboxes.mustGet(c.req.param('id'));
      const entries = sandbox.journal.query(filterOf(c));
      return c.json({ sandbox: sandbox.id, count: entries.length, lastSeq: sandbox.journal.lastSeq, entries });
    }),
  );

  app.get('/_admin/sandboxes/:id/journal/export', (c) =>
    admin(() => {
      const sandbox = host.sandboxes.mustGet(c.req.param('id'));
      const body = JSON.stringify({ sandbox: sandbox.id, exportedAt: new Date(host.clock.now()).toISOString(), entries: sandbox.journal.query(filterOf(c)) }, null, 2);
      return c.body(body, 200, { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="segur-sim-journal-${sandbox.id}.json"` });
    }),
  );

  // Live stream: every new entry as an SSE `entry` event (optionally filtered by service/operation).
  app.get('/_admin/sandboxes/:id/journal/stream', (c) =>
    admin(async () => {
      // Following a sandbox that a CI run has not created yet is normal: create it like a request would.
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const filter = filterOf(c);
      return streamSSE(c, async (stream) => {
        const queue: JournalEntry[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = sandbox.journal.subscribe((entry) => {
          if (!matches(entry, filter)) return;
          queue.push(entry);
          wake?.();
        });
        stream.onAbort(() => {
          unsubscribe();
          wake?.();
        });
        for (const entry of filter.afterSeq !== undefined ? sandbox.journal.query(filter) : []) queue.push(entry);
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ sandbox: sandbox.id, lastSeq: sandbox.journal.lastSeq }) });
        while (!stream.aborted) {
          const entry = queue.shift();
          if (entry) {
            await stream.writeSSE({ event: 'entry', id: String(entry.seq), data: JSON.stringify(entry) });
            continue;
          }
          // Wait for the next entry, with a periodic comment so proxies keep the stream open.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 15_000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
          if (!queue.length && !stream.aborted) await stream.write(': keep-alive\n\n');
        }
        unsubscribe();
      });
    }),
  );

  app.get('/_admin/sandboxes/:id/journal/entries/:entry', (c) =>
    admin(() => {
      const entry = host.sandboxes.mustGet(c.req.param('id')).journal.get(c.req.param('entry'));
      if (!entry) throw new AdminError(404, 'UnknownEntry', `no journal entry "${c.req.param('entry')}" (it may have left the ring: see journal.maxEntries)`);
      return c.json(entry);
    }),
  );

  app.get('/_admin/sandboxes/:id/journal/entries/:entry/:part', (c) =>
    admin(async () => {
      const part = c.req.param('part');
      if (part !== 'request' && part !== 'response') throw new AdminError(400, 'InvalidPath', 'part must be "request" or "response"');
      const journal = host.sandboxes.mustGet(c.req.param('id')).journal;
      const entry = journal.get(c.req.param('entry'));
      const body = await journal.body(c.req.param('entry'), part);
      if (!entry || !body) throw new AdminError(404, 'UnknownBody', 'no such entry, or its body was released to keep the journal within journal.maxBodyMemory');
      return c.body(new Uint8Array(body), 200, { 'content-type': entry[part].body.contentType ?? 'application/octet-stream' });
    }),
  );

  app.delete('/_admin/sandboxes/:id/journal', (c) =>
    admin(() => {
      host.sandboxes.mustGet(c.req.param('id')).journal.clear();
      return c.body(null, 204);
    }),
  );
}
