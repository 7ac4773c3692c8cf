/**
 * A body its service also keeps in a store of its own (a delivered message): the journal holds a copy of
 * its first bytes only, what the entry shows, and reads the whole back with `load` when asked. Large
 * bodies held whole until the memory budget let them go were most of a busy host's garbage collection.
 */
export class StoredBody {
  readonly size: number;
  private bytes: Uint8Array | undefined;
  /**
   * The first bytes, one Latin-1 character each (set by `keepHead`). A string rather than a small Buffer:
   * thousands of retained ArrayBuffers made every full garbage collection slower than the heap they sat in.
   */
  head = '';

  constructor(
    bytes: Uint8Array,
    readonly load: () => Promise<Uint8Array | undefined>,
  ) {
    this.bytes = bytes;
    this.size = bytes.byteLength;
  }

  /** Keeps the first `cap` bytes and lets go of the whole. */
  keepHead(cap: number): void {
    if (!this.bytes) return;
    this.head = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, Math.min(cap, this.bytes.byteLength)).toString('latin1');
    this.bytes = undefined;
  }
}

/** How a request or response body is kept in the journal: readable text when it is text, capped. */
export interface BodyCapture {
  size: number;
  contentType?: string;
  /** UTF-8 text (up to the cap) for textual bodies. */
  text?: string;
  /** Base64 (up to the cap) for binary bodies. */
  base64?: string;
  truncated: boolean;
  /** Set when the text is cut but the whole body is kept: GET /_admin/sandboxes/<id>/journal/entries/<entry>/<request|response> */
  spilled?: boolean;
  /** Set when the body was released to keep the journal within `journal.maxBodyMemory` (only its size is left). */
  dropped?: boolean;
}

const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(xml|json|soap\+xml|x-www-form-urlencoded|xop\+xml|jwt|yaml)|multipart\/)/i;

export function isTextual(contentType: string | undefined): boolean {
  return !contentType || TEXTUAL.test(contentType);
}

/** The entry's view of a body: cut to `cap`; `droppedSize` when the journal released the body (memory budget). */
export function captureBody(body: Uint8Array | string | StoredBody | undefined, contentType: string | undefined, cap: number, droppedSize?: number): BodyCapture {
  if (droppedSize !== undefined) return { size: droppedSize, contentType, truncated: droppedSize > 0, dropped: true };
  if (body === undefined) return { size: 0, contentType, truncated: false };
  const whole = body instanceof StoredBody ? Buffer.from(body.head, 'latin1') : body;
  const bytes = typeof whole === 'string' ? Buffer.from(whole, 'utf8') : Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength);
  const size = body instanceof StoredBody ? body.size : bytes.length;
  const truncated = size > cap;
  const kept = bytes.length > cap ? bytes.subarray(0, cap) : bytes;
  const capture: BodyCapture = { size, contentType, truncated };
  if (truncated) capture.spilled = true;
  // MTOM and multipart bodies mix text and binary: show them as text (latin1 keeps every byte visible).
  if (isTextual(contentType)) capture.text = contentType?.startsWith('multipart/') ? kept.toString('latin1') : kept.toString('utf8');
  else capture.base64 = kept.toString('base64');
  return capture;
}
