/**
 * Continuous batching over the real engine, scheduled the way vLLM V1 schedules (and the way
 * src/serving/instance.ts simulates it), so a prediction and a measurement are of the same policy:
 * every iteration first gives each running request its next tokens (one decode token, or the rest of
 * its prompt in chunks) within a token budget of `batchTokens`, then admits waiting requests in
 * arrival order while a sequence slot and budget remain, their prompts chunked to what is left of the
 * budget (chunked prefill). A request whose prompt completes in an iteration samples its first token
 * in that iteration.
 *
 * An iteration runs as forward passes that llama.cpp executes as one ubatch each (its KV has one
 * stream per sequence, and such a ubatch needs the same token count for every sequence and
 * consecutive sequence ids; llama_batch_allocr::split_equal): when any item has one token (a
 * decode), pass 1 takes one token of every item, the other prompt chunks' rest then run one pass
 * each; otherwise each prompt chunk is a pass of its own. src/perf/forward-passes.ts prices a step
 * the same way. Free slots inside pass 1's slot range get a throw-away token each (erased after the
 * pass), so the pass's sequence ids are consecutive and llama.cpp does not split it further; new
 * requests take the lowest free slot, which keeps such gaps rare. Sampled tokens are delivered when
 * the whole iteration is done, as the simulator delivers them.
 *
 * It is a pdsim serve TimingBackend: the HTTP server, SSE formats and /metrics are
 * adapters/server's; only the timing differs, and here it is the engine's own.
 */
import type { BackendJob, BackendLoad, JobEvents, TimingBackend } from '../server/backend.js';
import type { Engine, StepItem } from './engine-api.js';

interface Running {
  job: BackendJob;
  events: JobEvents;
  prompt: number[];
  slot: number;
  computed: number;
  generated: number;
  lastToken: number;
  cancelled: boolean;
}

interface Waiting {
  job: BackendJob;
  events: JobEvents;
  cancelled: boolean;
}

/** KV is reported to /metrics in blocks of this many tokens (llama.cpp has cells, not blocks). */
export const REPORTED_BLOCK_TOKENS = 16;

/** Token ids for a prompt of n tokens: deterministic, past the control and byte tokens (dense compute does not depend on the values). */
export function promptFor(jobId: number, n: number, vocab: number): number[] {
  const first = 259;
  return Array.from({ length: n }, (_, i) => first + ((jobId * 7919 + i * 104729) % (vocab - first)));
}

export interface StepStats {
  steps: number;
  /** Engine forward passes (one or more per step). */
  passes: number;
  tokens: number;
  /** Throw-away tokens that filled free slots inside a pass's slot range. */
  padTokens: number;
  busyMs: number;
}

/** One iteration as it ran: when, its passes' shapes ([new tokens, tokens already in the KV] per sequence) and times, and the idle time before it. */
export interface StepRecord {
  /** Wall-clock start, ms since the epoch (so another process can match it to its own runs). */
  atMs: number;
  ms: number;
  /** Time since the previous iteration ended, when the loop ran on without waiting for work (HTTP, timers, event loop). */
  gapMs: number | null;
  /**
   * `pad`: throw-away tokens in the pass (not in `entries`, and not priced by the simulator);
   * `cpuMs`: the server process's CPU time during the pass (every thread), so wall - CPU is time the engine waited for a core;
   * `sysMs` the system part of it and `faults` the minor page faults (memory touched afresh) during the pass.
   */
  passes: { entries: [number, number][]; ms: number; cpuMs?: number; sysMs?: number; faults?: number; pad?: number }[];
  /** After the passes: delivering the sampled tokens (SSE writes) and freeing finished slots; neither in `ms` nor in the next `gapMs`. */
  postMs?: number;
}

/** Token id of a throw-away padding token (a word token, past the control and byte tokens). */
const PAD_TOKEN = 300;

export class StepLoopBackend implements TimingBackend {
  readonly cache: { blockSizeTokens: number; numGpuBlocks: number };
  private readonly waiting: Waiting[] = [];
  private readonly running: Running[] = [];
  private readonly freeSlots: number[];
  private loop: Promise<void> | null = null;
  private lastEndMs: number | null = null;
  private closed = false;
  readonly stats: StepStats = { steps: 0, passes: 0, tokens: 0, padTokens: 0, busyMs: 0 };
  private readonly t0 = performance.now();

