/**
 * User-facing error messages of src/report, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
import { ioMessages } from './io.js';

export const reportMessages = {
  // src/report/write.ts
  reportInput: (why: string): string => `report input ${why}`,
  invalidJson: ioMessages.invalidJson, // one text for every JSON file pdsim reads
};
