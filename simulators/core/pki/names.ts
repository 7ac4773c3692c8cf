/**
 * Distinguished names of the simulator PKI.
 *
 * CA names copy the IGC-Santé *test* chain ("TEST AC ... IGC-SANTE ELEMENTAIRE ...") so that software which
 * displays or logs issuer names behaves as in qualification, but every CA also carries an explicit
 * "simulator" OU so nobody can mistake one of these certificates for a real ANS one.
 */

/** Attribute types we emit; the keys are the short names Node uses in `getPeerCertificate().subject`. */
export const ATTRIBUTE_OIDS = {
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  GN: '2.5.4.42',
  title: '2.5.4.12',
} as const;

export type AttributeType = keyof typeof ATTRIBUTE_OIDS;
export interface DnAttribute {
  type: AttributeType;
  value: string;
}
/** One RDN; more than one attribute makes a multi-valued RDN (as in CPS card certificates: GN+CN+SN). */
export type Rdn = DnAttribute[];
/** RDNs in ASN.1 order, most significant first (C=FR first). */
export type Dn = Rdn[];

export const SIMULATOR_MARKER = 'SEGUR-SIM SIMULATEUR - NE PAS UTILISER EN PRODUCTION';

const single = (type: AttributeType, value: string): Rdn => [{ type, value }];

function caDn(cn: string): Dn {
  return [single('C', 'FR'), single('O', 'ASIP-SANTE'), single('OU', 'IGC-SANTE'), single('OU', SIMULATOR_MARKER), single('CN', cn)];
}

export const ROOT_CN = 'TEST AC RACINE IGC-SANTE ELEMENTAIRE';
export const ORG_CA_CN = 'TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS';
/**
 * Real CPS card certificates come from "AC IGC-SANTE FORT PERSONNES" under a separate FORT root. We keep a single
 * root (one trust anchor, one ca-bundle) and issue personal certificates from an ELEMENTAIRE PERSONNES
 * intermediate; services that need the FORT name can still match on the subject of the personal certificate.
 */
export const PERSON_CA_CN = 'TEST AC IGC-SANTE ELEMENTAIRE PERSONNES';

export const rootDn = (): Dn => caDn(ROOT_CN);
export const orgCaDn = (): Dn => caDn(ORG_CA_CN);
export const personCaDn = (): Dn => caDn(PERSON_CA_CN);

export function serverDn(): Dn {
  return [single('C', 'FR'), single('O', 'SEGUR-SIM'), single('OU', 'SIMULATEUR'), single('CN', 'localhost')];
}

/** Organisation ("personne morale") certificate: OU = structure identifier, as INSi clients copy it into Emetteur. */
export function organisationDn(cn: string, structureId: string, structureName: string): Dn {
  return [single('C', 'FR'), single('O', structureName), single('OU', structureId), single('CN', cn)];
}

/** Personal certificate shaped like a CPS one: `GN=…+CN=<idNat>+SN=…, title=<profession>, C=FR`. */
export function personalDn(p: { idNat: string; firstName: string; lastName: string; profession: string }): Dn {
  return [
    single('C', 'FR'),
    single('title', p.profession),
    [
      { type: 'GN', value: p.firstName },
      { type: 'CN', value: p.idNat },
      { type: 'SN', value: p.lastName },
    ],
  ];
}

/** Flat view used by services; repeated types (two OUs) are joined with ", " like clientCertInfo does. */
export function dnToRecord(dn: Dn): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rdn of dn) {
    for (const { type, value } of rdn) out[type] = out[type] === undefined ? value : `${out[type]}, ${value}`;
  }
  return out;
}

/** Same text as Node's `X509Certificate.subject` for the simple (ASCII, no special character) names we use on CAs. */
export function dnToNodeString(dn: Dn): string {
  return dn.map((rdn) => rdn.map((a) => `${a.type}=${a.value}`).join(' + ')).join('\n');
}
