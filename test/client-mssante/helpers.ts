import { buildDocument, generateWorld, OidGenerator, submissionSetFor, type BuiltDocument, type Patient, type Professional, type Structure } from '../../fixtures/index.js';
import { headlessLogin, PscClient, setPscSandbox } from '../../client/psc/index.js';
import type { LocalPatient, MssPatient } from '../../client/mssante/index.js';
import type { TestHost } from '../support/host.js';

export const world = generateWorld({ seed: 1 });
const REALM = '/auth/realms/esante-wallet';
const LGC = { clientId: 'segur-sim-lgc', clientSecret: 'segur-sim-lgc-secret', redirectUri: 'http://localhost:7080/callback' };

export const patient = (id: string): Patient => world.patients.find((p) => p.id === id)!;
export const professional = (id: string): Professional => world.professionals.find((p) => p.id === id)!;
export const perMailbox = (proId: string): string => world.mailboxes.find((m) => m.ownerId === proId && m.type === 'PER')!.address;
export const structureOf = (pro: Professional): Structure => world.structures.find((s) => s.id === pro.exercices[0]!.activities[0]!.structureId)!;

/** The LGC's patient file: every world patient, with its INS when it has one. */
export const localPatients: LocalPatient[] = world.patients.map((p) => ({
  id: p.id,
  ...(p.ins ? { ins: p.ins.matricule } : {}),
  birthName: p.rniv.nomNaissance,
  firstName: p.rniv.prenom,
  firstNames: p.rniv.listePrenom.split(/\s+/),
  birthDate: p.birthDate,
  sex: p.sex,
}));

export function mssPatient(p: Patient, withIns = true): MssPatient {
  return {
    ...(withIns && p.ins ? { ins: p.ins.matricule, insOid: p.ins.oid } : {}),
    qualified: withIns && p.identity.status === 'QUAL',
    birthName: p.rniv.nomNaissance,
    firstName: p.rniv.prenom,
    birthDate: p.birthDate,
    sex: p.sex,
  };
}

export const ids = new OidGenerator(['client-mssante-test']);

export function vsmFor(p: Patient, author: Professional, kind: 'vsm' | 'cr-bio' = 'vsm'): { doc: BuiltDocument; ss: ReturnType<typeof submissionSetFor> } {
  const doc = buildDocument({ kind, patient: p, author, structure: structureOf(author), uniqueId: ids.next(), effectiveTime: '2025-03-14T09:26:53Z' });
  return { doc, ss: submissionSetFor(doc, { sourceId: '1.2.250.1.999.7301.10.1', submissionTime: new Date('2025-03-14T10:00:00Z'), uniqueId: ids.next() }) };
}

/**
 * The same document as a sender that has no INS would write it: the CDA recordTarget carries a local IPP
 * instead of the INS, and the metadata patientId is that IPP (…^PI).
 */
export function withoutIns(doc: BuiltDocument, ss: ReturnType<typeof submissionSetFor>, ipp: string): { doc: BuiltDocument; ss: ReturnType<typeof submissionSetFor> } {
  const cx = `${ipp}^^^&1.2.250.1.999.42&ISO^PI`;
  const xml = new TextDecoder().decode(doc.content).replace(/<id root="1\.2\.250\.1\.213\.1\.4\.\d+" extension="[^"]+"\/>/, `<id root="1.2.250.1.999.42" extension="${ipp}"/>`);
  return {
    doc: { ...doc, content: new TextEncoder().encode(xml), metadata: { ...doc.metadata, patientId: cx, sourcePatientId: cx } },
    ss: { ...ss, patientId: cx },
  };
}

export function port(th: TestHost, name: 'smtp' | 'imap'): number {
  return th.host.listeners.find((l) => l.name === name)!.port;
}

/** A PSC access token through the headless code flow of the sandbox. */
export async function pscToken(th: TestHost, sandbox: string, idNat: string): Promise<string> {
  await setPscSandbox(th.admin, sandbox, { autoApprove: true, authMode: 'CARD' });
  const client = await PscClient.create({ issuer: `${th.http}${REALM}`, ...LGC, sandbox });
  try {
    return (await headlessLogin(client, { loginHint: idNat })).accessToken;
  } finally {
    client.close();
  }
}

export async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error('waitFor: timeout');
    await new Promise((r) => setTimeout(r, 50));
  }
}
