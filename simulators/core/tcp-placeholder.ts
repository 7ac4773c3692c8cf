import { createServer, type Server } from 'node:net';

/**
 * Holds the SMTP or IMAP port before the MSSanté simulator serves it, answering with the protocol's own
 * "service not available" greeting so a client sees a clean refusal rather than a timeout.
 */
export function placeholderMailServer(protocol: 'smtp' | 'imap'): Server {
  const greeting =
    protocol === 'smtp'
      ? '421 4.3.2 segur-sim: MSSanté SMTP is not simulated yet in this version, closing connection\r\n'
      : '* BYE segur-sim: MSSanté IMAP is not simulated yet in this version\r\n';
  return createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(greeting);
  });
}
