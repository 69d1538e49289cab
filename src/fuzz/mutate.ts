/**
 * Property-based mutations of valid scenarios: a small seeded mutator (no library: it needs a
 * schema-aware choice of field and mutation, which is the whole of it) applies 1-3 invalid
 * mutations on disjoint fields of a shipped scenario. The property: the run is rejected cleanly
 * and the one error line names every mutated field (all schema errors are reported together).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import ScenarioSchema from '../../scenarios/scenario.schema.json' with { type: 'json' };
import type { BadCase } from './harness.js';
import { baseScenario, raw, toYaml } from './base.js';

type Sch = Record<string, unknown>;
type Doc = Record<string, unknown>;

const SHIPPED = ['quickstart.yaml', 'dual-l4-disagg.yaml', 'dual-l4-colocated.yaml', 'laptop-2080.yaml', 'laptop-2080-offload.yaml'];

function valid(): Doc[] {
  const docs = SHIPPED.map((f) => parse(readFileSync(fileURLToPath(new URL(`../../scenarios/${f}`, import.meta.url)), 'utf8')) as Doc);
  return [baseScenario(), ...docs];
}

/** mulberry32: 32-bit state, good enough to pick fields and mutations reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Site {
  keys: (string | number)[];
  schema: Sch;
}

function sites(doc: unknown, schema: Sch, keys: (string | number)[] = [], out: Site[] = []): Site[] {
  if (keys.length > 0) out.push({ keys, schema });
  if (Array.isArray(doc) && schema.type === 'array') doc.forEach((v, i) => sites(v, schema.items as Sch, [...keys, i], out));
  else if (doc && typeof doc === 'object' && schema.properties) {
    for (const [k, v] of Object.entries(doc)) {
      const sub = (schema.properties as Record<string, Sch>)[k];
      if (sub && k !== '$schema') sites(v, sub, [...keys, k], out);
    }
  }
  return out;
}

const ptr = (keys: readonly (string | number)[]): string => `/${keys.join('/')}`;

function parentOf(doc: Doc, keys: readonly (string | number)[]): Record<string | number, unknown> {
  let o: unknown = doc;
  for (const k of keys.slice(0, -1)) o = (o as Record<string | number, unknown>)[k];
  return o as Record<string | number, unknown>;
}

/** One invalid mutation at `s`; returns the pointer the error must name, or undefined if none applies. */
function mutateAt(doc: Doc, s: Site, r: () => number): string | undefined {
  const parent = parentOf(doc, s.keys);
  const last = s.keys[s.keys.length - 1]!;
  const t = s.schema.type;
  const choice = Math.floor(r() * 4);
  if (choice === 0 && typeof last === 'string') {
    // A misspelled key: name the bad key (and the good one, in the did-you-mean).
    const typo = last.length > 3 ? last.slice(0, 1) + last.slice(2) : `${last}x`;
    const obj = parent as Doc;
    obj[typo] = obj[last];
    delete obj[last];
    return ptr([...s.keys.slice(0, -1), typo]);
  }
  if (choice === 1 && t === 'object') {
    const obj = parent[last] as Doc;
    obj['extraKnob'] = 1;
    return ptr([...s.keys, 'extraKnob']);
  }
  if (t === 'number' || t === 'integer') {
    const min = (s.schema.minimum ?? s.schema.exclusiveMinimum) as number | undefined;
    const options: unknown[] = [raw('.inf'), raw('.nan'), 'many', raw('1e400')];
    if (min !== undefined) options.push(min - 1);
    if (t === 'integer') options.push(2.5);
    parent[last] = options[Math.floor(r() * options.length)];
    return ptr(s.keys);
  }
  if (t === 'string') {
    parent[last] = Array.isArray(s.schema.enum) ? `${String(parent[last])}-ish` : 12;
    return ptr(s.keys);
  }
  if (t === 'boolean') {
    parent[last] = 'yes please';
    return ptr(s.keys);
  }
  parent[last] = 7; // an object or array replaced by a number
  return ptr(s.keys);
}

export function mutantCases(seed: number, count: number): BadCase[] {
  const r = rng(seed);
  const docs = valid();
  const out: BadCase[] = [];
  for (let n = 0; n < count; n++) {
    const doc = structuredClone(docs[n % docs.length]!);
    const all = sites(doc, ScenarioSchema as unknown as Sch).filter((s) => s.keys[0] !== 'description' && s.keys[s.keys.length - 1] !== 'name');
    const k = 1 + Math.floor(r() * 3);
    const chosen: Site[] = [];
    for (let tries = 0; chosen.length < k && tries < 50; tries++) {
      const s = all[Math.floor(r() * all.length)]!;
      // Disjoint subtrees, so one mutation cannot hide another.
      const overlaps = chosen.some((c) => ptr(c.keys).startsWith(ptr(s.keys)) || ptr(s.keys).startsWith(ptr(c.keys)));
      if (!overlaps) chosen.push(s);
    }
    const mention = chosen.map((s) => mutateAt(doc, s, r)).filter((p): p is string => p !== undefined);
    out.push({ id: `mutant/${seed}-${n}`, files: { 'm.yaml': toYaml(doc) }, argv: ['simulate', '{dir}/m.yaml', '--out', '{dir}/out', '--no-progress', '--no-report'], mention: ['m.yaml', ...mention] });
  }
  return out;
}
