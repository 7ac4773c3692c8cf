/** DMP module of the reference LGC (client side only: talks to the DMP over its wire protocol). */
export * from './constants.js';
export * from './errors.js';
export * from './vihf.js';
export * from './client.js';
export * from './ebrim.js';
export * from './hl7.js';
export * from './habilitations.js';
export * from './mtom.js';
export * from './soap.js';
export * from './signature.js';
export * from './xds.js';
export { Transport, retryAfterSeconds, type DmpTlsOptions, type FetchLike, type HttpAnswer } from './transport.js';
export { parseXmlTree, child, childrenNamed, findAll, findDeep, attr, XmlSyntaxError, type XmlElement } from './xml.js';
export * from './flows/index.js';
