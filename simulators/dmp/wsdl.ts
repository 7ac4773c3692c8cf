/** Our own WSDLs and schemas for the six DMP services, self-contained (nothing fetched from the internet). */
import type { DmpEndpoint } from './constants.js';

/** The WSDL of one service with its endpoint address, or undefined while not written. */
export function wsdlFor(_endpoint: DmpEndpoint, _address: string): string | undefined {
  return undefined;
}

/** A schema imported by the WSDLs, by the name used in `?xsd=<name>`. */
export function xsdFor(_name: string): string | undefined {
  return undefined;
}
