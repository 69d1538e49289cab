/**
 * Worker-thread side of the pool: receives {id, task}, runs it with the shared dispatcher and posts
 * back {id, result} or {id, error} (a UserError keeps its message and is re-thrown as one).
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { runTask, type Task } from './tasks.js';

parentPort!.on('message', (msg: { id: number; task: Task }) => {
  runTask(msg.task).then(
    (result) => parentPort!.postMessage({ id: msg.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: msg.id, error: { message: e instanceof Error ? e.message : String(e), user: e instanceof UserError, stack: e instanceof Error ? e.stack : undefined } }),
  );
});
