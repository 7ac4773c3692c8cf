import { z } from 'zod';

const port = z.number({ error: 'must be a port number' }).int('must be an integer').min(0, 'must be between 0 and 65535').max(65535, 'must be between 0 and 65535');
const count = (min: number) => z.number().int('must be an integer').min(min, `must be at least ${min}`);

/** The whole configuration, after file, environment and flags are merged. */
export const configSchema = z
  .object({
    bind: z.string().min(1, 'must not be empty').default('127.0.0.1'),
    ports: z
      .object({ http: port.default(7080), https: port.default(7443), smtp: port.default(7587), imap: port.default(7143) })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1, 'must not be empty').default('.segur-sim'),
    /** `file`: lowdb JSON per sandbox in dataDir; `memory`: nothing written (tests, demos). */
    store: z.enum(['file', 'memory'], { error: 'must be "file" or "memory"' }).default('file'),
    seed: count(0).default(1),
    /** strict rejects as production would; lenient serves and reports in the journal. */
    mode: z.enum(['strict', 'lenient'], { error: 'must be "strict" or "lenient"' }).default('strict'),
    /** Fixed start instant for the clock (ISO 8601); absent = real time. */
    clockStart: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    world: z
      .object({ patients: count(1).default(200), professionals: count(1).default(30), structures: count(1).default(5) })
      .strict()
      .prefault({}),
    scenarios: z
      .object({
        /** Directories whose *.yaml scenarios are loaded into the library at start. */
        dirs: z.array(z.string()).default([]),
        /** Scenario files (or library names) active in every sandbox at the lowest precedence. */
        startup: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    journal: z
      .object({
        maxEntries: count(10).default(5000),
        /** Bodies larger than this are cut in the entry; the whole body stays retrievable by id. */
        maxBodyBytes: count(256).default(64 * 1024),
        /** Whole bodies above the cap are kept up to this size (bytes) each. */
        maxSpillBytes: count(0).default(50 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    sandboxes: z
      .object({
        /** Create a sandbox the first time a request names it (CI runs just pick an id). */
        autoCreate: z.boolean().default(true),
        max: count(1).default(500),
      })
      .strict()
      .prefault({}),
    tls: z
      .object({
        /** Ask HTTPS clients for a certificate (mTLS); requests without one still reach the services. */
        requestClientCert: z.boolean().default(true),
        hostnames: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /** Maximum size of an HTTP request body, in bytes. */
    maxBodyBytes: count(1024).default(64 * 1024 * 1024),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
/** What a user may write: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;
