/**
 * User-facing error messages of src/cli, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const cliMessages = {
  notAFolder: (flag: string, dir: string, existing: string, itself: boolean): string => (itself ? `${flag} ${dir} exists and is not a folder` : `${flag} ${dir}: ${existing} is a file, not a folder`),
  // src/cli/commands/perf.ts
  missingFlag: (flag: string): string => `missing ${flag}`,
  notPositiveInteger: (flag: string, v: string): string => `${flag} must be a positive integer, got ${v}`,
  notNonNegativeInteger: (flag: string, v: string): string => `${flag} must be a non-negative integer, got ${v}`,
  tpDoesNotDivideHeads: (tp: number, numHeads: number, model: string): string => `--tp ${tp} does not divide the ${numHeads} attention heads of ${model}`,
  needPrefillOrDecodeBatch: (): string => `give --prefill <tokens> and/or --decode-batch <n> (with --context <tokens>)`,
  contextIsForDecodeBatch: (): string => `--context applies to --decode-batch; for a prefill with a cached prefix use --prefill-context`,
  // src/cli/commands/latency.ts
  notNonNegativeNumber: (flag: string, v: string): string => `${flag} must be a non-negative number, got ${v}`,
  lengthsExceedMaxModelLen: (value: number, maxModelLen: number): string => `--input-len + --output-len (${value}) exceeds --max-model-len ${maxModelLen}`,
  batchedTokensBelowMaxModelLen: (maxNumBatchedTokens: number, maxModelLen: number): string => `--max-num-batched-tokens ${maxNumBatchedTokens} is below --max-model-len ${maxModelLen} with chunked prefill off (vLLM refuses this)`,
  gpuMemoryUtilizationOutOfRange: (gpuMemoryUtilization: string): string => `--gpu-memory-utilization must be in (0, 1], got ${gpuMemoryUtilization}`,
  kvCacheBelowMaxModelLen: (value: number, maxModelLen: number): string => `the KV cache holds ${value} tokens, less than --max-model-len ${maxModelLen} (vLLM refuses to start); lower --max-model-len or raise --gpu-memory-utilization / --tp`,
  // src/cli/flags.ts
  integerOutOfRange: (flag: string, min: number, value: string | number, v: string): string => `${flag} must be an integer from ${min} to ${value}, got "${v}"`,
  numberOutOfRange: (flag: string, range: string, value: string, v: string): string => `${flag} must be a number ${range}${value}, got "${v}"`,
  notAHost: (flag: string, v: string): string => `${flag} must be an IP address or a host name (e.g. 127.0.0.1, 0.0.0.0, ::1, localhost), got "${v}"`,
  cannotCreateFolder: (flag: string, dir: string, value: string): string => `${flag} ${dir} cannot be created (${value})`,
  emptyFolderName: (flag: string): string => `${flag} must name a folder, got an empty string`,
  specialFilesystem: (flag: string, dir: string, fsType: string): string => `${flag} ${dir} is on a special filesystem (${fsType}); give a folder on a disk`,
  notWritable: (flag: string, dir: string, value: string, existing: string): string => `${flag} ${dir} is not writable (${value} in ${existing})`,
  // src/cli/commands/simulate.ts
  cannotWriteOutput: (value: string): string => `cannot write (${value}); nothing partial was left`,
  summaryNotWrittenEither: (errorDetail: unknown): string => `${errorDetail}; summary.json could not be written either (nothing partial was left)`,
  // src/cli/commands/list.ts
  unknownListKind: (kind: string, value: string, value2: string): string => `unknown kind "${kind}"${value}; expected one of ${value2}`,
  // src/cli/commands/report.ts
  runDirectoryNotFound: (): string => `run directory not found`,
  // src/cli/commands/calibrate.ts
  e2eProfileUnreadable: (out: string): string => `--e2e rewrites the end-to-end section of ${out}, which cannot be read`,
  explicitFilesNeedOneGpu: (): string => `with explicit files, name exactly one profile to fit: --gpu <id>`,
  noDefaultMeasuredData: (id: string, value: string): string => `no default measured data for ${id}; give the files to fit on (defaults exist for ${value})`,
  // src/cli/commands/compare.ts
  workloadsDiffer: (file: string): string => `the workload differs from ${file}'s; compare needs identical workload sections (same arrivals and lengths)`,
  // src/cli/commands/vllm-args.ts
  basePortOutOfRange: (basePort: string): string => `--base-port must be an integer in [200, 65000], got "${basePort}"`,
  // src/cli/commands/validate.ts
  unknownApi: (api: string): string => `--api must be "completions" or "chat", got "${api}"`,
  needEndpointOrBenchResult: (): string => `pass --endpoint URL (a live server) or --bench-result FILE (a vllm bench serve result)`,
  // src/cli/commands/proxy.ts (portInUse and cannotListen also serve.ts)
  needsAUrl: (flag: string): string => `${flag} needs at least one URL`,
  notAnHttpUrl: (flag: string, u: string): string => `${flag}: "${u}" is not an http(s) URL (expected e.g. http://10.0.0.5:8100)`,
  unknownPolicy: (policy: string, routingPolicyNames: string, value: string): string => `--policy "${policy}" is not one of ${routingPolicyNames}${value}`,
  portInUse: (port: number | string, host: string): string => `port ${port} on ${host} is already in use; pick another with --port`,
  cannotListen: (host: string, port: number | string, code: string): string => `--host ${host}: cannot listen on ${host}:${port} (${code})`,
  // src/cli/commands/serve.ts
  faultPercentagesOver100: (sum: number): string => `--fail-pct, --stall-pct, --reset-pct and --break-pct add up to ${sum}; at most 100 (percent of requests)`,
  // src/cli/plan-finish.ts
  noCandidateMeetsSlo: (attainment: number, outDir: string, value: string): string => `no candidate meets the ${attainment} SLO attainment target (results in ${outDir}); the binding constraint, ${value}`,
  // src/cli/commands/plan.ts
  latencyNotASummaryKey: (latencyKey: string): string => `--latency expects a summary key like median_e2el_ms or p99_ttft_ms, got "${latencyKey}"`,
  unknownEmit: (emit: string): string => `--emit expects slurm or k8s, got "${emit}"`,
  shardsNotPositiveInteger: (shards: unknown): string => `--shards expects an integer >= 1, got "${shards}"`,
  // src/cli/commands/merge.ts
  notAShardOfSameRun: (kind: string, value: string): string => `not a shard of the same ${kind} as ${value} (kind, scenario, options or point count differ)`,
  shardCountMismatch: (c: number, value: string, count: number): string => `shard of ${c}, but ${value} is a shard of ${count}`,
  shardGivenTwice: (idx: number, count: number, seen: unknown): string => `shard ${idx}/${count} is given twice (also ${seen})`,
  missingShard: (value: string, value2: string): string => `missing shard${value} ${value2}`,
  mergeNeedsAShard: (): string => `pdsim merge needs at least one shard directory`,
  missingInShardDirectory: (name: string): string => `no ${name} in this shard directory`,
  notAJsonLine: (): string => `not a JSON line`,
  lineHasNoPoint: (): string => `line has no numeric "point"`,
  pointInTwoShards: (): string => `a point appears in more than one shard`,
  shardsMissPoints: (entriesLength: number, total: number): string => `the shards hold ${entriesLength} of ${total} points: an interrupted shard? rerun it`,
};
