/** User-facing messages of the live mode, in one place so they stay consistent and greppable. */

export const liveMessages = {
  unreachable: (url: string, why: string): string =>
    `cannot reach ${url} (${why}). Is the server running, and is the URL the server's base (http://host:port, without /v1)?`,
  needsApiKey: (url: string): string => `${url} asks for an API key: pass --api-key or set PDSIM_API_KEY (or VLLM_API_KEY)`,
  badStatus: (url: string, what: string): string => `${url} answered ${what}; is it an OpenAI-compatible (vLLM) server?`,
  modelNotServed: (model: string, served: readonly string[], hint?: string): string =>
    `the server does not serve model "${model}"; it serves: ${served.join(', ') || '(none)'}${hint ? ` (did you mean "${hint}"?)` : ''}. Pass --model with one of them`,
  severalModels: (served: readonly string[]): string => `the server serves several models (${served.join(', ')}): pick one with --model`,
  tooLong: (id: number, prompt: number, output: number, maxModelLen: number): string =>
    `request ${id} needs ${prompt} prompt + ${output} output = ${prompt + output} tokens, more than the server's max_model_len ${maxModelLen}; ` +
    `clamp the workload lengths (workload.input.max / workload.output.max) or start vLLM with a larger --max-model-len`,
  noCacheInfo: (url: string): string =>
    `--calibrate-capacity: ${url}/metrics has no vllm:cache_config_info with num_gpu_blocks and block_size; the simulation keeps its derived KV capacity`,
  calibrated: (blocks: number, blockSize: number): string =>
    `KV capacity from the server: ${blocks} blocks of ${blockSize} tokens (${blocks * blockSize} tokens) per instance`,
  testRequestFailed: (url: string, why: string): string => `the initial test request to ${url} failed: ${why}`,
  noMetrics: (url: string): string => `${url}/metrics is not available: no server-side metric deltas`,
  interrupted: (done: number, total: number, dir: string): string => `interrupted: ${done} of ${total} requests measured; partial results are in ${dir}`,
  failures: (n: number, reasons: string): string => `${n} request(s) failed: ${reasons}`,
  lengthMismatches: (n: number): string =>
    `${n} request(s) came back with other lengths than asked (see lengthMismatch in live/requests.jsonl): does the server honour ignore_eos and token-id prompts?`,
} as const;
