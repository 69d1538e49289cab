/**
 * `npm run agreement:pd [requests] [slow speed]`: simulated vs live (through `pdsim proxy` and two
 * `pdsim serve`) median TTFT, mean TPOT and E2EL of the P/D agreement scenario, at real time and
 * slowed (default 0.25), and the median-TTFT gap split into a model part and a wall-clock overhead
 * part (agreement-pd.ts, splitGap); under two minutes. Wall-clock figures are only as good as the
 * machine is quiet: the load average is printed with them.
 */
import { agreementLines, runPdAgreement, splitGap } from './agreement-pd.js';

const requests = Number(process.argv[2] ?? 40);
const slow = Number(process.argv[3] ?? 0.25);
const gaps: number[] = [];
for (const speed of [1, slow]) {
  const a = await runPdAgreement(requests, speed);
  const m = a.result.comparison.metrics['median_ttft_ms']!;
  gaps.push(m.measured! - m.predicted!);
  process.stdout.write(`P/D agreement, ${requests} requests, servers at --speed ${speed} (error = (sim - live) / live)\n${agreementLines(a).join('\n')}\n\n`);
}
const g = splitGap(1, gaps[0]!, slow, gaps[1]!);
process.stdout.write(`median TTFT, live - sim: ${gaps[0]!.toFixed(1)} ms at speed 1, ${gaps[1]!.toFixed(1)} ms at ${slow}: model gap ${g.modelMs.toFixed(1)} ms, wall-clock overhead ${g.wallOverheadMs.toFixed(1)} ms per request\n`);
