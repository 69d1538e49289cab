/**
 * User-facing error messages of src/cli, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const cliMessages = {
  notAFolder: (flag: string, dir: string, existing: string, itself: boolean): string => (itself ? `${flag} ${dir} exists and is not a folder` : `${flag} ${dir}: ${existing} is a file, not a folder`),
  // src/cli/commands/perf.ts
  missing: (flag: string): string => `missing ${flag}`,
  positiveIntegerGot: (flag: string, v: string): string => `${flag} must be a positive integer, got ${v}`,
  nonNegativeIntegerGot: (flag: string, v: string): string => `${flag} must be a non-negative integer, got ${v}`,
  tpDoesDivideAttention: (tp: number, numHeads: number, model: string): string => `--tp ${tp} does not divide the ${numHeads} attention heads of ${model}`,
  givePrefillTokensDecode: (): string => `give --prefill <tokens> and/or --decode-batch <n> (with --context <tokens>)`,
  contextAppliesDecodeBatch: (): string => `--context applies to --decode-batch; for a prefill with a cached prefix use --prefill-context`,
  // src/cli/commands/latency.ts
  nonNegativeNumberGot: (flag: string, v: string): string => `${flag} must be a non-negative number, got ${v}`,
  inputLenOutputLen: (value: number, maxModelLen: number): string => `--input-len + --output-len (${value}) exceeds --max-model-len ${maxModelLen}`,
  maxNumBatchedTokens: (maxNumBatchedTokens: number, maxModelLen: number): string => `--max-num-batched-tokens ${maxNumBatchedTokens} is below --max-model-len ${maxModelLen} with chunked prefill off (vLLM refuses this)`,
  gpuMemoryUtilizationGot: (gpuMemoryUtilization: string): string => `--gpu-memory-utilization must be in (0, 1], got ${gpuMemoryUtilization}`,
  kvCacheHoldsTokens: (value: number, maxModelLen: number): string => `the KV cache holds ${value} tokens, less than --max-model-len ${maxModelLen} (vLLM refuses to start); lower --max-model-len or raise --gpu-memory-utilization / --tp`,
  // src/cli/flags.ts
  integerGot: (flag: string, min: number, value: string | number, v: string): string => `${flag} must be an integer from ${min} to ${value}, got "${v}"`,
  numberGot: (flag: string, range: string, value: string, v: string): string => `${flag} must be a number ${range}${value}, got "${v}"`,
  ipAddressHostName: (flag: string, v: string): string => `${flag} must be an IP address or a host name (e.g. 127.0.0.1, 0.0.0.0, ::1, localhost), got "${v}"`,
  cannotCreated: (flag: string, dir: string, value: string): string => `${flag} ${dir} cannot be created (${value})`,
  nameFolderGotEmpty: (flag: string): string => `${flag} must name a folder, got an empty string`,
  specialFilesystemGiveFolder: (flag: string, dir: string, fsType: string): string => `${flag} ${dir} is on a special filesystem (${fsType}); give a folder on a disk`,
  writable: (flag: string, dir: string, value: string, existing: string): string => `${flag} ${dir} is not writable (${value} in ${existing})`,
  // src/cli/commands/simulate.ts
  cannotWriteNothingPartial: (value: string): string => `cannot write (${value}); nothing partial was left`,
  summaryJsonCouldWritten: (errorDetail: unknown): string => `${errorDetail}; summary.json could not be written either (nothing partial was left)`,
  // src/cli/commands/list.ts
  unknownKindExpectedOne: (kind: string, value: string, value2: string): string => `unknown kind "${kind}"${value}; expected one of ${value2}`,
  // src/cli/commands/report.ts
  runDirectoryFound: (): string => `run directory not found`,
  // src/cli/commands/calibrate.ts
  e2eRewritesEndEnd: (out: string): string => `--e2e rewrites the end-to-end section of ${out}, which cannot be read`,
  explicitFilesNameExactly: (): string => `with explicit files, name exactly one profile to fit: --gpu <id>`,
  defaultMeasuredDataGive: (id: string, value: string): string => `no default measured data for ${id}; give the files to fit on (defaults exist for ${value})`,
  // src/cli/commands/compare.ts
  workloadDiffersSCompare: (file: string): string => `the workload differs from ${file}'s; compare needs identical workload sections (same arrivals and lengths)`,
  // src/cli/commands/vllm-args.ts
  basePortIntegerGot: (basePort: string): string => `--base-port must be an integer in [200, 65000], got "${basePort}"`,
  // src/cli/commands/validate.ts
  apiCompletionsChatGot: (api: string): string => `--api must be "completions" or "chat", got "${api}"`,
  passEndpointUrlLive: (): string => `pass --endpoint URL (a live server) or --bench-result FILE (a vllm bench serve result)`,
  // src/cli/commands/proxy.ts
  needsLeastOneUrl: (flag: string): string => `${flag} needs at least one URL`,
  httpSUrlExpected: (flag: string, u: string): string => `${flag}: "${u}" is not an http(s) URL (expected e.g. http://10.0.0.5:8100)`,
  policyOne: (policy: string, routingPolicyNames: string, value: string): string => `--policy "${policy}" is not one of ${routingPolicyNames}${value}`,
  portAlreadyUsePick: (port: number, host: string): string => `port ${port} on ${host} is already in use; pick another with --port`,
  hostCannotListen: (host: string, port: number, code: string): string => `--host ${host}: cannot listen on ${host}:${port} (${code})`,
  // src/cli/commands/serve.ts
  failPctStallPct: (sum: number): string => `--fail-pct, --stall-pct, --reset-pct and --break-pct add up to ${sum}; at most 100 (percent of requests)`,
  portAlreadyUsePick2: (port: string, host: string): string => `port ${port} on ${host} is already in use; pick another with --port`,
  hostCannotListen2: (host: string, port: string, code: string): string => `--host ${host}: cannot listen on ${host}:${port} (${code})`,
  // src/cli/plan-finish.ts
  candidateMeetsSloAttainment: (attainment: number, outDir: string, value: string): string => `no candidate meets the ${attainment} SLO attainment target (results in ${outDir}); the binding constraint, ${value}`,
  // src/cli/commands/plan.ts
  latencyExpectsSummaryKey: (latencyKey: string): string => `--latency expects a summary key like median_e2el_ms or p99_ttft_ms, got "${latencyKey}"`,
  emitExpectsSlurmK8s: (emit: string): string => `--emit expects slurm or k8s, got "${emit}"`,
  shardsExpectsIntegerGot: (shards: unknown): string => `--shards expects an integer >= 1, got "${shards}"`,
  // src/cli/commands/merge.ts
  shardSameKindScenario: (kind: string, value: string): string => `not a shard of the same ${kind} as ${value} (kind, scenario, options or point count differ)`,
  shardButShard: (c: number, value: string, count: number): string => `shard of ${c}, but ${value} is a shard of ${count}`,
  shardGivenTwiceAlso: (idx: number, count: number, seen: unknown): string => `shard ${idx}/${count} is given twice (also ${seen})`,
  missingShard: (value: string, value2: string): string => `missing shard${value} ${value2}`,
  pdsimMergeNeedsLeast: (): string => `pdsim merge needs at least one shard directory`,
  shardDirectory: (name: string): string => `no ${name} in this shard directory`,
  jsonLine: (): string => `not a JSON line`,
  lineHasNumericPoint: (): string => `line has no numeric "point"`,
  pointAppearsMoreThan: (): string => `a point appears in more than one shard`,
  shardsHoldPointsInterrupted: (entriesLength: number, total: number): string => `the shards hold ${entriesLength} of ${total} points: an interrupted shard? rerun it`,
};
