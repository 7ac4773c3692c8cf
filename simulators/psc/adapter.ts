import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * The storage of one sandbox's provider(s): sessions, interactions, codes, tokens, grants, CIBA requests.
 * In memory, so nothing crosses sandboxes and nothing survives a restart (PSC sessions last 4 h at most).
 */
export class SandboxOidcStore {
  private readonly models = new Map<string, Map<string, Entry>>();
  private readonly uids = new Map<string, string>();
  private readonly grants = new Map<string, Set<string>>();
  private writes = 0;

  adapterFor(name: string): Adapter {
    let map = this.models.get(name);
    if (!map) this.models.set(name, (map = new Map()));
    return new MemoryAdapter(name, map, this);
  }

  /** Drops everything (sandbox reset). */
  clear(): void {
    this.models.clear();
    this.uids.clear();
    this.grants.clear();
  }

  /** @internal */
  link(kind: 'uid' | 'grant', key: string, id: string): void {
    if (kind === 'uid') this.uids.set(key, id);
    else {
      let set = this.grants.get(key);
      if (!set) this.grants.set(key, (set = new Set()));
      set.add(id);
    }
  }

  /** @internal */
  byUid(uid: string): string | undefined {
    return this.uids.get(uid);
  }

  /** @internal */
  revokeGrant(grantId: string): void {
    const ids = this.grants.get(grantId);
    if (!ids) return;
    this.grants.delete(grantId);
    for (const key of ids) {
      const [model, id] = key.split('\u0000') as [string, string];
      this.models.get(model)?.delete(id);
    }
  }

  /** @internal: drops expired entries now and then, so a long bench never grows without bound. */
  tick(): void {
    if (++this.writes % 5000 !== 0) return;
    const now = Date.now();
    for (const map of this.models.values()) for (const [k, e] of map) if (e.expiresAt <= now) map.delete(k);
  }
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly name: string,
    private readonly map: Map<string, Entry>,
    private readonly store: SandboxOidcStore,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    // A non-positive TTL (a token forced expired by a scenario) is kept a minute so it reads as expired, not unknown.
    const ttl = expiresIn > 0 ? expiresIn : 60;
    this.map.set(id, { payload, expiresAt: Date.now() + ttl * 1000 });
    if (payload.uid) this.store.link('uid', payload.uid, id);
    if (payload.grantId) this.store.link('grant', payload.grantId, `${this.name}\u0000${id}`);
    this.store.tick();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const e = this.map.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      this.map.delete(id);
      return undefined;
    }
    return e.payload;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    for (const e of this.map.values()) if (e.payload.userCode === userCode) return e.payload;
    return undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.store.byUid(uid);
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const e = this.map.get(id);
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.map.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.store.revokeGrant(grantId);
  }
}
