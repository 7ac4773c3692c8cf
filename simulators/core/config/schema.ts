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
        /** Bodies larger than this are shown cut in the entry; the whole body stays retrievable by id while kept. */
        maxBodyBytes: count(256).default(64 * 1024),
        /** Memory for whole bodies, per sandbox: the newest are kept, the oldest entries lose theirs first. */
        maxBodyMemory: count(0).default(64 * 1024 * 1024),
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
    /** Pro Santé Connect simulator (simulators/psc/README.md). */
    psc: z
      .object({
        /** Access token lifetime in seconds (PSC: 120). */
        accessTokenTtl: count(1).default(120),
        /** Refresh token lifetime in seconds (PSC: 1800). */
        refreshTokenTtl: count(1).default(1800),
        /** Authorization code lifetime in seconds. */
        codeTtl: count(1).default(60),
        /** CIBA request lifetime (`expires_in`) and advised polling `interval`, in seconds. */
        cibaTtl: count(1).default(120),
        cibaInterval: count(0).default(5),
        /** SSO session lifetime in seconds (PSC: 4 h). */
        sessionTtl: count(1).default(4 * 3600),
        /** `acr` returned per authentication means (observed: eidas3 with a CPS card). */
        acr: z.object({ MOBILE: z.string().default('eidas1'), CARD: z.string().default('eidas3') }).strict().prefault({}),
        /** Relying parties; `redirectUris` may hold `*` wildcards (as BAS allows). Empty = the built-in defaults. */
        clients: z
          .array(
            z
              .object({
                clientId: z.string().min(1),
                clientSecret: z.string().optional(),
                authMethod: z.enum(['client_secret_basic', 'client_secret_post', 'tls_client_auth']).default('client_secret_basic'),
                /** For tls_client_auth: attributes the certificate subject must carry, e.g. `CN=INSI-AUTO`. */
                tlsClientAuthSubjectDn: z.string().optional(),
                redirectUris: z.array(z.string()).default([]),
                postLogoutRedirectUris: z.array(z.string()).default([]),
                ciba: z.boolean().default(true),
                userinfoSignedResponseAlg: z.enum(['RS256']).optional(),
                idTokenSignedResponseAlg: z.enum(['RS256', 'HS256']).optional(),
                description: z.string().optional(),
              })
              .strict(),
          )
          .default([]),
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
