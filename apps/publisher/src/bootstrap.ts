// ALTO_PUBLISH_ON_START: publishes every model folder of a repository that is not published
// yet (one replica, latest version), so a container deployment serves its mounted models
// without an admin call. Already published models are left as they are.
import type { ControlStore } from '@alto/control';
import { assertAllowedResolved, listModelFolders } from '@alto/repository';
import type { Logger } from '@alto/telemetry';

export async function publishOnStart(
  store: ControlStore,
  repository: string,
  roots: readonly string[],
  log: Logger,
): Promise<void> {
  for (const { name, uri } of await listModelFolders(repository)) {
    await assertAllowedResolved(uri, roots);
    const at = Date.now();
    const created = await store.createSpec({
      name,
      uri,
      replicas: 1,
      version: null,
      constraints: {},
      created_at: at,
      updated_at: at,
    });
    if (created) log.info({ model: name, uri }, 'model published (ALTO_PUBLISH_ON_START)');
  }
}
