/** Shared fixtures for the PKI tests: sample professionals, temp dirs and an mTLS echo server over real sockets. */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { clientCertInfo, tlsServerOptions, type ClientCertInfo, type Pki, type ProfessionalInput } from '../../simulators/core/pki/index.js';

export function sampleProfessionals(n: number): ProfessionalInput[] {
  return Array.from({ length: n }, (_, i) => {
    const rpps = String(10_100_000_000 + i * 7919);
    return {
      id: `ps-${i + 1}`,
      rpps,
      idNat: `8${rpps}`,
      firstName: i % 2 ? 'JÉRÔME' : 'ANNE',
      lastName: `MEDECIN${i + 1}`,
      profession: i % 3 === 2 ? 'Infirmier' : 'Médecin',
    };
  });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `segur-sim-${prefix}-`));
}

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

/** HTTPS server that answers every request with the clientCertInfo() of its socket, as JSON. */
export async function startEchoServer(pki: Pki, tuning?: Parameters<typeof tlsServerOptions>[1]): Promise<EchoServer> {
  const server = https.createServer(tlsServerOptions(pki, tuning), (req, res) => {
    const socket = req.socket as TLSSocket;
    const info = clientCertInfo(socket);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ...info, cipher: socket.getCipher().name, protocol: socket.getProtocol() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type EchoReply = ClientCertInfo & { cipher: string; protocol: string };

/** GET / with the given TLS client options; the client always verifies the server against the simulator CAs. */
export function call(port: number, pki: Pki, tlsOpts: https.RequestOptions = {}): Promise<EchoReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/', method: 'GET', ca: pki.caCertsPem, servername: 'localhost', agent: false, ...tlsOpts },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as EchoReply);
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
