/**
 * User-facing error messages of src/hardware, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const hardwareMessages = {
  // src/hardware/topology.ts
  noPathAcrossNodes: (value: string, src: number, value2: string, dst: number, missing: string): string => `No path from ${value} (node${src}) to ${value2} (node${dst}): they are on different nodes and ${missing} has no NIC`,
};
