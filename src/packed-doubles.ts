/**
 * A plain array of n doubles (each 0.5) in V8's packed-double representation, to be overwritten
 * index by index: one allocation and a native copy. An array grown by `push` reallocates as it
 * grows (a 112-element prompt hash list: ~5 copies), and `new Array(n)` is holey for its lifetime.
 * The template is doubled by concat (native, stays packed): a push loop to 8,192 and more ran cold,
 * interpreted, once per new largest size (~2 ms of a Mooncake run).
 */
let template: number[] = [];

export function packedDoubles(n: number): number[] {
  if (n > template.length) {
    let t: number[] = [0.5];
    while (t.length < Math.max(2 * n, 8192)) t = t.concat(t);
    template = t;
  }
  return template.slice(0, n);
}
