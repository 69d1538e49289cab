/**
 * The whole loop against the real engine, as one function (the test and the benchmark run it; the
 * README gives the same steps as CLI commands):
 *   1. profile llama.cpp on this CPU (llamacpp-profile) -> profile.csv and a base device profile;
 *   2. `pdsim calibrate` fits the device profile to it;
 *   3. start `pdsim llamacpp-serve` in its own process, measure its own cost per iteration in a
 *      calibration run (server-overhead.ts) and add it to the fitted device profile's per-pass cost,
 *      and from the same run the served passes' per-sequence level (sequence-level.ts);
 *   4. per arrival rate, `pdsim validate` a scenario on that device: simulate, replay live, compare.
 * Everything is written under `workDir`, the catalog included (a copy of models/ that the new
 * device profile goes into), so the repository's models/ is not touched.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCalibrate } from '../../src/cli/commands/calibrate.js';
import { defaultModelsDir } from '../../src/model/catalog.js';
import { NullRecordWriter } from '../../src/run/record-writer.js';
import { runSimulation } from '../../src/run/simulation.js';
import { loadScenario } from '../../src/scenario/load.js';
import { spawnCli } from '../testing/child.js';
import { runValidate, type ValidateResult } from '../vllm/validate-run.js';
import { baseDeviceProfileJson, runProfile, WARMUP_ROUNDS, type ProfileRow, type ProfileTiming } from './profile.js';
import { timingFileOf, type ServedProfileTiming } from './serve-profile.js';
import { calibrationLevels, fitServerOverhead, iterationOverheads, runCalibrationRequests, servedDeviceJson, type ServerOverhead } from './server-overhead.js';
import { medianRate, SpeedProbe } from './speed-probe.js';
import { checkSteps, formatStepCheck, passPricer, readStepLog, type StepCheck } from './step-check.js';
import { tpotTerms, type TpotTerms } from './tpot-terms.js';
import { passShapes, type ShapeRow } from './pass-shapes.js';
import { fitByBatch, parseProfileCsv, rowLinePricer } from './profile-rows.js';
import { DEFAULT_MODEL_DIR } from './serve.js';
import { resolveRateOrder, runInOrder, type RateOrder } from './rate-order.js';
import { applySequenceLevel, fitSequenceLevel, type SequenceLevel } from './sequence-level.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface LoopOptions {
  testModel: string;
  threads: number;
  workDir: string;
  modelDir?: string;
  quick?: boolean;
  /** Arrival rates, req/s; or fractions of the predicted capacity (the simulated throughput when every request arrives at once). */
  rates: readonly number[] | { ofCapacity: readonly number[] };
  /** Requests per rate (a number), or per rate as a function of it (e.g. more at low load). */
  requests: number | ((rate: number) => number);
  input: { min: number; max: number };
  output: { min: number; max: number };
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
  report?: boolean;
  /** Profiler warm-up rounds (profile.ts WARMUP_ROUNDS when unset). */
  warmupRounds?: number;
  /** After serving, profile and calibrate again (models-after/) and price the served passes with that fit too. */
  reprofile?: boolean;
  /** Warm-up of the server before its calibration run, seconds at least (server-overhead.ts runCalibrationRequests); default: its warm-up requests only. */
  calibrationWarmupS?: number;
  /**
   * Profile inside the server (serve-profile.ts: its own engine, after its warm-up, before it
   * listens) instead of in this process; the base device profile is written here and the fit is
   * the same. Default off here (the bench turns it on): the bench-process profile.
   */
  profileInServer?: boolean;
  /** The order the rates are served in (rate-order.ts); default: as given. Points stay in the given order. */
  rateOrder?: RateOrder;
  /**
   * Fit the served engine's per-sequence level on the calibration run and put it in the served
   * device profile (sequence-level.ts); default on. false: the profile of runs 44-45 (engine fit + server cost).
   */
  sequenceLevel?: boolean;
  log?: (s: string) => void;
}

