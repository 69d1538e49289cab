/**
 * User-facing error messages of src/kv, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const kvMessages = {
  // src/kv/staging-buffer.ts
  stagingTooSmall: (capacityBytes: number, pages: number, pageBytes: number, what: string, bytes: number): string =>
    `CPU staging buffer of ${capacityBytes} bytes (${pages} pages of ${pageBytes} B) is smaller than ${what} (${bytes} bytes); it could never hold one transfer`,
};
