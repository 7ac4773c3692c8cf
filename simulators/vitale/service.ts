import { z } from 'zod';
import type { World } from '../../fixtures/index.js';
import type { RuleSpec } from '../../scenarios/engine/types.js';
import { admin, AdminError, jsonBody } from '../core/admin/http.js';
import { jsonError } from '../core/errors/renderers.js';
import type { HostContext } from '../core/host-context.js';
import type { Sandbox } from '../core/sandbox.js';
import { rawHeader } from '../core/sandbox-routing.js';
import type { HostApp, SimulatorService } from '../core/service.js';
import { buildVitaleAssertion, VITALE_ASSERTION_VALIDITY_MS } from './assertion.js';
import { CardLookupError, cardView, findCard, type InsertedCard, type VitaleCardView, type VitaleState } from './card.js';

export type { InsertedCard, VitaleCardView, VitaleState } from './card.js';

export const VITALE_SERVICE_ID = 'vitale';

const READ_ERRORS = ['no-card', 'card-blocked', 'reader-unavailable'] as const;
export type VitaleReadError = (typeof READ_ERRORS)[number];

const readOutcome = z.object({ error: z.enum(READ_ERRORS) }).strict();
const assertionOutcome = z.object({ backdateMinutes: z.number().min(0).max(24 * 60) }).strict();

const presentBody = z.object({ patient: z.string().min(1).optional(), kind: z.enum(['carte', 'apcv']).optional() }).strict();

/** The reader state of a sandbox (a sandbox persisted before this service existed has none yet). */
export function vitaleState(sandbox: Sandbox): VitaleState {
  return sandbox.store.service<VitaleState>(VITALE_SERVICE_ID, () => ({ inserted: null }));
}

/**
 * The card in a sandbox's reader, as the reader API shows it, or null. The INSi simulator may use it to
 * notice that the card changed since an assertion was issued (CNDA 1.03).
 */
export function insertedCard(sandbox: Sandbox): VitaleCardView | null {
  const inserted = vitaleState(sandbox).inserted;
  if (!inserted) return null;
  const card = sandbox.world.vitaleCards.find((c) => c.id === inserted.cardId);
  return card ? cardView(sandbox.world, card, inserted) : null;
}

function readerError(error: VitaleReadError | 'no-card-inserted', sandbox: string): Response {
  switch (error) {
    case 'no-card':
    case 'no-card-inserted':
      return jsonError({
        status: 404,
        code: 'NoCard',
        message:
          error === 'no-card'
            ? 'no card in the reader (simulated by a scenario)'
            : `no carte Vitale or ApCV in the reader of sandbox ${sandbox} (present one: segur-sim vitale present <patient> -s ${sandbox})`,
      });
    case 'card-blocked':
      return jsonError({ status: 403, code: 'CardBlocked', message: 'the card in the reader is blocked (carte en opposition): it cannot be read' });
    case 'reader-unavailable':
      return jsonError({ status: 503, code: 'ReaderUnavailable', message: 'the card reader does not answer (unplugged or busy)' });
  }
}

/**
 * Virtual carte Vitale / ApCV reader: segur-sim's own API, not the GIE SESAM-Vitale components
 * (README in this folder). One reader per sandbox; the admin API puts a card in it, the practice software
 * reads it at `/_vitale/card` and gets the Vitale assertion RECVITALE needs at `/_vitale/assertion`.
 */
