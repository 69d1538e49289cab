/**
 * User-facing error messages of src/io, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const ioMessages = {
  // src/io/bounded-read.ts
  foundReadable: (what: string): string => `${what} not found or not readable`,
  directoryExpectedFile: (what: string): string => `${what} is a directory, expected a file`,
  regularFileDevicePipe: (what: string): string => `${what} is not a regular file (a device, pipe or socket)`,
  readable: (what: string): string => `${what} not readable`,
  largerThanLimit: (what: string, value: string): string => `${what} is larger than ${value} (the limit for a ${what})`,
  // src/io/records.ts
  validGzipFile: (message: string): string => `not a valid gzip file (${message})`,
  recordLongerThanMib: (value: number): string => `a record is longer than ${value} MiB (is this the right file?)`,
  validCsvQuoteOpened: (): string => `not valid CSV: a quote opened in this record is never closed`,
  validCsv: (message: string): string => `not valid CSV: ${message}`,
};