  constructor(
    private readonly engine: Engine,
    private readonly vocab: number,
    private readonly onError: (e: unknown) => void = () => {},
    private readonly onStep?: (r: StepRecord) => void,
  ) {
    this.freeSlots = Array.from({ length: engine.slots }, (_, i) => engine.slots - 1 - i);
    this.cache = { blockSizeTokens: REPORTED_BLOCK_TOKENS, numGpuBlocks: Math.floor((engine.slots * engine.contextTokens) / REPORTED_BLOCK_TOKENS) };
  }

  nowS(): number {
    return (performance.now() - this.t0) / 1000;
  }

  wallMs(simS: number): number {
    return simS * 1000;
  }

  submit(job: BackendJob, events: JobEvents): { cancel(): void } {
    if (job.promptTokens + job.outputTokens > this.engine.contextTokens) {
      queueMicrotask(() => events.onFinish(`prompt + max_tokens = ${job.promptTokens + job.outputTokens} exceeds the engine's ${this.engine.contextTokens}-token context per sequence`));
      return { cancel() {} };
    }
    const w: Waiting = { job, events, cancelled: false };
    this.waiting.push(w);
    this.kick();
    return {
      cancel: () => {
        w.cancelled = true;
        const r = this.running.find((x) => x.job === job);
        if (r) r.cancelled = true;
      },
    };
  }

