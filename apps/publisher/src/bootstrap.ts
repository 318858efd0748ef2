// ALTO_PUBLISH_ON_START: publishes every model folder of a repository that is not published
// yet (one replica, latest version), so a container deployment serves its mounted models
// without an admin call. Already published models are left as they are. Each publish is
// audited with the actor ALTO_PUBLISH_ON_START.
import { appendAudit, type ControlStore } from '@alto/control';
import { assertAllowedResolved, listModelFolders } from '@alto/repository';
import type { Logger } from '@alto/telemetry';
import type { Redis } from 'ioredis';

export async function publishOnStart(
  store: ControlStore,
  repository: string,
  roots: readonly string[],
  log: Logger,
  audit: { redis: Redis; maxEvents: number },
): Promise<void> {
  for (const { name, uri } of await listModelFolders(repository)) {
    await assertAllowedResolved(uri, roots);
    const at = Date.now();
    const spec = { name, uri, replicas: 1, version: null, constraints: {}, created_at: at, updated_at: at };
    if (!(await store.createSpec(spec))) continue;
    log.info({ model: name, uri }, 'model published (ALTO_PUBLISH_ON_START)');
    await appendAudit(
      audit.redis,
      {
        actor: 'ALTO_PUBLISH_ON_START',
        action: 'model.publish',
        target: name,
        source: 'publisher',
        before: null,
        after: spec,
      },
      { key: store.keys.audit, log, maxEvents: audit.maxEvents },
    );
  }
}
