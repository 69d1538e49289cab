/**
 * Golden characterisation of the simulator's outputs: every scenario under scenarios/ (with fewer
 * requests, so the whole set runs in seconds) plus variants that exercise the routers, decode
 * policies, transfer paths and KV tiers, each reduced to the sha256 of its summary.json and
 * requests.jsonl bytes. golden.test.ts recomputes them against golden.fixture.json; a change that
 * alters behaviour on purpose regenerates the fixture with `npm run golden` in the same commit.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyOverride, parseScenarioText, resolveScenario, type LoadedScenario } from '../scenario/load.js';
import type { RequestRecord } from '../serving/types.js';
import { recordLine } from './record-writer.js';
import { runSimulation } from './simulation.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface GoldenCase {
  name: string;
  /** Scenario file, relative to the repository root. */
  file: string;
  overrides: string[];
  /** Edits the raw scenario before validation (for what `--set` cannot express, such as removing a key). */
  edit?: (raw: Record<string, unknown>) => void;
}

const few = (n: number) => `workload.requests=${n}`;

export const goldenCases: GoldenCase[] = [
  { name: 'quickstart', file: 'scenarios/quickstart.yaml', overrides: [few(800)] },
  { name: 'quickstart-step', file: 'scenarios/quickstart.yaml', overrides: [few(250), 'deployment.policies.prefill=shortest-prompt-first'] },
  { name: 'dual-l4-colocated', file: 'scenarios/dual-l4-colocated.yaml', overrides: [few(400)] },
  { name: 'dual-l4-colocated-lot', file: 'scenarios/dual-l4-colocated.yaml', overrides: [few(250), 'deployment.router.policy=least-outstanding-tokens'] },
  { name: 'dual-l4-colocated-p2', file: 'scenarios/dual-l4-colocated.yaml', overrides: [few(250), 'deployment.router.policy=power-of-two'] },
  { name: 'dual-l4-colocated-prefix', file: 'scenarios/dual-l4-colocated.yaml', overrides: [few(250), 'deployment.router.policy=prefix-aware', 'engine.enablePrefixCaching=true'] },
  { name: 'dual-l4-disagg', file: 'scenarios/dual-l4-disagg.yaml', overrides: [few(400)] },
  { name: 'dual-l4-disagg-direct-adaptive', file: 'scenarios/dual-l4-disagg.yaml', overrides: [few(250), 'deployment.transfer.path=direct', 'deployment.policies.decodeBatching=continuous', 'deployment.policies.adaptiveBatchTpotMs=40'] },
  { name: 'dual-l4-disagg-threshold', file: 'scenarios/dual-l4-disagg.yaml', overrides: [few(250), 'deployment.router.disaggregate=above-threshold', 'deployment.router.thresholdTokens=400', 'deployment.router.policy=least-outstanding-tokens'] },
  { name: 'dual-l4-disagg-saturated', file: 'scenarios/dual-l4-disagg-saturated.yaml', overrides: [few(250)] },
  { name: 'dual-l4-disagg-whole', file: 'scenarios/dual-l4-disagg-whole.yaml', overrides: [few(400)] },
  { name: 'laptop-2080', file: 'scenarios/laptop-2080.yaml', overrides: [few(300)] },
  { name: 'laptop-2080-offload', file: 'scenarios/laptop-2080-offload.yaml', overrides: [few(300)] },
  { name: 'laptop-2080-pd-disk', file: 'scenarios/laptop-2080-pd-disk.yaml', overrides: [few(300)] },
  {
    // The same one-GPU emulation through CPU memory (staging), layer by layer.
    name: 'laptop-2080-pd-cpu', file: 'scenarios/laptop-2080-pd-disk.yaml', overrides: [few(200), 'deployment.transfer.path=staging', 'deployment.transfer.policy=layerwise', 'deployment.transfer.stagingBufferGiB=2'],
  },
  { name: 'laptop-2080-swap', file: 'scenarios/laptop-2080-offload.yaml', overrides: [few(250), 'engine.preemptionMode=swap', 'engine.swapSpaceGiB=8'] },
  // Trace replays, from the traces shipped in scenarios/traces (the readers and their arrival handling).
  { name: 'vidur-parity', file: 'scenarios/bench/vidur-parity.yaml', overrides: [few(300)] },
  { name: 'azure-conv-trace', file: 'scenarios/azure-conv-trace.yaml', overrides: [few(300)] },
  { name: 'mooncake-conversation', file: 'scenarios/mooncake-conversation.yaml', overrides: [few(150)] },
  {
    // The same engine set-up as the parity run on a synthetic workload.
    name: 'vidur-parity-synthetic', file: 'scenarios/bench/vidur-parity.yaml', overrides: [few(300), 'workload.arrival.process=poisson', 'workload.arrival.rate=6', 'workload.input.dist=lognormal', 'workload.input.median=900', 'workload.input.sigma=0.9', 'workload.input.min=2', 'workload.input.max=3900', 'workload.output.dist=lognormal', 'workload.output.median=150', 'workload.output.sigma=0.8', 'workload.output.min=2', 'workload.output.max=190'],
    edit: (raw) => {
      delete (raw.workload as Record<string, unknown>).trace;
    },
  },
];

export function loadCase(c: GoldenCase): LoadedScenario {
  const abs = path.join(repoRoot, c.file);
  const raw = parseScenarioText(readFileSync(abs, 'utf8'), abs) as Record<string, unknown>;
  c.edit?.(raw);
  for (const o of c.overrides) applyOverride(raw, o);
  return { scenario: resolveScenario(raw, abs), file: abs, baseDir: path.dirname(abs) };
}

export interface GoldenDigest {
  summarySha256: string;
  requestsSha256: string;
  requests: number;
}

/** Runs one case and hashes summary.json and requests.jsonl exactly as `simulate` writes them. */
export async function digestCase(c: GoldenCase): Promise<GoldenDigest> {
  const lines = createHash('sha256');
  let requests = 0;
  const writer = {
    write(rec: RequestRecord) {
      lines.update(recordLine(rec));
      requests++;
    },
  };
  const result = await runSimulation(loadCase(c), { writer });
  const summary = createHash('sha256').update(JSON.stringify(result.summary, null, 2) + '\n').digest('hex');
  return { summarySha256: summary, requestsSha256: lines.digest('hex'), requests };
}

export const fixtureFile = path.join(repoRoot, 'src/run/golden.fixture.json');