  load(): BackendLoad {
    let kvTokens = 0;
    for (const r of this.running) kvTokens += r.computed;
    return {
      running: this.running.length,
      waiting: this.waiting.length,
      kvCacheUsage: kvTokens / (this.engine.slots * this.engine.contextTokens),
      preemptionsTotal: 0,
      prefixCacheQueriesTokens: 0,
      prefixCacheHitsTokens: 0,
    };
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves when no step is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private kick(): void {
    if (this.loop || this.closed) return;
    this.loop = (async () => {
      try {
        // Start on the next macrotask, so requests that arrived in the same tick share the first step.
        await new Promise<void>((r) => setImmediate(r));
        this.lastEndMs = null;
        while (!this.closed && (this.running.length > 0 || this.waiting.length > 0)) {
          await this.iteration();
          // Let the HTTP side run (new arrivals, writes) between engine steps.
          await new Promise<void>((r) => setImmediate(r));
        }
      } catch (e) {
        this.onError(e);
        for (const r of this.running) r.events.onFinish(`engine error: ${(e as Error).message}`);
        this.running.length = 0;
      } finally {
        this.loop = null;
      }
    })();
  }

  /** The vLLM V1 schedule for one iteration (see the module comment). */
  schedule(): { r: Running; n: number }[] {
    let budget = this.engine.batchTokens;
    const out: { r: Running; n: number }[] = [];
    for (const r of this.running) {
      if (budget <= 0) break;
      const n = Math.min(r.computed < r.prompt.length ? r.prompt.length - r.computed : 1, budget);
      out.push({ r, n });
      budget -= n;
    }
    while (budget > 0 && this.freeSlots.length > 0 && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      if (w.cancelled) continue;
      const r: Running = {
        job: w.job,
        events: w.events,
        prompt: promptFor(w.job.id, w.job.promptTokens, this.vocab),
        slot: this.freeSlots.pop()!,
        computed: 0,
        generated: 0,
        lastToken: 0,
        cancelled: false,
      };
      this.running.push(r);
      const n = Math.min(r.prompt.length, budget);
      out.push({ r, n });
      budget -= n;
    }
    return out;
  }

  private async release(r: Running): Promise<void> {
    this.running.splice(this.running.indexOf(r), 1);
    await this.engine.reset(r.slot);
    this.freeSlots.push(r.slot);
    // Highest first: pop() hands out the lowest free slot.
    this.freeSlots.sort((a, b) => b - a);
  }

  /**
   * The iteration's forward passes (see the module comment): `of` maps each pass item back to its
   * plan entry (-1 for padding), `context` gives the KV tokens its sequence holds before it.
   */
  passes(plan: readonly { r: Running; n: number }[]): { items: StepItem[]; of: number[]; context: number[] }[] {
    const items: StepItem[] = plan.map(({ r, n }) => {
      const prefill = r.computed < r.prompt.length;
      const tokens = prefill ? r.prompt.slice(r.computed, r.computed + n) : [r.lastToken];
      return { slot: r.slot, tokens, sample: !prefill || r.computed + n === r.prompt.length };
    });
    const ctx = (k: number): number => plan[k]!.r.computed;
    const chunks = items.map((_, k) => k).filter((k) => items[k]!.tokens.length > 1);
    if (chunks.length === items.length) return chunks.map((k) => ({ items: [items[k]!], of: [k], context: [ctx(k)] }));
    const first = items.map((it, k) => ({ item: it.tokens.length > 1 ? { slot: it.slot, tokens: it.tokens.slice(0, 1), sample: false } : it, k }));
    const used = new Set(items.map((it) => it.slot));
    const lo = Math.min(...used);
    const hi = Math.max(...used);
    // Only a free slot can take a throw-away token: a running sequence left out of this step (budget spent) keeps its KV, and its gap splits the pass.
    const free = new Set(this.freeSlots);
    for (let slot = lo; slot <= hi; slot++) if (!used.has(slot) && free.has(slot)) first.push({ item: { slot, tokens: [PAD_TOKEN], sample: false }, k: -1 });
    first.sort((a, b) => a.item.slot - b.item.slot);
    return [
      { items: first.map((f) => f.item), of: first.map((f) => f.k), context: first.map((f) => (f.k >= 0 ? ctx(f.k) : 0)) },
      ...chunks.map((k) => ({ items: [{ ...items[k]!, tokens: items[k]!.tokens.slice(1) }], of: [k], context: [ctx(k) + 1] })),
    ];
  }

  private async iteration(): Promise<void> {
    for (const r of this.running.filter((x) => x.cancelled)) await this.release(r);
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.cancelled) this.waiting.splice(i, 1);
    const plan = this.schedule();
    if (plan.length === 0) return;
    const sampled: (number | null)[] = plan.map(() => null);
    const t = performance.now();
    const rec: StepRecord = { atMs: Date.now(), ms: 0, gapMs: this.lastEndMs === null ? null : t - this.lastEndMs, passes: [] };
    for (const pass of this.passes(plan)) {
      const cp = this.onStep ? process.resourceUsage() : undefined;
      const tp = performance.now();
      const out = await this.engine.step(pass.items);
      // Shapes as the simulator sees them (src/perf/forward-passes.ts): padding is not part of them.
      if (cp) {
        const ms = performance.now() - tp;
        const c = process.resourceUsage();
        const entries: [number, number][] = [];
        pass.items.forEach((it, j) => void (pass.of[j]! >= 0 && entries.push([it.tokens.length, pass.context[j]!])));
        const pad = pass.items.length - entries.length;
        const sys = c.systemCPUTime - cp.systemCPUTime;
        rec.passes.push({ entries, ms, cpuMs: (c.userCPUTime - cp.userCPUTime + sys) / 1000, sysMs: sys / 1000, faults: c.minorPageFault - cp.minorPageFault, ...(pad > 0 ? { pad } : {}) });
      }
      this.stats.passes++;
      for (const [j, k] of pass.of.entries()) {
        if (k >= 0) {
          if (pass.items[j]!.sample) sampled[k] = out[j] ?? null;
        } else {
          this.stats.padTokens++;
          await this.engine.reset(pass.items[j]!.slot);
        }
      }
    }
    this.stats.busyMs += performance.now() - t;
    this.stats.steps++;
    rec.ms = performance.now() - t;
    const done: Running[] = [];
    plan.forEach(({ r, n }, i) => {
      this.stats.tokens += n;
      r.computed += n;
      const tok = sampled[i];
      if (tok === null || tok === undefined || r.cancelled) return;
      // ignore_eos: generation runs to max_tokens whatever is sampled (as `vllm bench serve` asks).
      r.lastToken = tok;
      r.generated++;
      r.events.onTokens(1);
      if (r.generated >= r.job.outputTokens) done.push(r);
    });
    for (const r of done) {
      r.events.onFinish();
      await this.release(r);
    }
    this.lastEndMs = performance.now();
    rec.postMs = this.lastEndMs - t - rec.ms;
    this.onStep?.(rec);
  }
}
