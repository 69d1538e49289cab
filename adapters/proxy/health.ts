/**
 * Backend health for the proxy: a backend that fails (connection refused or reset, a timeout, a 5xx
 * answer, or a failed `/health` probe) is ejected from routing and retried with exponential
 * back-off (0.5 s doubling to 30 s); a probe that succeeds readmits it. Probes run every
 * `intervalMs` on healthy backends and, on ejected ones, once their back-off has passed — the way
 * Envoy's outlier detection and vLLM's router treat a dead engine, so a killed decode server stops
 * taking half of the traffic within one failed request.
 */
import type { RouteCandidate } from '../../src/serving/routing/index.js';

export interface Backend extends RouteCandidate {
  url: string;
  /** The proxy always counts tokens (every router may read them). */
  outstandingTokens: number;
  role: 'prefill' | 'decode';
  healthy: boolean;
  /** Wall-clock ms (performance.now) before which an ejected backend is not probed again. */
  retryAtMs: number;
  backoffMs: number;
  ejections: number;
  /** Consecutive soft failures (timeouts, 502/503 answers) while healthy. */
  softFailures: number;
  lastError?: string;
}

export interface HealthOptions {
  /** Probe period of healthy backends, ms. */
  intervalMs?: number;
  /** Timeout of one probe, ms. */
  probeTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  onChange?: (b: Backend, healthy: boolean, reason: string) => void;
}

export const backendsOf = (urls: readonly string[], role: 'prefill' | 'decode'): Backend[] =>
  urls.map((u, i) => ({ id: `${role[0]}${i}`, url: u.replace(/\/+$/, ''), role, outstandingRequests: 0, outstandingTokens: 0, healthy: true, retryAtMs: 0, backoffMs: 0, ejections: 0, softFailures: 0 }));

/** Consecutive soft failures that eject a backend. */
const SOFT_FAILURES_TO_EJECT = 3;

/**
 * "Slow or overloaded", not "down": a timeout, or a reset connection (an overflowing server resets
 * some; a killed one refuses every new connection, ECONNREFUSED, which ejects at once).
 */
export function isSoft(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } })?.cause?.code;
  return (e as Error)?.name === 'TimeoutError' || (code !== undefined && code !== 'ECONNREFUSED');
}

/** fetch's "fetch failed" with the socket error that caused it (ECONNREFUSED, ECONNRESET...). */
export function describeFetchError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message;
}

export class HealthTracker {
  private timer: NodeJS.Timeout | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    readonly backends: readonly Backend[],
    private readonly o: HealthOptions = {},
  ) {
    this.initialBackoffMs = o.initialBackoffMs ?? 500;
    this.maxBackoffMs = o.maxBackoffMs ?? 30_000;
  }

  healthy(role: 'prefill' | 'decode'): Backend[] {
    return this.backends.filter((b) => b.role === role && b.healthy);
  }

  /**
   * A request to `b` failed in a way that is not the client's fault. A refused or reset connection
   * ejects at once; a soft failure (a timeout or a 502/503: a busy server answers slowly) only when
   * it repeats, so a loaded backend is not ejected for being slow once.
   */
  fail(b: Backend, reason: string, soft = false): void {
    b.lastError = reason;
    if (soft && b.healthy) {
      // Slow is not dead: never eject the last healthy backend of a role for it (the role would go
      // dark while its server is only busy), as Envoy's max_ejection_percent keeps some hosts.
      const others = this.backends.some((x) => x !== b && x.role === b.role && x.healthy);
      if (++b.softFailures < SOFT_FAILURES_TO_EJECT || !others) return;
    }
    b.softFailures = 0;
    b.backoffMs = b.healthy ? this.initialBackoffMs : Math.min(this.maxBackoffMs, b.backoffMs * 2);
    b.retryAtMs = performance.now() + b.backoffMs;
    if (b.healthy) {
      b.healthy = false;
      b.ejections++;
      this.o.onChange?.(b, false, reason);
    }
  }

  ok(b: Backend): void {
    b.softFailures = 0;
    if (b.healthy) return;
    b.healthy = true;
    b.backoffMs = 0;
    b.lastError = undefined;
    this.o.onChange?.(b, true, 'probe succeeded');
  }

  /** One probe of every backend that is due. */
  async probe(): Promise<void> {
    const now = performance.now();
    await Promise.all(this.backends.filter((b) => b.healthy || now >= b.retryAtMs).map(async (b) => {
      try {
        const r = await fetch(`${b.url}/health`, { signal: AbortSignal.timeout(this.o.probeTimeoutMs ?? 5000) });
        await r.arrayBuffer();
        if (r.ok) this.ok(b);
        else this.fail(b, `/health answered ${r.status}`, true);
      } catch (e) {
        this.fail(b, `/health: ${describeFetchError(e)}`, isSoft(e));
      }
    }));
  }

  start(): void {
    const tick = (): void => {
      this.timer = setTimeout(() => void this.probe().finally(() => this.timer !== undefined && tick()), this.o.intervalMs ?? 2000);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Body of /health and /healthz. */
  status(): { status: string; prefill: object[]; decode: object[] } {
    const view = (b: Backend) => ({ url: b.url, healthy: b.healthy, ...(b.lastError ? { last_error: b.lastError } : {}) });
    const up = this.healthy('prefill').length > 0 && this.healthy('decode').length > 0;
    return { status: up ? 'ok' : 'unavailable', prefill: this.backends.filter((b) => b.role === 'prefill').map(view), decode: this.backends.filter((b) => b.role === 'decode').map(view) };
  }
}
