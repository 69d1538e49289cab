import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { deriveSizes } from './architecture.js';
import { Catalog, CATALOG_KINDS, defaultModelsDir, listIds, loadDisk, loadGpu, loadHost, loadLink, loadLlm } from './catalog.js';
import { userError } from '../errors-testing.js';

const loaders = { llm: loadLlm, gpu: loadGpu, link: loadLink, host: loadHost, disk: loadDisk } as const;

/** A catalog in a temp dir holding one file, for the error-path tests. */
function tempCatalog(kind: string, id: string, content: string): Catalog {
  const dir = mkdtempSync(join(tmpdir(), 'pdsim-catalog-'));
  mkdirSync(join(dir, kind));
  writeFileSync(join(dir, kind, `${id}.json`), content);
  return new Catalog(dir);
}

describe('catalog files', () => {
  it.each(CATALOG_KINDS)('every %s file loads and passes the structural checks', (kind) => {
    const ids = listIds(kind);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).toEqual([...ids].sort());
    for (const id of ids) expect(loaders[kind](id).id).toBe(id);
  });

  it('holds the required ids', () => {
    expect(listIds('llm')).toEqual(expect.arrayContaining([
      'qwen2.5-1.5b-instruct', 'qwen2.5-7b-instruct', 'qwen2-7b', 'llama-2-7b', 'llama-2-70b', 'llama-3-8b',
      'llama-3.1-8b', 'llama-3-70b', 'llama-3.1-70b', 'mistral-7b-v0.3', 'codellama-34b']));
    expect(listIds('gpu')).toEqual(expect.arrayContaining([
      'rtx-2080-super-maxq', 't4', 'l4', 'a10g', 'a30', 'l40s', 'a100-sxm-40gb', 'a100-sxm-80gb', 'h100-pcie', 'h100-sxm', 'h200-sxm']));
    expect(listIds('link')).toEqual(expect.arrayContaining([
      'pcie-gen3-x16', 'pcie-gen4-x16', 'pcie-gen5-x16', 'nvlink3', 'nvlink4', 'ib-hdr', 'ib-ndr', 'roce-100g', 'roce-200g', 'roce-400g']));
    expect(listIds('host')).toEqual(['laptop-ddr4', 'server-ddr4', 'server-ddr5']);
    expect(listIds('disk')).toEqual(['cloud-disk', 'nvme-gen3', 'nvme-gen4']);
  });

  it('every GPU names links that exist and says how far off its uncalibrated numbers may be', () => {
    const links = listIds('link');
    for (const id of listIds('gpu')) {
      const g = loadGpu(id);
      expect(links, id).toContain(g.hostLink);
      if (g.nvlink !== null) expect(links, id).toContain(g.nvlink);
      if (!g.calibrated) expect(g.expectedError, id).toMatch(/±\d+%/);
    }
  });

  it('GEMM curves keep one-token GEMMs finite (exponent <= 1)', () => {
    // With exponent > 1, compute time 2mnk / (peak * eta(m)) grows without bound as m -> 1, so a
    // decode step would turn compute-bound and absurdly slow.
    for (const id of listIds('gpu')) expect(loadGpu(id).perf.gemm.compute.exponent, id).toBeLessThanOrEqual(1);
  });

  it('Turing GPUs have neither FlashAttention-2 nor bf16', () => {
    for (const id of ['t4', 'rtx-2080-super-maxq']) {
      const g = loadGpu(id);
      expect([g.flashAttention, g.bf16], id).toEqual([false, false]);
      expect(g.perf.attentionPrefill.compute.max).toBeLessThan(loadGpu('a100-sxm-80gb').perf.attentionPrefill.compute.max);
    }
  });

  it('finds models/ from the module location', () => {
    expect(defaultModelsDir().replace(/\\/g, '/')).toMatch(/\/models$/);
  });
});

