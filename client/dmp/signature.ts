/**
 * The signature of a submission set (dmp.md §4.8 item 3, §5.6): an IHE DSG-style XML-DSig document
 * `Signature01` whose Manifest references the submission set (`urn:oid:<SS uniqueId>`, dummy digest `AA==`
 * as in the official sample) and each document (`urn:oid:<uniqueId>`, SHA-256 of its bytes), with the
 * purposeOfSignature property and XAdES 1.1.1 QualifyingProperties (SigningTime, SigningCertificate,
 * SignaturePolicyImplied).
 *
 * Minimal XAdES, on purpose: the parts that are signed (Manifest, SignedProperties, SignedInfo) are written
 * directly in their exclusive-c14n form, so their digests and the RSA-SHA256 SignatureValue are real and a
 * standard verifier (xml-crypto) accepts them; there is no timestamp, no revocation data, and the document
 * digests are over the raw bytes (the sample canonicalises the CDA first). Without a signer the structure
 * is sent with an empty SignatureValue (the simulator stores it without verifying; a real DMP would refuse).
 */
import { createHash, createSign, X509Certificate } from 'node:crypto';
import { certBase64, firstCertificatePem } from '../certificates.js';
import { NS, SIGNATURE, CONFIDENTIALITY } from './constants.js';
import type { XdsDocumentMetadata, XdsSubmissionSetMetadata } from './ebrim.js';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SIGNED_PROPERTIES_TYPE = 'http://uri.etsi.org/01903#SignedProperties';
const MANIFEST_TYPE = 'http://www.w3.org/2000/09/xmldsig#Manifest';

export interface SignatureSigner {
  keyPem: string;
  certPem: string;
}

/** Text escaping of canonical XML (C14N §2.3): & < > and CR. */
function cText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}
/** Attribute escaping of canonical XML: & < " and tab, LF, CR. */
function cAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');
}

function sha256b64(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64');
}

function digestRef(uri: string, digest: string, extra: { type?: string; transforms?: boolean } = {}): string {
  return (
    `<Reference${extra.type ? ` Type="${cAttr(extra.type)}"` : ''} URI="${cAttr(uri)}">` +
    (extra.transforms ? `<Transforms><Transform Algorithm="${EXC_C14N}"></Transform></Transforms>` : '') +
    `<DigestMethod Algorithm="${SHA256}"></DigestMethod><DigestValue>${digest}</DigestValue></Reference>`
  );
}

export interface SignatureDocumentInput {
  submissionSetUniqueId: string;
  documents: { uniqueId: string; bytes: Uint8Array }[];
  signingTime: Date;
  /** Id of the ds:Signature element. */
  signatureId: string;
  signer?: SignatureSigner;
}

