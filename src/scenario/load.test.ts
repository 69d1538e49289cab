import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.js';
import { loadScenario } from './load.js';
import { parseVllmArgs } from './vllm-args.js';
import { SCHEMA_PATH, schemaText, VALIDATOR_PATH, validatorText } from './write-schema.js';
import { userError } from '../errors-testing.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pdsim-load-'));
function write(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}
const base = `name: t
model: llama-3.1-8b
deployment:
  pools:
    - gpu: h100-sxm
workload:
  requests: 10
  arrival: { process: poisson, rate: 2 }
  input: { dist: fixed, value: 100 }
  output: { dist: fixed, value: 10 }
`;

describe('loadScenario', () => {
  it('fills every default in', () => {
    const { scenario } = loadScenario(write('ok.yaml', base));
    expect(scenario.engine!.maxNumSeqs).toBe(256);
    expect(scenario.engine!.blockSize).toBe(16);
    expect(scenario.deployment.pools[0]!.role).toBe('colocated');
    expect(scenario.deployment.pools[0]!.tp).toBe(1);
    expect(scenario.deployment.router!.policy).toBe('round-robin');
  });

  it('names file, pointer and line for an unknown key, with a did-you-mean', () => {
    const e = userError(() => loadScenario(write('typo.yaml', base.replace('requests: 10', 'requets: 10'))));
    expect(e.message).toContain('typo.yaml');
    expect(e.message).toContain('/workload/requets');
    expect(e.message).toContain('did you mean "requests"');
    expect(e.message).toMatch(/line 7/);
  });

  it('rejects a wrong type and a negative rate with the expectation', () => {
    expect(userError(() => loadScenario(write('type.yaml', base.replace('requests: 10', 'requests: many')))).message).toMatch(/\/workload\/requests.*expected integer/);
    expect(userError(() => loadScenario(write('neg.yaml', base.replace('rate: 2', 'rate: -2')))).message).toMatch(/\/workload\/arrival\/rate.*> 0/);
  });

  it('reports a missing file and invalid YAML', () => {
    expect(userError(() => loadScenario(path.join(dir, 'nope.yaml'))).message).toMatch(/nope.yaml: scenario file not found/);
    expect(userError(() => loadScenario(write('bad.yaml', 'name: [unclosed\n'))).message).toMatch(/bad.yaml: line \d+, column \d+: not valid YAML/);
  });

  it('applies --set overrides with YAML-typed values', () => {
    const { scenario } = loadScenario(write('set.yaml', base), ['workload.requests=5000', 'deployment.pools.0.tp=2', 'engine.enablePrefixCaching=true']);
    expect(scenario.workload.requests).toBe(5000);
    expect(scenario.deployment.pools[0]!.tp).toBe(2);
    expect(scenario.engine!.enablePrefixCaching).toBe(true);
  });

  it('parses a vllm serve argument string into the same knobs', () => {
    const { scenario } = loadScenario(write('args.yaml', `${base}vllmArgs: "vllm serve meta-llama/Llama-3.1-8B --max-num-seqs 64 --gpu-memory-utilization=0.8 --no-enable-chunked-prefill --max-model-len 8192 --max-num-batched-tokens 8192 -tp 2"\n`));
    expect(scenario.engine!.maxNumSeqs).toBe(64);
    expect(scenario.engine!.gpuMemoryUtilization).toBe(0.8);
    expect(scenario.engine!.enableChunkedPrefill).toBe(false);
    expect(scenario.deployment.pools[0]!.tp).toBe(2);
    expect(() => parseVllmArgs('--max-num-seq 4')).toThrow(/did you mean "--max-num-seqs"/);
  });
});

describe('scenario.schema.json', () => {
  it('is up to date with the TypeBox schema (run `npm run schema`)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(schemaText());
  });

  it('has an up-to-date precompiled validator (run `npm run schema`)', () => {
    expect(readFileSync(VALIDATOR_PATH, 'utf8')).toBe(validatorText());
  });

  it('every shipped scenario validates', async () => {
    const { readdirSync } = await import('node:fs');
    const scenDir = path.dirname(SCHEMA_PATH);
    const files = readdirSync(scenDir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(() => loadScenario(path.join(scenDir, f))).not.toThrow();
  });
});

