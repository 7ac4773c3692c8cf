import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHost, type TestHost } from '../support/host.js';

let t: TestHost;
beforeAll(async () => {
  t = await startTestHost();
});
afterAll(() => t.close());

/** The server's first line (the greeting); the connection is closed once it has arrived. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (text.includes('\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

/** GET over HTTPS with an optional client certificate (PEM key/cert or PKCS#12). */
function httpsGet(url: string, tls: { key?: string; cert?: string; pfx?: Buffer; passphrase?: string; ca: string[] }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...tls, servername: 'localhost' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('host', () => {
  it('reports health and readiness once every listener is up', async () => {
    expect(await t.admin.health()).toMatchObject({ status: 'ok' });
    const ready = await t.admin.ready();
    expect(ready.ready).toBe(true);
    expect(ready.listeners.map((l) => l.name).sort()).toEqual(['http', 'https', 'imap', 'smtp']);
    expect(ready.listeners.every((l) => l.port > 0)).toBe(true);
  });

  it('mounts every service at its production path, answering in the protocol own error shape', async () => {
    const insi = await fetch(`${t.http}/lps`, { method: 'POST', body: '<x/>', headers: { 'content-type': 'application/soap+xml' } });
    expect(insi.headers.get('content-type')).toContain('application/soap+xml');
    expect(await insi.text()).toMatch(/<(soap|S|env):Fault>/);
    const dmp = await fetch(`${t.http}/si-dmp-server/v2/services/registry`, { method: 'POST', body: '<x/>' });
    expect(await dmp.text()).toContain('http://www.w3.org/2003/05/soap-envelope');
    const psc = await fetch(`${t.http}/auth/realms/esante-wallet/protocol/openid-connect/token`, { method: 'POST' });
    expect(psc.status).toBe(400);
    expect((await psc.json()) as object).toHaveProperty('error');
    const annuaire = await fetch(`${t.http}/fhir/v2/Practitioner`);
    expect(((await annuaire.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    const services = (await t.admin.request<{ services: { id: string; mounts: string[] }[] }>('GET', '/_admin/services')).services;
    expect(services.map((s) => s.id)).toEqual(expect.arrayContaining(['insi', 'dmp', 'psc', 'annuaire', 'eprescription', 'mssante']));
  });

  it('serves SMTP and IMAP on their ports with the MSSanté greetings', async () => {
    const smtp = t.host.listeners.find((l) => l.name === 'smtp')!;
    const imap = t.host.listeners.find((l) => l.name === 'imap')!;
    expect(await greeting(smtp.port)).toMatch(/^220 /);
    expect(await greeting(imap.port)).toMatch(/^\* OK /);
  });

  it('exposes the verified client certificate subject over mTLS', async () => {
    const pki = t.host.context.pki;
    const url = `${t.https}/_echo/noop`;
    const auto = pki.orgClients['INSI-AUTO'];
    const withCert = JSON.parse((await httpsGet(url, { key: auto.keyPem, cert: auto.certPem, ca: pki.caCertsPem })).body);
    expect(withCert.transport).toBe('https');
    expect(withCert.clientCert).toMatchObject({ present: true, authorized: true });
    expect(withCert.clientCert.subject.CN).toBe('INSI-AUTO');

    const pfx = JSON.parse((await httpsGet(url, { pfx: readFileSync(pki.orgClients['INSI-MANU'].p12Path), passphrase: pki.p12Password, ca: pki.caCertsPem })).body);
    expect(pfx.clientCert.subject.CN).toBe('INSI-MANU');

    const none = JSON.parse((await httpsGet(url, { ca: pki.caCertsPem })).body);
    expect(none.clientCert).toMatchObject({ present: false, authorized: false });
  });

  it('lists and searches the personas of a sandbox world', async () => {
    const world = t.host.context.sandboxes.world();
    const pro = world.professionals[0]!;
    const byRpps = await t.admin.personas({ q: pro.rpps, kind: 'professional' });
    expect(byRpps.results).toEqual([expect.objectContaining({ id: pro.id, kind: 'professional' })]);
    const insi = await t.admin.personas({ q: 'tchitchi', kind: 'persona' });
    expect(insi.count).toBeGreaterThan(0);
    const patients = await t.admin.personas({ kind: 'patient', limit: 5 });
    expect(patients.results).toHaveLength(5);
    await expect(t.admin.personas({ kind: 'alien' })).rejects.toMatchObject({ status: 400 });
  });

  it('answers unknown paths and bad admin bodies with precise JSON errors, and stays up', async () => {
    const missing = await fetch(`${t.http}/nowhere`);
    expect(missing.status).toBe(404);
    const bad = await fetch(`${t.http}/_admin/sandboxes`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('InvalidJson');
    const unknownField = await fetch(`${t.http}/_admin/sandboxes`, { method: 'POST', body: '{"id":"a","sed":3}' });
    expect(((await unknownField.json()) as { error: { message: string } }).error.message).toContain('sed');
    const badId = await fetch(`${t.http}/_admin/sandboxes`, { method: 'POST', body: '{"id":"../etc"}' });
    expect(badId.status).toBe(400);
    expect((await t.admin.health()).status).toBe('ok');
  });

  it('rejects oversized bodies in the protocol shape', async () => {
    const small = await startTestHost({ maxBodyBytes: 2048 });
    try {
      const res = await fetch(`${small.http}/_echo/records/big`, { method: 'PUT', body: JSON.stringify('x'.repeat(10_000)), headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RequestTooLarge');
      const entry = (await small.admin.journal('default', { service: 'echo' })).entries.at(-1)!;
      expect(entry.response.status).toBe(413);
      expect(entry.verdicts.map((v) => v.rule)).toEqual(['http.body.size']);
      // Chunked: no Content-Length to refuse up front, the limit applies while reading.
      const chunks = [new TextEncoder().encode('"' + 'y'.repeat(3000)), new TextEncoder().encode('"')];
      const stream = new ReadableStream({ pull: (ctl) => (chunks.length ? ctl.enqueue(chunks.shift()!) : ctl.close()) });
      const chunked = await fetch(`${small.http}/_echo/records/big2`, { method: 'PUT', body: stream, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit);
      expect(chunked.status).toBe(413);
      // A small chunked body still goes through.
      const ok = new ReadableStream({ start: (ctl) => (ctl.enqueue(new TextEncoder().encode('{"a":1}')), ctl.close()) });
      expect((await fetch(`${small.http}/_echo/records/small`, { method: 'PUT', body: ok, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit)).status).toBe(201);
      expect((await small.admin.health()).status).toBe('ok');
    } finally {
      await small.close();
    }
  });
});
