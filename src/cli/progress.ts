/**
 * Progress for long runs: a redrawn bar on a terminal (after the first second), a plain line every
 * few seconds when not a terminal (CI logs). Writes to stderr so stdout stays clean.
 */
export class ProgressReporter {
  private readonly startMs = performance.now();
  private lastLineMs = 0;
  private drew = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly lineIntervalMs = 5000,
  ) {}

  update(done: number, total: number, detail: string): void {
    const now = performance.now();
    const elapsedS = (now - this.startMs) / 1000;
    if (elapsedS < 1) return;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const etaS = frac > 0 ? (elapsedS * (1 - frac)) / frac : NaN;
    const text = `${this.label} ${done}/${total} requests (${(frac * 100).toFixed(0)}%) ${detail} elapsed ${elapsedS.toFixed(1)}s eta ${Number.isFinite(etaS) ? etaS.toFixed(1) + 's' : '?'}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round(frac * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      this.drew = true;
    } else if (now - this.lastLineMs >= this.lineIntervalMs) {
      this.lastLineMs = now;
      this.stream.write(`${text}\n`);
    }
  }

  done(): void {
    if (this.drew) this.stream.write('\n');
  }
}
