/** Service id used in scenarios, the journal and the admin API. */
export const MSSANTE_SERVICE_ID = 'mssante';

/** Name the SMTP and IMAP servers give themselves (banner, Received header, DSN Reporting-MTA). */
export const OPERATOR_HOSTNAME = 'mssante.segur-sim.simu.mssante.test';
/** Sender of the delivery status notifications the operator generates. */
export const MAILER_DAEMON = 'MAILER-DAEMON@segur-sim.simu.mssante.test';

/** Default largest message the operator accepts (SMTP SIZE, IMAP APPENDLIMIT): 50 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
/** Mon espace santé refuses messages over 25 Mo; the sender gets a bounce (DSN 5.3.4). */
export const MES_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** Environment variable that turns the trainer mode (PLAIN/LOGIN with a shared password) on. */
export const PLAIN_ENV = 'SEGUR_SIM_MSSANTE_PLAIN';
/** Environment variable overriding the largest accepted message, in bytes. */
export const MAX_SIZE_ENV = 'SEGUR_SIM_MSSANTE_MAX_SIZE';
/** Password of every mailbox in trainer mode, unless the variable gives another one. */
export const TRAINER_PASSWORD = 'segur-sim';

/** Folders every mailbox has, with their RFC 6154 special use. */
export const DEFAULT_FOLDERS: readonly { name: string; specialUse?: string }[] = [
  { name: 'INBOX' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
];

/** IMAP hierarchy delimiter. */
export const DELIMITER = '/';

/** Trust list file name and namespace, as the ANS serves it (`https://espacedeconfiance.mssante.fr/listeblanchemssante.xml`). */
export const TRUST_LIST_FILE = 'listeblanchemssante.xml';
export const TRUST_LIST_NAMESPACE = 'https://listeblanche.mssante.fr/schema';

export interface MssanteSettings {
  /** Largest message accepted at submission (SMTP SIZE) and by APPEND. */
  maxMessageBytes: number;
  /** Trainer mode: PLAIN/LOGIN accepted with this password (undefined = off). */
  trainerPassword: string | undefined;
}

/** Reads the environment once, when the host asks for the listeners. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): MssanteSettings {
  const plain = env[PLAIN_ENV]?.trim();
  let trainerPassword: string | undefined;
  if (plain && !/^(0|false|off|no)$/i.test(plain)) trainerPassword = /^(1|true|on|yes)$/i.test(plain) ? TRAINER_PASSWORD : plain;
  const size = Number(env[MAX_SIZE_ENV]);
  const maxMessageBytes = Number.isInteger(size) && size > 0 ? size : DEFAULT_MAX_MESSAGE_BYTES;
  return { maxMessageBytes, trainerPassword };
}
