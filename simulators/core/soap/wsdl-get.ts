/**
 * GET on a SOAP endpoint, shared by the CNAM teleservices (INSi, ePrescription): `?wsdl` serves the WSDL
 * whose address is the URL the request came in on (scheme, Host header and `/_sandbox/<id>` prefix kept),
 * `?xsd=<name>` one of its schemas, anything else the protocol's own fault.
 */
import type { Context } from 'hono';
import type { Exchange } from '../exchange.js';
import { rawHeader } from '../sandbox-routing.js';
import type { HostEnv } from '../service.js';

export interface WsdlGetOptions {
  /** Mount path of the endpoint, e.g. `/lps`. */
  path: string;
  wsdl: (endpoint: string) => string;
  xsds: Record<string, { text: string }>;
  /** The protocol's fault for an unknown schema (404) or a GET that is not `?wsdl`/`?xsd=` (405). */
  fault: (message: string, status: 404 | 405) => Response;
  /** Said in the 405: "Le service INSi attend une requête SOAP 1.2 en POST". */
  serviceLabel: string;
}

/** The URL the request came in on, `/_sandbox/<id>` prefix kept, ending in `path`. */
export function endpointOf(exchange: Exchange, url: string, rawHeaders: readonly string[], path: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const hostHeader = rawHeader(rawHeaders, 'host') ?? url.slice(url.indexOf('//') + 2, start);
  const requestPath = url.slice(start, url.indexOf('?') === -1 ? undefined : url.indexOf('?'));
  const sandbox = /^\/_sandbox\/[^/]+/.exec(requestPath)?.[0] ?? '';
  return `${exchange.transport}://${hostHeader}${sandbox}${path}`;
}

export function serveWsdlGet(c: Context<HostEnv>, o: WsdlGetOptions): Response {
  const exchange = c.get('exchange');
  const url = c.req.url;
  const q = url.indexOf('?');
  const query = q === -1 ? '' : url.slice(q + 1);
  const endpoint = endpointOf(exchange, url, c.env?.incoming?.rawHeaders ?? [], o.path);
  if (/^wsdl(=|&|$)/i.test(query)) {
    exchange.operation = 'wsdl';
    exchange.summary = { wsdl: endpoint };
    return c.body(o.wsdl(endpoint), 200, { 'content-type': 'text/xml; charset=utf-8' });
  }
  const xsd = /^xsd=([A-Za-z0-9_]+)/.exec(query)?.[1]?.toUpperCase();
  if (xsd) {
    exchange.operation = 'xsd';
    const schema = o.xsds[xsd];
    if (schema) {
      exchange.summary = { xsd };
      return c.body(schema.text, 200, { 'content-type': 'text/xml; charset=utf-8' });
    }
    return o.fault(`Schéma inconnu "${xsd}" (connus : ${Object.keys(o.xsds).join(', ')}).`, 404);
  }
  exchange.operation = 'get';
  return o.fault(`${o.serviceLabel} attend une requête SOAP 1.2 en POST ; le WSDL est servi par GET ${o.path}?wsdl.`, 405);
}
