/** Per-host state of the MSSanté simulator: settings read once from the environment, the auth context. */
import type { HostContext } from '../core/host-context.js';
import type { AuthContext } from './auth.js';
import { settingsFromEnv, type MssanteSettings } from './constants.js';
import type { ExtraAppMailbox } from './directory.js';

export interface MssanteRuntime {
  settings: MssanteSettings;
  auth: AuthContext;
  extraApp: ExtraAppMailbox | undefined;
}

const runtimes = new WeakMap<HostContext, MssanteRuntime>();

export function mssanteRuntime(host: HostContext): MssanteRuntime {
  let rt = runtimes.get(host);
  if (!rt) {
    const settings = settingsFromEnv();
    // The test PKI's MSS-APP certificate names an applicative mailbox (CN and rfc822Name); when it is not a
    // world mailbox it is served as an extra APP mailbox so the certificate can be used as issued.
    const cn = host.pki.orgClients['MSS-APP']?.subject.CN;
    const extraApp: ExtraAppMailbox | undefined = cn && cn.includes('@') ? { address: cn, description: 'BAL applicative du certificat MSS-APP de la PKI de test' } : undefined;
    rt = { settings, extraApp, auth: { host, settings, extraApp } };
    runtimes.set(host, rt);
  }
  return rt;
}
