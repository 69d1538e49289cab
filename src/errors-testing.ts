/** Test helper: runs `f` and returns the UserError it throws (fails if it throws nothing or something else). */
import { UserError } from './errors.js';

export function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError, none was thrown');
}
