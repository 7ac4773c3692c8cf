/**
 * Cuts the client's byte stream into whole commands: a line, and when it ends with a literal announcement
 * (`{n}` synchronizing, `{n+}` LITERAL+), the n bytes that follow and the rest of the command. Sends the
 * `+` continuation for synchronizing literals, refuses a literal over its limit before the client sends it,
 * and bounds line length and command size so garbage cannot exhaust memory.
 */

export interface FramerOptions {
  /** Longest line of command text (literals excluded). */
  maxLineBytes: number;
  /** Largest literal accepted for a command whose text so far is `head` (APPEND gets the message limit). */
  maxLiteral(head: Buffer): number;
  /** A synchronizing literal is accepted: tell the client to send it. */
  onContinue(): void;
  /** A whole command (or a continuation line: SASL response, IDLE's DONE), without the final CRLF. */
  onCommand(command: Buffer): void;
  /** The command was dropped: too long, or a literal over the limit. `head` is its beginning (for the tag). */
  onReject(head: Buffer, reason: 'line-too-long' | 'literal-too-large', size?: number): void;
}

/** Largest total size of one command's text parts (a command with many small literals). */
const MAX_PARTS = 1000;

export class CommandFramer {
  private buffer: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private literalLeft = 0;
  /** Bytes of a refused LITERAL+ still to swallow, then the rest of the line. */
  private skipLeft = 0;
  private skipping: { head: Buffer; reason: 'line-too-long' | 'literal-too-large'; size?: number } | undefined;
  private stopped = false;

  constructor(private readonly opts: FramerOptions) {}

  /** Drops everything buffered (STARTTLS: nothing sent in clear after the command may be used). */
  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.parts = [];
    this.literalLeft = 0;
    this.skipLeft = 0;
    this.skipping = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.reset();
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (!this.stopped && this.buffer.length) {
      if (this.skipLeft > 0) {
        const n = Math.min(this.skipLeft, this.buffer.length);
        this.skipLeft -= n;
        this.buffer = this.buffer.subarray(n);
        continue;
      }
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, this.buffer.length);
        this.parts.push(this.buffer.subarray(0, n));
        this.literalLeft -= n;
        this.buffer = this.buffer.subarray(n);
        continue;
      }
      const lf = this.buffer.indexOf(0x0a);
      if (lf < 0) {
        if (this.buffer.length > this.opts.maxLineBytes && !this.skipping) {
          this.skipping = { head: this.head(this.buffer), reason: 'line-too-long' };
        }
        if (this.skipping) this.buffer = Buffer.alloc(0);
        return;
      }
      const end = lf > 0 && this.buffer[lf - 1] === 0x0d ? lf - 1 : lf;
      const line = this.buffer.subarray(0, end);
      this.buffer = this.buffer.subarray(lf + 1);
      if (this.skipping) {
        const { head, reason, size } = this.skipping;
        this.skipping = undefined;
        this.parts = [];
        this.opts.onReject(head, reason, size);
        continue;
      }
      if (line.length > this.opts.maxLineBytes) {
        const head = this.head(Buffer.concat([...this.parts, line]));
        this.parts = [];
        this.opts.onReject(head, 'line-too-long');
        continue;
      }
      const literal = /\{(\d{1,10})(\+?)\}$/.exec(line.toString('latin1', Math.max(0, line.length - 14)));
      if (!literal) {
        this.parts.push(line);
        const command = Buffer.concat(this.parts);
        this.parts = [];
        this.opts.onCommand(command);
        continue;
      }
      const size = Number(literal[1]);
      const nonSync = literal[2] === '+';
      const headSoFar = Buffer.concat([...this.parts, line]);
      if (size > this.opts.maxLiteral(headSoFar) || this.parts.length > MAX_PARTS) {
        const head = this.head(headSoFar);
        this.parts = [];
        if (nonSync) {
          // The client sends the bytes anyway: swallow them and the rest of the command, then refuse.
          this.skipLeft = size;
          this.skipping = { head, reason: 'literal-too-large', size };
        } else this.opts.onReject(head, 'literal-too-large', size);
        continue;
      }
      this.parts.push(line, Buffer.from('\r\n'));
      this.literalLeft = size;
      if (!nonSync) this.opts.onContinue();
    }
  }

  private head(buf: Buffer): Buffer {
    return Buffer.from(buf.subarray(0, 256));
  }
}
