/**
 * The process series prometheus_client's default collector adds to every Python server's
 * /metrics, vLLM's included (`process_resident_memory_bytes`, `process_open_fds`,
 * `process_max_fds`): a load test reads a server's memory and file descriptors per open stream
 * from them. Linux reads /proc; elsewhere only the resident size (process.memoryUsage) is given.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { PromRegistry } from './prom-text.js';

export function declareProcessMetrics(r: PromRegistry): void {
  r.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.');
  r.gauge('process_open_fds', 'Number of open file descriptors.');
  r.gauge('process_max_fds', 'Maximum number of open file descriptors.');
}

/** The soft "Max open files" limit from /proc/self/limits; undefined off Linux or when unlimited. */
export function maxOpenFiles(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** Sets the process gauges to their values now (called at scrape time). */
export function updateProcessMetrics(r: PromRegistry): void {
  r.set('process_resident_memory_bytes', {}, process.memoryUsage.rss());
  const fds = openFds();
  if (fds !== undefined) r.set('process_open_fds', {}, fds);
  const max = maxOpenFiles();
  if (max !== undefined) r.set('process_max_fds', {}, max);
}
