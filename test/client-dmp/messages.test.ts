/** SOAP envelope, HL7v3 and habilitations messages of the DMP client, against the shapes of the official samples. No server. */
import { describe, expect, it } from 'vitest';
import {
  buildEnvelope,
  buildPatientQuery,
  buildClose,
  buildSetAuthorization,
  buildListAuthorizations,
  buildPatientList,
  child,
  DmpHl7Error,
  DmpProtocolError,
  DmpSoapFault,
  DmpStatusError,
  findAll,
  NS,
  parseXmlTree,
  readCloseResponse,
  readListAuthorizationsResponse,
  readPatientListResponse,
  readPatientQueryResponse,
  readSetAuthorizationResponse,
  readSoapResponse,
  WSA_ANONYMOUS,
} from '../../client/dmp/index.js';
import { LPS, soapFault } from './helpers.js';

const PATIENT = { ins: '207058575627097', oid: '1.2.250.1.213.1.4.10' };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('SOAP 1.2 envelope', () => {
  it('WS-Addressing headers in the sample order, then wsse:Security with the VIHF, then the body', () => {
    const env = buildEnvelope({ action: 'urn:hl7-org:v3:PRPA_IN201307UV02', to: 'https://dmp.test/si-dmp-server/v2/services/patients', vihf: '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x"/>', body: '<x xmlns="urn:test"/>' });
    expect(env.messageId).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    const root = parseXmlTree(env.xml);
    expect(root).toMatchObject({ name: 'Envelope', ns: NS.soap12 });
    const header = child(root, 'Header', NS.soap12)!;
    expect(header.children.map((c) => `${c.ns === NS.wsa ? 'wsa' : c.ns === NS.wsse ? 'wsse' : c.ns}:${c.name}`)).toEqual(['wsa:MessageID', 'wsa:To', 'wsa:ReplyTo', 'wsa:Action', 'wsse:Security']);
    expect(child(header, 'MessageID')!.text).toBe(env.messageId);
    expect(child(header, 'To')!.text).toBe('https://dmp.test/si-dmp-server/v2/services/patients');
    expect(child(child(header, 'ReplyTo'), 'Address')!.text).toBe(WSA_ANONYMOUS);
    expect(child(header, 'Action')!.text).toBe('urn:hl7-org:v3:PRPA_IN201307UV02');
    expect(child(header, 'Action')!.attrs['soap:mustUnderstand']).toBe('true');
    expect(child(header, 'Security')!.attrs['soap:mustUnderstand']).toBeUndefined();
    expect(child(child(header, 'Security'), 'Assertion', NS.saml2)).toBeDefined();
    expect(child(child(root, 'Body', NS.soap12), 'x', 'urn:test')).toBeDefined();
  });

  it('faults: SOAP 1.2 Code/Subcode/Reason and SOAP 1.1 faultcode/faultstring become DmpSoapFault', () => {
    const f = thrown(() => readSoapResponse(soapFault('Sender', 'wsa:MessageAddressingHeaderRequired', 'A required header representing a Message Addressing Property is not present'), 400)) as DmpSoapFault;
    expect(f).toBeInstanceOf(DmpSoapFault);
    expect(f).toMatchObject({ code: 'Sender', subcode: 'wsa:MessageAddressingHeaderRequired', httpStatus: 400, retryable: false });
    expect(f.reason).toMatch(/Message Addressing Property/);
    const r = thrown(() => readSoapResponse(soapFault('Receiver', 'InternalError', 'boom'), 500)) as DmpSoapFault;
    expect(r.retryable).toBe(true);
    const v11 = thrown(() =>
      readSoapResponse('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>refusé</faultstring></s:Fault></s:Body></s:Envelope>', 500),
    ) as DmpSoapFault;
    expect(v11).toMatchObject({ code: 'Client', reason: 'refusé' });
    expect(thrown(() => readSoapResponse('<html><body>502 Bad Gateway</body></html>', 502))).toBeInstanceOf(DmpProtocolError);
  });
});

