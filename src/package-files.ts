/**
 * Files the package ships and reads at run time (catalog profiles, measured data, traces), found
 * relative to the package itself, never the working directory: from sources this file is
 * src/package-files.ts, from the bundle dist/pdsim.mjs, from an installed package somewhere under
 * node_modules. Large data files are stored gzip-compressed (`.gz`) and read transparently.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The nearest ancestor of this module holding package.json and models/ (the package root). */
export function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; ) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'models'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(here, '..');
    dir = up;
  }
}

/** models/data: the measured tables the calibration fits on (see models/data/MANIFEST.csv). */
export function packageDataDir(): string {
  return path.join(packageRoot(), 'models', 'data');
}

/** `file` if it exists, else `file.gz` if that does (shipped data is compressed), else `file`. */
export function withGzFallback(file: string): string {
  if (existsSync(file) || file.endsWith('.gz')) return file;
  return existsSync(`${file}.gz`) ? `${file}.gz` : file;
}

/** A text file, gunzipped when its name ends in `.gz`. Errors are the fs/zlib errors (callers wrap them). */
export function readTextFile(file: string): string {
  const bytes = readFileSync(file);
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** `version` from the package's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
