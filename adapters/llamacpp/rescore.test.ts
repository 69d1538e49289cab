import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultModelsDir } from '../../src/model/catalog.js';
import { NullRecordWriter } from '../../src/run/record-writer.js';
import { runSimulation } from '../../src/run/simulation.js';
import { loadScenario } from '../../src/scenario/load.js';
import { LOOP_ENGINE, loopScenario, type LoopOptions } from './loop.js';
import { calibrationRecords, errorPct, formatRescored, RESCORED_METRICS, rescoreRun, type BenchFile } from './rescore.js';
import { servedDeviceJson } from './server-overhead.js';
import type { StepRecord } from './step-loop.js';

const work = mkdtempSync(join(tmpdir(), 'pdsim-rescore-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEVICE = 'llamacpp-cpu-1t';
const deviceFile = join('gpu', `${DEVICE}.json`);
const rec = (atMs: number, gapMs: number | null, seqs: number): StepRecord => ({ atMs, ms: 5, gapMs, passes: [{ entries: Array.from({ length: seqs }, () => [1, 40] as [number, number]), ms: 5 }], postMs: 0 });

/**
 * A finished run made by hand: the committed device profile as the engine's fit, the old served
 * profile = that + 0.5 ms + 0.2 ms per sequence, and a step log whose calibration part has two
 * warm-up requests at 2 ms per iteration, then iterations of 1 and 2 sequences costing exactly
 * 0.3 + 0.1 x sequences (each record's gap is the cost of the one before it).
 */
function makeRun(dir: string): { scenario: string; fromMs: number } {
  cpSync(defaultModelsDir(), join(dir, 'models-passes'), { recursive: true });
  cpSync(defaultModelsDir(), join(dir, 'models'), { recursive: true });
  const engine = readFileSync(join(dir, 'models-passes', deviceFile), 'utf8');
  writeFileSync(join(dir, 'models', deviceFile), servedDeviceJson(engine, { baseMs: 0.5, perSeqMs: 0.2, iterations: 1 }));
  const o = { testModel: 'llama-test-6l-512', threads: 1, maxNumSeqs: 8, maxNumBatchedTokens: 512, maxModelLen: 1024, input: { min: 32, max: 128 }, output: { min: 8, max: 24 } } as LoopOptions;
  const scenario = join(dir, 'scenario-rate1.5.json');
  // As the loop wrote it before LOOP_ENGINE: no asyncScheduling (the catalog version's default, on).
  const sc = loopScenario(o, DEVICE, 1.5, 20) as { engine: Record<string, unknown> };
  delete sc.engine['asyncScheduling'];
  writeFileSync(scenario, JSON.stringify(sc));
  const warm = (t: number): StepRecord[] => [rec(t, null, 1), rec(t + 1, 2, 1), rec(t + 2, 2, 1), rec(t + 3, 2, 1)];
  const timed = [rec(20, null, 1), rec(21, 0.4, 1), rec(22, 0.4, 1), rec(23, 0.4, 2), rec(24, 0.5, 2), rec(25, 0.5, 2)];
  const fromMs = 100;
  const served = [rec(100, null, 1), rec(101, 0.7, 1), rec(102, 0.7, 2), rec(103, 0.9, 2)];
  writeFileSync(join(dir, 'steps.jsonl'), [...warm(0), ...warm(10), ...timed, ...served].map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { scenario, fromMs };
}

async function simulate(scenario: string, modelsDir: string): Promise<Record<string, number>> {
  return (await runSimulation(loadScenario(scenario), { modelsDir, writer: new NullRecordWriter() })).summary as unknown as Record<string, number>;
}

describe('rescore: a finished llama.cpp bench run scored again offline', () => {
  it('gives back the run\'s saved prediction with its own profile, and predicts with the engine fit + the cost refitted after the warm-up', async () => {
    const run = join(work, 'run');
    const { scenario, fromMs } = makeRun(run);
    const saved = await simulate(scenario, join(run, 'models'));
    // Measured 1.25 x each saved prediction: the old error is -20 % exactly.
    const metrics = Object.fromEntries(RESCORED_METRICS.map((k) => [k, { predicted: saved[k]!, measured: 1.25 * saved[k]! }]));
    const bench: BenchFile = { model: 'llama-test-6l-512', threads: 1, serverOverhead: { baseMs: 0.5, perSeqMs: 0.2, iterations: 1 }, points: [{ rate: 1.5, fromMs, toMs: 200, comparison: { metrics } }] };
    writeFileSync(join(run, 'bench.json'), JSON.stringify(bench));
    const out = join(work, 'out');
    const r = await rescoreRun(run, out, { oldScenario: true });
    expect(r.serverOverhead.new.baseMs).toBeCloseTo(0.3, 10);
    expect(r.serverOverhead.new.perSeqMs).toBeCloseTo(0.1, 10);
    // 6 timed records, the last without a next gap: 5 samples.
    expect(r.serverOverhead.new.iterations).toBe(5);
    const p = r.points[0]!;
    expect(p.reproduced).toBe(true);
    for (const k of RESCORED_METRICS) expect(errorPct(p.old[k], p.measured[k])).toBeCloseTo(-20, 9);
    const engine = JSON.parse(readFileSync(join(run, 'models-passes', deviceFile), 'utf8')) as { perf: { cpuOverhead: { baseMs: number; perSeqMs: number } } };
    const now = JSON.parse(readFileSync(join(out, 'models', deviceFile), 'utf8')) as typeof engine;
    expect(now.perf.cpuOverhead.baseMs).toBeCloseTo(engine.perf.cpuOverhead.baseMs + 0.3, 3);
    expect(now.perf.cpuOverhead.perSeqMs).toBeCloseTo(engine.perf.cpuOverhead.perSeqMs + 0.1, 3);
    // A smaller cost per iteration (0.3 + 0.1 b against 0.5 + 0.2 b) can only make every figure smaller.
    for (const k of RESCORED_METRICS) expect(p.new[k]).toBeLessThan(p.old[k]);
    // The served window's 3 records with a gap before them: 1 + 2 + 2 decode tokens, each with the gap before its iteration.
    expect(p.tpot.tokens).toBe(5);
    expect(p.tpot.measured.serverMs).toBeCloseTo((0.7 + 2 * 0.7 + 2 * 0.9) / 5, 10);
    expect(formatRescored(r).join('\n')).toContain('-20.0 %');

    // As the loop would run it now: the run's scenario with the loop's engine fields, the rest unchanged.
    const r1 = await rescoreRun(run, out);
    const rewritten = JSON.parse(readFileSync(join(out, 'scenario-rate1.5.json'), 'utf8')) as { engine: Record<string, unknown> };
    const was = JSON.parse(readFileSync(scenario, 'utf8')) as typeof rewritten;
    expect(rewritten).toEqual({ ...was, engine: { ...was.engine, ...LOOP_ENGINE } });
    expect(r1.points[0]!.old).toEqual(p.old);
    expect(r1.points[0]!.new).toEqual(await simulate(join(out, 'scenario-rate1.5.json'), join(out, 'models')).then((f) => Object.fromEntries(RESCORED_METRICS.map((k) => [k, f[k]]))));

    // A saved prediction the tree no longer gives is flagged, not hidden.
    const off = { ...bench, points: [{ ...bench.points[0]!, comparison: { metrics: { ...metrics, mean_tpot_ms: { predicted: saved['mean_tpot_ms']! * 1.01, measured: 1 } } } }] };
    writeFileSync(join(run, 'bench.json'), JSON.stringify(off));
    const r2 = await rescoreRun(run, out);
    expect(r2.points[0]!.reproduced).toBe(false);
    expect(formatRescored(r2).join('\n')).toContain('no longer give');
  });

  it('takes a recorded calibration window as it is, and else the records before the first rate without the warm-up', () => {
    const rs = [rec(0, null, 1), rec(1, 0.2, 1), rec(5, null, 1), rec(6, 0.2, 1), rec(9, null, 1), rec(10, 0.3, 1), rec(50, null, 1)];
    const bench = { model: 'm', threads: 1, serverOverhead: { baseMs: 0, perSeqMs: 0, iterations: 0 }, points: [{ rate: 1, fromMs: 50, toMs: 60, comparison: { metrics: {} } }] };
    expect(calibrationRecords(rs, bench, 2)).toEqual(rs.slice(4, 6));
    expect(calibrationRecords(rs, bench, 0)).toEqual(rs.slice(0, 6));
    expect(calibrationRecords(rs, { ...bench, calibrationWindow: [5, 6] }, 2)).toEqual(rs.slice(2, 4));
  });
});
