// The control plane's Redis keys and channels: desired state (specs), observed state, worker
// reports, assignments and the leader lease. All share the `{control}` hash tag, so the
// leader's fenced writes stay in one Redis Cluster slot. The catalog keys the leader writes
// and gateways read are built by @alto/queue (gateways do not depend on this package); they
// are repeated here so the control plane finds every key it touches in one place.
import { keys as queueKeys, type Keys } from '@alto/queue';

export interface ControlKeys extends Pick<
  Keys,
  | 'prefix'
  | 'models'
  | 'modelVersions'
  | 'specs'
  | 'catalogChannel'
  | 'unpublished'
  | 'apiKeys'
  | 'apiKeyBucket'
  | 'apiKeyUsage'
> {
  /** What the publisher last observed per model: hash name → ModelState JSON. */
  states: string;
  /** Each worker's assignment: hash worker id → Assignment JSON. */
  assignments: string;
  /** Live workers' reports: hash worker id → WorkerReport JSON. */
  workers: string;
  /** Workers drained by an operator: set of worker ids that get no assignment. */
  drained: string;
  /** The publisher leader lease: string holding the leader's id, with a TTL. */
  leader: string;
  /** Leadership epoch, incremented by every new leader. */
  epoch: string;
  /** Channel: a worker id whose assignment changed ('*' for all). */
  assignChannel: string;
  /** The audit log of admin actions: a capped stream (audit.ts). */
  audit: string;
}

export function controlKeys(prefix = 'alto'): ControlKeys {
  const q = queueKeys(prefix);
  const control = `${prefix}:{control}`;
  return {
    prefix,
    models: q.models,
    modelVersions: q.modelVersions,
    specs: q.specs,
    catalogChannel: q.catalogChannel,
    unpublished: q.unpublished,
    apiKeys: q.apiKeys,
    apiKeyBucket: q.apiKeyBucket,
    apiKeyUsage: q.apiKeyUsage,
    states: `${control}:states`,
    assignments: `${control}:assignments`,
    workers: `${control}:workers`,
    drained: `${control}:drained`,
    leader: `${control}:leader`,
    epoch: `${control}:epoch`,
    assignChannel: `${prefix}:assign`,
    audit: `${control}:audit`,
  };
}
