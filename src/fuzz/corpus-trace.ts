/**
 * Bad traces and empirical-length files: every cell class (missing, non-numeric, negative, zero,
 * fractional, non-finite lengths; bad, decreasing or zone-less-vs-zoned timestamps; broken quoting;
 * non-JSON lines) for the three trace formats, plus file-kind cases (missing, directory, /dev/zero).
 */
import type { BadCase } from './harness.js';
import { baseScenario, setPath, toYaml } from './base.js';

const AZ_HEAD = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';
const AZ_OK = '2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n';
const VI_HEAD = 'request_id,arrived_at,num_prefill_tokens,num_decode_tokens\n';
const VI_OK = '0,0.5,100,10\n1,1.5,200,20\n';
const MC_OK = '{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [0, 1]}\n';

function traceCase(id: string, format: 'azure' | 'vidur' | 'mooncake', file: string, content: string | undefined, mention: string[]): BadCase {
  const d = baseScenario();
  const w = d.workload as Record<string, unknown>;
  delete w.arrival;
  delete w.input;
  delete w.output;
  w.trace = { path: file, format };
  const files: Record<string, string> = { 's.yaml': toYaml(d) };
  if (content !== undefined) files[file] = content;
  return { id, files, argv: ['simulate', '{dir}/s.yaml', '--out', '{dir}/out', '--no-progress', '--no-report'], mention: [file.split('/').pop()!, ...mention] };
}

function lengthsCase(id: string, file: string, column: string, content: string, mention: string[]): BadCase {
  const d = baseScenario();
  setPath(d, 'workload.input', { dist: 'empirical', path: file, column });
  return { id, files: { 's.yaml': toYaml(d), [file]: content }, argv: ['simulate', '{dir}/s.yaml', '--out', '{dir}/out', '--no-progress', '--no-report'], mention: [file, ...mention] };
}