describe('TD0.2 / TD1.3a (HL7v3 patients)', () => {
  it('request as the official sample: reasonCode TEST_EXST, patientIdentifier, sender = the LPS', () => {
    const req = buildPatientQuery('TEST_EXST', PATIENT, LPS, new Date('2021-05-19T17:45:07Z'));
    const root = parseXmlTree(req.xml);
    expect(root).toMatchObject({ name: 'PRPA_IN201307UV02', ns: NS.hl7 });
    expect(root.attrs.ITSVersion).toBe('XML_1.0');
    expect(child(root, 'id')!.attrs).toEqual({ root: `${LPS.oid}.1.1`, extension: req.messageUuid });
    expect(child(root, 'creationTime')!.attrs.value).toBe('20210519174507');
    expect(child(root, 'interactionId')!.attrs).toMatchObject({ root: '2.16.840.1.113883.1.6', extension: 'PRPA_IN201307UV02' });
    expect(['processingCode', 'processingModeCode', 'acceptAckCode'].map((n) => child(root, n)!.attrs.code)).toEqual(['D', 'T', 'AL']);
    expect(findAll(child(root, 'receiver')!, 'id')[0]!.attrs.root).toBe('1.2.250.1.213.4.1.1.1');
    expect(findAll(child(root, 'sender')!, 'id')[0]!.attrs.root).toBe(LPS.oid);
    expect(child(root, 'attentionLine')!.attrs['xsi:nil']).toBe('true');
    const cap = child(root, 'controlActProcess')!;
    expect(child(cap, 'reasonCode')!.attrs).toMatchObject({ code: 'TEST_EXST', codeSystem: '1.2.250.1.213.1.1.4.11' });
    const value = findAll(cap, 'patientIdentifier')[0]!;
    expect(child(value, 'value')!.attrs).toEqual({ root: PATIENT.oid, extension: PATIENT.ins });
    expect(child(value, 'semanticsText')!.text).toBe('Patient.id');
  });

  const response = (opts: { auth?: string; mt?: boolean; ens?: boolean; code?: string; status?: string; ack?: string; detail?: string } = {}) =>
    `<PRPA_IN201308UV02 ITSVersion="XML_1.0" xmlns="urn:hl7-org:v3" xmlns:ns2="asip:ci-sis:gdp:2010" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    '<id root="0cc7f660-e7b5-4131-aee3-5ad75c0b32f2"/><creationTime value="20210601125305"/><interactionId extension="PRPA_IN201308UV02" root="2.16.840.1.113883.1.6"/>' +
    (opts.auth ? `<attentionLine><keyWordText code="AUTORISATION" codeSystem="1.2.250.1.213.4.1.2.6.1"/><value code="${opts.auth}" codeSystem="1.2.250.1.213.4.1.2.6.2" xsi:type="CV"/></attentionLine>` : '') +
    `<attentionLine><keyWordText code="STATUT_MT" codeSystem="1.2.250.1.213.4.1.2.6.3"/><value value="${opts.mt ?? false}" xsi:type="BL"/></attentionLine>` +
    `<acknowledgement typeCode="${opts.ack ?? 'AA'}"><targetMessage><id extension="1633a409" root="1.3.6.1.4.1.48364.1.1"/></targetMessage>${opts.detail ? `<acknowledgementDetail typeCode="E"><code code="${opts.detail}"/><text>détail</text></acknowledgementDetail>` : ''}</acknowledgement>` +
    '<controlActProcess classCode="CACT" moodCode="EVN"><reasonCode code="TEST_EXST" codeSystem="1.2.250.1.213.1.1.4.11"/>' +
    (opts.code === 'NF'
      ? ''
      : '<subject contextConductionInd="false" typeCode="SUBJ"><registrationEvent classCode="REG" moodCode="EVN"><statusCode code="completed"/><subject1 typeCode="SBJ"><patient classCode="PAT">' +
        `<id extension="1197854176879056415520" root="1.2.250.1.213.1.4.2"/><id extension="${PATIENT.ins}" root="${PATIENT.oid}"/><statusCode code="${opts.status ?? 'active'}"/>` +
        '<patientPerson classCode="PSN" determinerCode="INSTANCE"><name><prefix>M</prefix><given>LAURENCE</given><family qualifier="SP">patb-quatre</family></name><telecom use="MC" value="tel:0102030405"/><administrativeGenderCode code="M"/><birthTime value="19070525"/>' +
        '<deceasedInd value="false"/><addr><streetAddressLine>1, rue du Chat qui pêche</streetAddressLine><postalCode>75005</postalCode><city>Paris</city></addr>' +
        '<personalRelationship classCode="PRS"><code code="FTH" codeSystem="2.16.840.1.113883.1.11.19579"/><telecom use="HP" value="tel:0923456789"/><relationshipHolder1 classCode="PSN" determinerCode="INSTANCE"><name><prefix>M</prefix><given>Jean</given><family>REPLEG</family></name></relationshipHolder1></personalRelationship>' +
        '</patientPerson>' +
        '<subjectOf typeCode="SBJ"><administrativeObservation classCode="OBS" moodCode="EVN"><code code="COMPTE_INTERNET_OUVERT" codeSystem="1.2.250.1.213.4.1.2.9"/><value value="true" xsi:type="BL"/></administrativeObservation></subjectOf>' +
        `<subjectOf typeCode="SBJ"><administrativeObservation classCode="OBS" moodCode="EVN"><code code="RATTACHEMENT_ENS" codeSystem="1.2.250.1.213.4.1.2.3"/><value value="${opts.ens ?? false}" xsi:type="BL"/></administrativeObservation></subjectOf>` +
        '<subjectOf typeCode="SBJ"><administrativeObservation classCode="OBS" moodCode="EVN"><code code="OPPOSITION_BRIS_DE_GLACE" codeSystem="1.2.250.1.213.4.1.2.3"/><value value="true" xsi:type="BL"/></administrativeObservation></subjectOf>' +
        '</patient></subject1><custodian typeCode="CST"><assignedEntity classCode="ASSIGNED"><id root="1.2.250.1.213.4.1.1.1"/></assignedEntity></custodian></registrationEvent></subject>') +
    `<queryAck><queryId extension="87d5fd8f" root="1.3.6.1.4.1.48364.2"/><queryResponseCode code="${opts.code ?? 'OK'}"/></queryAck></controlActProcess></PRPA_IN201308UV02>`;

  it('an existing DMP: authorization, médecin traitant, Mon espace santé, internet account, identity kept apart', () => {
    const r = readPatientQueryResponse(parseXmlTree(response({ auth: 'VALIDE', mt: true, ens: true })));
    expect(r).toMatchObject({ exists: true, status: 'active', authorization: 'VALIDE', medecinTraitant: true, mesAttached: true, internetAccount: true, queryResponseCode: 'OK' });
    expect(r.identity).toMatchObject({ ins: PATIENT, family: 'patb-quatre', given: ['LAURENCE'], gender: 'M', birthTime: '19070525' });
    expect(r.ack?.typeCode).toBe('AA');
  });

  it('TD1.3a data: addresses, legal representative, oppositions', () => {
    const r = readPatientQueryResponse(parseXmlTree(response({ auth: 'VALIDE' })));
    expect(r.addresses[0]).toEqual({ lines: ['1, rue du Chat qui pêche'], postalCode: '75005', city: 'Paris', country: undefined });
    expect(r.legalRepresentatives[0]).toMatchObject({ relationship: 'FTH', name: { given: ['Jean'], family: 'REPLEG' } });
    expect(r.oppositions).toEqual({ brisDeGlace: true, accesUrgence: undefined });
    expect(r.deceased).toBe(false);
  });

  it('no DMP (NF), a closed DMP, a blocked professional, and an AE acknowledgement', () => {
    expect(readPatientQueryResponse(parseXmlTree(response({ code: 'NF' })))).toMatchObject({ exists: false, status: undefined, medecinTraitant: false });
    expect(readPatientQueryResponse(parseXmlTree(response({ status: 'terminated', auth: 'VALIDE' })))).toMatchObject({ exists: true, status: 'closed', patientStatusCode: 'terminated' });
    expect(readPatientQueryResponse(parseXmlTree(response({ auth: 'INTERDIT' }))).authorization).toBe('INTERDIT');
    const err = thrown(() => readPatientQueryResponse(parseXmlTree(response({ ack: 'AE', detail: 'DMPAccessDeniedByRightsService' })))) as DmpHl7Error;
    expect(err).toBeInstanceOf(DmpHl7Error);
    expect(err).toMatchObject({ typeCode: 'AE', code: 'DMPAccessDeniedByRightsService' });
  });

  it('TD1.4: FERM request with author and closing reason; accept and reject (DMPClosed)', () => {
    const req = buildClose(PATIENT, { author: { idNat: '899900063480', family: 'LIBRE', given: 'MAX', structureId: '499900063480001', structureName: 'CABINET DR LIBRE' }, patientName: { family: 'patb-quatre', given: 'LAURENCE' } }, LPS, new Date());
    const root = parseXmlTree(req.xml);
    expect(child(child(root, 'controlActProcess'), 'reasonCode')!.attrs.code).toBe('FERM');
    expect(findAll(root, 'patient')[0] && child(findAll(root, 'patient')[0], 'statusCode')!.attrs.code).toBe('terminated');
    expect(findAll(root, 'detectedIssueEvent')[0] && child(findAll(root, 'detectedIssueEvent')[0], 'code')!.attrs).toMatchObject({ code: 'FERMETURE_DEMANDE_PATIENT', codeSystem: '1.2.250.1.213.4.1.2.4' });
    const wrap = (inner: string) => `<ns2:PRPA_IN201314UV02_Response xmlns="urn:hl7-org:v3" xmlns:ns2="asip:ci-sis:gdp:2010">${inner}</ns2:PRPA_IN201314UV02_Response>`;
    const accept = readCloseResponse(parseXmlTree(wrap('<PRPA_IN201315UV02 ITSVersion="XML_1.0"><acknowledgement typeCode="AA"/><controlActProcess><subject><registrationEvent><subject1><patient><statusCode code="terminated"/></patient></subject1></registrationEvent></subject></controlActProcess></PRPA_IN201315UV02>')));
    expect(accept).toMatchObject({ accepted: true, patientStatusCode: 'terminated' });
    const reject = thrown(() => readCloseResponse(parseXmlTree(wrap('<PRPA_IN201316UV02 ITSVersion="XML_1.0"><acknowledgement typeCode="AE"><acknowledgementDetail><code code="DMPClosed"/><text>Le dossier est déjà fermé</text></acknowledgementDetail></acknowledgement></PRPA_IN201316UV02>')))) as DmpHl7Error;
    expect(reject).toBeInstanceOf(DmpHl7Error);
    expect(reject.code).toBe('DMPClosed');
  });
});

describe('habilitations and patientsSpecific', () => {
  it('requests as the samples (no INS in the body)', () => {
    expect(buildSetAuthorization('AJOUT')).toBe('<setAuthorization xmlns="urn:si-dmp-habilitations"><action>AJOUT</action></setAuthorization>');
    expect(buildSetAuthorization('AJOUT', { medecinTraitant: true })).toContain('<role>MEDECIN_TRAITANT</role>');
    expect(buildListAuthorizations('TOUTE')).toBe('<listAuthorizationByPatient xmlns="urn:si-dmp-habilitations"><mode>TOUTE</mode></listAuthorizationByPatient>');
    expect(buildPatientList({ since: new Date('2010-10-10T20:20:10Z'), dateType: 'LASTDOC' })).toBe('<patientList xmlns="urn:si-dmp-patients"><startDate>20101010202010</startDate><dateType>LASTDOC</dateType></patientList>');
  });

  it('answers: DMPOk with context, lists, and a non-DMPOk status as DmpStatusError', () => {
    const ok = readSetAuthorizationResponse(parseXmlTree('<ns1:setAuthorizationResponse xmlns:ns1="urn:si-dmp-habilitations"><ns1:output><ns1:status>DMPOk</ns1:status><ns1:context>Autorisation déjà présente aucune action effectuée</ns1:context></ns1:output></ns1:setAuthorizationResponse>'));
    expect(ok).toEqual({ status: 'DMPOk', context: 'Autorisation déjà présente aucune action effectuée' });
    const list = readListAuthorizationsResponse(
      parseXmlTree(
        '<ns1:listAuthorizationByPatientResponse xmlns:ns1="urn:si-dmp-habilitations"><ns1:output><ns1:listOfAuthorizationByPatient><ns1:nationalId>899900063480</ns1:nationalId><ns1:nationalIdType>1.2.250.1.71.4.2.1</ns1:nationalIdType><ns1:firstName>MAX</ns1:firstName><ns1:lastName>LIBRE</ns1:lastName><ns1:codeSpeciality>G15_10/SM26</ns1:codeSpeciality><ns1:libSpeciality>Médecin - Qualifié en Médecine générale (SM)</ns1:libSpeciality><ns1:startOfAuthorization>20210601135804</ns1:startOfAuthorization><ns1:lastActionDate>20210601140606</ns1:lastActionDate><ns1:mode>ACTIVE</ns1:mode><ns1:specificRight>MEDECIN_TRAITANT</ns1:specificRight></ns1:listOfAuthorizationByPatient><ns1:status>DMPOk</ns1:status><ns1:context/></ns1:output></ns1:listAuthorizationByPatientResponse>',
      ),
    );
    expect(list.authorizations).toEqual([
      { nationalId: '899900063480', nationalIdType: '1.2.250.1.71.4.2.1', firstName: 'MAX', lastName: 'LIBRE', specialities: [{ code: 'G15_10/SM26', label: 'Médecin - Qualifié en Médecine générale (SM)' }], startOfAuthorization: '20210601135804', lastActionDate: '20210601140606', mode: 'ACTIVE', specificRights: ['MEDECIN_TRAITANT'] },
    ]);
    const patients = readPatientListResponse(
      parseXmlTree(
        '<ns1:patientListResponse xmlns:ns1="urn:si-dmp-patients"><ns1:output><ns1:patientlistData><ns1:patientIdentifier><ns1:nationalId>0740724093302701701806</ns1:nationalId><ns1:nationalIdType>1.2.250.1.213.1.4.2</ns1:nationalIdType></ns1:patientIdentifier><ns1:patientIdentifier><ns1:nationalId>153078987658513</ns1:nationalId><ns1:nationalIdType>1.2.250.1.213.1.4.10</ns1:nationalIdType></ns1:patientIdentifier><ns1:lastName>PAT-TROIS</ns1:lastName><ns1:firstName>DOMINIQUE</ns1:firstName><ns1:dateOfBirth>19790328</ns1:dateOfBirth><ns1:MT>false</ns1:MT><ns1:message>false</ns1:message><ns1:lastAccessDate>20210601094105</ns1:lastAccessDate></ns1:patientlistData><ns1:status>DMPOk</ns1:status></ns1:output></ns1:patientListResponse>',
      ),
    );
    expect(patients.patients[0]).toMatchObject({ ins: { ins: '153078987658513', oid: '1.2.250.1.213.1.4.10' }, lastName: 'PAT-TROIS', medecinTraitant: false, lastAccessDate: '20210601094105' });
    const ko = thrown(() => readSetAuthorizationResponse(parseXmlTree('<setAuthorizationResponse xmlns="urn:si-dmp-habilitations"><output><status>DMPAccessDeniedByRightsService</status><context>refus</context></output></setAuthorizationResponse>'))) as DmpStatusError;
    expect(ko).toBeInstanceOf(DmpStatusError);
    expect(ko).toMatchObject({ status: 'DMPAccessDeniedByRightsService', context: 'refus' });
  });
});
