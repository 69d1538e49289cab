/**
 * The real backend of `pdsim serve`: the scenario's deployment, built by the simulator's
 * composition root, run in lock-step with the wall clock (RealtimeDriver). An HTTP request becomes
 * a RequestSpec submitted at the current simulated time; the engine's per-iteration token
 * callbacks become SSE chunks. Fast-forwarding is off, so tokens come out iteration by iteration.
 *
 * P/D decode legs (`remotePrefill`) go through the deployment's decode-side API
 * (`Deployment.submitDecodeLeg`, the same code the simulator's P/D deployment admits with); a client
 * that goes away aborts its request in the engine (`Deployment.abort`).
 */
import { RandomStreams } from '../../src/kernel/random.js';
import { RealtimeDriver } from '../../src/kernel/realtime.js';
import { Simulator } from '../../src/kernel/simulator.js';
import { MetricsCollector } from '../../src/metrics/collector.js';
import { NullRecordWriter } from '../../src/run/record-writer.js';
import { buildDeployment, type Built } from '../../src/scenario/build/index.js';
import type { LoadedScenario } from '../../src/scenario/load.js';
import type { RequestState } from '../../src/serving/request-state.js';
import type { RequestRecord, RequestSpec } from '../../src/serving/types.js';
import type { BackendJob, BackendLoad, JobEvents, TimingBackend } from './backend.js';

/** A collector that also tells the server when a request leaves the engine. */
class ServingCollector extends MetricsCollector {
  onLeave: (id: number, error?: string) => void = () => {};
  override finish(req: RequestState, timeS: number, instance: string, error?: string, extra?: Partial<RequestRecord>): void {
    super.finish(req, timeS, instance, error, extra);
    this.onLeave(req.spec.id, error);
  }
}

export interface SimBackendOptions {
  seed?: number;
  /** Simulated seconds per wall second (default 1). */
  speed?: number;
  modelsDir?: string;
}

export interface SimBackend extends TimingBackend {
  readonly built: Built;
  readonly maxModelLen: number;
}

export function createSimBackend(loaded: LoadedScenario, o: SimBackendOptions = {}): SimBackend {
  const sc = loaded.scenario;
  const speed = o.speed ?? 1;
  const sim = new Simulator();
  const streams = new RandomStreams(o.seed ?? sc.seed);
  const jobs = new Map<number, { events: JobEvents; cancelled: boolean }>();
  const collector = new ServingCollector(new NullRecordWriter(), sc.slo ?? {}, 1, false);
  const built = buildDeployment(sc, loaded.file, sim, streams, collector, {
    fastForward: false,
    modelsDir: o.modelsDir,
    onTokens: (spec: RequestSpec, _timeS: number, count: number) => {
      const j = jobs.get(spec.id);
      if (!j || j.cancelled) return;
      j.events.onTokens(count);
    },
  });
  collector.onLeave = (id, error) => {
    const j = jobs.get(id);
    jobs.delete(id);
    if (j && !j.cancelled) j.events.onFinish(error);
  };
  const instances = built.pools.flatMap((p) => p.instances);
  const first = built.pools[0]!;
  const driver = new RealtimeDriver(sim, { speed });
  driver.start();

  return {
    built,
    maxModelLen: first.instances[0]!.cfg.maxModelLen,
    cache: { blockSizeTokens: first.engine.blockSize, numGpuBlocks: first.capacity.numGpuBlocks },
    nowS: () => driver.simNowS(),
    wallMs: (simS) => (simS / speed) * 1000,
    submit(job: BackendJob, events: JobEvents) {
      const entry = { events, cancelled: false };
      jobs.set(job.id, entry);
      driver.inject(() => {
        const spec: RequestSpec = { id: job.id, arrivalS: sim.now, promptTokens: job.promptTokens, outputTokens: job.outputTokens };
        if (job.prefixHashes) spec.prefixHashes = job.prefixHashes;
        if (job.prefixBlockTokens) spec.prefixBlockTokens = job.prefixBlockTokens;
        if (job.remotePrefill) built.deployment.submitDecodeLeg(spec);
        else built.deployment.submit(spec);
      });
      return {
        cancel: () => {
          // The client went away: the engine aborts the request (frees its KV blocks and batch
          // slot), as vLLM does.
          entry.cancelled = true;
          driver.inject(() => {
            built.deployment.abort(job.id);
          });
        },
      };
    },
    load(): BackendLoad {
      let used = 0;
      let total = 0;
      let preemptions = 0;
      for (const i of instances) {
        used += i.blocks.usedBlocks;
        total += i.blocks.totalBlocks;
      }
      for (const s of collector.instances.values()) preemptions += s.preemptions;
      return {
        running: instances.reduce((a, i) => a + i.numRunning, 0),
        waiting: instances.reduce((a, i) => a + i.numWaiting, 0),
        kvCacheUsage: total > 0 ? used / total : 0,
        preemptionsTotal: preemptions,
        prefixCacheQueriesTokens: collector.totalInputTokens,
        prefixCacheHitsTokens: collector.cachedPromptTokens,
        abortedTotal: built.deployment.abortedCount,
      };
    },
    close: () => driver.stop(),
  };
}
