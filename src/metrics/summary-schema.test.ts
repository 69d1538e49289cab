import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { goldenCases, loadCase, type GoldenCase } from '../run/golden.js';
import { runSimulation } from '../run/simulation.js';
import { SUMMARY_SCHEMA_PATH } from '../scenario/write-schema.js';
import { DetailedRecorder } from './bench-detailed.js';
import { summarySchemaText } from './summary-schema.js';

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(readFileSync(SUMMARY_SCHEMA_PATH, 'utf8')) as object);

/** summary.json as `simulate --save-detailed` writes it, read back as JSON. */
async function summaryJson(c: GoldenCase): Promise<unknown> {
  const detailed = new DetailedRecorder({ write() {} });
  const loaded = loadCase({ ...c, overrides: [...c.overrides, 'workload.requests=40'] });
  const r = await runSimulation(loaded, { writer: detailed });
  return JSON.parse(JSON.stringify({ ...r.summary, ...detailed.arrays(r.queueS) }));
}

describe('summary.schema.json', () => {
  it('is what `npm run schema` writes from src/metrics/summary-schema.ts', () => {
    expect(readFileSync(SUMMARY_SCHEMA_PATH, 'utf8')).toBe(summarySchemaText());
  });

  it('rejects a summary with an unknown key or a wrong type (the schema is closed)', async () => {
    const s = (await summaryJson(goldenCases[0]!)) as Record<string, unknown> & { pdsim: Record<string, unknown> };
    expect(validate(s)).toBe(true);
    expect(validate({ ...s, mean_ttfts_ms: 1 })).toBe(false);
    expect(validate({ ...s, completed: 'many' })).toBe(false);
    expect(validate({ ...s, pdsim: { ...s.pdsim, kv_transfers: {} } })).toBe(false);
    const { pdsim: _p, ...noPdsim } = s;
    expect(validate(noPdsim)).toBe(false);
  });

  // Every scenario of the golden set (colocated, P/D, tiers, swap, traces, routers), fewer requests.
  for (const c of goldenCases) {
    it(`${c.name}: summary.json validates`, async () => {
      const s = await summaryJson(c);
      const ok = validate(s);
      expect(ok ? [] : validate.errors).toEqual([]);
    }, 60_000);
  }

  it('the optional bench keys (ramp-up, --max-concurrency queue times) validate too', async () => {
    const ramp: GoldenCase = {
      name: 'ramp-up', file: 'scenarios/quickstart.yaml', overrides: ['workload.maxConcurrency=4'],
      edit: (raw) => {
        (raw.workload as { arrival: unknown }).arrival = { process: 'poisson', rampUp: { strategy: 'linear', startRps: 1, endRps: 8 } };
      },
    };
    const s = (await summaryJson(ramp)) as Record<string, unknown>;
    expect(s.ramp_up_strategy).toBe('linear');
    expect(Array.isArray(s.queue_times)).toBe(true);
    const ok = validate(s);
    expect(ok ? [] : validate.errors).toEqual([]);
  });
});
