/**
 * Contracts between the DMP pipeline (service.ts: SOAP, WS-Addressing, MTOM, VIHF) and the transaction
 * handlers (HL7v3 patients, habilitations, patientsSpecific, PDQ, XDS registry and repository).
 */
import type { Exchange } from '../core/exchange.js';
import type { HostContext } from '../core/host-context.js';
import type { XmlEl } from '../core/xml/tree.js';
import type { DmpEndpoint } from './constants.js';
import type { DmpStore } from './store.js';

/** Authentication mode of the VIHF (`Authentification_Mode`, dmp.md §3.2). */
export type AuthMode = 'DIRECTE' | 'INDIRECTE' | 'INDIRECTE_RENFORCEE';
/** TRE_R248 ModeAcces (`PurposeOfUse`). */
export type AccessMode = 'normal' | 'bris_de_glace' | 'centre_15';

export interface VihfRole {
  code: string;
  codeSystem: string;
  displayName?: string;
}

/** The VIHF assertion as the handlers use it (parsed and checked by vihf.ts). */
export interface Vihf {
  /** `NameID`: PSIdNat (8+RPPS, 0 ADELI, 3/5 + structure/internal id for CPE...). */
  nameId: string;
  authMode: AuthMode;
  authnContext?: string;
  structureId?: string;
  /** `Secteur_Activite` code (SA07...). */
  secteurActivite?: string;
  subjectId?: string;
  /** First role value: profession (TRE_G15) or non-PS role (AUTOMATE, SECRETARIAT_MEDICAL...). */
  profession?: VihfRole;
  /** Further role values: specialty (savoir-faire) etc. */
  roles: VihfRole[];
  /** `resource-id` INS as given (CX). */
  resourceId?: string;
  /** INS (15 chars) and OID from `resource-id`. */
  patientIns?: string;
  patientInsOid?: string;
  purposeOfUse: AccessMode;
  confidentialityCodes: string[];
  lps: { nom?: string; version?: string; homologation?: string; id?: string };
  version?: string;
  signed: boolean;
  /** Every attribute as received, name → values (text), for the journal. */
  attributes: Record<string, string[]>;
}

/** One MTOM/XOP part (or an inline base64 document), keyed by Content-ID without `<>`. */
export interface Attachment {
  contentId: string;
  contentType: string;
  bytes: Uint8Array;
}

/** A DMP SOAP call once the envelope, WS-Addressing, MTOM and VIHF have been read. */
export interface DmpCall {
  exchange: Exchange;
  host: HostContext;
  endpoint: DmpEndpoint;
  soapVersion: '1.1' | '1.2';
  action: string;
  messageId: string;
  /** The first element of `soap:Body`. */
  body: XmlEl;
  /** The whole envelope (rarely needed). */
  envelope: XmlEl;
  /** MTOM parts by content id; empty for a plain SOAP request. */
  attachments: Map<string, Attachment>;
  vihf: Vihf;
  store: DmpStore;
  /** Epoch ms from the host clock. */
  now: number;
}

/** What a handler answers: the response body XML (one element) and its wsa:Action; parts for MTOM. */
export interface DmpReply {
  action: string;
  /** Serialized XML of the SOAP Body's content. */
  body: string;
  /** Documents to send as MTOM parts (ITI-43); referenced from `body` by `<xop:Include href="cid:..."/>`. */
  attachments?: Attachment[];
  status?: number;
}

export type DmpHandler = (call: DmpCall) => Promise<DmpReply> | DmpReply;

/**
 * A SOAP fault the handler wants sent (transport-level errors: unknown action, missing WSA header, VIHF
 * unreadable). Business errors are answered in the transaction's own shape (XDS RegistryError, HL7v3
 * acknowledgement, `output/status`), not as faults.
 */
export class DmpFault extends Error {
  constructor(
    readonly status: number,
    /** Subcode, e.g. `wsa:MessageAddressingHeaderRequired`, `VIHFInvalide`, `DMPAccessDeniedByRightsService`. */
    readonly code: string,
    message: string,
    readonly side: 'Sender' | 'Receiver' = status < 500 ? 'Sender' : 'Receiver',
  ) {
    super(message);
    this.name = 'DmpFault';
  }
}
