/** Pro Santé Connect module of the reference LGC (client side only: talks to PSC over OIDC). */
export * from './errors.js';
export type * from './types.js';
export { createTransport, type FetchLike, type PscTlsOptions, type Transport } from './fetch.js';
export * from './session.js';
export * from './ciba.js';
export * from './headless.js';
export * from './vihf.js';
export * from './admin.js';
