/**
 * Writes scenarios/scenario.schema.json from the TypeBox schema (`npm run schema`). A test fails
 * when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScenarioSchema } from './schema.js';

export const SCHEMA_PATH = fileURLToPath(new URL('../../scenarios/scenario.schema.json', import.meta.url));

/** Fields with a default are filled in by the loader, so editors should not flag them as missing. */
function relaxDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relaxDefaults);
  if (node === null || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) o[k] = relaxDefaults(v);
  const props = o.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(o.required) && props) {
    o.required = (o.required as string[]).filter((k) => props[k]?.default === undefined);
    if ((o.required as string[]).length === 0) delete o.required;
  }
  return o;
}

export function schemaText(): string {
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...(relaxDefaults(ScenarioSchema) as object) }, null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
