// The baseline: a bare Hono app answering the same JSON as the echo no-op, nothing else.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.all('/_echo/noop', (c) => c.json({ ok: true, sandbox: 'default', transport: 'http', clientCert: null, facts: {}, channel: 'default', tag: null, explain: 'no scenario rule matched' }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening http://127.0.0.1:${info.port}`));
