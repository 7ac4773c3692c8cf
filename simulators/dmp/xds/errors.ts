/**
 * XDS errors (dmp.md §6): `rs:RegistryResponse` with a `RegistryErrorList`, the standard IHE codes and the
 * DMP's own (`DMP…`). Every business refusal of ITI-41/18/43/57 is answered in this shape, never as a fault.
 */
import { RESPONSE_STATUS, SEVERITY } from './constants.js';
import { esc } from './xml.js';

/** The error codes this simulator answers (README.md "Error catalogue"). */
export type XdsErrorCode =
  | 'XDSRegistryError'
  | 'XDSRepositoryError'
  | 'XDSRegistryMetadataError'
  | 'XDSRepositoryMetadataError'
  | 'XDSMissingDocument'
  | 'XDSMissingDocumentMetadata'
  | 'XDSDuplicateUniqueIdInRegistry'
  | 'XDSRegistryDuplicateUniqueIdInMessage'
  | 'XDSRepositoryDuplicateUniqueIdInMessage'
  | 'XDSNonIdenticalHash'
  | 'XDSNonIdenticalSize'
  | 'XDSPatientIdDoesNotMatch'
  | 'XDSUnknownPatientId'
  | 'XDSUnknownStoredQuery'
  | 'XDSStoredQueryMissingParam'
  | 'XDSStoredQueryParamNumber'
  | 'XDSTooManyResults'
  | 'XDSUnknownRepositoryId'
  | 'XDSDocumentUniqueIdError'
  | 'XDSRegistryDeprecatedDocumentError'
  | 'XDSRegistryBusy'
  | 'XDSRegistryOutOfResources'
  | 'XDSMetadataUpdateError'
  | 'XDSMetadataVersionError'
  | 'XDSMetadataUpdateOperationError'
  | 'UnresolvedReferenceException'
  | 'DMPClosed'
  | 'DMPAccessDeniedByRightsService'
  | (string & {});

export interface RegistryError {
  code: XdsErrorCode;
  /** Human-readable explanation (French, as the DMP's messages are). */
  context: string;
  /** Where: the object id, slot or parameter concerned. */
  location?: string;
  severity?: 'error' | 'warning';
}

/** A business refusal thrown inside a transaction and answered as a RegistryErrorList. */
export class XdsFailure extends Error {
  readonly errors: RegistryError[];
  constructor(errors: RegistryError | RegistryError[]) {
    const list = Array.isArray(errors) ? errors : [errors];
    super(list.map((e) => `${e.code}: ${e.context}`).join('; '));
    this.name = 'XdsFailure';
    this.errors = list;
  }
}

export function xdsError(code: XdsErrorCode, context: string, location?: string): RegistryError {
  return { code, context, location };
}

/** `<p:RegistryErrorList>` (empty string when there is nothing to list). Attributes in rs.xsd order. */
export function registryErrorList(errors: RegistryError[], p: string): string {
  if (!errors.length) return '';
  let out = `<${p}:RegistryErrorList highestSeverity="${errors.some((e) => (e.severity ?? 'error') === 'error') ? SEVERITY.error : SEVERITY.warning}">`;
  for (const e of errors) {
    out +=
      `<${p}:RegistryError codeContext="${esc(e.context)}" errorCode="${esc(e.code)}" severity="${e.severity === 'warning' ? SEVERITY.warning : SEVERITY.error}"` +
      (e.location ? ` location="${esc(e.location)}"` : '') +
      '/>';
  }
  return `${out}</${p}:RegistryErrorList>`;
}

/** Namespace declarations as the live DMP's CXF writes them on each response root (prefixes ns2..ns6). */
export const NS_DECLS = {
  /** ITI-41 and ITI-43 responses (repository): ns2 rs, ns3 lcm, ns4 xds-b, ns5 rim, ns6 query. */
  repository:
    'xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:ns4="urn:ihe:iti:xds-b:2007" xmlns:ns5="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns6="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0"',
  /** ITI-18 and ITI-57 responses (registry): ns2 rs, ns3 query, ns4 rim, ns5 lcm, ns6 hl7. */
  registry:
    'xmlns:ns2="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0" xmlns:ns3="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" xmlns:ns4="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" xmlns:ns5="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:ns6="urn:hl7-org:v3"',
} as const;

function statusOf(errors: RegistryError[], partial = false): string {
  const hasError = errors.some((e) => (e.severity ?? 'error') === 'error');
  if (!hasError) return RESPONSE_STATUS.success;
  return partial ? RESPONSE_STATUS.partialSuccess : RESPONSE_STATUS.failure;
}

/** The body of an ITI-41 (repository) or ITI-57 (registry) response: `ns2:RegistryResponse`. */
export function registryResponse(errors: RegistryError[], service: 'repository' | 'registry'): string {
  const status = statusOf(errors);
  const list = registryErrorList(errors, 'ns2');
  return list
    ? `<ns2:RegistryResponse status="${status}" ${NS_DECLS[service]}>${list}</ns2:RegistryResponse>`
    : `<ns2:RegistryResponse status="${status}" ${NS_DECLS[service]}/>`;
}

/** Inner `ns2:RegistryResponse` of an ITI-43 response (namespaces declared on the parent). */
export function innerRegistryResponse(errors: RegistryError[], partial: boolean): string {
  const status = statusOf(errors, partial);
  const list = registryErrorList(errors, 'ns2');
  return list ? `<ns2:RegistryResponse status="${status}">${list}</ns2:RegistryResponse>` : `<ns2:RegistryResponse status="${status}"/>`;
}

/** An ITI-18 failure: `ns3:AdhocQueryResponse status=Failure` with the error list and an empty object list. */
export function adhocQueryFailure(errors: RegistryError[]): string {
  return (
    `<ns3:AdhocQueryResponse status="${statusOf(errors)}" ${NS_DECLS.registry}>` +
    `${registryErrorList(errors, 'ns2')}<ns4:RegistryObjectList/></ns3:AdhocQueryResponse>`
  );
}
