// The bundle the `pdsim` command runs: it works from its own folder (data and profiles found from
// the package root), and what starts every command (the entry and its static imports) holds no
// command module and none of the YAML parser, the scenario validator or vega: those load lazily.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metafile } from 'esbuild';
import { packageRoot } from '../package-files.js';
import { buildBundle, type BundleResult } from './bundle.js';
import { traceCacheFile, TRACE_CACHE_DIR } from '../workload/trace-cache.js';
import { CODE_CACHES } from './cache-files.js';

const outDir = path.join(packageRoot(), `.test-dist-${process.pid}`);
let built: BundleResult;

beforeAll(async () => {
  built = await buildBundle(outDir);
}, 60_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/**
 * Source files reachable from an input through static imports only: what the CLI script evaluates
 * at start (esbuild's CommonJS output wraps every module reached only through import() in a lazy
 * initialiser, run at that import).
 */
function staticInputs(meta: Metafile, input: string): string[] {
  const seen = new Set<string>();
  const visit = (i: string): void => {
    if (seen.has(i)) return;
    seen.add(i);
    for (const imp of meta.inputs[i]!.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(input);
  return [...seen];
}

describe('bundle', () => {
  it('starts with commander and the registry only', () => {
    const entry = Object.keys(built.metafile.inputs).find((i) => i.endsWith('src/cli/main.ts'))!;
    const inputs = staticInputs(built.metafile, entry);
    expect(inputs.some((i) => i.includes('node_modules/commander/'))).toBe(true);
    for (const lazy of ['node_modules/yaml/', 'validate-scenario.generated', 'src/cli/commands/simulate', 'src/serving/', 'node_modules/vega']) {
      expect(inputs.filter((i) => i.includes(lazy)), lazy).toEqual([]);
    }
  });

  it('runs a command and prints the package version', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [built.entry, ...args], { encoding: 'utf8', cwd: outDir });
    const version = run('--version');
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
    const list = run('list', 'gpus');
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^h100-sxm\s/m);
    const bad = run('simulate', 'no-such.yaml');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

describe('sweep threads', () => {
  it('run the CLI script as pool workers: -j 2 and -j 1 write the same sweep.jsonl', () => {
    const sweep = (jobs: string) => {
      const out = path.join(outDir, `sweep-j${jobs}`);
      const r = spawnSync(process.execPath, [built.entry, 'sweep', 'scenarios/quickstart.yaml', '--vary', 'workload.arrival.rate=2,4,8', '--set', 'workload.requests=200', '--out', out, '-j', jobs], { cwd: packageRoot(), encoding: 'utf8', timeout: 50_000 });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(path.join(out, 'sweep.jsonl'), 'utf8');
    };
    const serial = sweep('1');
    expect(serial.trim().split('\n')).toHaveLength(3);
    expect(sweep('2')).toBe(serial);
  }, 60_000);
});

describe('code cache', () => {
  it("is the warm-up's, used by a run, and changes no output byte (same run with the cache off)", () => {
    const outputs = (mode: string) => {
      const out = path.join(outDir, `run-${mode}`);
      const r = spawnSync(process.execPath, [built.entry, 'simulate', 'scenarios/quickstart.yaml', '--set', 'workload.requests=20', '--no-progress', '--out', out], {
        cwd: packageRoot(),
        encoding: 'utf8',
        env: { ...process.env, PDSIM_CODE_CACHE: mode },
      });
      expect(r.status, r.stderr).toBe(0);
      return { stderr: r.stderr, files: Object.fromEntries(readdirSync(out).sort().map((f) => [f, readFileSync(path.join(out, f))])) };
    };
    const cached = outputs('check');
    expect(cached.stderr).toContain('pdsim: code cache used\n');
    // The other cache: the `--help` warm-up's, taken by any command that does not simulate.
    const version = () => spawnSync(process.execPath, [built.entry, '--version'], { encoding: 'utf8', env: { ...process.env, PDSIM_CODE_CACHE: 'check' } });
    expect(version().stderr).toBe('pdsim: code cache used\n');
    // A damaged cache (cut off, or noise) is rejected by V8's checks and the command runs as without one.
    const other = path.join(outDir, CODE_CACHES.other.file);
    const whole = readFileSync(other);
    try {
      for (const bad of [whole.subarray(0, whole.length >> 1), Buffer.alloc(4096, 7)]) {
        writeFileSync(other, bad);
        const r = version();
        expect(r.stderr).toBe('pdsim: code cache rejected\n');
        expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
      }
    } finally {
      writeFileSync(other, whole);
    }
    const plain = outputs('off');
    expect(Object.keys(cached.files)).toEqual(['report.html', 'report.json', 'requests.jsonl', 'scenario.resolved.json', 'summary.json']);
    // Buffer.equals: a deep toEqual of the 1 MB report.html takes seconds.
    for (const [f, bytes] of Object.entries(cached.files)) expect(bytes.equals(plain.files[f]!), f).toBe(true);
  }, 60_000);
});

describe('trace cache', () => {
  it('is used by a run when the trace is the shipped one, else bypassed (edited, damaged, off) with the same outputs', () => {
    // 3,000 rows: past the head-first read, which skips the cache (trace-columns.ts).
    const run = (name: string, scenario: string, mode = 'check') => {
      const out = path.join(outDir, `trace-${name}`);
      const r = spawnSync(process.execPath, [built.entry, 'simulate', scenario, '--set', 'workload.requests=3000', '--no-progress', '--out', out], {
        cwd: packageRoot(),
        encoding: 'utf8',
        env: { ...process.env, PDSIM_TRACE_CACHE: mode },
      });
      expect(r.status, r.stderr).toBe(0);
      return { stderr: r.stderr, jsonl: readFileSync(path.join(out, 'requests.jsonl')) };
    };
    const parity = 'scenarios/bench/vidur-parity.yaml';
    const used = run('used', parity);
    expect(used.stderr).toBe('pdsim: trace cache used (vidur-parity-100k.csv.gz)\n');
    const off = run('off', parity, 'off');
    expect(off.stderr).toBe('');
    expect(used.jsonl.equals(off.jsonl)).toBe(true);
    // The same scenario beside a trace of the same name with one length changed.
    const copy = path.join(outDir, 'edited', 'bench');
    mkdirSync(path.join(outDir, 'edited', 'traces'), { recursive: true });
    mkdirSync(copy, { recursive: true });
    copyFileSync(path.join(packageRoot(), parity), path.join(copy, 'vidur-parity.yaml'));
    const text = gunzipSync(readFileSync(path.join(packageRoot(), 'scenarios/traces/vidur-parity-100k.csv.gz'))).toString('utf8');
    const lines = text.split('\n');
    const cells = lines[5]!.split(',');
    cells[2] = String(Number(cells[2]) + 1);
    lines[5] = cells.join(',');
    writeFileSync(path.join(outDir, 'edited', 'traces', 'vidur-parity-100k.csv.gz'), gzipSync(lines.join('\n')));
    const edited = run('edited', path.join(copy, 'vidur-parity.yaml'));
    expect(edited.stderr).toBe('pdsim: trace cache stale (vidur-parity-100k.csv.gz)\n');
    expect(edited.jsonl.equals(used.jsonl)).toBe(false);
    expect(edited.jsonl.equals(run('edited-off', path.join(copy, 'vidur-parity.yaml'), 'off').jsonl)).toBe(true);
    // A damaged cache file: parsed as without one, no error and no stack trace.
    const cacheFile = traceCacheFile(path.join(outDir, TRACE_CACHE_DIR), 'vidur-parity-100k.csv.gz', 'vidur');
    const whole = readFileSync(cacheFile);
    try {
      writeFileSync(cacheFile, whole.subarray(0, whole.length >> 1));
      const damaged = run('damaged', parity);
      expect(damaged.stderr).toBe('pdsim: trace cache corrupt (vidur-parity-100k.csv.gz)\n');
      expect(damaged.jsonl.equals(off.jsonl)).toBe(true);
    } finally {
      writeFileSync(cacheFile, whole);
    }
  }, 60_000);
});

describe('external packages from the cached CLI script', () => {
  it("has no import() but importExternal's fallback (a code-cached vm.Script loses import()'s callback)", () => {
    const script = readFileSync(path.join(outDir, 'pdsim.cjs'), 'utf8');
    const calls = script.split('\n').filter((l) => /(^|[^\w$.])import\(/.test(l));
    expect(calls.map((l) => l.trim())).toEqual(['return typeof __pdsimImport === "function" ? __pdsimImport(specifier) : import(specifier);']);
  });

  it('loads vega through the loader: `report --svg` with the cache in use draws the charts', () => {
    const run = path.join(outDir, 'svg-run');
    const sim = spawnSync(process.execPath, [built.entry, 'simulate', 'scenarios/quickstart.yaml', '--set', 'workload.requests=5', '--no-progress', '--out', run], { cwd: packageRoot(), encoding: 'utf8' });
    expect(sim.status, sim.stderr).toBe(0);
    // From a folder with no node_modules above it: packages resolve from the bundle, not the working directory.
    const r = spawnSync(process.execPath, [built.entry, 'report', run, '--svg'], { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, PDSIM_CODE_CACHE: 'check' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('pdsim: code cache used\n');
    const svgs = readdirSync(path.join(run, 'charts')).filter((f) => f.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(run, 'charts', svgs[0]!), 'utf8')).toMatch(/^<svg/);
  }, 60_000);

  it("lists in sources.txt only the package's files it was built from, so a fresh build is not stale", () => {
    const listed = readFileSync(path.join(outDir, 'sources.txt'), 'utf8').split('\n').filter((l) => l !== '');
    expect(listed).toContain('src/cli/main.ts');
    // The build's inputs hold virtual modules (lazy-builtins.ts's stand-ins), which must not be listed.
    expect(Object.keys(built.metafile.inputs).filter((i) => i.startsWith('pdsim-lazy-builtin:')).length).toBeGreaterThan(0);
    // bin/pdsim.mjs counts a listed path that is not a file as a deleted source (stale: tsx runs).
    expect(listed.filter((l) => !existsSync(path.join(packageRoot(), l)))).toEqual([]);
  });
});
