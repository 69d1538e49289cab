/**
 * Loads a scenario: read YAML or JSON -> apply `--set path=value` overrides -> validate against the
 * schema (ajv, defaults filled in) -> semantic checks. Every error names the file, the field (JSON
 * pointer, and the YAML line when known) and what was expected.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import { didYouMean, UserError } from '../errors.js';
import type { Scenario } from './schema.js';
// The generated JSON Schema (a test keeps it equal to schema.ts), not the TypeBox module: loading
// TypeBox at start-up took ~170 ms of every command, and the JSON gets bundled as data.
import ScenarioSchema from '../../scenarios/scenario.schema.json' with { type: 'json' };
import { parseVllmArgs } from './vllm-args.js';
import { inheritPoolEngines, poolEngineKeys } from './resolve.js';
// Compiled ahead of time by `npm run schema` (a test keeps it equal to a fresh compile).
import validateGenerated from './validate-scenario.generated.js';

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the scenario file ('' when built in memory). */
  file: string;
  /** Directory that relative paths in the scenario are resolved against. */
  baseDir: string;
}

const validate = validateGenerated as unknown as ((data: unknown) => data is Scenario) & { errors?: ErrorObject[] | null };

/** Optional sections that get their defaults filled in, so the resolved scenario shows every knob. */
function fillSections(raw: Record<string, unknown>): void {
  raw.engine ??= {};
  const dep = raw.deployment as Record<string, unknown> | undefined;
  if (dep && typeof dep === 'object') {
    for (const k of ['router', 'transfer', 'topology', 'policies']) dep[k] ??= {};
  }
  raw.slo ??= {};
  raw.output ??= {};
}

function schemaAt(pointer: string): Record<string, unknown> | undefined {
  let s: Record<string, unknown> | undefined = ScenarioSchema as unknown as Record<string, unknown>;
  for (const part of pointer.split('/').filter((p) => p !== '')) {
    if (!s) return undefined;
    if (s.type === 'array') s = s.items as Record<string, unknown>;
    else s = (s.properties as Record<string, Record<string, unknown>> | undefined)?.[part];
  }
  return s;
}

function describeError(e: ErrorObject): { pointer: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const props = Object.keys((schemaAt(e.instancePath)?.properties as object) ?? {});
      const hint = didYouMean(key, props);
      return {
        pointer: `${e.instancePath}/${key}`,
        message: `unknown field "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of: ${props.join(', ')}`,
      };
    }
    case 'required':
      return { pointer: `${e.instancePath}/${String(p.missingProperty)}`, message: 'required field is missing' };
    case 'enum':
      return { pointer: e.instancePath, message: `expected one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'type':
      return { pointer: e.instancePath, message: `expected ${String(p.type)}` };
    default: {
      const desc = schemaAt(e.instancePath)?.description;
      return { pointer: e.instancePath, message: `${e.message ?? 'invalid value'}${desc ? ` (${String(desc)})` : ''}` };
    }
  }
}

function lineOf(text: string, pointer: string): number | undefined {
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

/** Applies "a.b.0.c=value" (value parsed as YAML, so numbers and booleans keep their type). */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UserError(`--set expects path=value, got "${assignment}"`);
  const keys = assignment.slice(0, eq).split('.');
  const value: unknown = parseYaml(assignment.slice(eq + 1));
  let obj: Record<string, unknown> = raw;
  for (const k of keys.slice(0, -1)) {
    if (obj[k] === undefined || obj[k] === null) obj[k] = /^\d+$/.test(keys[keys.indexOf(k) + 1] ?? '') ? [] : {};
    const next = obj[k];
    if (typeof next !== 'object') throw new UserError(`--set ${assignment}: "${k}" is not an object`);
    obj = next as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]!] = value;
}

export function parseScenarioText(text: string, file: string): unknown {
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const linePos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new UserError(`not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, file, linePos ? `line ${linePos.line}, column ${linePos.col}` : undefined);
  }
}

/** Validates a raw object (already parsed) into a resolved scenario. */
export function resolveScenario(raw: unknown, file: string, text?: string): Scenario {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError('a scenario must be a mapping (YAML) or an object (JSON)', file);
  const obj = raw as Record<string, unknown>;
  const poolKeys = poolEngineKeys(obj);
  fillSections(obj);
  if (!validate(obj)) {
    const { pointer, message } = describeError(validate.errors![0]!);
    const line = text !== undefined ? lineOf(text, pointer) : undefined;
    throw new UserError(message, file, `${pointer || '/'}${line !== undefined ? ` (line ${line})` : ''}`);
  }
  const sc = obj as Scenario;
  if (sc.vllmArgs) {
    const parsed = parseVllmArgs(sc.vllmArgs, file);
    Object.assign(sc.engine!, parsed.engine);
    if (parsed.tensorParallelSize !== undefined) for (const p of sc.deployment.pools) p.tp = parsed.tensorParallelSize;
    if (!validate(sc)) {
      const { pointer, message } = describeError(validate.errors![0]!);
      throw new UserError(`${message} (from vllmArgs)`, file, pointer);
    }
  }
  inheritPoolEngines(sc, poolKeys);
  return sc;
}

export function loadScenario(file: string, overrides: readonly string[] = []): LoadedScenario {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw new UserError('scenario file not found or not readable', file);
  }
  const raw = parseScenarioText(text, file) as Record<string, unknown>;
  if (raw !== null && typeof raw === 'object') for (const o of overrides) applyOverride(raw, o);
  const scenario = resolveScenario(raw, file, overrides.length === 0 ? text : undefined);
  return { scenario, file: abs, baseDir: path.dirname(abs) };
}
