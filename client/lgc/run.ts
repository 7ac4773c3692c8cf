/**
 * One run of a flow: its steps, each timed, printed as it ends (what a trainer or a CI log reads), and
 * collected for the suite runner's JUnit/JSON reports. A failing step ends the flow: later steps depend
 * on it, as they would in the practice software.
 */
import { performance } from 'node:perf_hooks';

export interface FlowStep {
  title: string;
  ok: boolean;
  ms: number;
  /** One line shown after the title: what the step saw (a CR, a count, an identifier...). */
  detail?: string;
  error?: string;
  /** Structured facts of the step, for tests and the JSON report. */
  data?: Record<string, unknown>;
}

export interface FlowResult {
  flow: string;
  sandbox: string;
  ok: boolean;
  startedAt: string;
  ms: number;
  steps: FlowStep[];
  /** The error that stopped the flow. */
  error?: string;
}

export interface StepContext {
  /** Sets the line shown after the step's title. */
  detail(text: string): void;
  /** Adds structured facts to the step. */
  data(facts: Record<string, unknown>): void;
}

export type FlowOutput = (line: string) => void;

export class FlowRun {
  readonly steps: FlowStep[] = [];
  private readonly t0 = performance.now();
  private readonly startedAt = new Date().toISOString();
  private failure: string | undefined;

  constructor(
    readonly flow: string,
    readonly sandbox: string,
    private readonly out: FlowOutput = () => undefined,
  ) {
    out(`flow ${flow} (sandbox ${sandbox})`);
  }

  /** Runs one step; its error is recorded, printed and rethrown (the flow stops). */
  async step<T>(title: string, fn: (s: StepContext) => Promise<T> | T): Promise<T> {
    const t = performance.now();
    const step: FlowStep = { title, ok: false, ms: 0 };
    this.steps.push(step);
    const ctx: StepContext = {
      detail: (text) => (step.detail = text),
      data: (facts) => (step.data = { ...step.data, ...facts }),
    };
    try {
      const value = await fn(ctx);
      step.ok = true;
      return value;
    } catch (err) {
      step.error = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
      this.failure ??= `${title}: ${step.error}`;
      throw err;
    } finally {
      step.ms = Math.round(performance.now() - t);
      this.out(`  ${step.ok ? '✔' : '✖'} ${title}${step.detail ? ` — ${step.detail}` : ''}${step.error ? ` — ${step.error}` : ''} (${step.ms} ms)`);
    }
  }

  /** An error outside any step (a failing step has already recorded its own). */
  fail(err: unknown): void {
    if (this.failure) return;
    this.failure = err instanceof Error ? err.message : String(err);
    this.out(`  ✖ ${this.failure}`);
  }

  /** A line between steps (a heading, a notice). */
  note(text: string): void {
    this.out(`  ${text}`);
  }

  result(): FlowResult {
    const ok = this.failure === undefined && this.steps.every((s) => s.ok);
    const r: FlowResult = { flow: this.flow, sandbox: this.sandbox, ok, startedAt: this.startedAt, ms: Math.round(performance.now() - this.t0), steps: this.steps };
    if (this.failure) r.error = this.failure;
    this.out(`${ok ? '✔' : '✖'} flow ${this.flow}: ${this.steps.filter((s) => s.ok).length}/${this.steps.length} steps ok in ${r.ms} ms${r.error ? ` — stopped at ${r.error}` : ''}`);
    return r;
  }
}
