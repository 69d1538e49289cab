/**
 * A deterministic, load-independent backend for tests of the HTTP layer: prefill takes
 * `prefillBaseMs + promptTokens x prefillMsPerToken`, then one token every `itlMs`. It runs on the
 * kernel Simulator driven in real time, the same way the engine-backed backend does, so it
 * exercises the same timing path without needing a scenario.
 */
import { RealtimeDriver } from '../../src/kernel/realtime.js';
import { Simulator } from '../../src/kernel/simulator.js';
import type { BackendJob, BackendLoad, JobEvents, TimingBackend } from './backend.js';

export interface FakeBackendOptions {
  prefillBaseMs?: number;
  prefillMsPerToken?: number;
  itlMs?: number;
  speed?: number;
  blockSizeTokens?: number;
  numGpuBlocks?: number;
}

export function createFakeBackend(o: FakeBackendOptions = {}): TimingBackend {
  const prefillBaseS = (o.prefillBaseMs ?? 5) / 1000;
  const prefillPerTokenS = (o.prefillMsPerToken ?? 0.02) / 1000;
  const itlS = (o.itlMs ?? 10) / 1000;
  const speed = o.speed ?? 1;
  const sim = new Simulator();
  const driver = new RealtimeDriver(sim, { speed });
  driver.start();
  let running = 0;
  let tokensInUse = 0;
  const cache = { blockSizeTokens: o.blockSizeTokens ?? 16, numGpuBlocks: o.numGpuBlocks ?? 4096 };

  return {
    cache,
    nowS: () => driver.simNowS(),
    wallMs: (simS) => (simS / speed) * 1000,
    submit(job: BackendJob, events: JobEvents) {
      let cancelled = false;
      driver.inject(() => {
        running++;
        tokensInUse += job.promptTokens;
        const firstS = job.remotePrefill ? itlS : prefillBaseS + job.promptTokens * prefillPerTokenS;
        let produced = 0;
        const step = (): void => {
          if (cancelled) return finish();
          produced++;
          tokensInUse++;
          events.onTokens(1);
          if (produced >= job.outputTokens) finish(true);
          else sim.schedule(itlS, step);
        };
        const finish = (ok = false): void => {
          running--;
          tokensInUse -= job.promptTokens + produced;
          if (ok) events.onFinish();
        };
        sim.schedule(firstS, step);
      });
      return {
        cancel: () => {
          cancelled = true;
        },
      };
    },
    load(): BackendLoad {
      return {
        running,
        waiting: 0,
        kvCacheUsage: Math.min(1, tokensInUse / (cache.blockSizeTokens * cache.numGpuBlocks)),
        preemptionsTotal: 0,
        prefixCacheQueriesTokens: 0,
        prefixCacheHitsTokens: 0,
      };
    },
    close: () => driver.stop(),
  };
}
