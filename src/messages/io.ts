/**
 * User-facing error messages of src/io, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const ioMessages = {
  // src/io/bounded-read.ts
  notFoundOrUnreadable: (what: string): string => `${what} not found or not readable`,
  isADirectory: (what: string): string => `${what} is a directory, expected a file`,
  notARegularFile: (what: string): string => `${what} is not a regular file (a device, pipe or socket)`,
  notReadable: (what: string): string => `${what} not readable`,
  largerThanLimit: (what: string, value: string): string => `${what} is larger than ${value} (the limit for a ${what})`,
  // src/io/records.ts
  invalidGzip: (message: string): string => `not a valid gzip file (${message})`,
  recordTooLong: (value: number): string => `a record is longer than ${value} MiB (is this the right file?)`,
  unclosedCsvQuote: (): string => `not valid CSV: a quote opened in this record is never closed`,
  invalidCsv: (message: string): string => `not valid CSV: ${message}`,
  // src/model/catalog.ts, src/plan/shard-files.ts, src/report/write.ts (through their area's object)
  invalidJson: (message: string): string => `not valid JSON: ${message}`,
};
