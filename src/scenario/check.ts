/**
 * Check step of the scenario pipeline (load -> validate -> resolve -> check -> build): semantic rules
 * that span fields, collected with JSON pointers before anything is built. The builders keep the
 * checks that need built objects (capacities, paths on a topology).
 */
import { UserError } from '../errors.js';
import { messages } from '../messages.js';
import type { Scenario } from './schema.js';
import { sharedGpuProblems } from './shared-gpu-check.js';

export interface ScenarioProblem {
  pointer: string;
  message: string;
}

export function scenarioProblems(sc: Scenario): ScenarioProblem[] {
  const out: ScenarioProblem[] = [];
  const roles = new Set(sc.deployment.pools.map((p) => p.role));
  if (roles.has('prefill') !== roles.has('decode')) out.push({ pointer: '/deployment/pools', message: messages.needsBothPools() });
  if (!roles.has('decode')) {
    // Decode batch policies shape a decode pool's batches; a colocated deployment would ignore them silently.
    const pol = sc.deployment.policies;
    const set: [string, unknown, boolean][] = [
      ['decodeBatching', pol?.decodeBatching, pol?.decodeBatching !== undefined && pol.decodeBatching !== 'continuous'],
      ['adaptiveBatchTpotMs', pol?.adaptiveBatchTpotMs, pol?.adaptiveBatchTpotMs !== undefined],
      ['evictAtEos', pol?.evictAtEos, pol?.evictAtEos !== undefined && pol.evictAtEos !== 'iteration-end'],
    ];
    for (const [k, v, on] of set) if (on) out.push({ pointer: `/deployment/policies/${k}`, message: messages.decodePolicyWithoutDecodePool(`deployment.policies.${k}`, v) });
  }
  out.push(...sharedGpuProblems(sc));
  const tr = sc.deployment.transfer;
  if (tr?.chunkTokens !== undefined && tr.path !== 'disk') out.push({ pointer: '/deployment/transfer/chunkTokens', message: `chunkTokens is the chunk size of the disk KV store (LMCache chunk_size); path ${tr.path} moves the whole prompt, so it would be ignored; remove it or use path disk` });
  return out;
}

/** Throws a UserError naming the first problem's field (and how many more there are). */
export function checkScenario(sc: Scenario, file: string): void {
  const problems = scenarioProblems(sc);
  if (problems.length === 0) return;
  const first = problems[0]!;
  throw new UserError(first.message + (problems.length > 1 ? messages.andMore(problems.length - 1) : ''), file, first.pointer);
}
