/**
 * `npm run agreement:pd [requests]`: simulated vs live (through `pdsim proxy` and two `pdsim serve`)
 * median TTFT, mean TPOT and E2EL of the P/D agreement scenario; about a minute. Wall-clock figures
 * are only as good as the machine is quiet: the load average is printed with them.
 */
import { agreementLines, runPdAgreement } from './agreement-pd.js';

const requests = Number(process.argv[2] ?? 64);
const a = await runPdAgreement(requests);
process.stdout.write(`P/D agreement, ${requests} requests (${a.result.comparison.metrics['median_ttft_ms'] ? 'error = (sim - live) / live' : ''})\n${agreementLines(a).join('\n')}\n`);
