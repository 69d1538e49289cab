/**
 * Priorities of the serving model's events: at equal times the kernel runs lower numbers first
 * (heap key [time, priority, seq]). Arrivals and KV-transfer chunks falling due come before an
 * engine's iteration end and scheduling step, so a step sees every request and chunk of its instant.
 */
export const EventPriority = {
  /** A request arrives (run/simulation.ts). */
  arrival: 0,
  /** A KV chunk's layer (or the whole prefill) is computed and may start moving. */
  kvChunkDue: 0,
  /** An engine iteration ends / an idle engine takes its next step. */
  iterationEnd: 1,
} as const;
