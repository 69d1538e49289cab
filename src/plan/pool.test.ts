import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/load.js';
import { UserError } from '../errors.js';
import { availableParallelism } from 'node:os';
import { idleCores, MIN_CPU_S_PER_REQUEST, PARALLEL_MIN_CPU_S, Pool, runPool, workLowerBoundCpuS, worthThreads } from './pool.js';
import type { Task, TaskResult } from './tasks.js';

// Small quickstart runs at several rates (threads boot tsx from sources: seconds, hence the timeouts): each task's summary differs, so a result in the wrong slot shows.
function tasks(rates: readonly number[], requests = 60): Task[] {
  return rates.map((rate): Task => {
    const l = loadScenario('scenarios/quickstart.yaml', [`workload.requests=${requests}`, `workload.arrival.rate=${rate}`]);
    return { kind: 'eval', input: { raw: l.scenario as unknown as Record<string, unknown>, file: l.file, baseDir: l.baseDir, seed: 1 } };
  });
}

const summaries = (rs: TaskResult[]) => rs.map((r) => (r.kind === 'eval' ? JSON.stringify(r.output.summary) : ''));

describe('runPool: the main thread and worker threads claim tasks from one counter', () => {
  it('gives the serial results, in task order, streamed in order, with more runners than one', async () => {
    const t = tasks([1, 4, 16, 2, 8]);
    const serial = await runPool(t, { workers: 1 });
    const order: number[] = [];
    const threaded = await runPool(t, { workers: 3, onResult: (i) => order.push(i) });
    expect(summaries(threaded)).toEqual(summaries(serial));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // Summaries of different rates differ, so equality above is not vacuous.
    expect(new Set(summaries(serial)).size).toBe(5);
  }, 60_000);

  it('runs with more threads asked for than tasks, and with a pool started before its tasks exist', async () => {
    const pool = new Pool(8, 2);
    try {
      const t = tasks([3, 6]);
      expect(summaries(await pool.run(t))).toEqual(summaries(await runPool(t, { workers: 1 })));
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("rethrows a task's user error (first, or after others ran)", async () => {
    const good = tasks([2])[0]!;
    const bad: Task = { kind: 'eval', input: { ...(good as Extract<Task, { kind: 'eval' }>).input, raw: { name: 'broken' } } };
    for (const t of [[bad, good, good], [good, good, bad, good]]) {
      const e = await runPool(t, { workers: 2 }).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
    }
    expect(path.basename(good.kind === 'eval' ? good.input.file : '')).toBe('quickstart.yaml');
  }, 60_000);

  it('by default runs small work on the main thread alone, and lets threads join once the work left is worth it', async () => {
    const t = tasks([1, 4, 16, 2]);
    const serial = summaries(await runPool(t, { workers: 1 }));
    const alone = new Pool(undefined, t.length);
    try {
      expect(summaries(await alone.run(t))).toEqual(serial);
      expect(alone.threadCount).toBe(0);
    } finally {
      await alone.close();
    }
    // A threshold any task's CPU exceeds: after the first task on the main thread, threads join for the three left.
    const joined = new Pool(undefined, t.length, 1e-9, () => 0);
    const order: number[] = [];
    try {
      expect(summaries(await joined.run(t, (i) => order.push(i)))).toEqual(serial);
      expect(joined.threadCount).toBe(Math.min(availableParallelism(), t.length) - 1);
      expect(order).toEqual([0, 1, 2, 3]);
    } finally {
      await joined.close();
    }
    // The same on a machine busy with other work: no thread joins.
    const busy = new Pool(undefined, t.length, 1e-9, () => 100);
    try {
      expect(summaries(await busy.run(t))).toEqual(serial);
      expect(busy.threadCount).toBe(0);
    } finally {
      await busy.close();
    }
  }, 60_000);
});

describe('when the default thread count starts threads', () => {
  it('prices work by a lower bound of CPU per request, a plan group as always enough', () => {
    const t = tasks([2, 8], 1000);
    expect(workLowerBoundCpuS(t)).toBeCloseTo(2000 * MIN_CPU_S_PER_REQUEST, 12);
    const group = { kind: 'group' } as unknown as Task;
    expect(workLowerBoundCpuS([...t, group])).toBe(Infinity);
    // 400k requests of the cheapest regime are the threshold.
    expect(PARALLEL_MIN_CPU_S / MIN_CPU_S_PER_REQUEST).toBeCloseTo(400_000, 6);
  });

  it('threads only for enough work left, and never with no task left', () => {
    expect(worthThreads(7, 0.1)).toBe(false);
    expect(worthThreads(7, 0.3)).toBe(true);
    expect(worthThreads(0, 100)).toBe(false);
    expect(worthThreads(-1, 100)).toBe(false);
    expect(worthThreads(1, 0.5, 0.5)).toBe(true);
  });

  it('counts the cores the load average leaves idle', () => {
    expect(idleCores(2, 0.1)).toBe(2);
    expect(idleCores(2, 1.0)).toBe(1);
    expect(idleCores(2, 1.6)).toBe(0);
    expect(idleCores(2, 8)).toBe(0);
    expect(idleCores(16, 3.2)).toBe(13);
  });
});
