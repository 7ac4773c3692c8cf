/** MSSanté module of the reference LGC (client side only: SMTP/IMAP, XDM, worklist, citizen addresses, Annuaire). */
export * from './errors.js';
export * from './xdm.js';
export * from './cda.js';
export * from './citizen.js';
export * from './sender.js';
export * from './reader.js';
export * from './worklist.js';
export * from './annuaire.js';
