/**
 * TD0.9 — the contextual Web PS access (dmp.md §4.12, PDT-INF-527), server-rendered HTML without any
 * script, mounted at `/dmp-web-ps` (the real domain is not public) with the §4.12 paths:
 *
 *   /dmp-web-ps/AccesDirect/TableauDeBord[/<INS>]   the DMPs the PS is authorized on / one patient
 *   /dmp-web-ps/AccesDirect/DossierPatient/<INS>    the patient's DMP: status, oppositions, authorization
 *   /dmp-web-ps/Documents/<INS>                     documents (class, type, date, author, status, visibility)
 *   /dmp-web-ps/HistoriqueAcces/<INS>               access history (traces): the MT sees all, others their own
 *
 * Direct authentication only (see auth.ts). Rights are rights.ts's (`web-ps` = consultation, VALIDE
 * authorization required), masking and the habilitation matrix apply to the documents, and every page is
 * traced for the patient (operation TD0.9).
 */
import type { Context } from 'hono';
import type { Professional } from '../../../fixtures/types.js';
import { PROFESSION_OID, SAVOIR_FAIRE_OID } from '../../../fixtures/oids.js';
import type { Exchange } from '../../core/exchange.js';
import type { HostContext } from '../../core/host-context.js';
import type { HostApp, HostEnv } from '../../core/service.js';
import type { XmlEl } from '../../core/xml/tree.js';
import { insKey, type Dossier, type Trace } from '../dossiers.js';
import { checkAccess, dossierFor, documentVisible, isMedecinTraitant, traceAccess } from '../rights.js';
import { dmpStore, type DmpStore } from '../store.js';
import type { DmpCall, Vihf } from '../types.js';
import { factsOf } from '../xds/registry.js';
import type { DocumentEntry } from '../xds/model.js';
import { authenticateWebPs, type WebPsAuthMethod } from './auth.js';
import { h, page, table, when, whenXds } from './html.js';

export const WEB_PS_BASE = '/dmp-web-ps';

const HTML = 'text/html; charset=utf-8';
const EMPTY_EL: XmlEl = { ns: '', name: 'web-ps', attrs: {}, children: [], text: '' };

export const CLASS_LABELS: Record<string, string> = {
  '10': 'Compte rendu',
  '11': 'Synthèse',
  '31': 'Imagerie médicale',
  '42': 'Prescription',
  '43': 'Dispensation',
  '44': 'Plan de soins / protocole',
  '45': 'Traitement administré',
  '52': 'Certificat, déclaration',
  '60': 'Données de remboursement',
  '90': 'Document déposé par le patient',
  '95': 'Document de gestion',
};

const STATUS_LABELS: Record<string, string> = {
  'urn:oasis:names:tc:ebxml-regrep:StatusType:Approved': 'Actif',
  'urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated': 'Remplacé (version obsolète)',
  'urn:asip:ci-sis:2010:StatusType:Archived': 'Archivé',
  'urn:asip:ci-sis:2010:StatusType:Deleted': 'Supprimé',
};

const VISIBILITY_LABELS: Record<string, string> = {
  MASQUE_PS: 'Masqué aux professionnels',
  INVISIBLE_PATIENT: 'Non visible par le patient',
  INVISIBLE_REPRESENTANTS_LEGAUX: 'Non visible par les représentants légaux',
};

const MODE_LABELS: Record<string, string> = { normal: 'Accès normal', bris_de_glace: 'Bris de glace', centre_15: 'Centre de régulation' };

