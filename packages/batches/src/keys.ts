// Every Redis key of batch jobs, built in one place. One batch's keys share the
// `{batch:<id>}` hash tag, so its scripts stay in one Redis Cluster slot; the listings are
// under `{batches}`, written apart from the batch's own keys (a listing entry whose batch has
// expired is skipped when read).

export interface BatchKeys {
  /** Hash: the batch's fields (BATCH_FIELDS), its cursor and its counts. */
  meta(id: string): string;
  /** Hash: input line number → PendingEntry JSON, for lines fed and not yet sealed into a shard. */
  pending(id: string): string;
  /** Hash: shard number → SealedShard JSON, for the shard sealed and not yet written (at most one). */
  shards(id: string): string;
  /** String: the token of the process feeding the batch, with a TTL (the lease). */
  lease(id: string): string;
  /** Sorted set: every batch id, scored by created_at (the runners' work list). */
  active: string;
  /** Sorted set: one owner's batch ids, scored by created_at (GET /v1/batches). */
  owned(owner: string): string;
}

export function batchKeys(prefix = 'alto'): BatchKeys {
  const tag = (id: string) => `${prefix}:{batch:${id}}`;
  return {
    meta: (id) => `${tag(id)}:meta`,
    pending: (id) => `${tag(id)}:pending`,
    shards: (id) => `${tag(id)}:shards`,
    lease: (id) => `${tag(id)}:lease`,
    active: `${prefix}:{batches}:active`,
    owned: (owner) => `${prefix}:{batches}:owner:${owner}`,
  };
}
