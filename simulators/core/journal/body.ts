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
export function captureBody(body: Uint8Array | string | undefined, contentType: string | undefined, cap: number, droppedSize?: number): BodyCapture {
  if (droppedSize !== undefined) return { size: droppedSize, contentType, truncated: droppedSize > 0, dropped: true };
  if (body === undefined) return { size: 0, contentType, truncated: false };
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const truncated = bytes.length > cap;
  const kept = truncated ? bytes.subarray(0, cap) : bytes;
  const capture: BodyCapture = { size: bytes.length, contentType, truncated };
  if (truncated) capture.spilled = true;
  // MTOM and multipart bodies mix text and binary: show them as text (latin1 keeps every byte visible).
  if (isTextual(contentType)) capture.text = contentType?.startsWith('multipart/') ? kept.toString('latin1') : kept.toString('utf8');
  else capture.base64 = kept.toString('base64');
  return capture;
}
