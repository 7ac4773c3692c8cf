/** The part of libmime (a dependency of mailparser and mailsplit, by the same author) this simulator uses. */
declare module 'libmime' {
  interface StructuredHeader {
    value: string | false;
    params: Record<string, string>;
  }
  interface Libmime {
    /** `text/plain; charset="utf-8"` → `{ value: 'text/plain', params: { charset: 'utf-8' } }` (RFC 2231 continuations joined). */
    parseHeaderValue(value: string): StructuredHeader;
    /** Decodes RFC 2047 encoded words. */
    decodeWords(value: string): string;
  }
  const libmime: Libmime;
  export default libmime;
}