/** The VIHF-equivalent of a PS authenticated on the Web PS (direct authentication, normal mode). */
function webVihf(exchange: Exchange, p: Professional, ins: string | undefined, method: WebPsAuthMethod): Vihf {
  const world = exchange.sandbox.world;
  const activity = p.exercices[0]?.activities[0];
  const structure = activity ? world.structures.find((s) => s.id === activity.structureId) : undefined;
  return {
    nameId: p.idNat,
    authMode: 'DIRECTE',
    authnContext: method,
    structureId: structure?.idNat,
    secteurActivite: activity?.secteurActivite.code,
    subjectId: `${p.firstName} ${p.lastName}`,
    profession: { code: p.profession.code, codeSystem: PROFESSION_OID, displayName: p.profession.label },
    roles: p.specialty ? [{ code: p.specialty.code, codeSystem: SAVOIR_FAIRE_OID, displayName: p.specialty.label }] : [],
    patientIns: ins,
    purposeOfUse: 'normal',
    confidentialityCodes: [],
    lps: { nom: 'Web PS' },
    signed: false,
    attributes: {},
  };
}

function webCall(exchange: Exchange, host: HostContext, store: DmpStore, vihf: Vihf): DmpCall {
  return {
    exchange,
    host,
    endpoint: 'patients',
    soapVersion: '1.2',
    action: 'TD0.9',
    messageId: `web-ps:${exchange.sandbox.id}:${host.clock.now()}`,
    body: EMPTY_EL,
    envelope: EMPTY_EL,
    attachments: new Map(),
    vihf,
    store,
    now: host.clock.now(),
  };
}

/** Links keep the sandbox prefix and, when auth came from `?ps=`, that parameter. */
function linker(c: Context<HostEnv>, method: WebPsAuthMethod | undefined, idNat: string | undefined): (path: string) => string {
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const sandbox = /^\/_sandbox\/[^/?]+/.exec(url.slice(start))?.[0] ?? '';
  const suffix = method === 'paramètre ps (simulateur)' && idNat ? `?ps=${encodeURIComponent(idNat)}` : '';
  return (path: string) => `${sandbox}${WEB_PS_BASE}${path}${suffix}`;
}

function respond(c: Context<HostEnv>, status: number, html: string): Response {
  return c.body(html, status as 200, { 'content-type': HTML, 'cache-control': 'no-store' });
}

function who(p: Professional): string {
  return `${p.firstName} ${p.lastName} — ${p.profession.label}${p.specialty ? ` (${p.specialty.label})` : ''} — ${p.idNat}`;
}

type PageKind = 'dashboard' | 'dossier' | 'documents' | 'history';

const PAGE_LABELS: Record<PageKind, string> = {
  dashboard: 'Accès Web PS — tableau de bord',
  dossier: 'Accès Web PS — dossier du patient',
  documents: 'Accès Web PS — liste des documents',
  history: 'Accès Web PS — historique des accès',
};

