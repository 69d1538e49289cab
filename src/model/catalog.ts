/**
 * The catalog: LLM architectures and hardware profiles kept as JSON under models/<kind>/<id>.json,
 * picked by id. Loading is synchronous and cached, since profiles are small and read once per run.
 * Every file is checked structurally on load, so a typo in a hand-edited profile fails with the
 * file and a JSON pointer instead of a NaN deep inside the simulation.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path, { join, resolve } from 'node:path';
import { didYouMean, UserError } from '../errors.js';
import { packageRoot } from '../package-files.js';
import type { LlmArchitecture } from './architecture.js';
import type { GpuProfile } from './gpu.js';
import type { DiskProfile, HostMemoryProfile, LinkProfile } from './link.js';
import { modelMessages } from '../messages/model.js';

export type CatalogKind = 'llm' | 'gpu' | 'link' | 'host' | 'disk';
export const CATALOG_KINDS: readonly CatalogKind[] = ['llm', 'gpu', 'link', 'host', 'disk'];

/** models/ at the package root (src/model/catalog.ts from sources, dist/pdsim.mjs from a bundle). */
export function defaultModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

type Json = Record<string, unknown>;

export class Catalog {
  private readonly idCache = new Map<CatalogKind, string[]>();
  private readonly fileCache = new Map<string, unknown>();

  constructor(readonly dir: string = defaultModelsDir()) {}

  /** Ids of one kind, sorted; a missing kind folder has none. */
  listIds(kind: CatalogKind): string[] {
    let ids = this.idCache.get(kind);
    if (ids === undefined) {
      if (!existsSync(this.dir)) throw new UserError(modelMessages.modelsDirectoryNotFound(), this.dir);
      const sub = join(this.dir, kind);
      ids = existsSync(sub)
        ? readdirSync(sub).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort()
        : [];
      this.idCache.set(kind, ids);
    }
    return [...ids];
  }

  /** Path of a profile file (for writers such as `pdsim calibrate`); does not check that it exists. */
  file(kind: CatalogKind, id: string): string {
    return join(this.dir, kind, `${id}.json`);
  }

  loadLlm(id: string): LlmArchitecture {
    return this.load<LlmArchitecture>('llm', id, checkLlm);
  }
  loadGpu(id: string): GpuProfile {
    return this.load<GpuProfile>('gpu', id, checkGpu);
  }
  loadLink(id: string): LinkProfile {
    return this.load<LinkProfile>('link', id, checkLink);
  }
  loadHost(id: string): HostMemoryProfile {
    return this.load<HostMemoryProfile>('host', id, checkHost);
  }
  loadDisk(id: string): DiskProfile {
    return this.load<DiskProfile>('disk', id, checkDisk);
  }

  /** Returns a copy, so a caller that tweaks a profile (a sweep, a calibration) cannot change the cached one. */
  private load<T>(kind: CatalogKind, id: string, check: (c: Checker, o: Json) => void): T {
    const key = `${kind}/${id}`;
    let value = this.fileCache.get(key);
    if (value === undefined) {
      const ids = this.listIds(kind);
      if (!ids.includes(id)) throw unknownId(kind, id, ids);
      const file = this.file(kind, id);
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new UserError(modelMessages.invalidJson((e as Error).message), file);
      }
      const c = new Checker(file);
      const o = c.object(parsed, '');
      check(c, o);
      if (o.id !== id) c.fail('/id', `must equal the file name "${id}", got "${String(o.id)}"`);
      value = o;
      this.fileCache.set(key, value);
    }
    return structuredClone(value) as T;
  }
}

export function unknownId(kind: CatalogKind, id: string, ids: readonly string[]): UserError {
  // A dropped suffix ("h100" for "h100-sxm") beats edit distance, which would rank "llama-3-8b"
  // as close to "llama-3.1" as "llama-3.1-8b" is; didYouMean catches the typos.
  const guess = ids.find((k) => k.startsWith(id.toLowerCase())) ?? didYouMean(id, ids);
  const hint = guess === undefined ? '' : ` Did you mean "${guess}"?`;
  return new UserError(modelMessages.unknownId(kind, id, hint, ids.join(', ') || '(none)'));
}

const catalogs = new Map<string, Catalog>();

/** One cached Catalog per directory (the default models/ unless `dir` is given). */
export function openCatalog(dir?: string): Catalog {
  const d = resolve(dir ?? defaultModelsDir());
  let c = catalogs.get(d);
  if (c === undefined) {
    c = new Catalog(d);
    catalogs.set(d, c);
  }
  return c;
}

export const listIds = (kind: CatalogKind, dir?: string): string[] => openCatalog(dir).listIds(kind);
export const loadLlm = (id: string, dir?: string): LlmArchitecture => openCatalog(dir).loadLlm(id);
export const loadGpu = (id: string, dir?: string): GpuProfile => openCatalog(dir).loadGpu(id);
export const loadLink = (id: string, dir?: string): LinkProfile => openCatalog(dir).loadLink(id);
export const loadHost = (id: string, dir?: string): HostMemoryProfile => openCatalog(dir).loadHost(id);
export const loadDisk = (id: string, dir?: string): DiskProfile => openCatalog(dir).loadDisk(id);

