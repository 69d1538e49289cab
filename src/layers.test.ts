/**
 * The layer rule of DESIGN.md section 2, checked on the import statements of every non-test source
 * file: a layer imports only layers below it (kernel < model, hardware < kv, perf < serving <
 * workload < metrics < scenario < run < report, calibrate < plan, build < the edges: cli, adapters, bench, docs
 * < notebook, the notebooks' facade; package-files and packed-doubles, like errors, sit at the bottom),
 * and no file imports itself back through a cycle. Tests are exempt from the order (they are
 * integration tests at any depth), not from the cycle check of what they test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const RANK: Record<string, number> = {
  'src/errors': 0, 'src/messages': 0, 'src/round': 0, 'src/packed-doubles': 0, 'src/package-files': 0, 'src/errors-testing': 0.5,
  'src/kernel': 1, 'src/io': 1,
  'src/model': 2, 'src/hardware': 2,
  'src/kv': 3, 'src/perf': 3,
  'src/serving': 4,
  'src/workload': 5,
  'src/metrics': 6,
  'src/scenario': 7,
  'src/run': 8,
  'src/report': 9, 'src/calibrate': 9,
  'src/plan': 9.5,
  // The bundle build sits just below the edges, since bench (an edge) builds the bundle it times.
  'src/build': 9.5,
  'src/cli': 10, 'src/bench': 10, 'src/docs': 10, 'adapters': 10,
  // The notebooks' library facade combines edges (serve, validate) with the core; nothing imports it.
  'src/notebook': 11,
  // Test tooling that drives the CLI and the servers from outside.
  'src/fuzz': 11, 'src/loadtest': 11,
};
const EDGE = 10;

function layerOf(file: string): string {
  const [top, second] = file.split('/');
  if (top === 'adapters') return 'adapters';
  const name = second!.replace(/\.ts$/, '');
  const layer = `src/${name}`;
  if (!(layer in RANK)) throw new Error(`${file}: layer ${layer} has no rank in layers.test.ts; give it one`);
  return layer;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    // Installed packages (adapters/llamacpp/engine/node_modules) are not pdsim's sources.
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') out.push(...sources(rel));
    }
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Relative imports (static, dynamic and type-only) of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
    if (target.endsWith('.js')) out.push(target.replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = [...sources('src'), ...sources('adapters')];
const isTest = (f: string) => /\.test\.ts$/.test(f);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('layers (DESIGN.md section 2)', () => {
  it('no source file imports a layer above its own, nor a sibling layer of the same rank', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph) {
      if (isTest(f)) continue;
      const a = layerOf(f);
      for (const d of deps) {
        const b = layerOf(d);
        if (a === b) continue;
        if (RANK[b]! < RANK[a]! || (RANK[a] === EDGE && RANK[b] === EDGE)) continue;
        bad.push(`${f} -> ${d} (${a} may not import ${b})`);
      }
    }
    expect(bad).toEqual([]);
  });
  it('every imported file exists', () => {
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${f} -> ${d}`));
    expect(missing).toEqual([]);
  });
  it('no import cycle among source files', () => {
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 1);
      stack.push(f);
      for (const d of graph.get(f) ?? []) {
        if (isTest(d)) continue;
        const s = state.get(d);
        if (s === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].join(' -> '));
        else if (s === undefined) visit(d);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of graph.keys()) if (!isTest(f) && !state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