describe('derived sizes match the published ones (hardware.md Table 4)', () => {
  // [id, params in billions as published (rounded), KV bytes per token in fp16]
  const table4: [string, number, number][] = [
    ['qwen2.5-1.5b-instruct', 1.544, 28_672],
    ['qwen2.5-7b-instruct', 7.616, 57_344],
    ['llama-2-7b', 6.738, 524_288],
    ['llama-3.1-8b', 8.030, 131_072],
    ['mistral-7b-v0.3', 7.248, 131_072],
    ['llama-2-70b', 68.98, 327_680],
    ['llama-3.1-70b', 70.55, 327_680],
  ];
  it.each(table4)('%s: %f B params, %i KV bytes/token', (id, paramsB, kvBytes) => {
    const s = deriveSizes(loadLlm(id));
    // Published values carry 4 significant digits: within half a unit of the last digit.
    const halfUnit = 0.5 * 10 ** (Math.floor(Math.log10(paramsB)) - 3);
    expect(Math.abs(s.totalParams / 1e9 - paramsB)).toBeLessThanOrEqual(halfUnit + 1e-9);
    expect(s.kvBytesPerToken).toBe(kvBytes);
  });

  it('models outside Table 4 have their known sizes', () => {
    // Same architectures as their Table 4 siblings, so the same counts; CodeLlama-34B is 33.7 B.
    expect(deriveSizes(loadLlm('qwen2-7b')).totalParams).toBe(deriveSizes(loadLlm('qwen2.5-7b-instruct')).totalParams);
    expect(deriveSizes(loadLlm('llama-3-8b')).totalParams).toBe(deriveSizes(loadLlm('llama-3.1-8b')).totalParams);
    expect(deriveSizes(loadLlm('llama-3-70b')).totalParams).toBe(deriveSizes(loadLlm('llama-3.1-70b')).totalParams);
    const cl = deriveSizes(loadLlm('codellama-34b'));
    expect(cl.totalParams / 1e9).toBeCloseTo(33.74, 1);
    expect(cl.kvBytesPerToken).toBe(196_608);
  });
});

describe('catalog errors', () => {
  it('an unknown id lists the known ids and suggests the closest', () => {
    const e = userError(() => loadGpu('h100-sxn'));
    expect(e.message).toContain('Did you mean "h100-sxm"?');
    expect(e.message).toContain('a100-sxm-80gb');
    expect(userError(() => loadLlm('llama-3.1')).message).toMatch(/Did you mean "llama-3\.1-(8|70)b"\?/);
  });

  it('a malformed profile names the file and the field as a JSON pointer', () => {
    const good = readFileSync(join(defaultModelsDir(), 'gpu', 'l4.json'), 'utf8');
    const bad = JSON.parse(good);
    bad.perf.gemm.compute.max = 1.2;
    const c = tempCatalog('gpu', 'l4', JSON.stringify(bad));
    const e = userError(() => c.loadGpu('l4'));
    expect(e.file).toBe(join(c.dir, 'gpu', 'l4.json'));
    expect(e.where).toBe('/perf/gemm/compute/max');
    expect(e.message).toContain('(0, 1]');
  });

  it('perf.decodeBatchMs is optional, a non-empty array of finite ms (negative allowed)', () => {
    const gpu = JSON.parse(readFileSync(join(defaultModelsDir(), 'gpu', 'llamacpp-cpu-1t.json'), 'utf8'));
    const load = (table: unknown) => tempCatalog('gpu', gpu.id, JSON.stringify({ ...gpu, perf: { ...gpu.perf, decodeBatchMs: table } })).loadGpu(gpu.id);
    expect(load([-0.5, 0, 1.25]).perf.decodeBatchMs).toEqual([-0.5, 0, 1.25]);
    expect(userError(() => load([])).where).toBe('/perf/decodeBatchMs');
    expect(userError(() => load({ 1: 0.5 })).where).toBe('/perf/decodeBatchMs');
    const e = userError(() => load([0.1, 'x']));
    expect(e.where).toBe('/perf/decodeBatchMs/1');
    expect(e.message).toContain('expected a number (ms)');
  });

  it('a missing or non-numeric field is reported with its pointer', () => {
    const llm = JSON.parse(readFileSync(join(defaultModelsDir(), 'llm', 'llama-2-7b.json'), 'utf8'));
    delete llm.hiddenSize;
    expect(userError(() => tempCatalog('llm', 'llama-2-7b', JSON.stringify(llm)).loadLlm('llama-2-7b')).where).toBe('/hiddenSize');
    const link = JSON.parse(readFileSync(join(defaultModelsDir(), 'link', 'pcie-gen4-x16.json'), 'utf8'));
    link.latencyUs = 'NaN';
    const e = userError(() => tempCatalog('link', 'pcie-gen4-x16', JSON.stringify(link)).loadLink('pcie-gen4-x16'));
    expect(e.message).toMatch(/pcie-gen4-x16\.json: \/latencyUs: expected a number, got "NaN"/);
  });

  it('invalid JSON and an id that differs from the file name are user errors', () => {
    expect(userError(() => tempCatalog('disk', 'x', '{ nope').loadDisk('x')).message).toContain('not valid JSON');
    const host = readFileSync(join(defaultModelsDir(), 'host', 'server-ddr4.json'), 'utf8');
    expect(userError(() => tempCatalog('host', 'other', host).loadHost('other')).where).toBe('/id');
  });

  it('returns copies, so a caller cannot change the cached profile', () => {
    const g = loadGpu('a100-sxm-80gb');
    g.perf.gemm.compute.max = 0.1;
    expect(loadGpu('a100-sxm-80gb').perf.gemm.compute.max).not.toBe(0.1);
  });
});