/** The signature document (UTF-8 XML). */
export function buildSignatureDocument(input: SignatureDocumentInput): string {
  const sigId = input.signatureId;
  const manifest =
    `<Manifest xmlns="${NS.ds}" Id="IHEManifest">` +
    digestRef(`urn:oid:${input.submissionSetUniqueId}`, 'AA==') +
    input.documents.map((d) => digestRef(`urn:oid:${d.uniqueId}`, sha256b64(d.bytes))).join('') +
    '</Manifest>';
  let signingCertificate = '';
  if (input.signer) {
    const pem = firstCertificatePem(input.signer.certPem);
    const cert = new X509Certificate(pem);
    const issuer = cert.issuer.split('\n').filter(Boolean).reverse().join(',');
    const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
    signingCertificate =
      '<SigningCertificate><Cert><CertDigest>' +
      `<DigestMethod xmlns="${NS.ds}" Algorithm="${SHA256}"></DigestMethod><DigestValue xmlns="${NS.ds}">${sha256b64(cert.raw)}</DigestValue>` +
      '</CertDigest><IssuerSerial>' +
      `<X509IssuerName xmlns="${NS.ds}">${cText(issuer)}</X509IssuerName><X509SerialNumber xmlns="${NS.ds}">${serial}</X509SerialNumber>` +
      '</IssuerSerial></Cert></SigningCertificate>';
  }
  const signedProperties =
    `<SignedProperties xmlns="${NS.xades}" Id="S0-SignedProperties"><SignedSignatureProperties>` +
    `<SigningTime>${input.signingTime.toISOString()}</SigningTime>${signingCertificate}` +
    '<SignaturePolicyIdentifier><SignaturePolicyImplied></SignaturePolicyImplied></SignaturePolicyIdentifier>' +
    '</SignedSignatureProperties><SignedDataObjectProperties></SignedDataObjectProperties></SignedProperties>';
  const signedInfo =
    `<SignedInfo xmlns="${NS.ds}"><CanonicalizationMethod Algorithm="${EXC_C14N}"></CanonicalizationMethod><SignatureMethod Algorithm="${RSA_SHA256}"></SignatureMethod>` +
    digestRef('#IHEManifest', sha256b64(manifest), { type: MANIFEST_TYPE, transforms: true }) +
    digestRef('#S0-SignedProperties', sha256b64(signedProperties), { type: SIGNED_PROPERTIES_TYPE, transforms: true }) +
    '</SignedInfo>';
  let signatureValue = '';
  let keyInfo = '';
  if (input.signer) {
    signatureValue = createSign('RSA-SHA256').update(signedInfo).sign(input.signer.keyPem, 'base64');
    keyInfo = `<KeyInfo><X509Data><X509Certificate>${certBase64(input.signer.certPem)}</X509Certificate></X509Data></KeyInfo>`;
  }
  return (
    `<Signature xmlns="${NS.ds}" Id="${cAttr(sigId)}">${signedInfo}<SignatureValue>${signatureValue}</SignatureValue>${keyInfo}` +
    `<Object>${manifest}</Object>` +
    `<Object><SignatureProperties xmlns=""><SignatureProperty Id="purposeOfSignature" Target="#${cAttr(sigId)}">1.2.840.10065.1.12.1.14</SignatureProperty></SignatureProperties></Object>` +
    `<Object><QualifyingProperties xmlns="${NS.xades}" Target="#${cAttr(sigId)}">${signedProperties}</QualifyingProperties></Object>` +
    '</Signature>'
  );
}

/** Metadata of the signature DocumentEntry (dmp.md §5.6), from the submission set and its first document. */
export function signatureMetadata(ss: XdsSubmissionSetMetadata, first: XdsDocumentMetadata, uniqueId: string): XdsDocumentMetadata {
  const legal = ss.authors[0]?.person ?? first.legalAuthenticator ?? first.authors[0]?.person;
  return {
    uniqueId,
    patientId: ss.patientId,
    sourcePatientId: ss.patientId,
    sourcePatientInfo: [],
    title: SIGNATURE.title,
    classCode: { ...SIGNATURE.classCode },
    typeCode: { ...SIGNATURE.typeCode },
    formatCode: { ...SIGNATURE.formatCode },
    confidentialityCodes: [{ ...CONFIDENTIALITY.normal }, { ...CONFIDENTIALITY.masquePs }, { ...CONFIDENTIALITY.invisiblePatient }],
    healthcareFacilityTypeCode: first.healthcareFacilityTypeCode,
    practiceSettingCode: first.practiceSettingCode,
    eventCodes: [{ ...SIGNATURE.eventCode }],
    creationTime: ss.submissionTime,
    serviceStartTime: ss.submissionTime,
    serviceStopTime: ss.submissionTime,
    languageCode: SIGNATURE.languageCode,
    mimeType: 'text/xml',
    authors: ss.authors.length ? ss.authors : first.authors,
    ...(legal ? { legalAuthenticator: legal } : {}),
  };
}

/** True for the signature entries of submission sets (to hide them from document lists). */
export function isSignatureEntry(meta: { classCode: { code: string }; formatCode?: { code: string } }): boolean {
  return meta.classCode.code === SIGNATURE.classCode.code || meta.formatCode?.code === SIGNATURE.formatCode.code;
}