describe('input hardening (issue 11)', () => {
  it('reports every schema problem at once, on one line, and names a misspelled top-level key', () => {
    const text = base.replace('workload:', 'worklaod:').replace('model: llama-3.1-8b', 'model: 5');
    const e = userError(() => loadScenario(write('many.yaml', text)));
    expect(e.message).not.toContain('\n');
    expect(e.message).toMatch(/many\.yaml: 2 problems: .*\/worklaod \(line \d+\): unknown field "worklaod" \(did you mean "workload"\?\)/);
    expect(e.message).toMatch(/\/model \(line 2\): expected string/);
    expect(e.message).not.toMatch(/\/workload: required/);
  });

  it('rejects non-finite and huge numbers with the unit, instead of recording null', () => {
    for (const r of ['.inf', '1e308', '1e400']) {
      const e = userError(() => loadScenario(write('rate.yaml', base.replace('rate: 2', `rate: ${r}`))));
      expect(e.message).toMatch(/\/workload\/arrival\/rate/);
      expect(e.message).toMatch(/requests\/s/);
    }
    expect(userError(() => loadScenario(write('n.yaml', base.replace('requests: 10', 'requests: 1e12')))).message).toMatch(/\/workload\/requests.*must be <= 10000000/);
  });

  it('rejects duplicate keys in YAML and JSON', () => {
    expect(userError(() => loadScenario(write('d.yaml', base.replace('name: t', 'name: t\nname: u')))).message).toMatch(/d\.yaml: line 2, column 1: duplicate key "name"/);
    expect(userError(() => loadScenario(write('d.json', '{"name": "a", "name": "b"}'))).message).toMatch(/d\.json: .*duplicate key "name"/);
  });

  it('--set cannot write into prototypes, and a bad value names --set', () => {
    for (const a of ['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'workload.__proto__.x=1']) {
      expect(userError(() => loadScenario(write('ok.yaml', base), [a])).message).toMatch(/--set .*is not a scenario field/);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(userError(() => loadScenario(write('ok.yaml', base), ['workload.requests=*x'])).message).toMatch(/--set workload\.requests: the value is not valid YAML/);
  });

  it('checks every catalog id, used or not, and tp within a node', () => {
    const nic = base.replace('    - gpu: h100-sxm', '    - gpu: h100-sxm\n  topology: { nic: ib-xdr }');
    expect(userError(() => loadScenario(write('nic.yaml', nic))).message).toMatch(/\/deployment\/topology\/nic.*unknown link id "ib-xdr"/);
    const tp = base.replace('    - gpu: h100-sxm', '    - { gpu: h100-sxm, tp: 16 }');
    expect(userError(() => loadScenario(write('tp.yaml', tp))).message).toMatch(/\/deployment\/pools\/0\/tp.*does not fit on a node of 8 GPUs/);
  });

  it('refuses a device, a directory and an oversized file before reading them', () => {
    expect(userError(() => loadScenario('/dev/zero')).message).toMatch(/not a regular file/);
    expect(userError(() => loadScenario(dir)).message).toMatch(/is a directory/);
    expect(userError(() => loadScenario(write('big.yaml', base + '#'.repeat(5 * 1024 * 1024)))).message).toMatch(/larger than 4\.0 MiB/);
  });
});

describe('vllmArgs as vLLM parses them', () => {
  it('booleans: --flag, --no-flag, --flag=false / =true; anything else is an error', () => {
    expect(parseVllmArgs('--enable-prefix-caching').engine.enablePrefixCaching).toBe(true);
    expect(parseVllmArgs('--no-enable-prefix-caching').engine.enablePrefixCaching).toBe(false);
    expect(parseVllmArgs('--enable-prefix-caching=false').engine.enablePrefixCaching).toBe(false);
    expect(parseVllmArgs('--enable-chunked-prefill=True').engine.enableChunkedPrefill).toBe(true);
    expect(userError(() => parseVllmArgs('--enable-prefix-caching=maybe', 'f.yaml')).message).toMatch(/f\.yaml: \/vllmArgs: --enable-prefix-caching is a switch/);
  });

  it('numbers are decimal only: 0x10 and 1e3 are not counts', () => {
    expect(parseVllmArgs('--max-num-seqs 16 --gpu-memory-utilization 0.85').engine).toMatchObject({ maxNumSeqs: 16, gpuMemoryUtilization: 0.85 });
    for (const v of ['0x10', '1e3', '1.5', '-4']) expect(userError(() => parseVllmArgs(`--max-num-seqs ${v}`)).message).toMatch(/expects a decimal integer/);
  });
});
