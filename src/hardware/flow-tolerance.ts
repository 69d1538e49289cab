/** Relative slack for "finishes now" and for the capacity guard (float round-off, not physics). */
export const TIME_TOLERANCE = 1e-12;
export const CAPACITY_TOLERANCE = 1e-9;
