/**
 * Scripted notebook: how many H100 replicas of Llama-3.1-8B does a given traffic need to keep 95 %
 * of requests within the quickstart SLOs (TTFT 500 ms, TPOT 50 ms)? It sweeps the arrival rate per
 * replica count and prints the highest rate that still meets the target.
 *
 * Run: npx tsx notebooks/capacity-planning.ts [requests-per-point]
 * (Notebooks here are plain TypeScript scripts over the library: reproducible, type-checked, and
 * runnable without Jupyter.)
 */
import { loadScenario } from '../src/scenario/load.js';
import { runSimulation } from '../src/run/simulation.js';
import { NullRecordWriter } from '../src/run/record-writer.js';

const requests = Number(process.argv[2] ?? 1000);
const rates = [4, 8, 12, 16, 24, 32, 48, 64];
console.log('replicas  max rate meeting 95% goodput (req/s)  output tok/s there');
for (const replicas of [1, 2, 4]) {
  let best: { rate: number; tokS: number } | null = null;
  for (const rate of rates.map((r) => r * replicas / 2).filter((r) => r >= 2)) {
    const loaded = loadScenario('scenarios/quickstart.yaml', [`workload.requests=${requests * replicas}`, `workload.arrival.rate=${rate}`, `deployment.pools.0.instances=${replicas}`, 'deployment.router.policy=least-loaded']);
    const { summary } = await runSimulation(loaded, { writer: new NullRecordWriter() });
    const ok = (summary.pdsim.goodput_requests as number) >= 0.95 * (summary.completed as number);
    if (!ok) break;
    best = { rate, tokS: summary.output_throughput as number };
  }
  console.log(`${String(replicas).padStart(8)}  ${String(best?.rate ?? '< lowest tried').padStart(36)}  ${best ? best.tokS.toFixed(0).padStart(18) : ''}`);
}