// ---- structural checks ---------------------------------------------------------------------------

interface NumBounds {
  /** Exclusive lower bound (default 0: every quantity in a profile is positive). */
  above?: number;
  /** Inclusive lower bound, replaces `above`. */
  atLeast?: number;
  /** Inclusive upper bound. */
  atMost?: number;
  integer?: boolean;
}

const ptrOf = (base: string, key: string) => `${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

class Checker {
  constructor(readonly file: string) {}

  fail(ptr: string, msg: string): never {
    throw new UserError(msg, this.file, ptr === '' ? '/' : ptr);
  }

  object(v: unknown, ptr: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(ptr, `expected an object, got ${show(v)}`);
    return v as Json;
  }
  child(o: Json, base: string, key: string): Json {
    return this.object(o[key], ptrOf(base, key));
  }

  num(o: Json, base: string, key: string, b: NumBounds = {}): number {
    const v = o[key];
    const ptr = ptrOf(base, key);
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(ptr, `expected a number, got ${show(v)}`);
    if (b.integer && !Number.isInteger(v)) this.fail(ptr, `expected an integer, got ${v}`);
    if (b.atLeast !== undefined ? v < b.atLeast : v <= (b.above ?? 0)) {
      this.fail(ptr, `expected a number ${b.atLeast !== undefined ? `>= ${b.atLeast}` : `> ${b.above ?? 0}`}, got ${v}`);
    }
    if (b.atMost !== undefined && v > b.atMost) this.fail(ptr, `expected a number <= ${b.atMost}, got ${v}`);
    return v;
  }
  optNum(o: Json, base: string, key: string, b: NumBounds = {}): void {
    if (o[key] !== undefined) this.num(o, base, key, b);
  }
  /** An efficiency: a fraction of a peak, in (0, 1]. */
  eff(o: Json, base: string, key: string): number {
    const v = o[key];
    const ptr = ptrOf(base, key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) this.fail(ptr, `expected an efficiency in (0, 1], got ${show(v)}`);
    return v;
  }

  str(o: Json, base: string, key: string): string {
    const v = o[key];
    if (typeof v !== 'string' || v === '') this.fail(ptrOf(base, key), `expected a non-empty string, got ${show(v)}`);
    return v;
  }
  oneOf<T extends string>(o: Json, base: string, key: string, values: readonly T[]): T {
    const v = o[key];
    if (!values.includes(v as T)) this.fail(ptrOf(base, key), `expected one of ${values.map((s) => `"${s}"`).join(', ')}, got ${show(v)}`);
    return v as T;
  }
  bool(o: Json, base: string, key: string): boolean {
    const v = o[key];
    if (typeof v !== 'boolean') this.fail(ptrOf(base, key), `expected true or false, got ${show(v)}`);
    return v;
  }
  sources(o: Json, base: string, key: string): void {
    const v = o[key];
    const ptr = ptrOf(base, key);
    if (!Array.isArray(v) || v.length === 0) this.fail(ptr, `expected a non-empty array of source strings, got ${show(v)}`);
    v.forEach((s, i) => {
      if (typeof s !== 'string' || s === '') this.fail(`${ptr}/${i}`, `expected a non-empty string, got ${show(s)}`);
    });
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function header(c: Checker, o: Json): void {
  c.str(o, '', 'id');
  c.str(o, '', 'name');
}

function checkLlm(c: Checker, o: Json): void {
  header(c, o);
  c.str(o, '', 'hfId');
  c.str(o, '', 'source');
  const int = { integer: true };
  for (const k of ['numLayers', 'hiddenSize', 'numHeads', 'headDim', 'intermediateSize', 'vocabSize', 'maxPositionEmbeddings']) c.num(o, '', k, int);
  const kv = c.num(o, '', 'numKvHeads', int);
  // Grouped-query attention shares each KV head among a whole number of query heads.
  if ((o.numHeads as number) % kv !== 0) c.fail('/numKvHeads', `must divide numHeads (${String(o.numHeads)}), got ${kv}`);
  for (const k of ['tiedEmbeddings', 'qkvBias', 'gatedMlp']) c.bool(o, '', k);
  c.oneOf(o, '', 'dtype', ['float16', 'bfloat16'] as const);
}

function checkCurve(c: Checker, o: Json, base: string): void {
  c.eff(o, base, 'max');
  c.num(o, base, 'halfAt', { atLeast: 0 });
  c.num(o, base, 'exponent');
}

function checkCollective(c: Checker, o: Json, base: string): void {
  c.num(o, base, 'latencyUs', { atLeast: 0 });
  c.num(o, base, 'busBandwidthGBps');
}

function checkGpu(c: Checker, o: Json): void {
  header(c, o);
  for (const k of ['memGiB', 'hbmBandwidthGBps', 'fp16Tflops', 'tdpW']) c.num(o, '', k);
  if (o.fp8Tflops !== null) c.num(o, '', 'fp8Tflops');
  if (!/^\d+\.\d+$/.test(String(o.computeCapability))) c.fail('/computeCapability', `expected "major.minor", got ${show(o.computeCapability)}`);
  c.str(o, '', 'hostLink');
  if (o.nvlink !== null) c.str(o, '', 'nvlink');
  for (const k of ['flashAttention', 'bf16']) c.bool(o, '', k);
  // An uncalibrated profile must tell the user how far off it may be.
  if (!c.bool(o, '', 'calibrated') || o.expectedError !== undefined) c.str(o, '', 'expectedError');
  c.sources(o, '', 'sources');
  const perf = c.child(o, '', 'perf');
  const gemm = c.child(perf, '/perf', 'gemm');
  checkCurve(c, c.child(gemm, '/perf/gemm', 'compute'), '/perf/gemm/compute');
  const ap = c.child(perf, '/perf', 'attentionPrefill');
  checkCurve(c, c.child(ap, '/perf/attentionPrefill', 'compute'), '/perf/attentionPrefill/compute');
  for (const [name, g] of [['gemm', gemm], ['attentionPrefill', ap], ['attentionDecode', c.child(perf, '/perf', 'attentionDecode')], ['elementwise', c.child(perf, '/perf', 'elementwise')]] as const) {
    c.eff(g, `/perf/${name}`, 'memoryEfficiency');
    c.num(g, `/perf/${name}`, 'launchUs', { atLeast: 0 });
  }
  // Optional refinements that a calibration may add (see GpuPerfParams).
  c.optNum(gemm, '/perf/gemm', 'shapeHalfAtElems', { atLeast: 0 });
  if (ap.parallel !== undefined) checkCurve(c, c.child(ap, '/perf/attentionPrefill', 'parallel'), '/perf/attentionPrefill/parallel');
  c.optNum(c.child(perf, '/perf', 'attentionDecode'), '/perf/attentionDecode', 'perQueryHeadUs', { atLeast: 0 });
  const ar = c.child(perf, '/perf', 'allReduce');
  checkCollective(c, ar, '/perf/allReduce');
  if (ar.byTp !== undefined) {
    const byTp = c.child(ar, '/perf/allReduce', 'byTp');
    for (const tp of Object.keys(byTp)) {
      const ptr = ptrOf('/perf/allReduce/byTp', tp);
      if (!/^[1-9]\d*$/.test(tp)) c.fail(ptr, `keys must be GPU counts such as "2", got "${tp}"`);
      checkCollective(c, c.object(byTp[tp], ptr), ptr);
    }
  }
  const cpu = c.child(perf, '/perf', 'cpuOverhead');
  c.num(cpu, '/perf/cpuOverhead', 'baseMs', { atLeast: 0 });
  c.num(cpu, '/perf/cpuOverhead', 'perSeqMs', { atLeast: 0 });
  if (perf.decodeBatchMs !== undefined) checkDecodeBatchMs(c, perf.decodeBatchMs);
  if (perf.forwardPasses !== undefined) c.oneOf(perf, '/perf', 'forwardPasses', ['one-token-then-chunks'] as const);
}

/** perf.decodeBatchMs: a non-empty array of finite ms (a correction: negative entries allowed). */
function checkDecodeBatchMs(c: Checker, v: unknown): void {
  const ptr = '/perf/decodeBatchMs';
  if (!Array.isArray(v) || v.length === 0) c.fail(ptr, `expected a non-empty array of ms by batch size (entry b - 1), got ${show(v)}`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) c.fail(`${ptr}/${i}`, `expected a number (ms), got ${show(x)}`);
  });
}

function checkLink(c: Checker, o: Json): void {
  header(c, o);
  const kind = c.oneOf(o, '', 'kind', ['pcie', 'nvlink', 'network'] as const);
  const theory = c.num(o, '', 'theoreticalGBpsPerDirection');
  for (const k of ['pinnedGBpsPerDirection', 'bidirectionalGBpsPerDirection']) c.num(o, '', k, { atMost: theory });
  for (const k of ['d2hGBps', 'h2dGBps']) c.optNum(o, '', k, { atMost: theory });
  // Pageable host memory only exists on the host side of a PCIe link.
  if (kind === 'pcie') c.num(o, '', 'pageableGBps', { atMost: theory });
  else c.optNum(o, '', 'pageableGBps', { atMost: theory });
  c.optNum(o, '', 'hostBounceGBps', { atMost: theory });
  c.num(o, '', 'latencyUs', { atLeast: 0 });
  c.bool(o, '', 'fullDuplex');
  c.sources(o, '', 'sources');
}

function checkHost(c: Checker, o: Json): void {
  header(c, o);
  const theory = c.num(o, '', 'theoreticalGBps');
  c.num(o, '', 'bandwidthGBps', { atMost: theory });
  c.num(o, '', 'capacityGiB');
  c.sources(o, '', 'sources');
}

function checkDisk(c: Checker, o: Json): void {
  header(c, o);
  c.num(o, '', 'readGBps');
  c.num(o, '', 'writeGBps');
  c.num(o, '', 'latencyUs', { atLeast: 0 });
  c.sources(o, '', 'sources');
}
