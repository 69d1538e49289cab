/**
 * `npm run loadtest`: 5,000 concurrent streams on `pdsim serve`, then 2,000 through `pdsim proxy`
 * with one decode server killed mid-run (once all of them are streaming); prints every request's outcome by reason, the most streams
 * open at once, and the server's memory and file descriptors per open stream. Sizes can be given:
 * `npm run loadtest -- 5000 2000 [tokens per stream] [serve --speed] [proxy decode servers' --speed]`.
 * Through the proxy every stream costs two HTTP legs and a proxy hop, so streams open more slowly
 * and its decode servers run slower still, for all of them to be open together.
 */
import { maxOpenFiles } from '../../adapters/http/process-metrics.js';
import { proxyLoad, serveLoad, type LoadResult } from './load.js';

const [serveN = 5000, proxyN = 2000, maxTokens = 64, speed = 0.02, proxySpeed = 0.002] = process.argv.slice(2).map(Number);
const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

function show(name: string, n: number, r: LoadResult): void {
  const reasons = Object.entries(r.reasons).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
  const lines = [
    `${name}: sent ${r.sent}, completed ${r.completed}, failed ${r.failed} (${reasons}), accounted ${r.completed + r.failed}/${r.sent}, wall ${r.wallS.toFixed(1)} s`,
    `${name}: peak concurrent open streams ${r.peakConcurrent}${r.allOpenS !== null ? `, all ${n} open at once ${r.allOpenS.toFixed(1)} s after the first request` : ''}`,
  ];
  if (r.atPeak && r.idle) {
    const perStream = (r.atPeak.rssBytes - r.idle.rssBytes) / n;
    lines.push(`${name}: at that moment the server had ${r.atPeak.running || '-'} requests running, ${r.atPeak.openFds} open fds, RSS ${mib(r.atPeak.rssBytes)} MiB (idle ${mib(r.idle.rssBytes)} MiB): ${(perStream / 1024).toFixed(1)} KiB per open stream`);
  }
  for (const note of r.notes) lines.push(`${name}: ${note}`);
  process.stdout.write(lines.join('\n') + '\n');
}

process.stdout.write(`loadtest: ${maxTokens}-token streams, serve --speed ${speed}, proxy's decode servers --speed ${proxySpeed}; open-file limit ${maxOpenFiles() ?? 'unknown'}\n`);
show('serve', serveN, await serveLoad(serveN, { maxTokens, speed }));
// The kill comes once every stream has started, so all of them were open through the proxy first.
const p = await proxyLoad(proxyN, { maxTokens, speed: proxySpeed, killAfterStarted: proxyN });
show('proxy', proxyN, p);
process.stdout.write(
  `proxy: outcomes counted by the proxy: ${JSON.stringify(p.proxyOutcomes)}; killed decode server marked ${p.killedHealthy === false ? 'unhealthy (ejected)' : 'healthy (NOT ejected)'}\n`,
);
