/**
 * Shared bits of the DMP's own doc/literal services (`habilitations`, `patientsSpecific`, dmp.md §4.4–4.6):
 * fields declared `form="qualified"` in a schema whose elementFormDefault is unqualified, responses written
 * with the `ns1` prefix as the samples show, and the `output/status` + `output/context` result.
 */
import type { XmlEl } from '../../core/xml/tree.js';
import { t } from './common.js';

/** A child field by local name, namespace-agnostic (clients write it qualified or not). */
export function field(el: XmlEl | undefined, name: string): string | undefined {
  const c = el?.children.find((x) => x.name === name);
  return c ? c.text : undefined;
}

/** `<ns1:name>text</ns1:name>`, or `<ns1:name/>` when empty. */
export function ns1(name: string, text: string | undefined): string {
  return text ? `<ns1:${name}>${t(text)}</ns1:${name}>` : `<ns1:${name}/>`;
}

/** Success status of these services (the samples write `DMPOk`). */
export const DMP_OK = 'DMPOk';

/** `<ns1:status>…</ns1:status>` then `<ns1:context>…</ns1:context>` (context omitted when undefined). */
export function statusXml(status: string, context: string | undefined): string {
  return ns1('status', status) + (context === undefined ? '' : ns1('context', context));
}
