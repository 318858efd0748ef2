// Failure isolation for batches: when a batch fails, retry it split in halves, so one bad
// request fails alone and the innocent requests that shared its batch still succeed.
// Costs at most ~2·log2(n) extra runs per bad request.

export interface Settled<T, R> {
  items: T[];
  result?: R;
  error?: unknown;
}

export async function runIsolating<T, R>(items: T[], run: (group: T[]) => Promise<R>): Promise<Settled<T, R>[]> {
  try {
    return [{ items, result: await run(items) }];
  } catch (error) {
    if (items.length <= 1) return [{ items, error }];
    const half = Math.ceil(items.length / 2);
    return [...(await runIsolating(items.slice(0, half), run)), ...(await runIsolating(items.slice(half), run))];
  }
}