async function serve(c: Context<HostEnv>, host: HostContext, kind: PageKind, rawIns?: string): Promise<Response> {
  const exchange = c.get('exchange');
  const ins = rawIns ? insKey(decodeURIComponent(rawIns)) : undefined;
  const auth = await authenticateWebPs(c, host, exchange);
  exchange.summary = { td: 'TD0.9', page: kind, ins, nameId: auth.ok ? auth.professional.idNat : undefined, auth: auth.ok ? auth.method : auth.reason };
  const forced = await exchange.enter('TD0.9', { endpoint: 'web-ps', ins, nameId: auth.ok ? auth.professional.idNat : undefined, authMode: 'DIRECTE' });
  if (forced) return forced;
  if (!auth.ok) {
    exchange.verdict('error', 'dmp.web-ps.auth', auth.reason);
    return respond(c, auth.status, page({ title: 'Authentification requise', body: `<p class="warn">${h(auth.reason)}</p>` }));
  }
  const p = auth.professional;
  const link = linker(c, auth.method, p.idNat);
  const store = await dmpStore(exchange.sandbox, host.log);
  const call = webCall(exchange, host, store, webVihf(exchange, p, ins, auth.method));
  const whoLine = `${who(p)} · ${auth.method}`;

  if (kind === 'dashboard') return respond(c, 200, dashboard(call, p, link, whoLine));

  const dossier = dossierFor(call, ins);
  const decision = checkAccess(call, dossier, 'web-ps');
  Object.assign(exchange.summary, { authorization: decision.authorization, allowed: decision.allowed, ...(decision.allowed ? {} : { refused: decision.code }) });
  if (!dossier) {
    return respond(c, 404, page({ title: 'Aucun DMP', who: whoLine, nav: [[link('/AccesDirect/TableauDeBord'), 'Tableau de bord']], body: `<p class="warn">Le patient ${h(ins)} n’a pas de DMP.</p>` }));
  }
  if (!decision.allowed) {
    await traceAccess(call, dossier, { operation: 'TD0.9', label: PAGE_LABELS[kind], code: decision.code }, 'refused');
    return respond(
      c,
      403,
      page({
        title: 'Accès refusé',
        who: whoLine,
        nav: [[link('/AccesDirect/TableauDeBord'), 'Tableau de bord']],
        body: `<p class="warn"><strong>${h(decision.code)}</strong> — ${h(decision.reason)}</p><p>Autorisation d’accès: ${h(decision.authorization ?? 'NON_EXISTE')}</p>`,
      }),
    );
  }
  await traceAccess(call, dossier, { operation: 'TD0.9', label: PAGE_LABELS[kind] }, 'ok');
  const nav: [string, string][] = [
    [link('/AccesDirect/TableauDeBord'), 'Tableau de bord'],
    [link(`/AccesDirect/DossierPatient/${dossier.ins}`), 'Dossier'],
    [link(`/Documents/${dossier.ins}`), 'Documents'],
    [link(`/HistoriqueAcces/${dossier.ins}`), 'Historique des accès'],
  ];
  const title = `${dossier.admin.prefix ?? ''} ${dossier.admin.given} ${dossier.admin.family}`.trim();
  if (kind === 'dossier') return respond(c, 200, page({ title, who: whoLine, nav, body: dossierBody(call, dossier) }));
  if (kind === 'documents') {
    const docs = visibleDocuments(call, dossier);
    exchange.summary.documents = docs.length;
    return respond(c, 200, page({ title: `Documents — ${title}`, who: whoLine, nav, body: documentsBody(docs) }));
  }
  const traces = historyOf(call, dossier);
  exchange.summary.traces = traces.length;
  return respond(c, 200, page({ title: `Historique des accès — ${title}`, who: whoLine, nav, body: historyBody(call, dossier, traces) }));
}

function dashboard(call: DmpCall, p: Professional, link: (path: string) => string, whoLine: string): string {
  const rows: string[][] = [];
  for (const d of call.store.dossiers.list()) {
    const a = d.authorizations.get(p.idNat);
    if (d.status !== 'active' || a?.status !== 'VALIDE') continue;
    rows.push([
      `<a href="${h(link(`/AccesDirect/DossierPatient/${d.ins}`))}">${h(`${d.admin.family} ${d.admin.given}`)}</a>`,
      h(d.ins),
      h(d.admin.birthDate.replace(/^(\d{4})(\d{2})(\d{2})$/, '$3/$2/$1')),
      d.medecinTraitant === p.idNat ? 'oui' : 'non',
      h(when(a.since)),
    ]);
  }
  call.exchange.summary.dossiers = rows.length;
  return page({
    title: 'Tableau de bord — DMP autorisés',
    who: whoLine,
    body: table(['Patient', 'INS', 'Né(e) le', 'Médecin traitant DMP', 'Autorisé depuis'], rows, 'Aucun DMP sur lequel vous êtes autorisé.'),
  });
}

