/**
 * Cross-field rules of `deployment.topology.sharedGpu` (every instance on one GPU set, reference A),
 * checked before anything is built. vLLM sizes each instance's memory as gpu_memory_utilization x
 * the GPU's total memory and refuses to start when less than that is free (V1 gpu_worker
 * `init_device`: "Free memory on device ... is less than desired GPU memory utilization"), so
 * instances sharing a GPU need utilisations summing to at most 1; each loads its own weights, which
 * its own share must hold (pool.ts checks that per pool). One GPU profile and one tp for every pool,
 * and prefill + decode pools: a colocated deployment has nothing to share a GPU with.
 */
import type { Scenario } from './schema.js';

export function sharedGpuProblems(sc: Scenario): { pointer: string; message: string }[] {
  if (sc.deployment.topology?.sharedGpu !== true) return [];
  const pools = sc.deployment.pools;
  const out: { pointer: string; message: string }[] = [];
  if (!pools.some((p) => p.role === 'prefill')) {
    out.push({ pointer: '/deployment/topology/sharedGpu', message: 'sharedGpu puts a prefill and a decode instance on one GPU; this deployment has no prefill and decode pools (for one replica per GPU leave sharedGpu out)' });
    return out;
  }
  pools.forEach((p, i) => {
    if (p.gpu !== pools[0]!.gpu) out.push({ pointer: `/deployment/pools/${i}/gpu`, message: `with sharedGpu every pool runs on the same GPU, so every pool names the same profile: "${p.gpu}" here, "${pools[0]!.gpu}" in pool 0` });
    if (p.tp !== pools[0]!.tp) out.push({ pointer: `/deployment/pools/${i}/tp`, message: `with sharedGpu every instance uses the same GPUs, so every pool has the same tp: ${p.tp} here, ${pools[0]!.tp} in pool 0` });
  });
  const shares = pools.map((p, i) => ({ i, util: p.engine?.gpuMemoryUtilization ?? sc.engine?.gpuMemoryUtilization ?? 0.9 /* resolved at load (engine-defaults.ts); 0.9 is vLLM's own default */, instances: p.instances, own: p.engine?.gpuMemoryUtilization !== undefined }));
  const total = shares.reduce((s, x) => s + x.util * x.instances, 0);
  // A little slack for the float sum (0.55 + 0.45 is 1.0000000000000002 in binary).
  if (total > 1 + 1e-9) {
    const list = shares.map((x) => `${x.instances} x ${x.util} (pool ${x.i})`).join(' + ');
    const worst = shares.reduce((a, b) => (b.util * b.instances > a.util * a.instances ? b : a));
    const pointer = worst.own ? `/deployment/pools/${worst.i}/engine/gpuMemoryUtilization` : '/engine/gpuMemoryUtilization';
    out.push({ pointer, message: `instances sharing one GPU ask for ${list} = ${+total.toFixed(4)} of its memory, more than 1 (vLLM refuses to start an instance when less than gpu_memory_utilization x total memory is free); give each pool its own engine.gpuMemoryUtilization, summing to at most 1` });
  }
  return out;
}
