// The fixed assignment of a worker serving a local repository on its own (ALTO_MODEL_REPOSITORY,
// no publisher): every model folder there (or those in ALTO_MODELS), each at its highest
// complete version or the one its config.json pins. Made once at start; the worker publishes
// its own catalog entries, since no publisher does. A model whose executor this worker lacks
// (an XLA export without the XLA runtime) is left out with a warning, unless ALTO_MODELS names it.
import type { WorkerReport } from '@alto/control';
import type { ModelInfo } from '@alto/protocol';
import type { RedisModelRegistry } from '@alto/queue';
import { checkpointBytes, chooseVersion, formatOf, listModelFolders, modelFolder, openSource } from '@alto/repository';
import type { Logger } from '@alto/telemetry';
import type { Assignments, WorkerModel } from './assignments.ts';
import type { WorkerRuntimes } from './xla.ts';

export class LocalAssignments implements Assignments {
  readonly waitForModels = true;
  private models: WorkerModel[] = [];
  /** Catalog entries written, by `name@version`. */
  private readonly published = new Set<string>();

  constructor(
    private readonly repository: string,
    private readonly only: readonly string[] | undefined,
    private readonly registry: RedisModelRegistry,
    private readonly runtimes: WorkerRuntimes,
    private readonly log: Logger,
  ) {}

  async open(): Promise<void> {
    const folders = this.only
      ? this.only.map((name) => modelFolder(this.repository, name))
      : await listModelFolders(this.repository);
    if (folders.length === 0) throw new Error(`no models found in ${this.repository}`);
    this.models = [];
    for (const { name, uri } of folders) {
      const chosen = await chooseVersion(openSource(uri), name);
      const format = formatOf(chosen.checkpoint.uri);
      if (!this.only && !this.runtimes.has(format)) {
        this.log.warn(
          { model: name, format },
          `model '${name}' needs the ${format} runtime, which this worker does not have; not serving it`,
        );
        continue;
      }
      this.models.push({
        name,
        version: chosen.checkpoint.version,
        versions: chosen.versions,
        base_uri: uri,
        checkpoint: chosen.checkpoint,
        config: chosen.config,
        memory_bytes: 2 * checkpointBytes(chosen.checkpoint),
      });
    }
  }

  async current(): Promise<WorkerModel[]> {
    return this.models;
  }

  /** Nobody reads worker reports here; a version that became ready gets its catalog entry. */
  async report(_report: WorkerReport, ready: readonly ModelInfo[]): Promise<void> {
    for (const info of ready) {
      const key = `${info.name}@${info.version}`;
      if (this.published.has(key)) continue;
      await this.registry.put(info);
      this.published.add(key);
    }
  }

  async stopListening(): Promise<void> {}

  async withdraw(): Promise<void> {}
}
