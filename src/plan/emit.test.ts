import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../cli/commands/plan.js';
import { knownModelsDir, quiet } from './testing.js';
import jobSchema from './schemas/job-batch-v1.subset.json' with { type: 'json' };

describe('pdsim plan --emit', () => {
  const { modelsDir, scenario, dir } = knownModelsDir();
  const flags = { gpus: 'slow,fast', maxGpus: '2', modes: 'colocated', replicates: '1', requests: '40', modelsDir };

  it('k8s: an Indexed Job with one pod per shard, valid against the batch/v1 Job schema', async () => {
    const out = path.join(dir, 'k8s');
    await quiet(() => planCommand(scenario, { ...flags, emit: 'k8s', shards: '3', out }));
    const job = parse(readFileSync(path.join(out, 'plan.k8s.yaml'), 'utf8')) as Record<string, any>; // manifest shape checked by the schema below
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(jobSchema);
    expect(validate(job), JSON.stringify(validate.errors)).toBe(true);
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(3);
    const cmd = job.spec.template.spec.containers[0].command[2] as string;
    expect(cmd).toContain('--shard "$JOB_COMPLETION_INDEX/3"');
    expect(cmd).toContain('--gpus slow,fast');
    // The schema is strict: a misspelt field is caught, so the check above is not vacuous.
    expect(validate({ ...job, spec: { ...job.spec, completionsMode: 'Indexed' } })).toBe(false);
  });

  it('slurm: a job array over the shards', async () => {
    const out = path.join(dir, 'slurm');
    await quiet(() => planCommand(scenario, { ...flags, emit: 'slurm', shards: '2', out }));
    const script = readFileSync(path.join(out, 'plan.slurm.sh'), 'utf8');
    expect(script).toMatch(/^#SBATCH --array=0-1$/m);
    expect(script).toContain('--shard "${SLURM_ARRAY_TASK_ID}/2"');
    expect(script).toContain(`--out ${path.resolve(out)}/shard-"\${SLURM_ARRAY_TASK_ID}"`);
  });
});
