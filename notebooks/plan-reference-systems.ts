/**
 * Scripted notebook: the capacity question for the three reference systems, answered by
 * `pdsim plan` through its library entry (the same code as the CLI): the dual-L4 box, the RTX 2080
 * laptop, and H100 vs A100 for Llama-3.1-8B. Prints each plan's frontier with 95% intervals and the
 * best candidate's `vllm serve` lines. docs/plan.md shows and discusses the output.
 *
 * Run: npx tsx notebooks/plan-reference-systems.ts [replicates]   (a few minutes on 2 cores)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { planCommand } from '../src/cli/commands/plan.js';

const replicates = process.argv[2] ?? '3';
const plans = [
  { scenario: 'scenarios/dual-l4-disagg.yaml', gpus: 'l4', maxGpus: '2', maxNumSeqs: '32,64,128' },
  { scenario: 'scenarios/laptop-2080.yaml', gpus: 'rtx-2080-super-maxq', maxGpus: '1', maxNumSeqs: '8,16,32,64', maxNumBatchedTokens: '1024,2048' },
  { scenario: 'scenarios/quickstart.yaml', gpus: 'h100-sxm,a100-sxm-80gb', maxGpus: '2' },
];
for (const { scenario, ...flags } of plans) {
  const out = path.join('runs', `notebook-plan-${path.basename(scenario, '.yaml')}`);
  // planCommand prints the frontier table and where the best candidates were written.
  await planCommand(scenario, { ...flags, replicates, out });
  console.log(readFileSync(path.join(out, 'best', 'per-gpu.sh'), 'utf8'));
}
