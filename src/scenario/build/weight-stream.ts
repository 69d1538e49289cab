/**
 * Weight offload (vLLM --cpu-offload-gb) as flows: every forward pass of an instance with offloaded
 * decoder layers reads them from pinned host memory over its GPUs' host links (UVA; vllm-engine-facts.md
 * 5), so each iteration starts one flow per GPU (host DRAM -> H2D, no per-copy latency: the reads are
 * the kernels' own) and the iteration ends once they have landed (instance.ts streamedIteration).
 * These flows share the links max-min with KV tier loads and P/D transfers through the host, so a KV
 * copy slows the weight stream, and the step, by its share. Known approximation: a prefill iteration
 * streaming KV layer by layer places its layers' due times from the priced breakdown (the stream
 * alone on the link), so under contention those layers leave slightly early; the iteration's end is
 * exact.
 */
import type { FlowNetwork } from '../../hardware/flow-network.js';
import type { Topology } from '../../hardware/topology.js';
import type { BuiltPool } from './pool.js';

export function attachWeightStreams(net: FlowNetwork, topo: Topology, pools: readonly BuiltPool[], gpusOf: (pool: BuiltPool, k: number) => readonly number[]): void {
  for (const p of pools) {
    if (!(p.capacity.offloadedWeightBytesPerGpu > 0)) continue;
    p.instances.forEach((inst, k) => {
      const routes = gpusOf(p, k).map((g) => topo.path({ host: topo.nodeOfGpu(g) }, { gpu: g }));
      const tag = `weights ${inst.name}`;
      inst.streamWeightsOver((bytes, onDone) => {
        let left = routes.length;
        const done = (): void => {
          if (--left === 0) onDone();
        };
        for (const r of routes) net.startFlow({ path: r.path, bytes, latencyS: 0, rateCapBytesPerS: r.rateCapBytesPerS, tag, onDone: done });
      });
    });
  }
}
