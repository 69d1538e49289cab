/**
 * Reading user files with limits: only regular files (a directory, /dev/zero or a FIFO is refused
 * before any byte is read), at most `maxBytes` (checked on the size and again while reading, since
 * /proc files report size 0), so a wrong path cannot make pdsim grow without bound.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { ioMessages } from '../messages/io.js';

export const MiB = 1024 * 1024;

export function fmtMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
}

/** Opens `file` for reading if it is a regular file; the fd must be closed by the caller. */
export function openRegular(file: string, what: string, shown = file): number {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new UserError(ioMessages.notFoundOrUnreadable(what), shown);
  }
  if (st.isDirectory()) throw new UserError(ioMessages.isADirectory(what), shown);
  if (!st.isFile()) throw new UserError(ioMessages.notARegularFile(what), shown);
  try {
    return openSync(file, 'r');
  } catch {
    throw new UserError(ioMessages.notReadable(what), shown);
  }
}

/** Reads a whole text file of at most `maxBytes` (UTF-8). */
export function readTextBounded(file: string, what: string, maxBytes: number, shown = file): string {
  const fd = openRegular(file, what, shown);
  try {
    const tooBig = () => new UserError(ioMessages.largerThanLimit(what, fmtMiB(maxBytes)), shown);
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw tooBig();
    let buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(size, 64 * 1024) + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) throw tooBig();
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, n * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}
