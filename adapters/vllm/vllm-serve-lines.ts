/**
 * The `vllm serve` command lines that deploy a scenario for real (reference Part 1.5): one line per
 * engine instance with the scenario's engine knobs, GPUs assigned in order with
 * CUDA_VISIBLE_DEVICES, ports from `basePort`. Prefill and decode pools get NIXL
 * (`{"kv_connector":"NixlConnector","kv_role":"kv_both"}`, each with its own side-channel port)
 * plus a `pdsim proxy` line in front; several colocated replicas get a `pdsim proxy`-free note,
 * since the simulator's router has no vLLM counterpart beyond an external load balancer.
 */
import { loadLlm } from '../../src/model/catalog.js';
import { poolEngine } from '../../src/scenario/build/index.js';
import type { Scenario, EngineArgs } from '../../src/scenario/schema.js';

export interface ServeLines {
  /** Shell lines, one per instance, then the proxy and the validate line. */
  lines: string[];
  /** Things a user must know (approximations, settings without a vLLM flag). */
  notes: string[];
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

function engineFlags(e: EngineArgs): string[] {
  const f = [
    `--max-num-seqs ${e.maxNumSeqs}`,
    `--max-num-batched-tokens ${e.maxNumBatchedTokens}`,
    `--gpu-memory-utilization ${e.gpuMemoryUtilization}`,
    `--block-size ${e.blockSize}`,
    e.enableChunkedPrefill ? '--enable-chunked-prefill' : '--no-enable-chunked-prefill',
    e.enablePrefixCaching ? '--enable-prefix-caching' : '--no-enable-prefix-caching',
  ];
  if (e.maxModelLen !== undefined) f.push(`--max-model-len ${e.maxModelLen}`);
  if (e.numGpuBlocks !== undefined) f.push(`--num-gpu-blocks-override ${e.numGpuBlocks}`);
  if (e.cpuOffloadGB > 0) f.push(`--cpu-offload-gb ${e.cpuOffloadGB}`);
  if (e.kvOffloadingGiB > 0) f.push(`--kv-offloading-size ${e.kvOffloadingGiB} --kv-offloading-backend native`);
  return f;
}

export function vllmServeLines(sc: Scenario, o: { host?: string; basePort?: number; scenarioFile?: string } = {}): ServeLines {
  const host = o.host ?? '127.0.0.1';
  const basePort = o.basePort ?? 8100;
  const hfId = loadLlm(sc.model).hfId;
  const notes: string[] = [];
  const lines: string[] = [];
  const urls: Record<'prefill' | 'decode' | 'colocated', string[]> = { prefill: [], decode: [], colocated: [] };
  let gpu = 0;
  let k = 0;
  for (const pool of sc.deployment.pools) {
    const e = poolEngine(sc, pool);
    for (let i = 0; i < pool.instances; i++, k++) {
      const devices = Array.from({ length: pool.tp }, (_, j) => gpu + j).join(',');
      gpu += pool.tp;
      const port = basePort + k;
      const env = [`CUDA_VISIBLE_DEVICES=${devices}`];
      const flags = [`--port ${port}`, `--tensor-parallel-size ${pool.tp}`, ...engineFlags(e)];
      if (pool.role !== 'colocated') {
        // NIXL's side channel needs one port per instance on a host.
        env.push(`VLLM_NIXL_SIDE_CHANNEL_PORT=${5600 + k}`);
        flags.push(`--kv-transfer-config ${q('{"kv_connector":"NixlConnector","kv_role":"kv_both"}')}`);
      }
      lines.push(`# ${pool.name ?? pool.role} ${i} (${pool.gpu}${pool.tp > 1 ? ` x${pool.tp}` : ''})`);
      lines.push(`${env.join(' ')} vllm serve ${hfId} ${flags.join(' ')} &`);
      urls[pool.role].push(`http://${host}:${port}`);
    }
  }
  let endpoint = urls.colocated[0] ?? '';
  if (urls.prefill.length > 0) {
    const proxyPort = basePort - 100;
    lines.push('# P/D proxy (vLLM two-leg protocol)');
    lines.push(`pdsim proxy --prefill ${urls.prefill.join(',')} --decode ${urls.decode.join(',')} --port ${proxyPort} --policy ${sc.deployment.router?.policy ?? 'round-robin'} &`);
    endpoint = `http://${host}:${proxyPort}`;
    notes.push('the simulated KV transfer policy and staging path are not vLLM flags: NIXL picks its own transport (UCX), so compare transfer times with care');
  } else if (urls.colocated.length > 1) {
    notes.push(`${urls.colocated.length} replicas: put a load balancer in front (vLLM has no router of its own) and validate against it; --endpoint below targets replica 0 only`);
  }
  if ((sc.engine as EngineArgs | undefined)?.swapSpaceGiB) notes.push('swapSpaceGiB has no vLLM V1 flag (--swap-space was removed in v0.18)');
  if (sc.deployment.pools.some((p) => poolEngine(sc, p).kvDiskGiB > 0)) notes.push('kvDiskGiB needs LMCache (LMCACHE_LOCAL_DISK, LMCACHE_MAX_LOCAL_DISK_SIZE); not expressed here');
  lines.push('# then, once the servers answer /v1/models:');
  lines.push(`pdsim validate ${o.scenarioFile ?? '<scenario>'} --endpoint ${endpoint} --calibrate-capacity`);
  return { lines, notes };
}
