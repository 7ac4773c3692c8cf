/**
 * DMP simulator: the six SOAP 1.2 services under `/si-dmp-server/v2/services/` (dmp.md §1.1). This file is
 * the pipeline every call goes through — body (plain or MTOM), envelope, WS-Addressing, VIHF, scenario
 * decision — before the transaction handler of its wsa:Action. See README.md.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { RequestFacts } from '../../scenarios/engine/types.js';
import type { Exchange } from '../core/exchange.js';
import type { HostContext } from '../core/host-context.js';
import { rawHeader } from '../core/sandbox-routing.js';
import type { HostApp, HostEnv, ProtocolError, SimulatorService } from '../core/service.js';
import { parseXml, XmlSyntaxError } from '../core/xml/tree.js';
import { BASE_PATH, ENDPOINTS, type DmpEndpoint } from './constants.js';
import { handlers } from './handlers.js';
import { buildMultipart, isMultipart, parseMultipart } from './mtom.js';
import { faultEnvelope, readEnvelope, requireAddressing, responseEnvelope } from './soap.js';
import { dmpStore } from './store.js';
import { DmpFault, type Attachment, type DmpReply } from './types.js';
import { checkCard, readVihf } from './vihf.js';
import { wsdlFor, xsdFor } from './wsdl.js';
import { xdsOutcomes } from './xds/common.js';
import { WEB_PS_BASE, webPsRoutes } from './web-ps/routes.js';

const SOAP12 = 'application/soap+xml; charset=utf-8';
const decoder = new TextDecoder();

function faultResponse(fault: { status: number; code: string; message: string; side?: 'Sender' | 'Receiver' }, relatesTo?: string): Response {
  return new Response(faultEnvelope(fault, relatesTo), { status: fault.status, headers: { 'content-type': SOAP12 } });
}

export function renderDmpError(error: ProtocolError): Response {
  return faultResponse({ status: error.status, code: error.detail ?? error.code, message: error.detailText ?? error.message, side: error.status >= 500 ? 'Receiver' : 'Sender' }, error.messageId);
}

/** The URL of a service as the client reached it (`/_sandbox/<id>` prefix kept), for WSDL addresses. */
function addressOf(exchange: Exchange, c: Context<HostEnv>, endpoint: DmpEndpoint): string {
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const host = rawHeader(c.env?.incoming?.rawHeaders ?? [], 'host') ?? url.slice(url.indexOf('//') + 2, start);
  const sandbox = /^\/_sandbox\/[^/]+/.exec(url.slice(start))?.[0] ?? '';
  return `${exchange.transport}://${host}${sandbox}${BASE_PATH}/${endpoint}`;
}

async function serveGet(c: Context<HostEnv>, endpoint: DmpEndpoint): Promise<Response> {
  const exchange = c.get('exchange');
  const query = c.req.url.includes('?') ? c.req.url.slice(c.req.url.indexOf('?') + 1) : '';
  if (/^wsdl(=|&|$)/i.test(query)) {
    exchange.operation = 'wsdl';
    const wsdl = wsdlFor(endpoint, addressOf(exchange, c, endpoint));
    if (wsdl) return c.body(wsdl, 200, { 'content-type': 'text/xml; charset=utf-8' });
  }
  const xsd = /^xsd=([A-Za-z0-9_.-]+)/.exec(query)?.[1];
  if (xsd) {
    exchange.operation = 'xsd';
    const schema = xsdFor(xsd);
    if (schema) return c.body(schema, 200, { 'content-type': 'text/xml; charset=utf-8' });
    return faultResponse({ status: 404, code: 'NotFound', message: `unknown schema "${xsd}"` });
  }
  exchange.operation = 'get';
  return faultResponse({ status: 405, code: 'InvalidMessage', message: `the DMP ${endpoint} service expects a SOAP 1.2 POST; its WSDL is at ?wsdl` });
}

