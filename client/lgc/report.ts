/**
 * The dashboard figures the Ségur referentials ask a practice software to show (LGC.MDV.07: DMP and
 * MSSanté use per professional, document type and month; TBB.INS.01/02: the share of each identity
 * status), computed from the LGC's records.
 */
import type { IdentityStatus } from '../insi/identity.js';
import type { Activity, ActivityKind, LgcRecords } from './records.js';

/** The counted activity kinds, in column order. */
export const COUNTED: readonly { kind: ActivityKind; label: string }[] = [
  { kind: 'dmp.fed', label: 'fed to the DMP' },
  { kind: 'dmp.consulted', label: 'DMP consultations' },
  { kind: 'dmp.imported', label: 'imported from the DMP' },
  { kind: 'mss.sent.pro', label: 'sent by MSSanté (pro)' },
  { kind: 'mss.sent.citizen', label: 'sent by MSSanté (citizen)' },
  { kind: 'mss.integrated', label: 'integrated from MSSanté' },
  { kind: 'eprescription.created', label: 'ePrescriptions' },
];

export interface ReportRow {
  rpps: string;
  /** YYYY-MM. */
  month: string;
  /** LOINC typeCode, or `-` for activity without a document type (a consultation of the whole list). */
  typeCode: string;
  counts: Partial<Record<ActivityKind, number>>;
}

export interface LgcReport {
  rows: ReportRow[];
  /** Patients whose DMP information and non-opposition are recorded, per RPPS who recorded it, and in all. */
  dmpInformationRecorded: { total: number; byRpps: Record<string, number> };
  /** Identity status of the local records: counts and rates (0–1). */
  identity: { total: number; counts: Record<IdentityStatus, number>; rates: Record<IdentityStatus, number> };
}

export function computeReport(records: Pick<LgcRecords, 'activity' | 'patients'>, filter: { rpps?: string; since?: string } = {}): LgcReport {
  const rows = new Map<string, ReportRow>();
  const keep = (a: Activity) => (!filter.rpps || a.rpps === filter.rpps) && (!filter.since || a.at >= filter.since);
  for (const a of records.activity) {
    if (!keep(a) || !COUNTED.some((c) => c.kind === a.kind)) continue;
    const month = a.at.slice(0, 7);
    const typeCode = a.typeCode ?? '-';
    const key = `${a.rpps}|${month}|${typeCode}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { rpps: a.rpps, month, typeCode, counts: {} }));
    row.counts[a.kind] = (row.counts[a.kind] ?? 0) + 1;
  }
  const byRpps: Record<string, number> = {};
  const informed = new Set<string>();
  for (const p of records.patients) {
    const info = p.dmpInformation;
    if (!info?.nonOpposition || (filter.rpps && info.byRpps !== filter.rpps)) continue;
    informed.add(p.id);
    byRpps[info.byRpps] = (byRpps[info.byRpps] ?? 0) + 1;
  }
  const counts: Record<IdentityStatus, number> = { PROV: 0, RECUP: 0, VALI: 0, QUAL: 0 };
  for (const p of records.patients) counts[p.status] += 1;
  const total = records.patients.length;
  const rates = Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, total ? n / total : 0])) as Record<IdentityStatus, number>;
  const sorted = [...rows.values()].sort((a, b) => a.rpps.localeCompare(b.rpps) || a.month.localeCompare(b.month) || a.typeCode.localeCompare(b.typeCode));
  return { rows: sorted, dmpInformationRecorded: { total: informed.size, byRpps }, identity: { total, counts, rates } };
}

/** The report as the `segur-sim report` command prints it. */
export function formatReport(report: LgcReport, typeLabel: (code: string) => string = (c) => c): string {
  const lines: string[] = [];
  lines.push('Documents per professional, month and type (LGC.MDV.07)');
  if (!report.rows.length) lines.push('  (no activity recorded yet: run a flow, e.g. segur-sim flow consultation)');
  const header = ['RPPS', 'month', 'document type', ...COUNTED.map((c) => c.label)];
  const table = [header, ...report.rows.map((r) => [r.rpps, r.month, r.typeCode === '-' ? '-' : `${r.typeCode} ${typeLabel(r.typeCode)}`.trim(), ...COUNTED.map((c) => String(r.counts[c.kind] ?? 0))])];
  if (report.rows.length) {
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) lines.push(`  ${row.map((cell, i) => (i >= 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}`);
  }
  lines.push('', `Patients with DMP information and non-opposition recorded: ${report.dmpInformationRecorded.total}`);
  for (const [rpps, n] of Object.entries(report.dmpInformationRecorded.byRpps)) lines.push(`  RPPS ${rpps}: ${n}`);
  const id = report.identity;
  lines.push('', `Identity status of the ${id.total} local patient records (TBB.INS.01/02)`);
  for (const status of ['QUAL', 'RECUP', 'VALI', 'PROV'] as IdentityStatus[]) {
    lines.push(`  ${status.padEnd(5)} ${String(id.counts[status]).padStart(5)}  ${(id.rates[status] * 100).toFixed(1).padStart(5)} %`);
  }
  return lines.join('\n');
}
