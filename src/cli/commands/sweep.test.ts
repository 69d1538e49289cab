import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { quiet } from '../../plan/testing.js';
import { mergeCommand } from './merge.js';
import { sweepCommand } from './sweep.js';
import { buildCharts } from '../../report/specs.js';
import type { ReportInput } from '../../report/types.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'pdsim-sweep-'));
const read = (dir: string) => readFileSync(path.join(dir, 'sweep.jsonl'), 'utf8');

describe('pdsim sweep', () => {
  it('writes one sweep.jsonl line per value, and latency does not fall as load rises', async () => {
    const out = tmp();
    const rows = await quiet(() => sweepCommand('scenarios/quickstart.yaml', { vary: ['workload.arrival.rate=2,8,32'], out, set: ['workload.requests=200'], jobs: '1' }));
    const lines = read(out).trim().split('\n');
    expect(lines).toHaveLength(3);
    const tpot = rows.map((r) => r.mean_tpot_ms as number);
    expect(tpot[1]!).toBeGreaterThanOrEqual(tpot[0]!);
    expect(tpot[2]!).toBeGreaterThan(tpot[1]!);
    expect(rows.every((r) => r.completed === 200)).toBe(true);
    // The report plots each point's percentiles and goodput against the swept value, from the same summaries.
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as ReportInput;
    expect(report.sweep!.field).toBe('workload.arrival.rate');
    expect(report.sweep!.points.map((p) => p.value)).toEqual(['2', '8', '32']);
    const sums = lines.map((l) => (JSON.parse(l) as { summary: Record<string, number> }).summary);
    report.sweep!.points.forEach((p, i) => {
      expect(p.figures['p99_ttft_ms']).toBe(sums[i]!['p99_ttft_ms']);
      expect(p.figures['request_goodput']).toBe(sums[i]!['request_goodput']);
    });
    const ids = buildCharts(report).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['chart-sweep-ttft', 'chart-sweep-tpot', 'chart-sweep-e2el', 'chart-sweep-goodput']));
  });

  it('repeated --vary spans the grid; worker threads give the same bytes as a serial run; shards merge into it', async () => {
    const o = { vary: ['workload.arrival.rate=4,16', 'engine.maxNumSeqs=8,64,256'], set: ['workload.requests=120'], replicates: '2', report: false };
    const serial = tmp();
    const rows = await quiet(() => sweepCommand('scenarios/quickstart.yaml', { ...o, out: serial, jobs: '1' }));
    expect(rows.map((r) => [r['workload.arrival.rate'], r['engine.maxNumSeqs']])).toEqual([['4', '8'], ['4', '64'], ['4', '256'], ['16', '8'], ['16', '64'], ['16', '256']]);
    // Fewer sequences per batch at 16 req/s cannot lower TTFT (queueing).
    expect(rows[3]!.median_ttft_ms as number).toBeGreaterThan(rows[5]!.median_ttft_ms as number);
    expect((rows[0]!.intervals as Record<string, { n: number }>).median_ttft_ms!.n).toBe(2);
    const parallel = tmp();
    await quiet(() => sweepCommand('scenarios/quickstart.yaml', { ...o, out: parallel, jobs: '2' }));
    expect(read(parallel)).toBe(read(serial));
    const shards = [tmp(), tmp()];
    for (const [i, d] of shards.entries()) await quiet(() => sweepCommand('scenarios/quickstart.yaml', { ...o, out: d, shard: `${i}/2`, jobs: '1' }));
    expect(read(shards[0]!).trim().split('\n')).toHaveLength(3);
    const merged = tmp();
    await quiet(() => mergeCommand(merged, [shards[1]!, shards[0]!]));
    expect(read(merged)).toBe(read(serial));
    await expect(mergeCommand(tmp(), [shards[0]!])).rejects.toThrow(/missing shard 1\/2/);
  }, 180_000);

  it('rejects a field given twice and a malformed shard', async () => {
    await expect(sweepCommand('scenarios/quickstart.yaml', { vary: ['engine.maxNumSeqs=1', 'engine.maxNumSeqs=2'] })).rejects.toThrow(/given twice/);
    await expect(sweepCommand('scenarios/quickstart.yaml', { vary: ['engine.maxNumSeqs=1'], shard: '2/2' })).rejects.toThrow(/--shard 2\/2/);
  });
});
