/** Test helpers for the DMP client: the run's PKI, a seeded world, documents built by the fixtures, a SOAP stub. */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import { generateWorld, type Patient, type Professional, type Structure, type World } from '../../fixtures/index.js';
import { buildDocument, OidGenerator, type BuiltDocument, type DocumentKind } from '../../fixtures/documents/index.js';
import { dmpCast } from '../../fixtures/professionals.js';
import { pkiProfessionals } from '../../simulators/core/host.js';
import { ensurePki, tlsServerOptions, type Pki } from '../../simulators/core/pki/index.js';
import { vihfFromBuilder, type DmpLps, type VihfSource, type VihfRole } from '../../client/dmp/index.js';

export const LPS: DmpLps = { nom: 'SEGUR-SIM LGC', version: '1.0', homologation: 'DMP-SEGURSIM-0001', oid: '1.2.250.1.999.7301.20', id: 'lgc-test-01' };

let pkiPromise: Promise<Pki> | undefined;
export function testPki(): Promise<Pki> {
  pkiPromise ??= ensurePki({ dir: inject('pkiDir'), professionals: pkiProfessionals(generateWorld({ seed: 1 })) });
  return pkiPromise;
}

export function testWorld(seed = 1, sizes: { patients?: number; professionals?: number; structures?: number } = {}): World {
  return generateWorld({ seed, ...sizes });
}

export function structureOf(world: World, pro: Professional): Structure {
  const id = pro.exercices[0]?.activities[0]?.structureId;
  const s = world.structures.find((x) => x.id === id);
  if (!s) throw new Error(`no structure for ${pro.id}`);
  return s;
}

/** The médecin traitant of most seeded DMPs (VALIDE + MT on about 60 % of them). */
export function mainDoctor(world: World): Professional {
  const mt = dmpCast(world.professionals).mainMedecinTraitant;
  if (!mt) throw new Error('the world has no médecin traitant');
  return mt;
}

export function rolesOf(pro: Professional): VihfRole[] {
  const roles: VihfRole[] = [{ code: pro.profession.code, codeSystem: '1.2.250.1.71.1.2.7', displayName: pro.profession.label }];
  if (pro.specialty) roles.push({ code: pro.specialty.code, codeSystem: '1.2.250.1.71.4.2.5', displayName: pro.specialty.label });
  if (pro.profession.code === '21') roles.push({ code: 'G', codeSystem: '1.2.250.1.71.4.2.6' });
  return roles;
}

/** A card-mode (DIRECTE) VIHF source for a professional of the world; the Issuer is their CPS certificate. */
export function cardVihf(world: World, pro: Professional, certPem: string): VihfSource {
  const s = structureOf(world, pro);
  return vihfFromBuilder(
    {
      mode: 'card',
      subject: {
        nameId: pro.idNat,
        subjectId: `${pro.firstName} ${pro.lastName}`,
        roles: rolesOf(pro),
        structureId: s.idNat,
        secteurActivite: s.secteurActivite.code,
      },
      issuerCertPem: certPem,
    },
    LPS,
  );
}

let oidCounter = 0;
/** Documents built by the fixtures' builders, uniqueIds from a stream per test run. */
export function documentFactory(world: World, author: Professional, runId: string) {
  const oids = new OidGenerator(['client-dmp', runId, ++oidCounter]);
  const structure = structureOf(world, author);
  return {
    oids,
    build(patient: Patient, kind: DocumentKind = 'n1-pdf', extra: Partial<Parameters<typeof buildDocument>[0]> = {}): BuiltDocument {
      return buildDocument({ kind, patient, author, structure, uniqueId: oids.next(), effectiveTime: extra.effectiveTime ?? new Date(Date.now() - 3600_000), ...extra });
    },
  };
}

export function insOf(patient: Patient): { ins: string; oid: string } {
  if (!patient.ins) throw new Error(`${patient.id} has no INS`);
  return { ins: patient.ins.matricule, oid: patient.ins.type === 'NIA' ? '1.2.250.1.213.1.4.9' : '1.2.250.1.213.1.4.10' };
}

// ------------------------------------------------------------------ stub server

export interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Subject of the client certificate, when one was presented (mTLS). */
  peerSubject?: string;
}

export interface StubServer {
  url: string;
  requests: Captured[];
  close(): Promise<void>;
}

export type StubHandler = (req: Captured, res: http.ServerResponse) => void;

export async function startStub(handler: StubHandler, opts: { tls?: Pki; requestCert?: boolean } = {}): Promise<StubServer> {
  const requests: Captured[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const socket = req.socket as import('node:tls').TLSSocket;
      const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
      const captured: Captured = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), ...(peer?.subject ? { peerSubject: JSON.stringify(peer.subject) } : {}) };
      requests.push(captured);
      handler(captured, res);
    });
  };
  const server = opts.tls
    ? https.createServer({ ...tlsServerOptions(opts.tls), requestCert: opts.requestCert ?? false, rejectUnauthorized: false }, onRequest)
    : http.createServer(onRequest);
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

export const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

/** A SOAP 1.2 response envelope in the DMP's style. */
export function soapAnswer(body: string, action = 'urn:x', relatesTo = 'urn:uuid:00000000-0000-4000-8000-000000000000'): string {
  return (
    `<soap:Envelope xmlns:soap="${SOAP12}"><soap:Header>` +
    `<Action xmlns="http://www.w3.org/2005/08/addressing">${action}</Action>` +
    `<MessageID xmlns="http://www.w3.org/2005/08/addressing">urn:uuid:11111111-2222-4333-8444-555555555555</MessageID>` +
    `<To xmlns="http://www.w3.org/2005/08/addressing">http://www.w3.org/2005/08/addressing/anonymous</To>` +
    `<RelatesTo xmlns="http://www.w3.org/2005/08/addressing">${relatesTo}</RelatesTo>` +
    `</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export function soapFault(code: 'Sender' | 'Receiver', subcode: string, reason: string): string {
  return soapAnswer(
    `<soap:Fault><soap:Code><soap:Value>soap:${code}</soap:Value><soap:Subcode><soap:Value>${subcode}</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang="fr">${reason}</soap:Text></soap:Reason></soap:Fault>`,
    'http://www.w3.org/2005/08/addressing/soap/fault',
  );
}
