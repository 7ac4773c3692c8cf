/** Test helpers for the INSi client: the run's PKI, and a small SOAP stub over real sockets (for transport tests). */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import { generateWorld } from '../../fixtures/index.js';
import { pkiProfessionals } from '../../simulators/core/host.js';
import { ensurePki, tlsServerOptions, type Pki } from '../../simulators/core/pki/index.js';

let pkiPromise: Promise<Pki> | undefined;

/** The run's PKI (generated once by the global setup; this only reads it). */
export function testPki(): Promise<Pki> {
  pkiPromise ??= ensurePki({ dir: inject('pkiDir'), professionals: pkiProfessionals(generateWorld({ seed: 1 })) });
  return pkiPromise;
}

export const LPS = { idam: 'SEGURSIM0001', version: '1.0', instance: '6f0c8f4e-3c2b-4c55-9b59-4a1f2d7a9e10', nom: 'urn:lps:segur-sim-lgc:1.0' };

export interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface StubServer {
  url: string;
  requests: Captured[];
  close(): Promise<void>;
}

export type StubHandler = (req: Captured, res: http.ServerResponse) => void;

/** A stub that records requests and lets each test answer what it wants (garbage, slow, faults). */
export async function startStub(handler: StubHandler, opts: { tls?: Pki } = {}): Promise<StubServer> {
  const requests: Captured[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(captured);
      handler(captured, res);
    });
  };
  const server = opts.tls ? https.createServer(tlsServerOptions(opts.tls), onRequest) : http.createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://localhost:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
