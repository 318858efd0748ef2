// Which rows of a micro-batch run together through a text network. Every row is padded to
// the longest of its group, so one long text in a batch of short ones multiplies the work;
// rows are sorted by length and cut into sub-batches where the padding would dominate.

/**
 * Minimum padding a split must save, in token slots, before it is worth a second
 * inference (each run has a fixed cost of a few hundred microseconds).
 */
export const MIN_SAVED_SLOTS = 256;

/**
 * Groups row indices by token length: rows sorted by length, a new group started when the
 * next row is more than twice as long as the group's shortest and padding everything to it
 * would waste at least MIN_SAVED_SLOTS token slots. Groups come shortest first; indices
 * within a group ascend by length.
 */
export function lengthGroups(lengths: readonly number[]): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const groups: number[][] = [];
  let group: number[] = [];
  for (const i of order) {
    const shortest = group.length > 0 ? lengths[group[0]!]! : 0;
    const len = lengths[i]!;
    // Padding the current group up to `len` would cost this many extra slots.
    const waste = group.reduce((n, j) => n + (len - lengths[j]!), 0);
    if (group.length > 0 && len > 2 * shortest && waste >= MIN_SAVED_SLOTS) {
      groups.push(group);
      group = [];
    }
    group.push(i);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}
