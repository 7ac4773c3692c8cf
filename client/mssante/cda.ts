/**
 * The bits of a received CDA R2 header the LPS needs to file it (notes §2.3, §2.4): document id, setId and
 * version, type code and title, the patient (INS from `recordTarget/patientRole/id` with an INS OID, and
 * the traits: birth name `family[@qualifier=BR]`, first given name, birth date, sex), the RPLC parent and
 * the author's idNat. Read with the client's XML reader (entities off, DOCTYPE refused).
 */
import { INS_OID } from '../dmp/constants.js';
import { attr, child, childrenNamed, parseXmlTree, path, type XmlElement } from '../dmp/xml.js';

const INS_OIDS = new Set<string>(Object.values(INS_OID));

export interface PatientTraits {
  birthName: string;
  /** First given name (the RNIV "premier prénom"). */
  firstName: string;
  /** Every given name, in order. */
  firstNames?: string[];
  /** `YYYY-MM-DD`. */
  birthDate: string;
  /** `M`, `F` or `I`. */
  sex: string;
}

export interface CdaPatient extends Partial<PatientTraits> {
  /** The INS matricule (15 characters) when `patientRole/id` carries an INS OID. */
  ins?: string;
  insOid?: string;
  /** Other identifiers (IPP…), `root^extension`. */
  otherIds: string[];
}

export interface CdaHeader {
  id?: string;
  setId?: string;
  version?: number;
  code?: { code: string; displayName?: string; codeSystem?: string };
  title?: string;
  patient: CdaPatient;
  /** `relatedDocument/@typeCode` (RPLC, APND…) and the parent's id / setId. */
  related?: { typeCode: string; parentId?: string; parentSetId?: string; parentVersion?: number };
  /** idNat of the first author (`assignedAuthor/id/@extension`). */
  authorId?: string;
}

function hl7Date(v: string | undefined): string | undefined {
  const m = v && /^(\d{4})(\d{2})(\d{2})/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function numberOf(v: string | undefined): number | undefined {
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Reads the header; undefined when the bytes are not a ClinicalDocument. */
export function readCdaHeader(bytes: Uint8Array | string): CdaHeader | undefined {
  let root: XmlElement;
  try {
    root = parseXmlTree(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (root.name !== 'ClinicalDocument') return undefined;
  const role = path(root, 'recordTarget', 'patientRole');
  const patient: CdaPatient = { otherIds: [] };
  for (const id of childrenNamed(role, 'id')) {
    const root_ = id.attrs.root ?? '';
    if (INS_OIDS.has(root_) && id.attrs.extension && !patient.ins) {
      patient.ins = id.attrs.extension;
      patient.insOid = root_;
    } else patient.otherIds.push(`${root_}^${id.attrs.extension ?? ''}`);
  }
  const p = child(role, 'patient');
  const name = child(p, 'name');
  if (name) {
    const families = childrenNamed(name, 'family');
    const birth = families.find((f) => f.attrs.qualifier === 'BR') ?? families[0];
    if (birth?.text.trim()) patient.birthName = birth.text.trim();
    const givens = childrenNamed(name, 'given');
    const first = givens.find((g) => g.attrs.qualifier === 'BR') ?? givens[0];
    if (first?.text.trim()) patient.firstName = first.text.trim();
    const all = givens.filter((g) => g.attrs.qualifier !== 'BR').map((g) => g.text.trim()).filter(Boolean);
    if (all.length) patient.firstNames = all.flatMap((g) => g.split(/\s+/));
  }
  const sex = attr(child(p, 'administrativeGenderCode'), 'code');
  if (sex) patient.sex = sex;
  const birth = hl7Date(attr(child(p, 'birthTime'), 'value'));
  if (birth) patient.birthDate = birth;

  const code = child(root, 'code');
  const header: CdaHeader = {
    id: attr(child(root, 'id'), 'root'),
    setId: attr(child(root, 'setId'), 'root'),
    version: numberOf(attr(child(root, 'versionNumber'), 'value')),
    code: code?.attrs.code ? { code: code.attrs.code, displayName: code.attrs.displayName, codeSystem: code.attrs.codeSystem } : undefined,
    title: child(root, 'title')?.text.trim() || undefined,
    patient,
    authorId: attr(path(root, 'author', 'assignedAuthor', 'id'), 'extension'),
  };
  const related = child(root, 'relatedDocument');
  if (related) {
    const parent = child(related, 'parentDocument');
    header.related = {
      typeCode: related.attrs.typeCode ?? '',
      parentId: attr(child(parent, 'id'), 'root'),
      parentSetId: attr(child(parent, 'setId'), 'root'),
      parentVersion: numberOf(attr(child(parent, 'versionNumber'), 'value')),
    };
  }
  return header;
}
