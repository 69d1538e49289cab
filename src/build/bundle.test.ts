// The bundle the `pdsim` command runs: it works from its own folder (data and profiles found from
// the package root), and what starts every command (the entry and its static imports) holds no
// command module and none of the YAML parser, the scenario validator or vega: those load lazily.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metafile } from 'esbuild';
import { packageRoot } from '../package-files.js';
import { buildBundle, type BundleResult } from './bundle.js';

const outDir = path.join(packageRoot(), `.test-dist-${process.pid}`);
let built: BundleResult;

beforeAll(async () => {
  built = await buildBundle(outDir);
}, 60_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Inputs reachable from an output through static imports only (what loads before any dynamic import). */
function staticInputs(meta: Metafile, output: string): string[] {
  const seen = new Set<string>();
  const visit = (o: string): void => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const i of meta.outputs[o]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(output);
  return [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
}

describe('bundle', () => {
  it('starts with commander and the registry only', () => {
    const entry = Object.keys(built.metafile.outputs).find((o) => o.endsWith('/pdsim.mjs'))!;
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
