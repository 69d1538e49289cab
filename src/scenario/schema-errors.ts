/**
 * Turns ajv's errors into one line a user can act on: every problem at once (so a scenario is fixed
 * in one edit, not one run per mistake), each with its JSON pointer, YAML line when known, and what
 * was expected; an unknown key is named with a did-you-mean, and a misspelled key that leaves a
 * required one missing ("worklaod:") is reported once, as the misspelling.
 */
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { didYouMean } from '../errors.js';
import { messages } from '../messages.js';
import ScenarioSchema from '../../scenarios/scenario.schema.json' with { type: 'json' };

export interface Problem {
  pointer: string;
  message: string;
}

type Sch = Record<string, unknown>;

export function schemaAt(pointer: string): Sch | undefined {
  let s: Sch | undefined = ScenarioSchema as unknown as Sch;
  for (const part of pointer.split('/').filter((p) => p !== '')) {
    if (!s) return undefined;
    if (s.type === 'array') s = s.items as Sch;
    else s = (s.properties as Record<string, Sch> | undefined)?.[part];
  }
  return s;
}

function describe(e: ErrorObject): Problem {
  const p = e.params as Record<string, unknown>;
  const desc = schemaAt(e.instancePath)?.description;
  const about = desc ? ` (${String(desc)})` : '';
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const props = Object.keys((schemaAt(e.instancePath)?.properties as object) ?? {});
      const hint = didYouMean(key, props);
      return { pointer: `${e.instancePath}/${key}`, message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of: ${props.join(', ')}` };
    }
    case 'required':
      return { pointer: `${e.instancePath}/${String(p.missingProperty)}`, message: 'required field is missing' };
    case 'enum':
      return { pointer: e.instancePath, message: `expected one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'type':
      return { pointer: e.instancePath, message: `expected ${String(p.type)}${about}` };
    case 'maximum':
    case 'minimum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { pointer: e.instancePath, message: `${e.message ?? 'out of range'}${about}` };
    default:
      return { pointer: e.instancePath, message: `${e.message ?? 'invalid value'}${about}` };
  }
}

/** Non-finite numbers (YAML .inf, .nan, 1e400): JSON Schema cannot say "finite", so this walk does. */
export function nonFiniteProblems(value: unknown, pointer = ''): Problem[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [{ pointer, message: messages.nonFinite(value, schemaAt(pointer)?.description ? ` (${String(schemaAt(pointer)!.description)})` : '') }];
  if (value === null || typeof value !== 'object') return [];
  const out: Problem[] = [];
  for (const [k, v] of Object.entries(value)) out.push(...nonFiniteProblems(v, `${pointer}/${k}`));
  return out;
}

export function schemaProblems(errors: readonly ErrorObject[]): Problem[] {
  const raw = errors.map(describe);
  // "worklaod:" gives an unknown key and a missing "workload": keep the first, which names both.
  const misspelt = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const props = Object.keys((schemaAt(e.instancePath)?.properties as object) ?? {});
    const hint = didYouMean(String((e.params as Record<string, unknown>).additionalProperty), props);
    if (hint) misspelt.add(`${e.instancePath}/${hint}`);
  }
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const p of raw) {
    if (p.message === 'required field is missing' && misspelt.has(p.pointer)) continue;
    // Ajv reports a type error and the keywords after it for one value: one line per pointer.
    if (seen.has(p.pointer)) continue;
    seen.add(p.pointer);
    out.push(p);
  }
  return out;
}

export function lineOf(text: string, pointer: string): number | undefined {
  try {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc });
    const keys = pointer.split('/').filter((s) => s !== '').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    for (let n = keys.length; n >= 1; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    }
  } catch {
    // Line numbers are a courtesy; the JSON pointer is always given.
  }
  return undefined;
}

const MAX_SHOWN = 8;

/** One line: "POINTER (line N): message", or "N problems: ...; ...". */
export function formatProblems(problems: readonly Problem[], text?: string): { message: string; where?: string } {
  const at = (p: Problem): string => {
    const line = text !== undefined ? lineOf(text, p.pointer) : undefined;
    return `${p.pointer || '/'}${line !== undefined ? ` (line ${line})` : ''}`;
  };
  if (problems.length === 1) return { message: problems[0]!.message, where: at(problems[0]!) };
  const shown = problems.slice(0, MAX_SHOWN).map((p) => `${at(p)}: ${p.message}`);
  return { message: messages.problems(problems.length, shown.join('; '), Math.max(0, problems.length - MAX_SHOWN)) };
}