async function servePost(c: Context<HostEnv>, host: HostContext, endpoint: DmpEndpoint): Promise<Response> {
  const exchange = c.get('exchange');
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const contentType = rawHeader(c.env?.incoming?.rawHeaders ?? [], 'content-type') ?? '';
  let messageId: string | undefined;
  const mtomIn = isMultipart(contentType);
  try {
    // 1. Body: MTOM or plain.
    let text: string;
    let attachments = new Map<string, Attachment>();
    if (mtomIn) {
      const multipart = parseMultipart(bytes, contentType);
      text = multipart.root;
      attachments = multipart.attachments;
    } else {
      text = decoder.decode(bytes);
      if (!/^\s*application\/soap\+xml/i.test(contentType)) exchange.verdict('warning', 'dmp.content-type', `Content-Type "${contentType}" is not application/soap+xml (SOAP 1.2)`);
    }
    // 2. Envelope and WS-Addressing.
    let root;
    try {
      root = parseXml(text, { maxDepth: 128 });
    } catch (err) {
      if (err instanceof XmlSyntaxError) throw new DmpFault(400, 'InvalidMessage', `the request is not well-formed XML (line ${err.line}, column ${err.column}): ${err.message}`);
      throw err;
    }
    const env = readEnvelope(root);
    messageId = env.messageId;
    exchange.messageId = messageId;
    const entry = env.action ? handlers[env.action] : undefined;
    exchange.summary = { endpoint, action: env.action, mtom: mtomIn, parts: attachments.size };
    const { action } = requireAddressing(env);
    if (!entry || entry.endpoint !== endpoint) {
      throw new DmpFault(400, 'wsa:ActionNotSupported', `the action "${action}" cannot be processed by the ${endpoint} service${entry ? ` (it belongs to ${entry.endpoint})` : ''}`);
    }
    // 3. VIHF.
    const reading = readVihf(env.security);
    for (const w of reading.warnings) exchange.verdict('warning', 'dmp.vihf', w);
    for (const e of reading.errors) exchange.verdict('error', 'dmp.vihf', e);
    const vihf = reading.vihf;
    if (vihf) for (const w of checkCard(vihf, exchange.transport, exchange.clientCert)) exchange.verdict('warning', 'dmp.card', w);
    const facts: RequestFacts = { endpoint, ins: vihf?.patientIns, nameId: vihf?.nameId, authMode: vihf?.authMode, purposeOfUse: vihf?.purposeOfUse, profession: vihf?.profession?.code };
    const operation = entry.operationOf?.(env.body) ?? entry.operation;
    Object.assign(exchange.summary, { operation, ins: vihf?.patientIns, nameId: vihf?.nameId, authMode: vihf?.authMode, purposeOfUse: vihf?.purposeOfUse });
    // 4. Scenario: latency, outages, forced faults.
    const forced = await exchange.enter(operation, facts);
    if (forced) return forced;
    if (!vihf || (reading.errors.length && exchange.rejects)) {
      throw new DmpFault(400, 'wsse:InvalidSecurity', `An error was discovered processing the <wsse:Security> header: ${reading.errors.join('; ')}`);
    }
    // 5. The transaction.
    const store = await dmpStore(exchange.sandbox, host.log);
    const reply = await entry.handle({ exchange, host, endpoint, soapVersion: env.soapVersion, action, messageId: env.messageId!, body: env.body, envelope: root, attachments, vihf, store, now: host.clock.now() });
    return respond(reply, env.messageId!, mtomIn && endpoint === 'repository');
  } catch (err) {
    if (!(err instanceof DmpFault)) throw err;
    exchange.verdict('error', 'dmp.fault', `${err.code}: ${err.message}`);
    exchange.summary.fault = err.code;
    if (!exchange.decision) {
      // Malformed requests still meet the engine: an outage hides the service before it reads anything.
      const forced = await exchange.enter('invalid', { endpoint });
      if (forced) return forced;
    }
    return faultResponse(err, messageId);
  }
}

function respond(reply: DmpReply, relatesTo: string, mtom: boolean): Response {
  const envelope = responseEnvelope({ action: reply.action, relatesTo, body: reply.body });
  if (!mtom && !reply.attachments?.length) return new Response(envelope, { status: reply.status ?? 200, headers: { 'content-type': SOAP12 } });
  const multipart = buildMultipart(envelope, reply.attachments ?? [], reply.action, relatesTo);
  return new Response(multipart.body, { status: reply.status ?? 200, headers: { 'content-type': multipart.contentType } });
}

export const dmpService: SimulatorService = {
  id: 'dmp',
  title: 'DMP',
  mounts: [BASE_PATH, WEB_PS_BASE],
  outcomes: [
    { name: 'dmp.closed', service: 'dmp', description: 'The patient’s DMP answers as closed (TD0.2 statusCode terminated, TD1.4 DMPClosed, consultation and feeding refused).', params: z.strictObject({}) },
    {
      name: 'dmp.opposition',
      service: 'dmp',
      description: 'The patient opposed an emergency access: bris_de_glace (OPPOSITION_BRIS_DE_GLACE) or acces_urgence (OPPOSITION_ACCES_URGENCE, centre 15).',
      params: z.strictObject({ kind: z.enum(['bris_de_glace', 'acces_urgence']) }),
    },
    { name: 'dmp.blocked', service: 'dmp', description: 'The caller is blocked by the patient (authorization INTERDIT): no access at all.', params: z.strictObject({}) },
    { name: 'dmp.absent', service: 'dmp', description: 'The patient has no DMP (TD0.2 queryResponseCode NF; every other transaction refused).', params: z.strictObject({}) },
    ...xdsOutcomes,
  ],
  renderError: renderDmpError,
  routes(app: HostApp, host: HostContext) {
    for (const endpoint of ENDPOINTS) {
      app.get(`${BASE_PATH}/${endpoint}`, (c) => serveGet(c, endpoint));
      app.post(`${BASE_PATH}/${endpoint}`, (c) => servePost(c, host, endpoint));
    }
    // TD0.9: the Web PS pages (HTML), see web-ps/routes.ts.
    webPsRoutes(app, host);
  },
};
