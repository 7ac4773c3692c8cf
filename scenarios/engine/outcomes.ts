/**
 * Business outcomes that simulators register (INSi CR 01, DMP closed, SMTP 5xx at a stage...), and
 * an optional catalogue of what each service exposes (operations, facts) so that scenario files
 * naming an unknown operation or fact are rejected instead of silently never matching.
 */
import type { OutcomeDefinition } from './types.js';

const OUTCOME_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;

/** What a simulator declares about the requests it describes to the engine. */
export interface ServiceCatalogue {
  service: string;
  /** Operation names the simulator passes in ExchangeKey.operation. */
  operations?: readonly string[];
  /** Fact names the simulator passes in ExchangeKey.facts, with a short description each. */
  facts?: Readonly<Record<string, string>>;
}

export class OutcomeRegistry {
  private readonly outcomes = new Map<string, OutcomeDefinition>();
  private readonly services = new Map<string, ServiceCatalogue>();

  register(def: OutcomeDefinition): void {
    if (!OUTCOME_NAME.test(def.name)) {
      throw new Error(`outcome name "${def.name}" must be namespaced like "insi.cr" (lower case, dot-separated)`);
    }
    if (this.outcomes.has(def.name)) throw new Error(`outcome "${def.name}" is already registered`);
    this.outcomes.set(def.name, def);
  }

  get(name: string): OutcomeDefinition | undefined {
    return this.outcomes.get(name);
  }

  has(name: string): boolean {
    return this.outcomes.has(name);
  }

  /** Registered outcomes, sorted by name. */
  list(): OutcomeDefinition[] {
    return [...this.outcomes.values()].sort((x, y) => x.name.localeCompare(y.name));
  }

  names(): string[] {
    return this.list().map((d) => d.name);
  }

  /** Declares a service's operations and facts; later calls for the same service merge. */
  describeService(catalogue: ServiceCatalogue): void {
    const prev = this.services.get(catalogue.service);
    const operations = mergeLists(prev?.operations, catalogue.operations);
    const facts = prev?.facts || catalogue.facts ? { ...prev?.facts, ...catalogue.facts } : undefined;
    this.services.set(catalogue.service, {
      service: catalogue.service,
      ...(operations ? { operations } : {}),
      ...(facts ? { facts } : {}),
    });
  }

  service(name: string): ServiceCatalogue | undefined {
    return this.services.get(name);
  }

  listServices(): ServiceCatalogue[] {
    return [...this.services.values()];
  }
}

function mergeLists(a?: readonly string[], b?: readonly string[]): string[] | undefined {
  if (!a && !b) return undefined;
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}
