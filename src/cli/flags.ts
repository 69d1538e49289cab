/**
 * Checks of command-line values shared by the commands: every mistake is a UserError naming the
 * flag and what was expected (exit code 2), never a NaN carried into a run or a crash at listen().
 */
import { accessSync, constants, mkdirSync, realpathSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { UserError } from '../errors.js';
import { cliMessages } from '../messages/cli.js';

/** A decimal integer in [min, max] ("0x10", "1e3" and "1.5" are not). */
export function intFlag(flag: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UserError(cliMessages.integerOutOfRange(flag, min, max === Number.MAX_SAFE_INTEGER ? '2^53 - 1' : max, v));
  }
  return n;
}

/** A finite decimal number in [min, max]; `exclusiveMin` makes the lower bound strict. */
export function numFlag(flag: string, v: string, min: number, max = Number.MAX_VALUE, exclusiveMin = false, unit = ''): number {
  const n = Number(v);
  const okNum = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim()) && Number.isFinite(n);
  if (!okNum || (exclusiveMin ? n <= min : n < min) || n > max) {
    const range = `${exclusiveMin ? '>' : '>='} ${min}${max < Number.MAX_VALUE ? ` and <= ${max}` : ''}`;
    throw new UserError(cliMessages.numberOutOfRange(flag, range, unit ? ` ${unit}` : '', v));
  }
  return n;
}

export const seedFlag = (flag: string, v: string): number => intFlag(flag, v, 0);
export const portFlag = (flag: string, v: string): number => intFlag(flag, v, 0, 65535);
export const pctFlag = (flag: string, v: string): number => numFlag(flag, v, 0, 100, false, '(percent)');

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An IP address or a host name; "999.1.1.1" looks like an IPv4 address and is not one. */
export function hostFlag(flag: string, v: string): string {
  const ok = isIP(v) !== 0 || (HOSTNAME.test(v) && !/^[\d.]+$/.test(v));
  if (!ok) throw new UserError(cliMessages.notAHost(flag, v));
  return v;
}

/** Kernel filesystems where a run's files make no sense (statfs magic numbers, linux/magic.h). */
const SPECIAL_FS: Record<number, string> = { 0x9fa0: 'proc', 0x62656572: 'sysfs', 0x1373: 'devfs', 0x64626720: 'debugfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x73636673: 'securityfs' };

/** Creates the output folder after checkOutDir's checks. */
export function prepareOutDir(dir: string, flag = '--out'): string {
  checkOutDir(dir, flag);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserError(cliMessages.cannotCreateFolder(flag, dir, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  return dir;
}

/**
 * Makes sure `dir` can hold a run's output before the run starts, creating nothing: not empty, not
 * a file (or below one), not on /proc-like filesystems, and its nearest existing folder writable.
 */
export function checkOutDir(dir: string, flag = '--out'): void {
  if (dir.trim() === '') throw new UserError(cliMessages.emptyFolderName(flag));
  let existing = path.resolve(dir);
  while (!pathExists(existing)) existing = path.dirname(existing);
  const st = statSync(existing);
  if (!st.isDirectory()) {
    throw new UserError(cliMessages.notAFolder(flag, dir, existing, existing === path.resolve(dir)));
  }
  let fsType: string | undefined;
  try {
    fsType = SPECIAL_FS[statfsSync(existing).type];
  } catch {
    fsType = undefined;
  }
  const real = safeRealpath(existing);
  if (fsType === undefined && /^\/(proc|sys|dev)(\/|$)/.test(real) && real !== '/dev/shm' && !real.startsWith('/dev/shm/')) fsType = real.split('/')[1];
  if (fsType) throw new UserError(cliMessages.specialFilesystem(flag, dir, fsType));
  try {
    accessSync(existing, constants.W_OK);
    // Access checks pass for root on read-only mounts: a real write is the only sure test.
    const probe = path.join(existing, `.pdsim-write-test-${process.pid}`);
    writeFileSync(probe, '');
    // unlinkSync, not rmSync: rmSync loads Node's recursive-removal module (~2-5 ms at start) for one file.
    unlinkSync(probe);
  } catch (e) {
    throw new UserError(cliMessages.notWritable(flag, dir, (e as NodeJS.ErrnoException).code ?? (e as Error).message, existing));
  }
}

function pathExists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
