/** For tests with a fake Engine: the slot operations over a KV-length array (reset empties a slot, truncate keeps at most `keep` cells). */
export function fakeSlotOps(kv: number[]): { reset(slot: number): Promise<void>; truncate(slot: number, keep: number): Promise<void>; close(): Promise<void> } {
  return {
    async reset(slot) {
      kv[slot] = 0;
    },
    async truncate(slot, keep) {
      kv[slot] = Math.min(kv[slot]!, keep);
    },
    async close() {},
  };
}
