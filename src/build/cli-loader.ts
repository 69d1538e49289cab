// dist/pdsim.mjs, what bin/pdsim.mjs runs: the CLI bundle beside it (dist/pdsim.cjs) with a V8
// code cache (src/build/script-runner.ts says why). Bundled on its own, so it loads no chunk.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheFileFor } from './cache-files.js';
import { cacheModeFrom, runScript } from './script-runner.js';

const here = path.dirname(fileURLToPath(import.meta.url));
runScript(path.join(here, 'pdsim.cjs'), path.join(here, cacheFileFor(process.argv.slice(2))), cacheModeFrom(process.env.PDSIM_CODE_CACHE));
