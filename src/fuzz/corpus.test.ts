/**
 * The bad-input corpus (src/fuzz): every generated bad scenario, trace, lengths file and command
 * line, and seeded mutations of the shipped scenarios, must be rejected cleanly: exit code 2, one
 * line, naming the file and the field, no stack trace. The bulk runs in-process; a representative
 * subset runs as real `pdsim` processes under a 256 MB heap cap and a time limit (bounded time and
 * memory: /dev/zero, a 6 MB scenario, a billion requests, a 2 MB line, /proc as output...).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCases } from './corpus-cli.js';
import { runChildren, runInProcess, type CaseResult } from './harness.js';

const root = mkdtempSync(path.join(tmpdir(), 'pdsim-fuzz-'));
const cases = await allCases();
const report = (rs: readonly CaseResult[]) => rs.filter((r) => !r.clean).map((r) => `${r.id}: ${r.why} :: ${r.stderr.slice(0, 300)}`);

describe('bad-input corpus', () => {
  it('covers every class of issue 11', () => {
    const classes = new Set(cases.map((c) => c.id.split('/').slice(0, 2).join('/')));
    for (const k of ['scenario/size', 'scenario/syntax', 'scenario/duplicate', 'scenario/unknown-key', 'scenario/type', 'scenario/nonfinite', 'scenario/bounds', 'scenario/enum', 'scenario/id', 'scenario/semantic', 'scenario/vllm-args', 'scenario/set', 'trace/azure', 'trace/vidur', 'trace/mooncake', 'lengths/jsonl', 'lengths/csv', 'cli/simulate', 'cli/serve', 'cli/proxy']) {
      expect(classes.has(k), k).toBe(true);
    }
    expect(cases.filter((c) => c.id.startsWith('mutant/')).length).toBeGreaterThanOrEqual(50);
    expect(cases.length).toBeGreaterThan(500);
  });

  it('rejects every case cleanly in-process, each within a bounded time', async () => {
    const results: CaseResult[] = [];
    const rssBefore = process.memoryUsage().rss;
    for (const c of cases) results.push(await runInProcess(c, path.join(root, 'in')));
    expect(report(results)).toEqual([]);
    // Wide bounds (a loaded CI machine): a rejection is milliseconds; 15 s means something ran.
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(15_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(1024 * 1024 * 1024);
  }, 300_000);

  it('rejects the resource-hungry cases as real processes under a 256 MB heap and a time limit', async () => {
    const ids = ['scenario/size/dev-zero', 'scenario/size/huge', 'scenario/bounds/workload.requests=1e12', 'scenario/bounds/deployment.pools.0.instances=1e12', 'scenario/bounds/rate=.inf', 'scenario/set/proto', 'trace/azure/dev-zero', 'trace/azure/long-line', 'cli/simulate/out-proc', 'cli/serve/port-high', 'cli/serve/host', 'cli/proxy/host', 'mutant/1-0'];
    const subset = ids.map((id) => {
      const c = cases.find((x) => x.id === id);
      if (!c) throw new Error(`no case ${id}`);
      return c;
    });
    const results = await runChildren(subset, path.join(root, 'child'), 2, { timeoutMs: 60_000, heapMB: 256 });
    expect(report(results)).toEqual([]);
  }, 300_000);
});
