/**
 * User-facing error messages of src/report, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const reportMessages = {
  // src/report/write.ts
  reportInput: (why: string): string => `report input ${why}`,
  invalidJson: (message: string): string => `not valid JSON: ${message}`,
};
