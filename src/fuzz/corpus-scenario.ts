/**
 * Bad scenarios, generated: every field of the schema with a wrong type, out-of-range and
 * non-finite numbers, bad enum values and misspelled keys at every level, plus hand-written cases
 * of each class of issue 11 (size, syntax, duplicate keys, unknown ids, semantic conflicts,
 * vllmArgs, --set). Each names the fragments the error line must contain.
 */
import ScenarioSchema from '../../scenarios/scenario.schema.json' with { type: 'json' };
import type { BadCase } from './harness.js';
import { baseScenario, pointerOf, raw, setPath, toYaml } from './base.js';

interface FieldInfo {
  dotted: string;
  schema: Record<string, unknown>;
}

type Sch = Record<string, unknown>;

/** Every leaf and object field of the schema, with the dotted path it has in a scenario. */
export function schemaFields(): FieldInfo[] {
  const out: FieldInfo[] = [];
  const walk = (s: Sch, prefix: string): void => {
    const props = s.properties as Record<string, Sch> | undefined;
    if (!props) return;
    for (const [k, sub] of Object.entries(props)) {
      if (k === '$schema') continue;
      const dotted = prefix ? `${prefix}.${k}` : k;
      out.push({ dotted, schema: sub });
      if (sub.type === 'object') walk(sub, dotted);
      if (sub.type === 'array') walk(sub.items as Sch, `${dotted}.0`);
    }
  };
  walk(ScenarioSchema as unknown as Sch, '');
  return out;
}

const FILE = 's.yaml';

function scenarioCase(id: string, mutate: (d: Record<string, unknown>) => void, mention: string[], extra: Record<string, string> = {}): BadCase {
  const d = baseScenario();
  mutate(d);
  return { id, files: { [FILE]: toYaml(d), ...extra }, argv: ['simulate', `{dir}/${FILE}`, '--out', '{dir}/out', '--no-progress', '--no-report'], mention: [FILE, ...mention] };
}

function textCase(id: string, text: string | Buffer, mention: string[], file = FILE): BadCase {
  return { id, files: { [file]: text }, argv: ['simulate', `{dir}/${file}`, '--out', '{dir}/out', '--no-progress', '--no-report'], mention: [file, ...mention] };
}

/** Fields whose value is a count that a scenario could blow up with (a maximum is expected). */
const COUNTS = ['workload.requests', 'deployment.pools.0.instances', 'engine.maxNumSeqs', 'engine.maxNumBatchedTokens', 'engine.numGpuBlocks', 'engine.maxModelLen', 'deployment.topology.gpusPerNode', 'workload.prefixSharing.groups', 'deployment.pools.0.engine.maxNumSeqs'];

export function generatedScenarioCases(): BadCase[] {
  const cases: BadCase[] = [];
  for (const f of schemaFields()) {
    const t = f.schema.type;
    const ptr = pointerOf(f.dotted);
    const set = (v: unknown) => (d: Record<string, unknown>) => setPath(d, f.dotted, v);
    if (t === 'number' || t === 'integer') {
      cases.push(scenarioCase(`scenario/type/${f.dotted}=str`, set('abc'), [ptr]));
      cases.push(scenarioCase(`scenario/nonfinite/${f.dotted}=.nan`, set(raw('.nan')), [ptr]));
      cases.push(scenarioCase(`scenario/nonfinite/${f.dotted}=.inf`, set(raw('.inf')), [ptr]));
      cases.push(scenarioCase(`scenario/nonfinite/${f.dotted}=1e400`, set(raw('1e400')), [ptr]));
      const min = (f.schema.minimum ?? f.schema.exclusiveMinimum) as number | undefined;
      if (min !== undefined) cases.push(scenarioCase(`scenario/bounds/${f.dotted}=below`, set(min - 1), [ptr]));
      if (t === 'integer') cases.push(scenarioCase(`scenario/bounds/${f.dotted}=1.5`, set(1.5), [ptr]));
    } else if (t === 'string') {
      cases.push(scenarioCase(`scenario/type/${f.dotted}=num`, set(5), [ptr]));
      if (Array.isArray(f.schema.enum)) cases.push(scenarioCase(`scenario/enum/${f.dotted}`, set('bogus'), [ptr]));
    } else if (t === 'boolean') {
      cases.push(scenarioCase(`scenario/type/${f.dotted}=str`, set('perhaps'), [ptr]));
    } else if (t === 'object') {
      cases.push(scenarioCase(`scenario/type/${f.dotted}=scalar`, set('x'), [ptr]));
      const keys = Object.keys((f.schema.properties as object) ?? {});
      const k = keys.find((x) => x.length > 3);
      if (k) {
        const typo = k.slice(0, 2) + k[3] + k[2] + k.slice(4); // swap two letters
        cases.push(scenarioCase(`scenario/unknown-key/${f.dotted}.${typo}`, (d) => setPath(d, `${f.dotted}.${typo}`, 1), [`${ptr}/${typo}`, `"${k}"`]));
      }
    } else if (t === 'array') {
      cases.push(scenarioCase(`scenario/type/${f.dotted}=scalar`, set('x'), [ptr]));
    }
  }
  for (const c of COUNTS) cases.push(scenarioCase(`scenario/bounds/${c}=1e12`, (d) => setPath(d, c, 1e12), [pointerOf(c)]));
  return cases;
}

