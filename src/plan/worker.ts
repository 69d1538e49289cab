/**
 * Worker-thread side of the pool (src/plan/pool.ts): receives the task list and a shared counter,
 * claims task indices from it until none are left, runs each with the shared dispatcher and posts
 * back {id, result} or {id, error} (a UserError keeps its message and is re-thrown as one; the
 * thread then stops), and {done} at the end.
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import type { WorkerMessage } from './pool.js';
import { runTask, type Task } from './tasks.js';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

parentPort!.on('message', async (msg: { tasks: Task[]; claim: SharedArrayBuffer }) => {
  const claim = new Int32Array(msg.claim);
  for (let id = Atomics.add(claim, 0, 1); id < msg.tasks.length; id = Atomics.add(claim, 0, 1)) {
    try {
      post({ id, result: await runTask(msg.tasks[id]!) });
    } catch (e) {
      post({ id, error: { message: e instanceof Error ? e.message : String(e), user: e instanceof UserError, stack: e instanceof Error ? e.stack : undefined } });
      break;
    }
  }
  post({ done: true });
});
