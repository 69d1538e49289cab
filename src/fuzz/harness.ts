/**
 * The bad-input harness: a case is a set of files written into a fresh folder plus a `pdsim` command
 * line; a clean rejection is exit code 2, exactly one line on stderr starting "pdsim: error:" (or
 * commander's "error:"), no stack frame, and every expected fragment (the file, the field) in it.
 * Cases run in-process (main(), fast, for the bulk) or as a child process (the real binary under a
 * heap cap and a wall-clock limit, for bounded time and memory).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BadCase {
  /** "class/what", e.g. "scenario/bounds/workload.requests=1e12". */
  id: string;
  /** Files to create: name -> content; a value starting "@symlink:" makes a symlink to the rest. */
  files?: Record<string, string | Buffer>;
  /** pdsim arguments; "{dir}" is replaced by the case folder. */
  argv: string[];
  /** Fragments the one-line message must contain (file name, field pointer, flag). */
  mention: string[];
}

export interface CaseResult {
  id: string;
  code: number | null;
  stderr: string;
  ms: number;
  clean: boolean;
  why?: string;
}

export function materialize(c: BadCase, root: string): string[] {
  const dir = path.join(root, c.id.replace(/[^A-Za-z0-9._-]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(c.files ?? {})) {
    const f = path.join(dir, name);
    mkdirSync(path.dirname(f), { recursive: true });
    if (typeof content === 'string' && content.startsWith('@symlink:')) symlinkSync(content.slice(9), f);
    else writeFileSync(f, content);
  }
  return c.argv.map((a) => a.replaceAll('{dir}', dir));
}

/** Judges one outcome; `why` says what was wrong. */
export function judge(c: BadCase, code: number | null, stderr: string, ms: number): CaseResult {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  let why: string | undefined;
  if (code !== 2) why = `exit code ${code}`;
  else if (lines.length !== 1) why = `${lines.length} lines on stderr`;
  else if (!/^(pdsim: )?error:/.test(lines[0]!)) why = 'not an error line';
  else if (/\n\s+at |\bat .*\.(ts|js):\d+/.test(stderr)) why = 'stack trace';
  else {
    const missing = c.mention.filter((m) => !lines[0]!.includes(m));
    if (missing.length > 0) why = `does not mention ${missing.map((m) => JSON.stringify(m)).join(', ')}`;
  }
  return { id: c.id, code, stderr: stderr.slice(0, 2000), ms, clean: why === undefined, why };
}

/** Runs a case through main() in this process, capturing stdout and stderr. */
export async function runInProcess(c: BadCase, root: string): Promise<CaseResult> {
  const { main } = await import('../cli/program.js');
  const argv = materialize(c, root);
  let err = '';
  const origErr = process.stderr.write.bind(process.stderr);
  const origOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const saved = process.exitCode;
  const t0 = performance.now();
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stderr.write = origErr;
    process.stdout.write = origOut;
    process.exitCode = saved;
  }
  return judge(c, code, err, performance.now() - t0);
}

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

/** Runs a case as `node --import tsx src/cli/main.ts ...` with a heap cap and a time limit. */
export function runChild(c: BadCase, root: string, o: { timeoutMs?: number; heapMB?: number } = {}): Promise<CaseResult> {
  const argv = materialize(c, root);
  const t0 = performance.now();
  const child = spawn(process.execPath, [`--max-old-space-size=${o.heapMB ?? 256}`, '--import', 'tsx', MAIN, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 100_000) err += d.toString();
  });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs ?? 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r = judge(c, timedOut ? null : code, err, performance.now() - t0);
      if (timedOut) r.why = `no answer within ${o.timeoutMs ?? 30_000} ms`;
      else if (signal) r.why = `killed by ${signal}`;
      resolve(r);
    });
  });
}

/** Runs cases with at most `parallel` children at a time. */
export async function runChildren(cases: readonly BadCase[], root: string, parallel = 2, o: { timeoutMs?: number; heapMB?: number } = {}): Promise<CaseResult[]> {
  const out: CaseResult[] = new Array(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await runChild(cases[i]!, root, o);
    }
  }));
  return out;
}
