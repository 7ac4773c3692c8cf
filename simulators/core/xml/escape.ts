const NEEDS_ESCAPE = /[<>&'"]/;
const ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' };

/**
 * Escapes text for an XML element or attribute value. Returns the string itself when nothing needs
 * escaping (the common case when rendering large responses: no new string, no regex replace).
 */
export function escapeXml(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(/[<>&'"]/g, (ch) => ESCAPES[ch]!) : text;
}