export interface LoopPoint {
  rate: number;
  /** The rate as a fraction of the predicted capacity, when rates were given that way. */
  ofCapacity?: number;
  /** When this rate was served: 0 first (LoopOptions.rateOrder). */
  runIndex: number;
  dir: string;
  /** Wall-clock window of this point (epoch ms): its records in the step log. */
  fromMs: number;
  toMs: number;
  result: ValidateResult;
  /** The server's passes during this point against the calibrated model (step-check.ts). */
  steps?: StepCheck;
  /** The same passes priced by the profile taken after serving (LoopOptions.reprofile). */
  stepsAfter?: StepCheck;
  /** The server's passes by shape (batch size, padded, prompt) against their price, with and without the batch term (pass-shapes.ts). */
  shapes?: ShapeRow[];
  /** The predicted per-token time split into its terms, each beside the step log's (tpot-terms.ts). */
  tpot?: TpotTerms;
  /** The host's compute speed while this point was served over its speed while profiling (speed-probe.ts). */
  probeRatio?: number;
  /** The same for the probe's memory copy bandwidth (what a batch-1 decode is bound by). */
  probeCopyRatio?: number;
}

/**
 * Engine fields every loop scenario sets beyond the server's limits: how llamacpp-serve's step loop
 * runs (step-loop.ts). It schedules an iteration after the previous one ends, so a request that
 * arrives during an iteration joins the next one; vLLM 0.14+ schedules step N+1 while N runs
 * (async scheduling, the catalog's default version's), where such a request waits a step more.
 */
export const LOOP_ENGINE = { asyncScheduling: false } as const;

export function loopScenario(o: LoopOptions, deviceId: string, rate: number, requests: number): Record<string, unknown> {
  return {
    name: `llamacpp-${o.testModel}-${o.threads}t-rate${rate}`,
    seed: 1,
    model: o.testModel,
    engine: {
      maxNumSeqs: o.maxNumSeqs,
      maxNumBatchedTokens: o.maxNumBatchedTokens,
      maxModelLen: o.maxModelLen,
      // The server's KV: maxNumSeqs sequences of maxModelLen tokens each, reported in 16-token blocks.
      blockSize: 16,
      numGpuBlocks: Math.floor((o.maxNumSeqs * o.maxModelLen) / 16),
      enablePrefixCaching: false,
      ...LOOP_ENGINE,
    },
    deployment: { pools: [{ role: 'colocated', gpu: deviceId, instances: 1, tp: 1 }] },
    workload: {
      requests,
      arrival: rate === Infinity ? { process: 'all-at-once' } : { process: 'poisson', rate },
      input: { dist: 'uniform', min: o.input.min, max: o.input.max },
      output: { dist: 'uniform', min: o.output.min, max: o.output.max },
    },
  };
}

