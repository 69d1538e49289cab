import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import { NumMap } from './num-map.js';

describe('NumMap', () => {
  it('stores, overwrites and deletes keys of any magnitude, -0 as 0', () => {
    const m = new NumMap(2);
    m.set(2 ** 52 - 1, 3);
    m.set(-1e10, 0);
    m.set(0.5, 7);
    m.set(-0, 9);
    expect(m.get(2 ** 52 - 1)).toBe(3);
    expect(m.get(-1e10)).toBe(0);
    expect(m.get(0)).toBe(9);
    expect(m.has(1)).toBe(false);
    expect(m.get(1)).toBe(-1);
    m.set(0.5, 8);
    expect(m.get(0.5)).toBe(8);
    expect(m.size).toBe(4);
    expect(m.delete(-1e10)).toBe(true);
    expect(m.delete(-1e10)).toBe(false);
    expect(m.size).toBe(3);
    expect(m.addIfAbsent(0.5, 1)).toBe(false);
    expect(m.get(0.5)).toBe(8);
    expect(m.addIfAbsent(77, 1)).toBe(true);
    const at = m.find(77);
    m.setValueAt(at, m.valueAt(at) + 4);
    expect(m.get(77)).toBe(5);
    expect(m.find(78)).toBe(-1);
    m.delete(77);
    expect(() => m.set(1, -2)).toThrow(RangeError);
    expect(() => m.set(NaN, 1)).toThrow(RangeError);
  });

  it('agrees with Map over 100k random operations on colliding and block-hash-like keys (growth and backward-shift deletion)', () => {
    const rng = seedrandom('num-map');
    const m = new NumMap();
    const ref = new Map<number, number>();
    // Few distinct keys (long probe runs, many deletions) mixed with 52-bit keys as block-keys.ts makes.
    const pool = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? i * 1024 : Math.floor(rng() * 2 ** 26) * 67_108_864 + Math.floor(rng() * 2 ** 26)));
    let mismatches = 0;
    for (let i = 0; i < 100_000; i++) {
      const k = pool[Math.floor(rng() * pool.length)]!;
      const op = rng();
      if (op < 0.45) {
        const v = Math.floor(rng() * 1000);
        m.set(k, v);
        ref.set(k, v);
      } else if (op < 0.7) {
        if (m.delete(k) !== ref.delete(k)) mismatches++;
      } else if (op < 0.8) {
        // deleteIf: only while the key holds that value (half the time it does not).
        const v = rng() < 0.5 ? (ref.get(k) ?? 0) : Math.floor(rng() * 1000);
        const hit = ref.get(k) === v;
        if (hit) ref.delete(k);
        if (m.deleteIf(k, v) !== hit) mismatches++;
      } else if (m.get(k) !== (ref.get(k) ?? -1)) mismatches++;
      if (m.size !== ref.size) mismatches++;
    }
    for (const k of pool) if (m.get(k) !== (ref.get(k) ?? -1)) mismatches++;
    expect([...m.values()].sort((a, b) => a - b)).toEqual([...ref.values()].sort((a, b) => a - b));
    expect(ref.size).toBeGreaterThan(500);
    expect(mismatches).toBe(0);
  });
});
