/**
 * User-facing error messages of src/scenario, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const scenarioMessages = {
  // src/scenario/vllm-args.ts
  switchGivenValue: (flag: string, flag3: string, value: string): string => `${flag} is a switch: write ${flag}, --no-${flag3} or ${flag}=false, got "${flag}=${value}"`,
  needsValue: (flag: string): string => `${flag} needs a value`,
  wrongFlagValue: (flag: string, value: string, raw: string): string => `${flag} expects ${value}, got "${raw}"`,
  flagTakesNoValue: (flag: string, value: string): string => `${flag} takes no value, got "${flag}=${value}"`,
  unsupportedFlagValue: (flag: string, raw: string, values: string): string => `${flag} "${raw}" is not supported; expected one of: ${values}`,
  unknownVllmArgument: (flag: string, value: string): string => `unknown vllm serve argument "${flag}"${value}`,
  // src/scenario/load.ts
  setNotPathValue: (assignment: string): string => `--set expects path=value (e.g. workload.requests=500), got "${assignment}"`,
  setEmptyFieldName: (fieldPath: string): string => `--set ${fieldPath}: empty field name in the path`,
  setValueNotYaml: (fieldPath: string, value: string): string => `--set ${fieldPath}: the value is not valid YAML (${value})`,
  setIndexOutOfRange: (fieldPath: string, value: string, objLength: number, k: string): string => `--set ${fieldPath}: "${value}" is a list of ${objLength}; "${k}" must be an index from 0 to ${objLength}`,
  setNotASection: (fieldPath: string, value: string, value2: string): string => `--set ${fieldPath}: "${value}" is a ${value2}, not a section with fields`,
  nestedTooDeeply: (): string => `nested too deeply to be a scenario`,
  invalidDocument: (value: string, value2: string): string => `not valid ${value}: ${value2}`,
  scenarioNotAMapping: (): string => `a scenario must be a mapping (YAML) or an object (JSON)`,
  // src/scenario/build/machine.ts
  tpSpansNodes: (tp: number, gpusPerNode: number): string => `tp ${tp} spans more than one node (gpusPerNode ${gpusPerNode}); an instance must fit in one node`,
  tooFewNodes: (nodes: number, gpusPerNode: number, asked: string, declared: number): string => `the pools need ${nodes} node(s) of ${gpusPerNode} GPU(s) (${asked}, one instance per GPU set, never split across nodes) and the machine has ${declared} (topology.nodes); raise gpusPerNode, declare topology.nodes: ${nodes}, use fewer instances, or put every instance on one GPU with topology.sharedGpu: true`,
  // src/scenario/build/disagg.ts
  sharedGpuNeedsSharedStore: (path: string): string => `with topology.sharedGpu the prefill and decode instances are on the same GPU, so KV moves through a store they share: use path disk (LMCache on a shared disk) or staging (CPU memory), not ${path}`,
  // src/scenario/build/pool.ts
  tpDoesNotDivideHeads: (tp: number, numHeads: number): string => `tp ${tp} must divide the model's ${numHeads} attention heads`,
  batchedTokensBelowMaxModelLen: (maxNumBatchedTokens: number, maxModelLen: number): string => `with chunked prefill off, maxNumBatchedTokens (${maxNumBatchedTokens}) must be at least maxModelLen (${maxModelLen}), as vLLM requires`,
  noRoomForKvCache: (id: string, id2: string, tp: number, value: string, memGiB: number, gpuMemoryUtilization: number, value2: string, value3: string, sharedGpu: boolean): string => `${id} does not fit on ${id2} at tp ${tp}: budget ${value} GiB (${memGiB} GiB x gpuMemoryUtilization ${gpuMemoryUtilization}) - weights ${value2} GiB - activation reserve ${value3} GiB leaves no KV cache; raise tp, gpuMemoryUtilization or cpuOffloadGB, or use a larger GPU${sharedGpu ? ' (with sharedGpu every instance loads its own copy of the weights into its own share)' : ''}`,
  kvCacheBelowMaxModelLen: (value: number, maxModelLen: number): string => `the KV cache holds ${value} tokens, less than maxModelLen ${maxModelLen} (vLLM refuses to start); lower engine.maxModelLen or give the cache more memory`,
  // src/scenario/build/kv-tiers.ts
  diskTierNeedsCpuTier: (): string => `a disk KV tier (kvDiskGiB) sits below a CPU tier: set kvOffloadingGiB too`,
  swapNeedsSwapSpace: (): string => `preemptionMode swap needs a CPU swap area: set swapSpaceGiB > 0 (or use recompute, as vLLM V1 does)`,
  tierBelowOneBlock: (tooSmall: string, blockBytes: number): string => `${tooSmall} holds less than one KV block (${blockBytes} bytes)`,
  nodeHasNoDisk: (node: number): string => `node${node} has no disk for the KV disk tier`,
  hostMemoryExceeded: (node: number, value: string, hostMemoryCapacityGiB: number): string => `CPU KV tier, swap space and offloaded weights of the instances on node${node} need ${value} GiB of host memory, more than its ${hostMemoryCapacityGiB} GiB`,
  // src/scenario/build/disagg.ts
  prefillCacheBelowMaxModelLen: (tokens: number, maxModelLen: number): string => `the prefill KV cache holds ${tokens} tokens, less than one maxModelLen (${maxModelLen}) prompt; give the pool more memory or lower maxModelLen`,
  stagingBufferTooLarge: (stagingBufferGiB: number, hostMemoryCapacityGiB: number): string => `staging buffer of ${stagingBufferGiB} GiB exceeds the host's ${hostMemoryCapacityGiB} GiB of memory`,
  noDirectPath: (dName: string, b: number, topo: number, pName: string, a: number, topo2: number): string => `decode instance ${dName} (gpu${b}, node${topo}) has no direct path to prefill instance ${pName} (gpu${a}, node${topo2}): direct means NVLink or PCIe within one node; use path network, or raise topology.gpusPerNode`,
};
