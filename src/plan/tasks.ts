/**
 * The units of work that sweeps and plans hand to worker threads: plain, structured-clonable
 * objects, and one dispatcher that runs them. The serial path calls `runTask` in-process and the
 * parallel path calls the very same function inside a worker, which is why both give identical
 * results.
 */
import { evaluate, type EvalInput, type EvalOutput } from './evaluate.js';
import { searchGroup, type GroupTask, type GroupResult } from './search.js';

export type Task = { kind: 'eval'; input: EvalInput } | { kind: 'group'; group: GroupTask };
export type TaskResult = { kind: 'eval'; output: EvalOutput } | { kind: 'group'; output: GroupResult };

export async function runTask(task: Task): Promise<TaskResult> {
  if (task.kind === 'eval') return { kind: 'eval', output: await evaluate(task.input) };
  return { kind: 'group', output: await searchGroup(task.group) };
}
