/**
 * The Slurm path for real: a one-node cluster on 127.0.0.1 (adapters/slurm/one-node.sh) runs the
 * job array `pdsim plan --emit slurm` wrote, `pdsim merge` joins the shards, and the result must
 * equal a local single run byte for byte. Skipped (visibly) where Slurm is not installed or the
 * test does not run as root; .ci/run installs it, so CI runs it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeCommand } from '../cli/commands/merge.js';
import { planCommand } from '../cli/commands/plan.js';
import { knownModelsDir, quiet } from './testing.js';

const has = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
const slurm = ['slurmctld', 'slurmd', 'sbatch', 'munged'].every(has) && process.getuid?.() === 0;
const why = slurm ? '' : ' (SKIPPED: slurmctld/slurmd/sbatch/munged not installed or not root; .ci/run installs them)';

describe(`pdsim plan through a real one-node Slurm cluster${why}`, () => {
  it.skipIf(!slurm)('sbatch --array runs the shards; merged plan.jsonl and frontier equal a local run', async () => {
    const { modelsDir, scenario, dir } = knownModelsDir();
    const flags = { gpus: 'slow,fast', maxGpus: '2', modes: 'colocated', replicates: '2', requests: '30', modelsDir };
    const local = path.join(dir, 'local');
    await quiet(() => planCommand(scenario, { ...flags, out: local }));
    const cluster = path.join(dir, 'cluster');
    await quiet(() => planCommand(scenario, { ...flags, emit: 'slurm', shards: '3', jobs: '1', out: cluster }));
    const repo = process.cwd();
    execFileSync('bash', [path.join(repo, 'adapters/slurm/one-node.sh'), path.join(dir, 'slurm-state'), 'sbatch', '--wait', '--quiet', path.join(cluster, 'plan.slurm.sh')], {
      cwd: repo,
      env: { ...process.env, PDSIM: `node ${path.join(repo, 'bin/pdsim.mjs')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    });
    const merged = path.join(dir, 'merged');
    await quiet(() => mergeCommand(merged, [0, 1, 2].map((i) => path.join(cluster, `shard-${i}`))));
    for (const f of ['plan.jsonl', 'frontier.json', 'best/per-gpu.yaml']) expect(readFileSync(path.join(merged, f), 'utf8'), f).toBe(readFileSync(path.join(local, f), 'utf8'));
  }, 300_000);
});
