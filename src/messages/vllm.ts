/**
 * User-facing error messages of adapters/vllm, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const vllmMessages = {
  // adapters/vllm/bench-result.ts
  vllmBenchServeResult: (): string => `not a vllm bench serve result (neither JSON nor newline-separated JSON)`,
  vllmBenchServeResult2: (k: string, value: string): string => `not a vllm bench serve result: expected a number at "${k}", got ${value}`,
  expectedNumberNullGot: (value: string): string => `expected a number or null, got ${value}`,
  expectedNumberMsGot: (value: string): string => `expected a number in ms, got ${value}`,
  expectedNumberReqS: (rate: string): string => `expected a number (req/s) or "inf", got ${rate}`,
  saveDetailedArraysCome: (k: string): string => `--save-detailed arrays come together: "ttfts" is there, so a list is expected at "${k}"`,
  expectedEntriesOneRequest: (n: number, vLength: number): string => `expected ${n} entries (one per request, as "ttfts"), got ${vLength}`,
  expectedGot: (value: string, x: string): string => `expected ${value}, got ${x}`,
  requestArraysHoldSuccessful: (completed: number, value: string): string => `the per-request arrays hold ${completed} successful requests, "completed" says ${value}`,
  vllmBenchServeResult3: (): string => `not a vllm bench serve result: expected keys "completed" and "duration"`,
  cannotReadVllmBench: (message: string): string => `cannot read vllm bench result: ${message}`,
  // adapters/vllm/bench-check.ts
  benchResultWasRun: (key: string, theirs: string, ours: string, fix: string): string => `the bench result was run with ${key} ${theirs}, the scenario has ${ours}: ${fix}`,
  // adapters/vllm/validate-run.ts
  endpointUrlRequiredBench: (): string => `--endpoint URL is required (or --bench-result FILE)`,
};