export function traceCases(): BadCase[] {
  const c: BadCase[] = [];
  const az = (id: string, body: string, mention: string[]) => c.push(traceCase(`trace/azure/${id}`, 'azure', 't.csv', AZ_HEAD + body, mention));
  az('non-numeric', AZ_OK + '2023-11-16 18:15:51.0000000,12,x\n', ['line 4', 'GeneratedTokens']);
  az('negative', AZ_OK + '2023-11-16 18:15:51.0000000,-5,3\n', ['line 4', 'ContextTokens']);
  az('zero-length', AZ_OK + '2023-11-16 18:15:51.0000000,0,3\n', ['line 4', 'ContextTokens']);
  az('float-length', AZ_OK + '2023-11-16 18:15:51.0000000,12.5,3\n', ['line 4', 'ContextTokens']);
  az('exp-length', AZ_OK + '2023-11-16 18:15:51.0000000,1e400,3\n', ['line 4', 'ContextTokens']);
  az('empty-cell', AZ_OK + '2023-11-16 18:15:51.0000000,,3\n', ['line 4', 'ContextTokens']);
  az('short-row', AZ_OK + '2023-11-16 18:15:51.0000000\n', ['line 4']);
  az('bad-timestamp', AZ_OK + 'yesterday,12,3\n', ['line 4', 'TIMESTAMP']);
  az('bad-date', AZ_OK + '2023-13-45 18:15:51.0000000,12,3\n', ['line 4', 'TIMESTAMP']);
  az('decreasing', AZ_OK + '2023-11-16 18:15:40.0000000,12,3\n', ['line 4']);
  az('unterminated-quote', AZ_OK + '"2023-11-16 18:15:51.0000000,12,3\n', ['line 4']);
  az('stray-quote', AZ_OK + '2023-11-16 18:15:51.0000000,1"2,3\n', ['line 4']);
  c.push(traceCase('trace/azure/header-only', 'azure', 't.csv', AZ_HEAD, ['no requests']));
  c.push(traceCase('trace/azure/empty', 'azure', 't.csv', '', []));
  c.push(traceCase('trace/azure/missing-column', 'azure', 't.csv', 'TIMESTAMP,ContextTokens\n2023-11-16 18:15:46.6805900,374\n', ['GeneratedTokens', 'line 1']));
  c.push(traceCase('trace/azure/missing-file', 'azure', 'gone.csv', undefined, ['/workload/trace/path']));
  c.push(traceCase('trace/azure/directory', 'azure', 'dir.csv', undefined, ['dir.csv']));
  c[c.length - 1]!.files!['dir.csv/x'] = '';
  c.push(traceCase('trace/azure/dev-zero', 'azure', 'z.csv', '@symlink:/dev/zero', []));
  c.push(traceCase('trace/azure/long-line', 'azure', 't.csv', AZ_HEAD + AZ_OK + 'x'.repeat(2_000_000) + '\n', ['line 4']));

  const vi = (id: string, body: string, mention: string[]) => c.push(traceCase(`trace/vidur/${id}`, 'vidur', 'v.csv', VI_HEAD + body, mention));
  vi('negative-arrival', VI_OK + '2,-1,10,10\n', ['line 4', 'arrived_at']);
  vi('nan-arrival', VI_OK + '2,NaN,10,10\n', ['line 4', 'arrived_at']);
  vi('inf-arrival', VI_OK + '2,Infinity,10,10\n', ['line 4', 'arrived_at']);
  vi('decreasing', VI_OK + '2,1.0,10,10\n', ['line 4']);
  vi('zero-decode', VI_OK + '2,2.0,10,0\n', ['line 4', 'num_decode_tokens']);
  vi('float-prefill', VI_OK + '2,2.0,10.25,3\n', ['line 4', 'num_prefill_tokens']);
  vi('hex-prefill', VI_OK + '2,2.0,0x10,3\n', ['line 4', 'num_prefill_tokens']);
  vi('too-many-cells', VI_OK + '2,2.0,10,3,9\n', ['line 4']);

  const mc = (id: string, body: string, mention: string[]) => c.push(traceCase(`trace/mooncake/${id}`, 'mooncake', 'm.jsonl', MC_OK + body, mention));
  mc('not-json', 'timestamp: 5\n', ['line 2']);
  mc('array', '[1, 2, 3]\n', ['line 2']);
  mc('missing-key', '{"timestamp": 5, "input_length": 10}\n', ['line 2', 'output_length']);
  mc('string-length', '{"timestamp": 5, "input_length": "10", "output_length": 3}\n', ['line 2', 'input_length']);
  mc('zero-length', '{"timestamp": 5, "input_length": 0, "output_length": 3}\n', ['line 2', 'input_length']);
  mc('float-length', '{"timestamp": 5, "input_length": 10.5, "output_length": 3}\n', ['line 2', 'input_length']);
  mc('negative-time', '{"timestamp": -5, "input_length": 10, "output_length": 3}\n', ['line 2', 'timestamp']);
  mc('hash-ids-strings', '{"timestamp": 5, "input_length": 10, "output_length": 3, "hash_ids": ["a"]}\n', ['line 2', 'hash_ids']);
  mc('decreasing', '{"timestamp": 100, "input_length": 10, "output_length": 3}\n{"timestamp": 50, "input_length": 10, "output_length": 3}\n', ['line 3']);
  mc('null-line', 'null\n', ['line 2']);

  const lj = (id: string, body: string, mention: string[]) => c.push(lengthsCase(`lengths/jsonl/${id}`, 'l.jsonl', 'n', body, mention));
  lj('not-json', '{"n": 5}\nnot json\n', ['line 2']);
  lj('missing-key', '{"n": 5}\n{"m": 5}\n', ['line 2', '"n"']);
  lj('zero', '{"n": 5}\n{"n": 0}\n', ['line 2', '"n"']);
  lj('float', '{"n": 5}\n{"n": 2.5}\n', ['line 2', '"n"']);
  lj('null-line', '{"n": 5}\nnull\n', ['line 2']);
  lj('empty', '\n', []);
  const lc = (id: string, body: string, mention: string[]) => c.push(lengthsCase(`lengths/csv/${id}`, 'l.csv', 'n', body, mention));
  lc('missing-column', 'm\n5\n', ['"n"', 'line 1']);
  lc('non-numeric', 'n\n5\nabc\n', ['line 3', '"n"']);
  lc('zero', 'n\n5\n0\n', ['line 3', '"n"']);
  lc('float', 'n\n5\n2.5\n', ['line 3', '"n"']);
  lc('header-only', 'n\n', []);
  return c;
}
