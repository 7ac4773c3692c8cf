/** A real SOAP client (the `soap` npm package) loads our WSDL and calls TD0.3 and TD1.6. */
import { randomUUID } from 'node:crypto';
import * as soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DMP_BASE, pickAuthorizedPair, pickDossier, pickUnauthorizedProfessional, startDmpHost, vihfAssertion, vihfOf, type DmpTestHost } from './support.js';

let t: DmpTestHost;
beforeAll(async () => {
  t = await startDmpHost();
});
afterAll(() => t.close());

/** WS-Addressing + VIHF as a SOAP header function (node-soap calls it with the operation's soapAction). */
function dmpHeaders(vihf: Parameters<typeof vihfAssertion>[0]) {
  return (_method: unknown, _location: unknown, soapAction: string) =>
    `<MessageID xmlns="http://www.w3.org/2005/08/addressing">urn:uuid:${randomUUID()}</MessageID>` +
    `<ReplyTo xmlns="http://www.w3.org/2005/08/addressing"><Address>http://www.w3.org/2005/08/addressing/anonymous</Address></ReplyTo>` +
    `<Action xmlns="http://www.w3.org/2005/08/addressing">${soapAction}</Action>` +
    `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">${vihfAssertion(vihf)}</wsse:Security>`;
}

describe('node-soap loads every DMP WSDL', () => {
  for (const endpoint of ['patients', 'patientsPDQ', 'patientsSpecific', 'habilitations', 'registry', 'repository']) {
    it(endpoint, async () => {
      const client = await soap.createClientAsync(`${t.http}${DMP_BASE}/${endpoint}?wsdl`, { forceSoap12Headers: true });
      const services = Object.values(client.describe() as Record<string, Record<string, Record<string, unknown>>>);
      const operations = services.flatMap((s) => Object.values(s).flatMap((port) => Object.keys(port)));
      expect(operations.length).toBeGreaterThan(0);
    });
  }
});

describe('node-soap against the habilitations WSDL', () => {
  it('loads the WSDL, sets an authorization (TD0.3) and lists it (TD1.6)', async () => {
    const base = `${t.http}/_sandbox/soap-client`;
    const client = await soap.createClientAsync(`${base}${DMP_BASE}/habilitations?wsdl`, { forceSoap12Headers: true });
    const described = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(described.HabilitationsEndPointImplServiceService!.HabilitationsEndPointImplPort!)).toEqual(['listAuthorizationByPatient', 'setAuthorization']);

    const { dossier, ins } = pickDossier(t, (d) => d.status === 'active', 'an active dossier');
    const who = vihfOf(t.world, pickUnauthorizedProfessional(t, dossier));
    client.addSoapHeader(dmpHeaders({ ins, ...who }));
    const [added] = await client.setAuthorizationAsync({ action: 'AJOUT' });
    expect(added).toEqual({ output: { status: 'DMPOk', context: 'Autorisation ajoutée' } });
    const [again] = await client.setAuthorizationAsync({ action: 'AJOUT' });
    expect(again.output.context).toBe('Autorisation déjà présente aucune action effectuée');

    const [list] = await client.listAuthorizationByPatientAsync({ mode: 'ACTIVE' });
    expect(list.output.status).toBe('DMPOk');
    const ids = (list.output.listOfAuthorizationByPatient as { nationalId: string; mode: string }[]).map((e) => e.nationalId);
    expect(ids).toContain(who.nameId);
  });

  it('reaches the same service through the WSDL address and gets a rights refusal in output/status', async () => {
    const pair = pickAuthorizedPair(t);
    const client = await soap.createClientAsync(`${t.http}${DMP_BASE}/habilitations?wsdl`, { forceSoap12Headers: true });
    client.addSoapHeader(dmpHeaders({ ins: pair.ins, ...pair.vihf, purposeOfUse: 'bris_de_glace' }));
    const [res] = await client.setAuthorizationAsync({ action: 'AJOUT' });
    expect(res.output.status).toBe('DMPAccessDeniedByRightsService');
  });
});
