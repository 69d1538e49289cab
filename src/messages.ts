/**
 * User-facing messages of the scenario check step and the engine's typed counters, in one module so
 * they stay consistent, testable and greppable (STYLE.md habit 11). Functions, not templates, so the
 * type checker sees every argument.
 */
export const messages = {
  needsBothPools: () => 'a disaggregated deployment needs both a prefill pool and a decode pool',
  decodePolicyWithoutDecodePool: (field: string, value: unknown) =>
    `${field} (${JSON.stringify(value)}) is a decode-pool batch policy, and this deployment has no decode pool (vLLM's colocated scheduler has no such policy); remove it, or add prefill and decode pools`,
  andMore: (n: number) => ` (and ${n} more problem${n === 1 ? '' : 's'} in this file)`,
  abortedReason: () => 'aborted by the client',
  adaptiveTargetInfeasible: (field: string, targetMs: number, oneStepMs: number, pool: string) =>
    `${field} (${targetMs} ms) is below one decode step of a single sequence on pool "${pool}" (${oneStepMs.toFixed(2)} ms): no batch meets it, so adaptive batching admits one sequence at a time; raise the target or drop it`,
};
