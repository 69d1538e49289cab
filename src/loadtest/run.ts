/**
 * `npm run loadtest`: 5,000 concurrent streams on `pdsim serve`, then 2,000 through `pdsim proxy`
 * with one decode server killed mid-run; prints every request's outcome by reason. Sizes can be
 * given: `npm run loadtest -- 5000 2000`.
 */
import { proxyLoad, serveLoad, type LoadResult } from './load.js';

const [serveN = 5000, proxyN = 2000] = process.argv.slice(2).map(Number);
const show = (name: string, r: LoadResult): void => {
  process.stdout.write(`${name}: sent ${r.sent}, completed ${r.completed}, failed ${r.failed} (${Object.entries(r.reasons).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}), accounted ${r.completed + r.failed}/${r.sent}, peak concurrent streams ${r.peakConcurrent}, wall ${r.wallS.toFixed(1)} s${r.notes.length ? `; ${r.notes.join('; ')}` : ''}\n`);
};
show('serve', await serveLoad(serveN));
const p = await proxyLoad(proxyN);
show('proxy', p);
process.stdout.write(`proxy: killed decode server marked ${p.killedHealthy === false ? 'unhealthy (ejected)' : 'healthy (NOT ejected)'}\n`);
