/** Server-rendered HTML of the Web PS pages: a small layout, tables, no script. */

export function h(s: string | number | undefined | null): string {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:0;color:#1b1b35;background:#f6f6f6}' +
  'header{background:#000091;color:#fff;padding:.8rem 1.5rem}header a{color:#fff}' +
  'main{padding:1rem 1.5rem;max-width:80rem}table{border-collapse:collapse;width:100%;background:#fff}' +
  'th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.92rem}th{background:#eef}' +
  '.tag{display:inline-block;border-radius:.3rem;padding:0 .35rem;margin-right:.2rem;background:#ddd;font-size:.8rem}' +
  '.warn{background:#fee;border:1px solid #c00;padding:.6rem}.note{color:#555;font-size:.85rem}nav a{margin-right:1rem}';

export interface Layout {
  title: string;
  /** idNat + name of the connected PS, shown in the header. */
  who?: string;
  /** Links shown under the title (href, label). */
  nav?: [string, string][];
  body: string;
}

export function page(l: Layout): string {
  return (
    `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>${h(l.title)} — DMP Web PS (segur-sim)</title><style>${STYLE}</style></head>` +
    `<body><header><strong>DMP — Accès Web PS</strong> <span class="note" style="color:#ccf">simulateur segur-sim</span>` +
    (l.who ? `<div>${h(l.who)}</div>` : '') +
    `</header><main><h1>${h(l.title)}</h1>` +
    (l.nav?.length ? `<nav>${l.nav.map(([href, label]) => `<a href="${h(href)}">${h(label)}</a>`).join('')}</nav>` : '') +
    l.body +
    `</main></body></html>`
  );
}

export function table(headers: string[], rows: string[][], empty = 'Aucun élément.'): string {
  if (!rows.length) return `<p>${h(empty)}</p>`;
  return `<table><thead><tr>${headers.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const PARIS = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });

/** Epoch ms → `31/12/2024 14:05` (Europe/Paris). */
export function when(ms: number | undefined): string {
  return ms === undefined ? '' : PARIS.format(new Date(ms)).replace(',', '');
}

/** `YYYYMMDDhhmmss` (UTC) → `31/12/2024 14:05` (Europe/Paris). */
export function whenXds(ts: string | undefined): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?/.exec(ts ?? '');
  if (!m) return h(ts ?? '');
  return when(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
}