export function handWrittenScenarioCases(): BadCase[] {
  const base = toYaml(baseScenario());
  const c: BadCase[] = [];
  // Size and file kind.
  c.push({ id: 'scenario/size/dev-zero', files: { 's.yaml': '@symlink:/dev/zero' }, argv: ['simulate', '{dir}/s.yaml', '--out', '{dir}/out', '--no-progress'], mention: ['s.yaml'] });
  c.push({ id: 'scenario/size/directory', files: { 'd/x': '' }, argv: ['simulate', '{dir}/d', '--out', '{dir}/out'], mention: ['d'] });
  c.push({ id: 'scenario/size/missing', argv: ['simulate', '{dir}/nope.yaml', '--out', '{dir}/out'], mention: ['nope.yaml'] });
  c.push(textCase('scenario/size/huge', base + `# ${'x'.repeat(100)}\n`.repeat(60_000), ['MiB']));
  c.push(textCase('scenario/syntax/empty', '', []));
  c.push(textCase('scenario/syntax/binary', Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 0x80]), []));
  c.push(textCase('scenario/syntax/yaml', 'name: [x\nmodel: y\n', ['line']));
  c.push(textCase('scenario/syntax/json', '{"name": "x",', ['JSON'], 's.json'));
  c.push(textCase('scenario/syntax/list', '- a\n- b\n', []));
  c.push(textCase('scenario/syntax/scalar', '42\n', []));
  c.push(textCase('scenario/syntax/yaml-alias', base + 'description: *nothere\n', []));
  c.push(textCase('scenario/syntax/deep-nesting', 'name: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n', []));
  // Duplicate keys.
  c.push(textCase('scenario/duplicate/yaml', base.replace('seed: 1', 'seed: 1\nseed: 2'), ['seed']));
  c.push(textCase('scenario/duplicate/json', JSON.stringify(baseScenario()).replace('"seed":1', '"seed":1,"seed":2'), ['seed'], 's.json'));
  // Misspelled top-level keys: name the bad key, not only the missing one.
  for (const [good, bad] of [['workload', 'worklaod'], ['deployment', 'deploymnet'], ['model', 'modle'], ['engine', 'enigne'], ['seed', 'sede']] as const) {
    c.push(textCase(`scenario/unknown-key/top-${bad}`, base.replace(new RegExp(`^${good}:`, 'm'), `${bad}:`), [`/${bad}`, `"${good}"`]));
  }
  // Unknown catalog ids, used or not.
  c.push(scenarioCase('scenario/id/model', (d) => (d.model = 'llama-9-8b'), ['/model', 'llama-9-8b']));
  c.push(scenarioCase('scenario/id/gpu', (d) => setPath(d, 'deployment.pools.0.gpu', 'h100-sxn'), ['/deployment/pools/0/gpu', 'h100-sxn']));
  c.push(scenarioCase('scenario/id/nic-unused', (d) => setPath(d, 'deployment.topology.nic', 'ib-xdr'), ['/deployment/topology/nic', 'ib-xdr']));
  c.push(scenarioCase('scenario/id/host-memory', (d) => setPath(d, 'deployment.topology.hostMemory', 'ddr9'), ['/deployment/topology/hostMemory', 'ddr9']));
  c.push(scenarioCase('scenario/id/disk', (d) => setPath(d, 'deployment.topology.disk', 'floppy'), ['/deployment/topology/disk', 'floppy']));
  c.push(scenarioCase('scenario/id/host-link', (d) => setPath(d, 'deployment.topology.hostLink', 'pcie-gen9'), ['/deployment/topology/hostLink', 'pcie-gen9']));
  c.push(scenarioCase('scenario/id/name-pattern', (d) => (d.name = 'a b/c'), ['/name']));
  // Semantic conflicts.
  c.push(scenarioCase('scenario/semantic/tp-over-node', (d) => setPath(d, 'deployment.pools.0.tp', 16), ['/deployment/pools/0/tp']));
  c.push(scenarioCase('scenario/semantic/min-over-max', (d) => setPath(d, 'workload.input', { dist: 'uniform', min: 50, max: 10 }), ['/workload/input']));
  c.push(scenarioCase('scenario/semantic/no-rate', (d) => setPath(d, 'workload.arrival', { process: 'poisson' }), ['/workload/arrival/rate']));
  c.push(scenarioCase('scenario/semantic/no-input', (d) => delete (d.workload as Record<string, unknown>).input, ['/workload/input']));
  c.push(scenarioCase('scenario/semantic/fixed-no-value', (d) => setPath(d, 'workload.input', { dist: 'fixed' }), ['/workload/input/value']));
  c.push(scenarioCase('scenario/semantic/empirical-no-path', (d) => setPath(d, 'workload.input', { dist: 'empirical', column: 'x' }), ['/workload/input/path']));
  c.push(scenarioCase('scenario/semantic/pd-without-decode', (d) => setPath(d, 'deployment.pools', [{ role: 'prefill', gpu: 'h100-sxm' }]), ['/deployment/pools']));
  // Rates that must not silently become all-at-once.
  for (const r of ['.inf', '1e308', '1e400']) c.push(scenarioCase(`scenario/bounds/rate=${r}`, (d) => setPath(d, 'workload.arrival.rate', raw(r)), ['/workload/arrival/rate']));
  // vllmArgs.
  for (const [name, args] of [['hex', '--max-num-seqs 0x10'], ['float-count', '--max-num-seqs 1.5'], ['nan', '--max-num-seqs abc'], ['bool-value', '--enable-prefix-caching=maybe'], ['unknown', '--max-num-sequences 8'], ['no-value', '--max-num-seqs'], ['tp-float', '--tensor-parallel-size 3.5'], ['exp', '--max-num-seqs 1e3'], ['huge', '--max-num-seqs 1000000000000']] as const) {
    c.push(scenarioCase(`scenario/vllm-args/${name}`, (d) => (d.vllmArgs = args), ['/vllmArgs']));
  }
  // --set.
  const withSet = (id: string, assignment: string, mention: string[]): BadCase => ({ id, files: { 's.yaml': base }, argv: ['simulate', '{dir}/s.yaml', '--out', '{dir}/out', '--no-progress', '--no-report', '--set', assignment], mention });
  c.push(withSet('scenario/set/alias', 'workload.requests=*x', ['--set', 'workload.requests']));
  c.push(withSet('scenario/set/proto', '__proto__.polluted=1', ['--set', '__proto__']));
  c.push(withSet('scenario/set/constructor', 'constructor.prototype.polluted=1', ['--set', 'constructor']));
  c.push(withSet('scenario/set/empty-segment', 'workload..requests=1', ['--set']));
  c.push(withSet('scenario/set/no-path', '=3', ['--set']));
  c.push(withSet('scenario/set/no-eq', 'workload.requests', ['--set']));
  c.push(withSet('scenario/set/through-scalar', 'workload.requests.x=1', ['--set', 'requests']));
  c.push(withSet('scenario/set/type', 'workload.requests=abc', ['/workload/requests']));
  c.push(withSet('scenario/set/bad-yaml', 'name=[', ['--set', 'name']));
  c.push(withSet('scenario/set/unknown', 'workload.requets=5', ['/workload/requets', '"requests"']));
  return c;
}
