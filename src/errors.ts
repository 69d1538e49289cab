/**
 * User-facing errors. A UserError is a mistake in the user's input (scenario, trace, flag): the CLI
 * prints its message alone and exits with code 2, never a stack trace. Everything else is a bug
 * (exit code 1). Messages name the file, the field (JSON pointer or line) and what was expected.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** File the error is about, when there is one. */
    readonly file?: string,
    /** JSON pointer ("/workload/rate") or "line 12" or "line 12, column 3". */
    readonly where?: string,
  ) {
    super(formatUserError(message, file, where));
    this.name = 'UserError';
  }
}

export function formatUserError(message: string, file?: string, where?: string): string {
  const loc = [file, where].filter((s) => s !== undefined && s !== '').join(': ');
  return loc ? `${loc}: ${message}` : message;
}

/** Runs `f`; a UserError it throws is re-thrown as being about `file` at `pointer`. */
export function atPointer<T>(file: string, pointer: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.message, file, pointer);
    throw e;
  }
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The closest candidate within a small edit distance, or undefined. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