function dossierBody(call: DmpCall, d: Dossier): string {
  const me = call.vihf.nameId;
  const mt = d.medecinTraitant ? call.store.dossiers.world.professionals.find((x) => x.idNat === d.medecinTraitant) : undefined;
  const yes = (b: boolean) => (b ? 'oui' : 'non');
  const rows: [string, string][] = [
    ['INS', h(`${d.ins} (${d.insOid})`)],
    ['Date de naissance', h(d.admin.birthDate.replace(/^(\d{4})(\d{2})(\d{2})$/, '$3/$2/$1'))],
    ['Sexe', h(d.admin.sex)],
    ['Statut du DMP', d.status === 'active' ? 'Actif' : `Fermé le ${h(when(d.closedAt))} (${h(d.closingReason ?? '')})`],
    ['Créé le', h(when(d.createdAt))],
    ['Rattaché à Mon espace santé', yes(d.mesAttached)],
    ['Compte internet patient ouvert', yes(d.internetAccount)],
    ['Opposition au bris de glace', yes(d.oppositions.brisDeGlace)],
    ['Opposition à l’accès en urgence (centre 15)', yes(d.oppositions.accesUrgence)],
    ['Votre autorisation', h(d.authorizations.get(me)?.status ?? 'NON_EXISTE')],
    ['Vous êtes médecin traitant DMP', yes(isMedecinTraitant(d, me))],
    ['Médecin traitant DMP', mt ? h(`${mt.firstName} ${mt.lastName} (${mt.idNat})`) : h(d.medecinTraitant ?? 'aucun')],
    ['Représentants légaux', d.legalRepresentatives.map((r) => h(`${r.prefix ?? ''} ${r.given} ${r.family} (${r.relation})`.trim())).join('<br>') || 'aucun'],
  ];
  return `<table><tbody>${rows.map(([k, v]) => `<tr><th>${h(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>`;
}

function visibleDocuments(call: DmpCall, d: Dossier): DocumentEntry[] {
  const entries = call.store.registry.documentsOf(d.ins);
  return entries
    .filter((e) => documentVisible(call, d, factsOf(e)))
    .slice()
    .sort((x, y) => (y.meta.creationTime ?? '').localeCompare(x.meta.creationTime ?? '') || y.version - x.version);
}

function authorOf(e: DocumentEntry): string {
  const a = e.meta.authors[0];
  if (!a) return '';
  const [id, family, given] = a.person.split('^');
  const specialty = a.specialties[0]?.split('^')[1];
  return h(`${given ?? ''} ${family ?? ''}`.trim() || id) + (specialty ? `<br><span class="note">${h(specialty)}</span>` : '') + (id ? `<br><span class="note">${h(id)}</span>` : '');
}

function documentsBody(docs: DocumentEntry[]): string {
  const rows = docs.map((e) => {
    const cls = e.meta.classCode?.code ?? '';
    const tags = e.meta.confidentialityCodes
      .map((c) => VISIBILITY_LABELS[c.code])
      .filter(Boolean)
      .map((l) => `<span class="tag">${h(l)}</span>`)
      .join('');
    return [
      h(whenXds(e.meta.creationTime)),
      h(`${cls} — ${CLASS_LABELS[cls] ?? e.meta.classCode?.display ?? ''}`),
      h(e.meta.typeCode?.display ?? e.meta.typeCode?.code ?? ''),
      h(e.meta.title ?? ''),
      authorOf(e),
      `${h(STATUS_LABELS[e.status] ?? e.status)}${e.version > 1 ? ` <span class="note">v${e.version}</span>` : ''} ${tags}`,
      `<span class="note">${h(e.uniqueId)}</span>`,
    ];
  });
  return (
    `<p class="note">Documents visibles pour vous (masquage, matrice d’habilitation par profession et documents supprimés/archivés compris).</p>` +
    table(['Date', 'Classe', 'Type', 'Titre', 'Auteur', 'Statut', 'Identifiant'], rows, 'Aucun document visible dans ce DMP.')
  );
}

/** Traces online (1 year / 100): the médecin traitant sees all, other PS their own (PDT-INF-527). */
function historyOf(call: DmpCall, d: Dossier): Trace[] {
  const stored = call.store.dossiers.get(d.ins) ?? d;
  const all = call.store.dossiers.tracesOf(stored, call.now);
  return isMedecinTraitant(d, call.vihf.nameId) ? all : all.filter((t) => t.nameId === call.vihf.nameId);
}

function historyBody(call: DmpCall, d: Dossier, traces: Trace[]): string {
  const world = call.store.dossiers.world;
  const rows = traces.map((tr) => {
    const p = world.professionals.find((x) => x.idNat === tr.nameId);
    const s = tr.structureId ? world.structures.find((x) => x.idNat === tr.structureId) : undefined;
    return [
      h(when(tr.at)),
      h(p ? `${p.firstName} ${p.lastName}` : (tr.subjectId ?? '')) + `<br><span class="note">${h(tr.nameId)}</span>`,
      h(p?.profession.label ?? tr.profession ?? ''),
      h(s?.name ?? tr.structureId ?? ''),
      h(MODE_LABELS[tr.mode] ?? tr.mode) + (tr.authMode && tr.authMode !== 'DIRECTE' ? `<br><span class="note">${h(tr.authMode)}</span>` : ''),
      h(`${tr.label ?? ''} (${tr.operation})`) + (tr.documentUniqueId ? `<br><span class="note">${h(tr.documentUniqueId)}</span>` : ''),
      tr.outcome === 'ok' ? 'Autorisé' : h(`Refusé${tr.code ? ` (${tr.code})` : ''}`),
    ];
  });
  const scope = isMedecinTraitant(d, call.vihf.nameId) ? 'En tant que médecin traitant DMP, vous voyez tous les accès.' : 'Vous voyez vos propres accès (seul le médecin traitant DMP voit tous les accès).';
  return `<p class="note">${h(scope)} Historique en ligne: un an, 100 accès au plus.</p>` + table(['Date', 'Professionnel', 'Profession', 'Structure', 'Mode', 'Action', 'Résultat'], rows, 'Aucun accès tracé.');
}

function index(c: Context<HostEnv>): Response {
  c.get('exchange').operation = 'TD0.9';
  const link = linker(c, undefined, undefined);
  return respond(
    c,
    200,
    page({
      title: 'Accès Web PS au DMP (TD0.9)',
      nav: [[link('/AccesDirect/TableauDeBord'), 'Tableau de bord']],
      body:
        `<p>Pages: <code>/AccesDirect/TableauDeBord</code>, <code>/AccesDirect/DossierPatient/&lt;INS&gt;</code>, <code>/Documents/&lt;INS&gt;</code>, <code>/HistoriqueAcces/&lt;INS&gt;</code>.</p>` +
        `<p>Authentification directe: carte CPS (certificat client TLS de la PKI de test, HTTPS), e-CPS (<code>Authorization: Bearer</code> jeton Pro Santé Connect du simulateur), ` +
        `ou pour le simulateur seulement <code>X-Segur-PS: &lt;idNat&gt;</code> / <code>?ps=&lt;idNat&gt;</code>.</p>`,
    }),
  );
}

export function webPsRoutes(app: HostApp, host: HostContext): void {
  app.get(WEB_PS_BASE, (c) => index(c));
  app.get(`${WEB_PS_BASE}/`, (c) => index(c));
  app.get(`${WEB_PS_BASE}/AccesDirect/TableauDeBord`, (c) => serve(c, host, 'dashboard'));
  app.get(`${WEB_PS_BASE}/AccesDirect/TableauDeBord/:ins`, (c) => serve(c, host, 'dossier', c.req.param('ins')));
  app.get(`${WEB_PS_BASE}/AccesDirect/DossierPatient/:ins`, (c) => serve(c, host, 'dossier', c.req.param('ins')));
  app.get(`${WEB_PS_BASE}/Documents/:ins`, (c) => serve(c, host, 'documents', c.req.param('ins')));
  app.get(`${WEB_PS_BASE}/HistoriqueAcces/:ins`, (c) => serve(c, host, 'history', c.req.param('ins')));
}