export async function runLoop(o: LoopOptions): Promise<{ deviceId: string; modelsDir: string; points: LoopPoint[]; rateOrder: number[]; serverOverhead: ServerOverhead; sequenceLevel: SequenceLevel | null; calibrationWindow: [number, number]; profileTiming: ProfileTiming; fitByBatch: { batch: number; rowOverFit: number }[]; fitByBatchWithoutTerm: { batch: number; rowOverFit: number }[] }> {
  const log = o.log ?? (() => {});
  const deviceId = `llamacpp-cpu-${o.threads}t`;
  const modelDir = o.modelDir ?? DEFAULT_MODEL_DIR;
  mkdirSync(o.workDir, { recursive: true });
  const modelsDir = join(o.workDir, 'models');
  rmSync(modelsDir, { recursive: true, force: true });
  cpSync(defaultModelsDir(), modelsDir, { recursive: true });

  // 1-2. Profile, then calibrate: `dir` gets the engine's own fit (what step-check prices passes with; modelsDir gets it with the server's cost added, step 3).
  const fit = (csv: string, dir: string): void => void runCalibrate([csv], { gpu: [deviceId], modelsDir: dir, write: true, command: `pdsim calibrate --gpu ${deviceId} ${csv} --write` }, log);
  const profileAndFit = async (csv: string, dir: string): Promise<{ rows: ProfileRow[]; timing: ProfileTiming }> => {
    const file = join(dir, 'gpu', `${deviceId}.json`);
    rmSync(file, { force: true }); // a fresh base profile for this machine, not the committed one
    const profiled = await runProfile({ testModel: o.testModel, modelDir, threads: o.threads, out: csv, deviceOut: file, deviceId, quick: o.quick, warmupRounds: o.warmupRounds }, log);
    fit(csv, dir);
    return profiled;
  };
  const passModelsDir = join(o.workDir, 'models-passes');
  rmSync(passModelsDir, { recursive: true, force: true });
  cpSync(modelsDir, passModelsDir, { recursive: true });
  const probe = new SpeedProbe();
  // 3. The real engine's server, in its own process (its event loop apart from the client's).
  const stepLog = join(o.workDir, 'steps.jsonl');
  let points: LoopPoint[] = [];
  let rateOrder: number[] = [];
  let profiledFrom: number;
  let profiledTo: number;
  let profileTiming: ProfileTiming;
  let profileRows: ProfileRow[];
  let overhead: ServerOverhead;
  let calibrationWindow: [number, number];
  let sequenceLevel: SequenceLevel | null = null;
  try {
    const profileFile = join(o.workDir, 'profile.csv');
    let profiled: { rows: ProfileRow[]; timing: ProfileTiming } | undefined;
    profiledFrom = Date.now();
    if (!o.profileInServer) profiled = await profileAndFit(profileFile, passModelsDir);
    profiledTo = Date.now();
    rmSync(stepLog, { force: true });
    if (o.profileInServer) rmSync(profileFile, { force: true });
    const server = await spawnCli(
      ['llamacpp-serve', '--test-model', o.testModel, '--model-dir', modelDir, '--threads', String(o.threads), '--port', '0', '--quiet', '--step-log', stepLog,
        '--max-num-seqs', String(o.maxNumSeqs), '--warmup-rounds', String(o.warmupRounds ?? WARMUP_ROUNDS), '--max-num-batched-tokens', String(o.maxNumBatchedTokens), '--max-model-len', String(o.maxModelLen),
        ...(o.profileInServer ? ['--profile-out', profileFile, ...(o.quick ? ['--quick-profile'] : [])] : [])],
      // A full profile in the server runs before it listens (minutes on the larger test model).
      o.profileInServer ? 1_800_000 : 180_000,
      MAIN,
    );
    try {
      if (o.profileInServer) {
        // 1-2 with the server's profile: the base device profile written here (what runProfile writes beside its CSV), then the same fits.
        const t = JSON.parse(readFileSync(timingFileOf(profileFile), 'utf8')) as ServedProfileTiming;
        profiledFrom = t.fromMs;
        profiledTo = t.toMs;
        const device = baseDeviceProfileJson(deviceId, o.threads);
        writeFileSync(join(passModelsDir, 'gpu', `${deviceId}.json`), device);
        fit(profileFile, passModelsDir);
        profiled = { rows: parseProfileCsv(readFileSync(profileFile, 'utf8')), timing: { wallMs: t.wallMs, cpuMs: t.cpuMs } };
        log(`profile in server: ${profiled.rows.length} rows, CPU / wall ${t.cpuOverWall.toFixed(3)}`);
      }
      profileTiming = profiled!.timing;
      profileRows = profiled!.rows;
      // 3b. The server's own cost per iteration (server-overhead.ts), from a calibration run apart from the validated rates; added to the engine's fit in modelsDir.
      const [from, to] = (calibrationWindow = await runCalibrationRequests(server.url, o.testModel, { prompt: Math.min(32, o.input.min), output: 32 }, calibrationLevels(o.maxNumSeqs), undefined, 1000 * (o.calibrationWarmupS ?? 0)));
      await new Promise((r) => setTimeout(r, 200)); // the step log is written asynchronously
      const calibrationRecords = readStepLog(stepLog).filter((r) => r.atMs >= from && r.atMs <= to);
      overhead = fitServerOverhead(iterationOverheads(calibrationRecords));
      log(`server cost per iteration (calibration run, ${overhead.iterations} iterations): ${overhead.baseMs.toFixed(3)} ms + ${overhead.perSeqMs.toFixed(3)} ms per sequence`);
      // The engine's fit plus that cost, not a second fit (servedDeviceJson says why).
      const deviceFile = `gpu/${deviceId}.json`;
      const withCost = servedDeviceJson(readFileSync(join(passModelsDir, deviceFile), 'utf8'), overhead);
      // The same run's single decode passes against the engine's fit: their per-sequence level (sequence-level.ts says why).
      sequenceLevel = o.sequenceLevel === false ? null : fitSequenceLevel(calibrationRecords, passPricer(o.testModel, deviceId, passModelsDir));
      if (sequenceLevel) log(`served decode passes against the engine's fit (calibration run, ${sequenceLevel.passes} passes): ${sequenceLevel.perSeqMs.toFixed(3)} ms per sequence`);
      writeFileSync(join(modelsDir, deviceFile), sequenceLevel ? applySequenceLevel(withCost, sequenceLevel, o.maxNumSeqs) : withCost);
      const nOf = (rate: number): number => (typeof o.requests === 'number' ? o.requests : o.requests(rate));
      let rates: { rate: number; ofCapacity?: number }[];
      if (Array.isArray(o.rates)) rates = (o.rates as readonly number[]).map((rate) => ({ rate }));
      else {
        const cap = await predictedCapacity(o, deviceId, modelsDir);
        log(`predicted capacity ${cap.toFixed(3)} req/s`);
        rates = (o.rates as { ofCapacity: readonly number[] }).ofCapacity.map((f) => ({ rate: Number((f * cap).toPrecision(3)), ofCapacity: f }));
      }
      // 4. Validate at each rate, in the order asked for; each point keeps its rate, window and place in the given list.
      rateOrder = resolveRateOrder(o.rateOrder ?? 'as-given', rates.map((r) => r.rate));
      points = await runInOrder(rates, rateOrder, async ({ rate, ofCapacity }) => {
        const file = join(o.workDir, `scenario-rate${rate}.json`);
        writeFileSync(file, `${JSON.stringify(loopScenario(o, deviceId, rate, nOf(rate)), null, 2)}\n`);
        const dir = join(o.workDir, `rate${rate}`);
        const fromMs = Date.now();
        const result = await runValidate(file, { out: dir, endpoint: server.url, modelsDir, speed: 1, report: o.report ?? false, log });
        const toMs = Date.now();
        return { rate, ...(ofCapacity !== undefined ? { ofCapacity } : {}), dir, fromMs, toMs, result };
      });
    } finally {
      await server.close();
    }
  } finally {
    await probe.stop();
  }
  const profiledRate = medianRate(probe.samples, profiledFrom, profiledTo);
  const profiledCopy = medianRate(probe.samples, profiledFrom, profiledTo, 'copyGBps');
  points.forEach((p) => {
    const r = medianRate(probe.samples, p.fromMs, p.toMs);
    if (r !== null && profiledRate !== null) p.probeRatio = r / profiledRate;
    const c = medianRate(probe.samples, p.fromMs, p.toMs, 'copyGBps');
    if (c !== null && profiledCopy !== null) p.probeCopyRatio = c / profiledCopy;
  });
  // Profile, serve, profile again: if the served passes match the later fit and not the earlier one, the profile's timing (not its method) is off.
  const modelsAfter = join(o.workDir, 'models-after');
  if (o.reprofile) {
    rmSync(modelsAfter, { recursive: true, force: true });
    cpSync(passModelsDir, modelsAfter, { recursive: true });
    await profileAndFit(join(o.workDir, 'profile-after.csv'), modelsAfter);
  }
  // Passes are priced by the engine's own fit: the server's cost is between passes, not in them.
  const price = passPricer(o.testModel, deviceId, passModelsDir);
  const priceWithoutTerm = passPricer(o.testModel, deviceId, passModelsDir, { withoutBatchTerm: true });
  // Decode-only passes also by the profile's rows themselves (profile-rows.ts says why), each batch's
  // rows as their line in KV: one noisy row no longer prices a whole KV segment (rowLinePricer).
  const rowPrice = rowLinePricer(profileRows);
  if (existsSync(stepLog)) {
    const records = readStepLog(stepLog);
    const priceAfter = o.reprofile ? passPricer(o.testModel, deviceId, modelsAfter) : null;
    const servedPrice = passPricer(o.testModel, deviceId, modelsDir);
    points.forEach((p) => {
      const mine = records.filter((r) => r.atMs >= p.fromMs && r.atMs <= p.toMs);
      p.steps = checkSteps(mine, price, rowPrice);
      p.shapes = passShapes(mine, price, priceWithoutTerm);
      log(`rate ${p.rate}: ${formatStepCheck(p.steps)}`);
      if (priceAfter) p.stepsAfter = checkSteps(mine, priceAfter);
      p.tpot = tpotTerms(mine, price, servedPrice, overhead);
    });
  }
  return { deviceId, modelsDir, points, rateOrder, profileTiming, serverOverhead: overhead, sequenceLevel, calibrationWindow: calibrationWindow!, fitByBatch: fitByBatch(profileRows, price), fitByBatchWithoutTerm: fitByBatch(profileRows, priceWithoutTerm) };
}

/** Simulated request throughput with every request queued at once: the deployment's capacity for this workload. */
async function predictedCapacity(o: LoopOptions, deviceId: string, modelsDir: string): Promise<number> {
  const file = join(o.workDir, 'scenario-capacity.json');
  writeFileSync(file, `${JSON.stringify(loopScenario(o, deviceId, Infinity, 200), null, 2)}\n`);
  const r = await runSimulation(loadScenario(file), { modelsDir, writer: new NullRecordWriter() });
  return (r.summary as unknown as { request_throughput: number }).request_throughput;
}
