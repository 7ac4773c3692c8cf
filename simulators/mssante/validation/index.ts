/** Content validation of MSSanté messages (README.md in this folder). */
export { KO_PREFIX, partBody, refusalFor, SUBJECT_PREFIX, validateMessage, type Attachment, type SmtpRefusal, type ValidationContext, type ValidationReport } from './message.js';
export { INS_OIDS, parseCx, validateXdm, XDS_UUIDS, type PatientId, type XdmDocument, type XdmReport } from './xdm.js';
export { DEFAULT_ZIP_LIMITS, readZip, type ZipLimits, type ZipReading } from './zip.js';