export const vitaleService: SimulatorService = {
  id: VITALE_SERVICE_ID,
  title: 'Virtual carte Vitale',
  mounts: ['/_vitale'],
  kind: 'tool',
  outcomes: [
    {
      name: 'vitale.read',
      service: VITALE_SERVICE_ID,
      description: 'The reader fails: no-card (404 NoCard), card-blocked (403 CardBlocked), reader-unavailable (503 ReaderUnavailable). Applies to reading the card and to the assertion.',
      params: readOutcome,
    },
    {
      name: 'vitale.assertion',
      service: VITALE_SERVICE_ID,
      description: 'Issues the Vitale assertion this many minutes in the past (backdateMinutes: 21 gives an already obsolete assertion, CNDA 1.02).',
      params: assertionOutcome,
    },
  ],
  magicRules(world: World): RuleSpec[] {
    // The world's last card is "en opposition": reading it always fails with CardBlocked.
    const blocked = world.vitaleCards.at(-1);
    if (!blocked || world.vitaleCards.length < 2) return [];
    return [
      {
        id: `magic-card-blocked-${blocked.id}`,
        description: `carte Vitale ${blocked.id} (serial ${blocked.serialNumber}) is blocked (en opposition)`,
        match: { service: VITALE_SERVICE_ID, facts: { cardId: blocked.id } },
        effects: [{ outcome: { name: 'vitale.read', with: { error: 'card-blocked' } } }],
      },
    ];
  },
  initialState: (): VitaleState => ({ inserted: null }),
  renderError: jsonError,
  routes(app: HostApp, host: HostContext) {
    registerReaderRoutes(app, host);
    registerVitaleAdminRoutes(app, host);
  },
};

