// Request priorities: workers fill each batch from the highest first.

/** Highest first: the order workers read in. */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
