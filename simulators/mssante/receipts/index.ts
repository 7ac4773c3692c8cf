/** MSSanté receipts: DSN (accusé de réception), MDN (accusé de lecture), integration errors 900–906. See README.md. */
export { buildDsn, headerBlock, type DsnInput, type DsnRecipient } from '../smtp/dsn.js';
export {
  buildMdn,
  buildStandardErrorMail,
  dispositionField,
  firstAddress,
  INTEGRATION_ERRORS,
  isIntegrationErrorCode,
  notificationSubject,
  originalFacts,
  type IntegrationErrorCode,
  type MdnDisposition,
  type MdnInput,
  type OriginalFacts,
} from './mdn.js';
export { sendIntegrationError, sendIntegrationSuccess, sendReadReceipt, type ReceiptOptions, type ReceiptOriginal, type ReceiptResult } from './send.js';