function registerReaderRoutes(app: HostApp, host: HostContext): void {
  app.get('/_vitale/card', async (c) => {
    const exchange = c.get('exchange');
    const sandbox = exchange.sandbox;
    const view = insertedCard(sandbox);
    const forced = await exchange.enter('read', facts(view));
    if (forced) return forced;
    const failure = exchange.outcome<{ error: VitaleReadError }>('vitale.read');
    if (failure) {
      exchange.summary = { error: failure.error };
      return readerError(failure.error, sandbox.id);
    }
    if (!view) {
      exchange.summary = { error: 'NoCard' };
      return readerError('no-card-inserted', sandbox.id);
    }
    exchange.summary = { cardId: view.cardId, serialNumber: view.serialNumber, kind: view.kind, beneficiaires: view.beneficiaires.length };
    return c.json(view);
  });

  app.post('/_vitale/assertion', async (c) => {
    const exchange = c.get('exchange');
    const sandbox = exchange.sandbox;
    const view = insertedCard(sandbox);
    let body: unknown;
    const text = await c.req.text();
    try {
      body = text.trim() ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    const rawRang = (body as { rang?: unknown } | undefined)?.rang;
    const forced = await exchange.enter('assertion', { ...facts(view), rang: typeof rawRang === 'number' || typeof rawRang === 'string' ? String(rawRang) : undefined });
    if (forced) return forced;
    if (body === undefined || typeof body !== 'object' || body === null || Array.isArray(body))
      return jsonError({ status: 400, code: 'InvalidJson', message: 'the body must be a JSON object such as {"rang": 1}' });
    const extra = Object.keys(body).filter((k) => k !== 'rang');
    if (extra.length) return jsonError({ status: 400, code: 'InvalidBody', message: `unknown field(s) ${extra.join(', ')}; the body is {"rang": <integer>}` });
    const rang = typeof rawRang === 'string' && /^\d+$/.test(rawRang) ? Number(rawRang) : rawRang;
    if (rawRang === undefined) return jsonError({ status: 400, code: 'InvalidRang', message: 'rang is required: the rang bénéficiaire on the card (1 = the ouvrant droit)' });
    if (typeof rang !== 'number' || !Number.isInteger(rang) || rang < 1 || rang > 99)
      return jsonError({ status: 400, code: 'InvalidRang', message: `rang must be an integer from 1 to 99 (got ${JSON.stringify(rawRang)})` });

    const failure = exchange.outcome<{ error: VitaleReadError }>('vitale.read');
    if (failure) {
      exchange.summary = { error: failure.error, rang };
      return readerError(failure.error, sandbox.id);
    }
    if (!view) {
      exchange.summary = { error: 'NoCard', rang };
      return readerError('no-card-inserted', sandbox.id);
    }
    const beneficiary = view.beneficiaires.find((b) => b.rang === rang);
    if (!beneficiary) {
      exchange.summary = { error: 'UnknownRang', rang };
      return jsonError({
        status: 404,
        code: 'UnknownRang',
        message: `card ${view.serialNumber} has no beneficiary of rang ${rang} (rangs on the card: ${view.beneficiaires.map((b) => b.rang).join(', ')})`,
      });
    }
    const backdate = exchange.outcome<{ backdateMinutes: number }>('vitale.assertion')?.backdateMinutes ?? 0;
    const issuedAtMs = host.clock.now() - backdate * 60_000;
    const built = buildVitaleAssertion({ serialNumber: view.serialNumber, nirOuvrantDroit: view.ouvrantDroit.matricule, rang, issuedAtMs });
    exchange.summary = { id: built.id, serialNumber: view.serialNumber, rang, notOnOrAfter: built.notOnOrAfter, ...(backdate ? { backdateMinutes: backdate } : {}) };
    const headers = { 'x-vitale-assertion-id': built.id, 'x-vitale-not-on-or-after': built.notOnOrAfter };
    const accept = c.env?.incoming?.rawHeaders ? rawHeader(c.env.incoming.rawHeaders, 'accept') : c.req.header('accept');
    if ((accept ?? '').includes('application/json')) {
      return c.json(
        {
          assertion: built.xml,
          id: built.id,
          issueInstant: built.issueInstant,
          notBefore: built.notBefore,
          notOnOrAfter: built.notOnOrAfter,
          validitySeconds: VITALE_ASSERTION_VALIDITY_MS / 1000,
          serialNumber: view.serialNumber,
          nirOuvrantDroit: view.ouvrantDroit.matricule,
          rang,
          beneficiaire: beneficiary,
        },
        200,
        headers,
      );
    }
    return c.body(built.xml, 200, { 'content-type': 'application/samlassertion+xml; charset=utf-8', ...headers });
  });
}

function facts(view: VitaleCardView | null) {
  return view
    ? { inserted: true, cardId: view.cardId, serialNumber: view.serialNumber, kind: view.kind, matriculeOD: view.ouvrantDroit.matricule }
    : { inserted: false };
}

function registerVitaleAdminRoutes(app: HostApp, host: HostContext): void {
  const describe = (sandbox: Sandbox) => {
    const inserted = vitaleState(sandbox).inserted;
    return { sandbox: sandbox.id, inserted, card: insertedCard(sandbox) };
  };

  app.get('/_admin/sandboxes/:id/vitale', (c) => admin(async () => c.json(describe(await host.sandboxes.resolve(c.req.param('id'))))));

  app.post('/_admin/sandboxes/:id/vitale', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const body = await jsonBody(c, presentBody);
      let found: ReturnType<typeof findCard>;
      try {
        found = findCard(sandbox.world, body.patient);
      } catch (err) {
        if (err instanceof CardLookupError) throw new AdminError(err.status, err.code, `${err.message} (sandbox ${sandbox.id}, seed ${sandbox.seed})`);
        throw err;
      }
      const inserted: InsertedCard = {
        cardId: found.card.id,
        kind: body.kind ?? 'carte',
        insertedAt: new Date(host.clock.now()).toISOString(),
        patientId: found.patientId,
        rang: found.rang,
      };
      vitaleState(sandbox);
      await sandbox.store.update((data) => {
        (data.services[VITALE_SERVICE_ID] as VitaleState).inserted = inserted;
      });
      return c.json(describe(sandbox), 201);
    }),
  );

  app.delete('/_admin/sandboxes/:id/vitale', (c) =>
    admin(async () => {
      const sandbox = await host.sandboxes.resolve(c.req.param('id'));
      const previous = vitaleState(sandbox).inserted;
      if (!previous) throw new AdminError(404, 'NoCard', `no card in the reader of sandbox ${sandbox.id}`);
      await sandbox.store.update((data) => {
        (data.services[VITALE_SERVICE_ID] as VitaleState).inserted = null;
      });
      return c.json({ sandbox: sandbox.id, removed: previous });
    }),
  );
}
