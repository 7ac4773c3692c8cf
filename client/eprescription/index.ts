/** ePrescription module of the reference LGC (client side only: its own codec of the wire contract). */
export * from './errors.js';
export * from './model.js';
export * from './identifier.js';
export * from './code2d.js';
export { buildPrescriptionPdf, code2dMentions, code2dPayloadOf, AMELI_DATA_URL, type PrescriptionPdfInput } from './pdf.js';
export { buildEpMedDm, EP_MED_DM, EPU_ID_ROOT, type EpMedDmDocument, type EpMedDmInput } from './cda.js';
export { NS, OPERATIONS, soapAction, SOAP_CONTENT_TYPE, ENDPOINT_PATH, buildEnvelope, bodies, parseAnswer, readers, type EpOperation, type BuiltRequest } from './codec.js';
export * from './client.js';
export * from './flows.js';
