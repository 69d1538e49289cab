/**
 * The browser builds of vega, vega-lite and vega-embed, read from node_modules so reports work
 * offline (no CDN). The packages' `exports` maps hide `build/*.min.js`, so we resolve each package's
 * entry point and look beside it: all three keep their entry and their min.js in `build/`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Load order matters: vega-lite needs the global `vega`, vega-embed needs both. */
const LIBRARIES = [
  { name: 'vega', file: 'vega.min.js' },
  { name: 'vega-lite', file: 'vega-lite.min.js' },
  { name: 'vega-embed', file: 'vega-embed.min.js' },
] as const;

export interface ScriptAsset {
  name: string;
  source: string;
}

let cached: ScriptAsset[] | undefined;

/** The three libraries' sources, in load order; read once per process (~830 KB). */
export function vegaScripts(): ScriptAsset[] {
  cached ??= LIBRARIES.map(({ name, file }) => ({
    name,
    source: readFileSync(join(dirname(require.resolve(name)), file), 'utf8'),
  }));
  return cached;
}
