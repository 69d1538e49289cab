// dist/pdsim.mjs, what bin/pdsim.mjs runs: the CLI bundle beside it (dist/pdsim.cjs) with a V8
// code cache (src/build/script-runner.ts says why). Bundled on its own, so it loads no chunk.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheFileFor } from './cache-files.js';
import { cacheModeFrom, runScript, writeCache } from './script-runner.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'pdsim.cjs');
const mode = cacheModeFrom(process.env.PDSIM_CODE_CACHE);
if (mode === 'write') {
  // The build (bundle.ts): the cache named on the command line, from the warm-ups in PDSIM_WARM_UPS.
  await writeCache(script, path.join(here, process.argv[2]!), JSON.parse(process.env.PDSIM_WARM_UPS!) as string[][]);
} else {
  runScript(script, path.join(here, cacheFileFor(process.argv.slice(2))), mode);
}
