/** Registry of schedulers: a new one is one file plus one line here. */
import type { DecodeBatchPolicy } from './decode/index.js';
import type { Scheduler } from './types.js';
import { V0Scheduler } from './v0.js';
import { V1Scheduler } from './v1.js';

export type { Scheduler, SchedulerConfig, SchedulerContext } from './types.js';
export type SchedulerName = 'v1' | 'v0';

export const schedulers: Record<SchedulerName, (decodePolicy?: DecodeBatchPolicy) => Scheduler> = {
  v1: (decodePolicy) => new V1Scheduler(decodePolicy),
  v0: (decodePolicy) => new V0Scheduler(decodePolicy),
};

export function createScheduler(name: SchedulerName, decodePolicy?: DecodeBatchPolicy): Scheduler {
  return schedulers[name](decodePolicy);
}
