/**
 * User-facing error messages of adapters/vllm, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const vllmMessages = {
  // adapters/vllm/bench-result.ts
  notABenchResult: (): string => `not a vllm bench serve result (neither JSON nor newline-separated JSON)`,
  benchResultNotANumber: (k: string, value: string): string => `not a vllm bench serve result: expected a number at "${k}", got ${value}`,
  notANumberOrNull: (value: string): string => `expected a number or null, got ${value}`,
  notMilliseconds: (value: string): string => `expected a number in ms, got ${value}`,
  notARequestRate: (rate: string): string => `expected a number (req/s) or "inf", got ${rate}`,
  detailedArrayMissing: (k: string): string => `--save-detailed arrays come together: "ttfts" is there, so a list is expected at "${k}"`,
  wrongEntryCount: (n: number, vLength: number): string => `expected ${n} entries (one per request, as "ttfts"), got ${vLength}`,
  unexpectedValue: (value: string, x: string): string => `expected ${value}, got ${x}`,
  completedCountMismatch: (completed: number, value: string): string => `the per-request arrays hold ${completed} successful requests, "completed" says ${value}`,
  benchResultMissingKeys: (): string => `not a vllm bench serve result: expected keys "completed" and "duration"`,
  cannotReadBenchResult: (message: string): string => `cannot read vllm bench result: ${message}`,
  // adapters/vllm/bench-check.ts
  benchSettingDiffers: (key: string, theirs: string, ours: string, fix: string): string => `the bench result was run with ${key} ${theirs}, the scenario has ${ours}: ${fix}`,
  // adapters/vllm/validate-run.ts
  endpointRequired: (): string => `--endpoint URL is required (or --bench-result FILE)`,
};
