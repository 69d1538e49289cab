/**
 * User-facing messages (errors and warnings), in one module so they stay consistent, testable and
 * greppable (STYLE.md habit 11). Functions, not templates, so the type checker sees every argument.
 * Below: the scenario check step and the engine; the errors of each area are in src/messages/<area>.ts
 * (re-exported here), so a `new UserError(...)` names its message instead of spelling it inline.
 */
export { calibrateMessages } from './messages/calibrate.js';
export { cliMessages } from './messages/cli.js';
export { hardwareMessages } from './messages/hardware.js';
export { ioMessages } from './messages/io.js';
export { kvMessages } from './messages/kv.js';
export { llamacppMessages } from './messages/llamacpp.js';
export { modelMessages } from './messages/model.js';
export { planMessages } from './messages/plan.js';
export { reportMessages } from './messages/report.js';
export { scenarioMessages } from './messages/scenario.js';
export { vllmMessages } from './messages/vllm.js';
export { workloadMessages } from './messages/workload.js';

export const messages = {
  needsBothPools: () => 'a disaggregated deployment needs both a prefill pool and a decode pool',
  decodePolicyWithoutDecodePool: (field: string, value: unknown) =>
    `${field} (${JSON.stringify(value)}) is a decode-pool batch policy, and this deployment has no decode pool (vLLM's colocated scheduler has no such policy); remove it, or add prefill and decode pools`,
  andMore: (n: number) => ` (and ${n} more problem${n === 1 ? '' : 's'} in this file)`,
  abortedReason: () => 'aborted by the client',
  adaptiveTargetInfeasible: (field: string, targetMs: number, oneStepMs: number, pool: string) =>
    `${field} (${targetMs} ms) is below one decode step of a single sequence on pool "${pool}" (${oneStepMs.toFixed(2)} ms): no batch meets it, so adaptive batching admits one sequence at a time; raise the target or drop it`,
  // Input hardening (issue 11): load, semantic checks, --set.
  tpOverNode: (tp: number, perNode: number) => `tensor-parallel degree ${tp} does not fit on a node of ${perNode} GPUs (/deployment/topology/gpusPerNode); an instance's GPUs must share a node`,
  notAField: (fieldPath: string, key: string) => `--set ${fieldPath}: "${key}" is not a scenario field`,
  duplicateKey: (key: string) => `duplicate key "${key}" (each field may appear once)`,
  nonFinite: (value: number, about: string) => `must be a finite number, got ${String(value)}${about}`,
  problems: (n: number, list: string, more: number) => `${n} problems: ${list}${more > 0 ? `; and ${more} more` : ''}`,
};
