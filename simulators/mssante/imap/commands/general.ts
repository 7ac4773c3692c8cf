/** Commands valid in any state (CAPABILITY, NOOP, LOGOUT, ID) and the small authenticated ones (ENABLE, NAMESPACE, CHECK, IDLE). */
import { isAtom } from '../parser.js';
import type { ImapSession } from '../session.js';
import { ANY, AUTHENTICATED, SELECTED, bad, ok, type CommandSpec } from './types.js';

export const generalCommands: Record<string, CommandSpec> = {
  CAPABILITY: {
    states: ANY,
    async handler(s) {
      await s.untaggedText(`CAPABILITY ${s.capabilities().join(' ')}`);
      return ok('CAPABILITY completed');
    },
  },

  NOOP: { states: ANY, handler: async () => ok('NOOP completed') },

  CHECK: { states: SELECTED, handler: async () => ok('CHECK completed') },

  LOGOUT: {
    states: ANY,
    sync: false,
    async handler(s) {
      await s.untaggedText('BYE segur-sim MSSanté IMAP logging out');
      s.state = 'logout';
      return ok('LOGOUT completed');
    },
  },

  ID: {
    states: ANY,
    async handler(s, cmd) {
      const arg = cmd.args[0];
      if (cmd.args.length !== 1 || !(isAtom(arg, 'NIL') || arg?.type === 'list')) return bad('ID takes NIL or a list of field/value pairs');
      const client: Record<string, string> = {};
      if (arg.type === 'list') {
        const values = arg.value;
        for (let i = 0; i + 1 < values.length; i += 2) {
          const k = values[i]!;
          const v = values[i + 1]!;
          if (k.type === 'string') client[k.value.toString('utf8')] = v.type === 'string' ? v.value.toString('utf8') : '';
        }
      }
      await s.untagged({ atom: 'ID' }, ['name', 'segur-sim MSSante', 'vendor', 'segur-sim', 'version', '0.1.0', 'support-url', 'simulators/mssante/README.md']);
      return ok('ID completed', undefined, { client });
    },
  },

  ENABLE: {
    states: AUTHENTICATED,
    async handler(s, cmd) {
      if (!cmd.args.length) return bad('ENABLE needs at least one capability');
      // Nothing this server advertises needs enabling (no CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4rev2).
      await s.untaggedText('ENABLED');
      return ok('ENABLE completed');
    },
  },

  NAMESPACE: {
    states: AUTHENTICATED,
    async handler(s) {
      await s.untaggedText('NAMESPACE (("" "/")) NIL NIL');
      return ok('NAMESPACE completed');
    },
  },

  IDLE: {
    states: AUTHENTICATED,
    async handler(s) {
      return idle(s);
    },
  },
};

/** RFC 2177: `+ idling`, push EXISTS/EXPUNGE/FETCH as the mailbox changes, until the client says DONE. */
async function idle(s: ImapSession) {
  await s.write(Buffer.from('+ idling\r\n'));
  let chain = Promise.resolve();
  const notify = () => {
    chain = chain.then(() => s.syncSelected(true)).catch(() => undefined);
  };
  s.idleNotify = notify;
  notify();
  const line = await s.nextLine();
  s.idleNotify = undefined;
  await chain;
  if (line === undefined) return ok('IDLE terminated');
  if (line.toString('latin1').trim().toUpperCase() !== 'DONE') return bad('Expected DONE to end IDLE');
  return ok('IDLE terminated');
}
