/**
 * `pdsim plan --emit slurm|k8s`: instead of running the plan, writes what runs its shards on a
 * cluster — a Slurm job-array script (task i runs `--shard i/N`) or a Kubernetes Indexed Job
 * (pod i gets JOB_COMPLETION_INDEX=i) — each followed by the `pdsim merge` line that joins the
 * shard directories into the result of a single run.
 */
import { stringify } from 'yaml';

/** Shell single-quoting. */
export const shq = (s: string): string => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export interface EmitInput {
  name: string;
  /** `plan SCENARIO --flag value ...` without --shard/--out/--emit, as argv words. */
  planArgs: string[];
  shards: number;
  /** Where shard directories go (shard-0, shard-1, ...) and the merged result (merged). */
  outDir: string;
  cpusPerTask: number;
}

export function slurmScript(e: EmitInput): string {
  const args = e.planArgs.map(shq).join(' ');
  return `#!/bin/bash
# pdsim plan as a Slurm job array: task i runs shard i of ${e.shards}. Submit from the directory the
# scenario path is relative to, then merge:
#   sbatch --wait ${shq(e.outDir)}/plan.slurm.sh && \${PDSIM:-npx pdsim} merge ${shq(e.outDir)}/merged ${Array.from({ length: e.shards }, (_, i) => `${shq(e.outDir)}/shard-${i}`).join(' ')}
#SBATCH --job-name=pdsim-plan-${e.name}
#SBATCH --array=0-${e.shards - 1}
#SBATCH --cpus-per-task=${e.cpusPerTask}
#SBATCH --output=${e.outDir}/slurm-%A_%a.log
set -euo pipefail
PDSIM="\${PDSIM:-npx pdsim}"
$PDSIM ${args} --jobs ${e.cpusPerTask} --shard "\${SLURM_ARRAY_TASK_ID}/${e.shards}" --out ${shq(e.outDir)}/shard-"\${SLURM_ARRAY_TASK_ID}"
`;
}

export interface K8sInput extends EmitInput {
  image: string;
  /** PersistentVolumeClaim mounted at /results, shared by the pods and the merge step. */
  claim: string;
}

export function k8sJob(e: K8sInput): string {
  const args = e.planArgs.map(shq).join(' ');
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `pdsim-plan-${e.name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, ''), labels: { app: 'pdsim-plan' } },
    spec: {
      completionMode: 'Indexed',
      completions: e.shards,
      parallelism: e.shards,
      backoffLimit: e.shards,
      template: {
        metadata: { labels: { app: 'pdsim-plan' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'pdsim',
              image: e.image,
              command: ['sh', '-c', `npx pdsim ${args} --jobs ${e.cpusPerTask} --shard "$JOB_COMPLETION_INDEX/${e.shards}" --out /results/shard-"$JOB_COMPLETION_INDEX"`],
              resources: { requests: { cpu: String(e.cpusPerTask), memory: '2Gi' } },
              volumeMounts: [{ name: 'results', mountPath: '/results' }],
            },
          ],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: e.claim } }],
        },
      },
    },
  };
  return `# pdsim plan as a Kubernetes Indexed Job: pod i runs shard i of ${e.shards}, writing /results/shard-i.
# The image must hold the pdsim checkout (npm ci done) as its working directory. After the Job completes:
#   npx pdsim merge /results/merged ${Array.from({ length: e.shards }, (_, i) => `/results/shard-${i}`).join(' ')}
${stringify(job)}`;
}
