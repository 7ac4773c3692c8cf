/** Ségur DMP flows of the LGC, on top of DmpClient. */
export * from './patient-file.js';
export * from './feeding-queue.js';
export * from './documents.js';
