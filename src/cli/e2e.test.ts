import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { V1_FRONT_END } from '../perf/front-end.js';
import { E2E_BEGIN, E2E_END, e2eMarkdown, e2eRows, e2eSummary, loadE2e, servingSummary, withE2eSection } from './e2e.js';

describe('end-to-end accuracy against public vLLM measurements', () => {
  const rows = e2eRows();
  it('every measurement names a source and gets a finite prediction', () => {
    expect(rows.length).toBe(loadE2e().length);
    for (const r of rows) {
      expect(r.source).toMatch(/^https:\/\//);
      expect(Number.isFinite(r.predicted) && r.predicted > 0).toBe(true);
    }
  });
  it('docs/accuracy.md holds the current end-to-end section (run `npx pdsim calibrate --e2e`)', () => {
    const doc = readFileSync(new URL('../../docs/accuracy.md', import.meta.url), 'utf8');
    expect(doc.slice(doc.indexOf(E2E_BEGIN), doc.indexOf(E2E_END) + E2E_END.length + 1)).toBe(e2eMarkdown(rows));
    expect(withE2eSection(doc)).toBe(doc);
  });
  it('predicted serving TTFT grows with load: closed-loop concurrency (each L4 sweep) and Poisson rate (the H100 row at 4, 16, 32 req/s)', () => {
    const closed = rows.filter((r) => r.kind === 'closed-loop' && r.metric === 'median_ttft_ms' && r.gpu === 'l4').sort((a, b) => a.concurrency! - b.concurrency!);
    expect(closed.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < closed.length; i++) expect(closed[i]!.predicted).toBeGreaterThan(closed[i - 1]!.predicted);
    const h100 = loadE2e().find((m) => m.kind === 'poisson' && m.metric === 'mean_ttft_ms')!;
    const ttft = [4, 16, 32].map((rate) => servingSummary({ ...h100, requestRate: rate }).mean_ttft_ms as number);
    expect(ttft[1]!).toBeGreaterThan(ttft[0]!);
    expect(ttft[2]!).toBeGreaterThan(ttft[1]!);
  });
  it('predicted T4 TTFT grows with the constant (GuideLLM) arrival rate', () => {
    const t4 = rows.filter((r) => r.kind === 'constant' && r.metric === 'median_ttft_ms').sort((a, b) => a.requestRate! - b.requestRate!);
    expect(t4.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < t4.length; i++) expect(t4[i]!.predicted).toBeGreaterThan(t4[i - 1]!.predicted);
  });
  it('the V1 front-end constant is current: the fitted row\'s TTFT minus pdsim\'s engine time for it', () => {
    const fitted = loadE2e().filter((m) => m.fitted);
    expect(fitted.length).toBe(1);
    const m = fitted[0]!;
    const engineMs = (servingSummary(m)[m.metric] as number) - V1_FRONT_END.requestMs;
    expect(Math.abs(m.measured - engineMs - V1_FRONT_END.requestMs)).toBeLessThan(0.01);
  });
  it('a chat bench prefills its prompt plus the chat template, every prompt sent once', () => {
    const m = loadE2e().find((x) => x.kind === 'closed-loop' && x.chatTemplateTokens && x.concurrency === 4)!;
    const s = servingSummary(m);
    expect(s.completed).toBe(m.numPrompts);
    expect(s.total_input_tokens).toBe(m.numPrompts! * (m.inputLen + m.chatTemplateTokens!));
    expect(s.total_output_tokens).toBe(m.numPrompts! * m.outputLen);
  });
  it('constant-rate rows send evenly spaced requests: the run lasts (n - 1) / rate plus the last request', () => {
    const m = loadE2e().find((x) => x.kind === 'constant')!;
    const s = servingSummary(m);
    const expectS = (m.numPrompts! - 1) / m.requestRate! + (s.median_e2el_ms as number) / 1000;
    expect(Math.abs((s.duration as number) - expectS) / expectS).toBeLessThan(0.01);
  });
  it('held-out errors stay within the issue targets (static median <= 10%, p90 <= 25%; serving TTFT and TPOT/ITL median <= 15%; the p90s are reported in docs/accuracy.md, not asserted: the issue sets no p90 target for serving)', () => {
    const s = Object.fromEntries(e2eSummary(rows).map((x) => [x.kind, x]));
    expect(s['static avg_latency_ms']!.medianAbsPct).toBeLessThanOrEqual(10);
    expect(s['static avg_latency_ms']!.p90AbsPct).toBeLessThanOrEqual(25);
    expect(s['serving TTFT']!.medianAbsPct).toBeLessThanOrEqual(15);
    expect(s['serving TPOT/ITL']!.medianAbsPct).toBeLessThanOrEqual(15);
  });
});
