/**
 * Who owns which MSSanté mailbox (BAL), which domains are local and which are in the trust space, derived
 * from the seeded world (read-only, shared by every sandbox of one seed).
 */
import type { Mailbox, Professional, StaffMember, World } from '../../fixtures/index.js';
import { MSS_PATIENT_DOMAIN } from '../../fixtures/patients.js';

export type MailboxType = Mailbox['type'] | 'PAT';

export interface MailboxEntry {
  address: string;
  /** PER, CAB, ORG, APP from the fixtures; PAT for a citizen (Mon espace santé) address. */
  type: MailboxType;
  ownerKind: 'professional' | 'structure' | 'patient' | 'software';
  ownerId: string;
  structureId?: string;
  description: string;
  magic: string[];
}

/** The applicative mailbox carried by the test PKI's `MSS-APP` certificate when it is not a world mailbox. */
export interface ExtraAppMailbox {
  address: string;
  description: string;
}

export class MailDirectory {
  private readonly byAddress = new Map<string, MailboxEntry>();
  private readonly professionalsByIdNat = new Map<string, Professional>();
  private readonly staffByIdNat = new Map<string, StaffMember>();
  /** Domains whose mailboxes this operator serves (world domains, the patient domain, the PKI app domain). */
  readonly localDomains = new Set<string>();
  readonly patientDomain = MSS_PATIENT_DOMAIN;

  constructor(
    readonly world: World,
    extraApp?: ExtraAppMailbox,
  ) {
    for (const m of world.mailboxes) {
      this.add({ address: m.address, type: m.type, ownerKind: m.ownerKind, ownerId: m.ownerId, structureId: m.structureId, description: m.description, magic: m.magic ?? [] });
    }
    for (const p of world.patients) {
      if (!p.mssPatientAddress) continue;
      this.add({ address: p.mssPatientAddress, type: 'PAT', ownerKind: 'patient', ownerId: p.id, description: `Mon espace santé de ${p.firstName} ${p.birthName}`, magic: p.magic?.includes('mss-bounce') ? ['mss-bounce'] : [] });
    }
    this.localDomains.add(MSS_PATIENT_DOMAIN);
    if (extraApp && !this.byAddress.has(normalizeAddress(extraApp.address))) {
      this.add({ address: extraApp.address, type: 'APP', ownerKind: 'software', ownerId: 'pki:MSS-APP', description: extraApp.description, magic: [] });
    }
    for (const p of world.professionals) this.professionalsByIdNat.set(p.idNat, p);
    for (const s of world.staff) this.staffByIdNat.set(s.idNat, s);
  }

  private add(entry: MailboxEntry): void {
    const address = normalizeAddress(entry.address);
    this.byAddress.set(address, { ...entry, address });
    this.localDomains.add(domainOf(address));
  }

  get(address: string): MailboxEntry | undefined {
    return this.byAddress.get(normalizeAddress(address));
  }

  all(): MailboxEntry[] {
    return [...this.byAddress.values()];
  }

  isLocalDomain(domain: string): boolean {
    return this.localDomains.has(domain.toLowerCase());
  }

  /** Domains of the trust list (liste blanche): every domain this simulated espace de confiance serves. */
  trustDomains(): string[] {
    return [...this.localDomains].sort();
  }

  professional(idNatOrRpps: string): Professional | undefined {
    return this.professionalsByIdNat.get(idNatOrRpps) ?? this.professionalsByIdNat.get(`8${idNatOrRpps}`);
  }

  staff(idNat: string): StaffMember | undefined {
    return this.staffByIdNat.get(idNat);
  }

  /**
   * May the person authenticated by Pro Santé Connect (idNat = `SubjectNameID`) open this mailbox?
   * PER: its owner only. CAB: its owner and the professionals exercising in the cabinet. ORG: every
   * professional exercising in the structure and the structure's staff (secretaries). APP: never with a
   * personal token (certificate only). PAT: never (Mon espace santé is not reachable over SMTP/IMAP).
   */
  access(idNat: string, address: string): { ok: true; role: 'owner' | 'delegate' } | { ok: false; reason: string } {
    const box = this.get(address);
    if (!box) return { ok: false, reason: `no mailbox ${address} at this operator` };
    const pro = this.professional(idNat);
    const staff = pro ? undefined : this.staff(idNat);
    if (!pro && !staff) return { ok: false, reason: `the token's professional ${idNat} is unknown in the directory` };
    switch (box.type) {
      case 'PAT':
        return { ok: false, reason: `${box.address} is a Mon espace santé (citizen) mailbox, not reachable over SMTP/IMAP` };
      case 'APP':
        return { ok: false, reason: `${box.address} is an applicative mailbox (BAL APP): it authenticates with its certificate, not a personal token` };
      case 'PER':
        return pro && box.ownerId === pro.id ? { ok: true, role: 'owner' } : { ok: false, reason: `${box.address} is the personal mailbox of another professional` };
      case 'CAB':
        if (pro && box.ownerId === pro.id) return { ok: true, role: 'owner' };
        return pro && box.structureId && exercisesIn(pro, box.structureId) ? { ok: true, role: 'delegate' } : { ok: false, reason: `${idNat} does not exercise in the cabinet of ${box.address}` };
      case 'ORG':
        if (pro && box.structureId && exercisesIn(pro, box.structureId)) return { ok: true, role: 'delegate' };
        if (staff && staff.structureId === box.structureId) return { ok: true, role: 'delegate' };
        return { ok: false, reason: `${idNat} is not a member of the structure owning ${box.address}` };
    }
  }

  /** Every mailbox the professional may open (for the admin view and error messages). */
  mailboxesOf(idNat: string): string[] {
    return this.all()
      .filter((m) => this.access(idNat, m.address).ok)
      .map((m) => m.address);
  }
}

function exercisesIn(pro: Professional, structureId: string): boolean {
  return pro.exercices.some((e) => e.activities.some((a) => a.structureId === structureId));
}

/** Addresses compare case-insensitively here (local parts of the fixtures are lower-case). */
export function normalizeAddress(address: string): string {
  return address.trim().replace(/^<|>$/g, '').toLowerCase();
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

const directories = new WeakMap<World, Map<string, MailDirectory>>();

/** One directory per world (and PKI app mailbox), built on first use. */
export function directoryOf(world: World, extraApp?: ExtraAppMailbox): MailDirectory {
  let byApp = directories.get(world);
  if (!byApp) directories.set(world, (byApp = new Map()));
  const key = extraApp?.address ?? '';
  let dir = byApp.get(key);
  if (!dir) byApp.set(key, (dir = new MailDirectory(world, extraApp)));
  return dir;
}
