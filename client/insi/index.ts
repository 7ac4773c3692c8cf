/** INSi module of the reference LGC (client side only: talks to the service over the wire protocol). */
export * from './errors.js';
export {
  NS,
  OPERATIONS,
  SOAP_CONTENT_TYPE,
  soapAction,
  normaliseTraits,
  buildRecSansVitaleRequest,
  buildRecVitaleRequest,
  type BuiltRequest,
  type Couverture,
  type EnvelopeOptions,
  type InsiOperation,
  type LpsInfo,
  type SearchTraits,
  type VitaleSearchBody,
} from './envelope.js';
export { buildAssertionPs, verifyAssertionPs, subjectDn, subjectAttribute, type AssertionPs, type AssertionPsOptions, type ProfessionalCredentials } from './assertion-ps.js';
export * from './response.js';
export * from './client.js';
export * from './identity.js';
export * from './qualification.js';
export * from './datamatrix.js';
export * from './reverification.js';
