/**
 * The IMAP4rev1 listener (port 143 in production): a plain TCP server whose sessions upgrade with
 * STARTTLS. Each connection is an `ImapSession`.
 */
import { createServer, type Server } from 'node:net';
import { ImapSession, type SessionDeps } from './session.js';

export function createImapServer(deps: SessionDeps): Server {
  const sessions = new Set<ImapSession>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    const session = new ImapSession(socket, deps);
    sessions.add(session);
    socket.once('close', () => sessions.delete(session));
    session.greet();
  });
  // The host calls this before close(): say goodbye to every client, then drop the sockets.
  (server as Server & { closeAllConnections?: () => void }).closeAllConnections = () => {
    for (const session of sessions) {
      void session.write(Buffer.from('* BYE segur-sim is shutting down\r\n'));
      session.destroy();
      session.socket.destroy();
    }
    sessions.clear();
  };
  return server;
}
