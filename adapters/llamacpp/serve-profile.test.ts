/**
 * The profile taken inside the server (serve-profile.ts): the plan clamped to the serving engine
 * (hand-computed), the prompts sharing a decode slot when a batch fills every slot (a fake engine
 * that checks each step's KV), and `pdsim llamacpp-serve --profile-out` on the real engine with the
 * small test model: the CSV's rows parse and cover every shape of the clamped quick plan.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSourceText } from '../../src/calibrate/sources.js';
import { spawnCli } from '../testing/child.js';
import { engineInstalled, INSTALL_HINT, type Engine } from './engine-api.js';
import { FULL_PLAN, profileEngine, QUICK_PLAN } from './profile.js';
import { parseProfileCsv } from './profile-rows.js';
import { planForEngine, timingFileOf, type ServedProfileTiming } from './serve-profile.js';
import { startLlamaServer } from './serve.js';
import { fakeSlotOps } from './fake-engine-testing.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const installed = engineInstalled();
if (!installed) console.warn(`SKIPPED the real-engine case of adapters/llamacpp/serve-profile.test.ts: node-llama-cpp is not installed (${INSTALL_HINT})`);
const work = mkdtempSync(join(tmpdir(), 'pdsim-llamacpp-serve-profile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('profile inside the server', () => {
  it('the benchmark server (8 slots x 1,024 tokens, 512 per step) holds the full plan; a smaller one drops what it cannot hold', () => {
    expect(planForEngine(FULL_PLAN, { slots: 8, contextTokens: 1024, batchTokens: 512 })).toEqual({ plan: FULL_PLAN, dropped: [] });
    // 4 slots of 256 tokens, 128 per step: prompt 256 > 128, batch 8 > 4 slots, KV 256 + 1 > 256.
    const r = planForEngine(QUICK_PLAN, { slots: 4, contextTokens: 256, batchTokens: 128 });
    expect(r.plan).toEqual({ ...QUICK_PLAN, prefillTokens: [16, 32, 64, 128], decodeBatches: [1, 2, 4], decodeKvLens: [64] });
    expect(r.dropped).toEqual(['prefill 256', 'decode batch 8', 'decode KV 256']);
  });

  it('--profile-out with a GGUF from elsewhere is refused in one line (the CSV needs the model\'s shape), before any model is loaded', async () => {
    await expect(startLlamaServer({ model: join(work, 'none.gguf'), threads: 1, maxNumSeqs: 1, maxNumBatchedTokens: 16, maxModelLen: 16, profileOut: join(work, 'x.csv') })).rejects.toThrow('--profile-out needs --test-model ID');
  });

  it('a batch of every slot: prompts run in an empty slot, and every timed decode finds all its sequences at kv - 1 tokens', async () => {
    const slots = 4;
    const kv = new Array<number>(slots).fill(0);
    const decodes = new Map<string, number>();
    let prompts = 0;
    const engine: Engine = {
      slots,
      contextTokens: 300,
      batchTokens: 64,
      async step(items) {
        if (items.every((i) => i.tokens.length === 1 && i.sample)) {
          const lens = new Set(items.map((i) => kv[i.slot]));
          expect(lens.size).toBe(1);
          const key = `${items.length}@${kv[items[0]!.slot]! + 1}`;
          decodes.set(key, (decodes.get(key) ?? 0) + 1);
        } else if (items.length === 1 && items[0]!.sample) {
          expect(kv[items[0]!.slot]).toBe(0); // a prompt starts from an empty slot
          prompts++;
        }
        for (const i of items) kv[i.slot]! += i.tokens.length;
        return items.map(() => 1);
      },
      ...fakeSlotOps(kv),
    };
    const plan = { prefillTokens: [8], decodeBatches: [1, 4], decodeKvLens: [32, 128], repeats: 3, warmupRounds: 2 };
    const rows = await profileEngine(engine, 32000, plan);
    // Every shape at its own KV only (a wrong refill would show as another KV): (3 timed + 2 warm-up rounds) x 2 steps each.
    expect([...decodes.keys()].sort()).toEqual(['1@128', '1@32', '4@128', '4@32']);
    for (const n of decodes.values()) expect(n).toBe(10);
    // The first step, 2 warm-up rounds and 3 timed rounds.
    expect(prompts).toBe(6);
    expect(rows.map((r) => `${r.op} ${r.batch} ${r.seqLen ?? r.kvLen}`)).toEqual(['iter_prefill 1 8', 'iter_decode 1 32', 'iter_decode 4 32', 'iter_decode 1 128', 'iter_decode 4 128']);
    expect(kv.every((k) => k === 0)).toBe(true);
  });

  it.skipIf(!installed)('llamacpp-serve --profile-out: writes every shape of the clamped quick plan before it listens, then serves', { timeout: 600_000 }, async () => {
    const csv = join(work, 'served-profile.csv');
    const server = await spawnCli(
      ['llamacpp-serve', '--test-model', 'llama-test-6l-512', '--model-dir', join(work, 'gguf'), '--threads', '1', '--port', '0', '--quiet',
        '--max-num-seqs', '4', '--max-model-len', '256', '--max-num-batched-tokens', '128', '--profile-out', csv, '--quick-profile'],
      540_000,
      MAIN,
    );
    try {
      // Written before the URL line.
      expect(existsSync(csv)).toBe(true);
      const expected = planForEngine(QUICK_PLAN, { slots: 4, contextTokens: 256, batchTokens: 128 });
      expect(server.stderr()).toContain('cannot hold prefill 256, decode batch 8, decode KV 256');
      const text = readFileSync(csv, 'utf8');
      const rows = parseProfileCsv(text);
      const shapes = rows.map((r) => (r.op === 'iter_prefill' ? `p${r.seqLen}` : `d${r.batch}@${r.kvLen}`)).sort();
      const want = [...expected.plan.prefillTokens.map((n) => `p${n}`), ...expected.plan.decodeKvLens.flatMap((kv) => expected.plan.decodeBatches.map((b) => `d${b}@${kv}`))].sort();
      expect(shapes).toEqual(want);
      // Plausible band only (the machine is shared): a 36M-parameter model on one thread takes 0.1 ms to 10 s per iteration.
      for (const r of rows) {
        expect(r.ms).toBeGreaterThan(0.1);
        expect(r.ms).toBeLessThan(10_000);
      }
      // calibrate's own reader takes it as whole iterations of the model.
      const set = parseSourceText(text, 'served-profile.csv');
      expect(set.sources[0]!.format).toBe('pdsim-profile');
      expect(set.iterations).toHaveLength(want.length);
      const t = JSON.parse(readFileSync(timingFileOf(csv), 'utf8')) as ServedProfileTiming;
      expect(t.rows).toBe(want.length);
      expect(t.dropped).toEqual(expected.dropped);
      expect(t.wallMs).toBeGreaterThan(0);
      expect(t.cpuMs).toBeGreaterThan(0);
      expect(t.cpuOverWall).toBeCloseTo(t.cpuMs / t.wallMs, 10);
      expect(t.toMs).toBeGreaterThan(t.fromMs);
      // The engine is left empty and serves: one completion of 4 tokens.
      const res = await fetch(`${server.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'llama-test-6l-512', prompt: 'hello world', max_tokens: 4, ignore_eos: true }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { usage: { completion_tokens: number } };
      expect(body.usage.completion_tokens).toBe(4);
    } finally {
      await server.close();
    }
  });
});
