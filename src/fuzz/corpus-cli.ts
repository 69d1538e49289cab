/**
 * Bad command lines: seeds, output folders (a file, '', /proc, below a file), unknown commands and
 * options, server and proxy flags out of range, and commands given missing files.
 */
import type { BadCase } from './harness.js';
import { baseScenario, toYaml } from './base.js';

export function cliCases(): BadCase[] {
  const s = { 's.yaml': toYaml(baseScenario()) };
  const sim = (id: string, extra: string[], mention: string[], files: Record<string, string> = {}): BadCase => ({ id: `cli/simulate/${id}`, files: { ...s, ...files }, argv: ['simulate', '{dir}/s.yaml', '--no-progress', '--no-report', ...extra], mention });
  const c: BadCase[] = [];
  for (const seed of ['abc', '1.5', '1e23', '-1', '', '0x10']) c.push(sim(`seed=${seed || 'empty'}`, ['--out', '{dir}/out', '--seed', seed], ['--seed']));
  c.push(sim('out-is-file', ['--out', '{dir}/f'], ['--out', 'f'], { f: 'x' }));
  c.push(sim('out-below-file', ['--out', '{dir}/f/sub'], ['--out'], { f: 'x' }));
  c.push(sim('out-empty', ['--out', ''], ['--out']));
  c.push(sim('out-proc', ['--out', '/proc/pdsim-x'], ['--out', '/proc']));
  c.push(sim('out-sys', ['--out', '/sys/pdsim-x'], ['--out', '/sys']));
  c.push(sim('out-dev', ['--out', '/dev/null'], ['--out']));
  c.push({ id: 'cli/unknown-command', argv: ['simulat', 'x.yaml'], mention: ['simulat'] });
  c.push({ id: 'cli/unknown-option', files: s, argv: ['simulate', '{dir}/s.yaml', '--outt', 'x'], mention: ['--outt'] });
  c.push({ id: 'cli/missing-argument', argv: ['simulate'], mention: ['scenario'] });
  c.push({ id: 'cli/sweep/no-eq', files: s, argv: ['sweep', '{dir}/s.yaml', '--vary', 'workload.requests', '--out', '{dir}/out'], mention: ['--vary'] });
  c.push({ id: 'cli/sweep/bad-value', files: s, argv: ['sweep', '{dir}/s.yaml', '--vary', 'workload.requests=abc', '--out', '{dir}/out'], mention: ['/workload/requests'] });
  c.push({ id: 'cli/compare/missing', files: s, argv: ['compare', '{dir}/s.yaml', '{dir}/nope.yaml', '--out', '{dir}/out'], mention: ['nope.yaml'] });
  c.push({ id: 'cli/compare/seed', files: s, argv: ['compare', '{dir}/s.yaml', '{dir}/s.yaml', '--out', '{dir}/out', '--seed', 'x'], mention: ['--seed'] });
  c.push({ id: 'cli/report/missing', argv: ['report', '{dir}/nope'], mention: ['nope'] });
  c.push({ id: 'cli/calibrate/missing-file', argv: ['calibrate', '--gpu', 'h100-sxm', '{dir}/nope.csv'], mention: ['nope.csv'] });
  c.push({ id: 'cli/calibrate/unknown-gpu', files: { 'm.csv': 'a,b\n1,2\n' }, argv: ['calibrate', '--gpu', 'h100-sxn', '{dir}/m.csv'], mention: ['h100-sxn'] });
  c.push({ id: 'cli/list/unknown', argv: ['list', 'gpuz'], mention: ['gpuz'] });
  c.push({ id: 'cli/perf/tp', argv: ['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100-sxm', '--tp', 'x', '--decode-batch', '8', '--context', '100'], mention: ['--tp'] });
  c.push({ id: 'cli/validate/no-endpoint', files: s, argv: ['validate', '{dir}/s.yaml', '--out', '{dir}/out'], mention: ['--endpoint'] });
  c.push({ id: 'cli/validate/requests', files: s, argv: ['validate', '{dir}/s.yaml', '--endpoint', 'http://127.0.0.1:9', '--requests', '-4', '--out', '{dir}/out'], mention: ['--requests'] });
  c.push({ id: 'cli/vllm-args/base-port', files: s, argv: ['vllm-args', '{dir}/s.yaml', '--base-port', '70000'], mention: ['--base-port'] });
  const serve = (id: string, extra: string[], mention: string[]): BadCase => ({ id: `cli/serve/${id}`, files: s, argv: ['serve', '{dir}/s.yaml', '--quiet', ...extra], mention });
  c.push(serve('port-high', ['--port', '99999'], ['--port']));
  c.push(serve('port-negative', ['--port', '-1'], ['--port']));
  c.push(serve('port-text', ['--port', 'http'], ['--port']));
  c.push(serve('fail-pct', ['--port', '0', '--fail-pct', '150'], ['--fail-pct']));
  c.push(serve('fail-pct-negative', ['--port', '0', '--fail-pct', '-5'], ['--fail-pct']));
  c.push(serve('pct-sum', ['--port', '0', '--fail-pct', '60', '--stall-pct', '60'], ['-pct']));
  c.push(serve('host', ['--port', '0', '--host', '999.1.1.1'], ['--host', '999.1.1.1']));
  c.push(serve('host-name', ['--port', '0', '--host', 'no such host!'], ['--host']));
  c.push(serve('speed', ['--port', '0', '--speed', '0'], ['--speed']));
  c.push(serve('seed', ['--port', '0', '--seed', '1.5'], ['--seed']));
  c.push(serve('missing-scenario', ['--port', '0'], []));
  c[c.length - 1]!.argv = ['serve', '{dir}/nope.yaml', '--port', '0'];
  c[c.length - 1]!.mention = ['nope.yaml'];
  const proxy = (id: string, extra: string[], mention: string[]): BadCase => ({ id: `cli/proxy/${id}`, argv: ['proxy', '--quiet', '--prefill', 'http://127.0.0.1:9', '--decode', 'http://127.0.0.1:9', '--port', '0', ...extra], mention });
  c.push(proxy('prefill-url', ['--prefill', 'localhost:8100'], ['--prefill']));
  c.push(proxy('port', ['--port', '70000'], ['--port']));
  c.push(proxy('timeout', ['--timeout-s', 'abc'], ['--timeout-s']));
  c.push(proxy('timeout-zero', ['--timeout-s', '0'], ['--timeout-s']));
  c.push(proxy('seed', ['--seed', 'abc'], ['--seed']));
  c.push(proxy('policy', ['--policy', 'round-robbin'], ['--policy']));
  c.push(proxy('host', ['--host', '999.1.1.1'], ['--host']));
  return c;
}

/** Every generated bad input. */
export async function allCases(): Promise<BadCase[]> {
  const { generatedScenarioCases, handWrittenScenarioCases } = await import('./corpus-scenario.js');
  const { traceCases } = await import('./corpus-trace.js');
  const { mutantCases } = await import('./mutate.js');
  return [...handWrittenScenarioCases(), ...generatedScenarioCases(), ...mutantCases(1, 60), ...traceCases(), ...cliCases()];
}
