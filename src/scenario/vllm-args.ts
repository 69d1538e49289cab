/**
 * Parses a `vllm serve` argument string into the scenario's engine knobs, so a user can paste the
 * command line they actually run. Flags that do not change timing are accepted and ignored; flags
 * that change timing but are not modelled are accepted with a warning naming them (never silence);
 * an unknown flag is an error with a did-you-mean.
 */
import { didYouMean, UserError } from '../errors.js';
import { KV_CACHE_DTYPES, MODEL_DTYPES, WEIGHT_QUANTIZATIONS } from '../model/quantization.js';
import type { EngineArgs } from './schema.js';
import { scenarioMessages } from '../messages/scenario.js';

type Knob = keyof EngineArgs;
const NUMERIC: Record<string, Knob> = {
  '--max-num-seqs': 'maxNumSeqs',
  '--max-num-batched-tokens': 'maxNumBatchedTokens',
  '--block-size': 'blockSize',
  '--gpu-memory-utilization': 'gpuMemoryUtilization',
  '--num-gpu-blocks-override': 'numGpuBlocks',
  '--max-model-len': 'maxModelLen',
  '--cpu-offload-gb': 'cpuOffloadGB',
  '--kv-offloading-size': 'kvOffloadingGiB',
  '--swap-space': 'swapSpaceGiB',
};
const BOOLEAN: Record<string, Knob> = {
  '--enable-chunked-prefill': 'enableChunkedPrefill',
  '--enable-prefix-caching': 'enablePrefixCaching',
  '--async-scheduling': 'asyncScheduling',
};
const INTEGER_KNOBS = new Set<Knob>(['maxNumSeqs', 'maxNumBatchedTokens', 'blockSize', 'numGpuBlocks', 'maxModelLen']);

/**
 * vLLM's boolean flags are argparse BooleanOptionalAction: `--flag` sets true, `--no-flag` false;
 * `--flag=false` is what users write too, so an explicit true/false (1/0, yes/no) is honoured, and
 * anything else is an error rather than "present, so true".
 */
function boolValue(flag: string, value: string | undefined, file: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new UserError(scenarioMessages.switchGivenValue(flag, flag.slice(2), value), file, '/vllmArgs');
}

/** Flags with a string value the engine models, and the values it accepts. */
const STRING: Record<string, { knob: Knob; values: readonly string[] }> = {
  '--quantization': { knob: 'quantization', values: WEIGHT_QUANTIZATIONS },
  '-q': { knob: 'quantization', values: WEIGHT_QUANTIZATIONS },
  '--kv-cache-dtype': { knob: 'kvCacheDtype', values: KV_CACHE_DTYPES },
  '--dtype': { knob: 'dtype', values: MODEL_DTYPES },
};
/** Flags that change timing in vLLM but that pdsim does not model: accepted, with a warning. */
const UNMODELLED_WITH_VALUE = new Set(['--speculative-config', '--num-scheduler-steps', '--pipeline-parallel-size', '-pp', '--data-parallel-size', '-dp', '--stream-interval', '--api-server-count', '--max-seq-len-to-capture', '--compilation-config', '-O', '--performance-mode', '--max-num-partial-prefills', '--long-prefill-token-threshold', '--scheduling-policy', '--attention-backend']);
const UNMODELLED_FLAGS = new Set(['--enforce-eager', '--enable-expert-parallel', '--disable-custom-all-reduce']);
/** Flags that take a value but do not affect the simulated timing. */
const IGNORED_WITH_VALUE = new Set(['--host', '--port', '--served-model-name', '--model', '--kv-transfer-config', '--kv-offloading-backend', '--seed', '--api-key', '--tokenizer', '--download-dir', '--uvicorn-log-level']);
const IGNORED_FLAGS = new Set(['--trust-remote-code', '--disable-log-requests', '--disable-log-stats', '--no-enable-log-requests']);

export interface ParsedVllmArgs {
  engine: Partial<EngineArgs>;
  tensorParallelSize?: number;
  model?: string;
  /** Flags that change timing but are not modelled, each named. */
  warnings: string[];
}

export function parseVllmArgs(args: string, file?: string): ParsedVllmArgs {
  const tokens = args.trim().split(/\s+/).filter((t) => t !== '');
  const out: ParsedVllmArgs = { engine: {}, warnings: [] };
  const engine = out.engine as Record<string, number | boolean | string>;
  let i = 0;
  // `vllm serve MODEL ...`: a leading positional is the model.
  if (tokens[0] === 'vllm') i++;
  if (tokens[i] === 'serve') i++;
  if (tokens[i] !== undefined && !tokens[i]!.startsWith('-')) out.model = tokens[i++];
  const known = [...Object.keys(NUMERIC), ...Object.keys(BOOLEAN), ...[...Object.keys(BOOLEAN)].map((f) => f.replace('--', '--no-')), ...Object.keys(STRING), '--tensor-parallel-size', '-tp', ...IGNORED_WITH_VALUE, ...IGNORED_FLAGS, ...UNMODELLED_WITH_VALUE, ...UNMODELLED_FLAGS];
  const unmodelled = (f: string) => out.warnings.push(`vllmArgs: ${f} changes timing in vLLM but is not modelled; the prediction ignores it`);
  while (i < tokens.length) {
    let flag = tokens[i++]!;
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const needValue = (): string => {
      const v = value ?? tokens[i++];
      if (v === undefined) throw new UserError(scenarioMessages.needsValue(flag), file, '/vllmArgs');
      return v;
    };
    // As argparse's int() and float(): decimal digits only ("0x10" and "1e3" are not ints to vLLM).
    const num = (integer: boolean): number => {
      const raw = needValue();
      const ok = integer ? /^\d+$/.test(raw) : /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw);
      const v = Number(raw);
      if (!ok || !Number.isFinite(v)) throw new UserError(scenarioMessages.wrongFlagValue(flag, integer ? 'a decimal integer' : 'a decimal number', raw), file, '/vllmArgs');
      return v;
    };
    if (flag in NUMERIC) engine[NUMERIC[flag]!] = num(INTEGER_KNOBS.has(NUMERIC[flag]!));
    else if (flag in BOOLEAN) engine[BOOLEAN[flag]!] = boolValue(flag, value, file);
    else if (flag.startsWith('--no-') && `--${flag.slice(5)}` in BOOLEAN) {
      if (value !== undefined) throw new UserError(scenarioMessages.flagTakesNoValue(flag, value), file, '/vllmArgs');
      engine[BOOLEAN[`--${flag.slice(5)}`]!] = false;
    } else if (flag === '--tensor-parallel-size' || flag === '-tp') out.tensorParallelSize = num(true);
    else if (flag in STRING) {
      const { knob, values } = STRING[flag]!;
      const raw = needValue();
      if (!values.includes(raw)) throw new UserError(scenarioMessages.unsupportedFlagValue(flag, raw, values.join(', ')), file, '/vllmArgs');
      engine[knob] = raw;
    } else if (UNMODELLED_WITH_VALUE.has(flag)) {
      needValue();
      unmodelled(flag);
    } else if (UNMODELLED_FLAGS.has(flag)) unmodelled(flag);
    else if (IGNORED_WITH_VALUE.has(flag)) needValue();
    else if (IGNORED_FLAGS.has(flag)) continue;
    else {
      const hint = didYouMean(flag, known);
      throw new UserError(scenarioMessages.unknownVllmArgument(flag, hint ? ` (did you mean "${hint}"?)` : ''), file, '/vllmArgs');
    }
  }
  return out;
}
