/**
 * Loads a scenario: read YAML or JSON -> apply `--set path=value` overrides -> validate against the
 * schema (ajv, defaults filled in) -> semantic checks. Every error names the file, the field (JSON
 * pointer, and the YAML line when known) and what was expected.
 */
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { parseDocument, parse as parseYaml } from 'yaml';
import { UserError } from '../errors.js';
import { messages } from '../messages.js';
import { MiB, readTextBounded } from '../io/bounded-read.js';
import type { Scenario } from './schema.js';
import { formatProblems, nonFiniteProblems, schemaProblems, type Problem } from './schema-errors.js';
import { assertNoProblems, semanticProblems } from './semantic.js';
import { resolveEngineDefaults } from './engine-defaults.js';
import { parseVllmArgs } from './vllm-args.js';
import { inheritPoolEngines, poolEngineKeys } from './resolve.js';
// Compiled ahead of time by `npm run schema` (a test keeps it equal to a fresh compile).
import validateGenerated from './validate-scenario.generated.js';
import { scenarioMessages } from '../messages/scenario.js';

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the scenario file ('' when built in memory). */
  file: string;
  /** Directory that relative paths in the scenario are resolved against. */
  baseDir: string;
  /** Notes and warnings for the user (version mapping, vllmArgs flags that change timing but are not modelled). */
  notes?: string[];
}

const validate = validateGenerated as unknown as ((data: unknown) => data is Scenario) & { errors?: ErrorObject[] | null };

/** A scenario is a page of YAML; 4 MiB is far beyond any real one and keeps a wrong path cheap. */
export const SCENARIO_MAX_BYTES = 4 * MiB;

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

/** Keys that would reach Object.prototype (or a constructor) instead of a scenario field. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Applies "a.b.0.c=value" (value parsed as YAML, so numbers and booleans keep their type). */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UserError(scenarioMessages.setNotPathValue(assignment));
  const fieldPath = assignment.slice(0, eq);
  const keys = fieldPath.split('.');
  for (const k of keys) {
    if (k === '') throw new UserError(scenarioMessages.setEmptyFieldName(fieldPath));
    if (FORBIDDEN_KEYS.has(k)) throw new UserError(messages.notAField(fieldPath, k));
  }
  let value: unknown;
  try {
    value = parseYaml(assignment.slice(eq + 1));
  } catch (e) {
    throw new UserError(scenarioMessages.setValueNotYaml(fieldPath, (e as Error).message.split('\n')[0]));
  }
  let obj = raw;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (Array.isArray(obj) && (!/^\d+$/.test(k) || Number(k) > obj.length)) {
      throw new UserError(scenarioMessages.setIndexOutOfRange(fieldPath, keys.slice(0, i).join('.'), obj.length, k));
    }
    if (i === keys.length - 1) break;
    if (!Object.hasOwn(obj, k) || obj[k] === undefined || obj[k] === null) obj[k] = /^\d+$/.test(keys[i + 1]!) ? [] : {};
    const next = obj[k];
    if (typeof next !== 'object') throw new UserError(scenarioMessages.setNotASection(fieldPath, keys.slice(0, i + 1).join('.'), typeof next));
    obj = next as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]!] = value;
}

/** The key a YAML error offset points at, for "duplicate key" messages. */
function keyAt(text: string, offset: number | undefined): string {
  const m = /^["']?([^"':\s,{}]+)/.exec(text.slice(offset ?? 0));
  return m?.[1] ?? '?';
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

export function parseScenarioText(text: string, file: string): unknown {
  const json = file.endsWith('.json');
  try {
    const value: unknown = json ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
    if (json) {
      // JSON.parse keeps the last of duplicate keys silently; the YAML parser (JSON is YAML) finds them.
      const dup = parseDocument(text, { uniqueKeys: true }).errors.find((e) => e.code === 'DUPLICATE_KEY');
      if (dup) throw dup;
    }
    return value;
  } catch (e) {
    if (e instanceof RangeError) throw new UserError(scenarioMessages.nestedTooDeeply(), file);
    const err = e as { code?: string; pos?: [number, number]; linePos?: { line: number; col: number }[]; message: string };
    if (err.code === 'DUPLICATE_KEY') {
      throw new UserError(messages.duplicateKey(keyAt(text, err.pos?.[0])), file, err.pos ? lineCol(text, err.pos[0]) : undefined);
    }
    const linePos = err.linePos?.[0];
    throw new UserError(scenarioMessages.invalidDocument(json ? 'JSON' : 'YAML', String(err.message).split('\n')[0]), file, linePos ? `line ${linePos.line}, column ${linePos.col}` : undefined);
  }
}

function dedupe(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.pointer) && (seen.add(p.pointer), true));
}

/**
 * Validates a raw object (already parsed) into a resolved scenario, with the engine defaults of
 * its vLLM version filled in; notes for the user go to `notes` when given.
 */
export function resolveScenario(raw: unknown, file: string, text?: string, modelsDir?: string, notes: string[] = []): Scenario {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(scenarioMessages.scenarioNotAMapping(), file);
  const obj = raw as Record<string, unknown>;
  const nonFinite = nonFiniteProblems(obj);
  const poolKeys = poolEngineKeys(obj);
  fillSections(obj);
  const format = (p: readonly Problem[]) => formatProblems(p, text);
  if (!validate(obj) || nonFinite.length > 0) assertNoProblems(dedupe([...nonFinite, ...schemaProblems(validate.errors ?? [])]), file, format);
  const sc = obj as Scenario;
  if (sc.vllmArgs) {
    const parsed = parseVllmArgs(sc.vllmArgs, file);
    Object.assign(sc.engine!, parsed.engine);
    notes.push(...parsed.warnings);
    if (parsed.tensorParallelSize !== undefined) for (const p of sc.deployment.pools) p.tp = parsed.tensorParallelSize;
    if (!validate(sc)) assertNoProblems(schemaProblems(validate.errors ?? []).map((p) => ({ ...p, message: `${p.message} (from /vllmArgs)` })), file, (p) => formatProblems(p));
  }
  inheritPoolEngines(sc, poolKeys);
  assertNoProblems(semanticProblems(sc, modelsDir), file, format);
  // After the pools keep only what they name: version defaults may then differ per pool's GPU.
  notes.push(...resolveEngineDefaults(sc, file, modelsDir));
  return sc;
}

/** `modelsDir`: a catalog other than the package's (tests, `--models-dir`). */
export function loadScenario(file: string, overrides: readonly string[] = [], modelsDir?: string): LoadedScenario {
  const abs = path.resolve(file);
  const text = readTextBounded(abs, 'scenario file', SCENARIO_MAX_BYTES, file);
  const raw = parseScenarioText(text, file) as Record<string, unknown>;
  if (raw !== null && typeof raw === 'object') for (const o of overrides) applyOverride(raw, o);
  const notes: string[] = [];
  const scenario = resolveScenario(raw, file, overrides.length === 0 ? text : undefined, modelsDir, notes);
  return { scenario, file: abs, baseDir: path.dirname(abs), notes };
}
