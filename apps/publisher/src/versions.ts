// What each published model's base URI holds: complete versions and config.json, listed at
// most every `intervalMs` per model (sooner when its spec changes), so the publisher notices
// new checkpoints and rolls them out. A local version whose files resolve outside the allowed
// roots (a version folder linked elsewhere after publishing) is left out, and said why.
import type { ModelSpec } from '@alto/control';
import type { ModelConfig } from '@alto/protocol';
import {
  CheckpointError,
  assertAllowedResolved,
  openSource,
  readModelConfig,
  type CheckpointSource,
  type CheckpointVersion,
} from '@alto/repository';

export interface Listing {
  at: number;
  /** Spec revision the listing was made for. */
  specAt: number;
  versions: CheckpointVersion[];
  /** Why listing failed, when it did. */
  error?: string;
}

export class VersionWatcher {
  private readonly listings = new Map<string, Listing>();
  private readonly configs = new Map<string, ModelConfig>();
  private readonly sources = new Map<string, CheckpointSource>();

  /** @param roots ALTO_ALLOWED_ROOTS; empty: versions are not checked (nothing new can be published then). */
  constructor(
    private readonly intervalMs: number,
    private readonly roots: readonly string[] = [],
  ) {}

  private source(uri: string): CheckpointSource {
    let s = this.sources.get(uri);
    if (!s) {
      s = openSource(uri);
      this.sources.set(uri, s);
    }
    return s;
  }

  /** The model's listing, refreshed when stale. Never throws: a failure is in `error`. */
  async list(spec: ModelSpec, now = Date.now()): Promise<Listing> {
    const last = this.listings.get(spec.name);
    if (last && last.specAt === spec.updated_at && now - last.at < this.intervalMs) return last;
    let listing: Listing;
    try {
      const { versions, refused } = await this.allowed(await this.source(spec.uri).versions());
      listing = { at: now, specAt: spec.updated_at, versions, ...(refused ? { error: refused } : {}) };
    } catch (err) {
      listing = { at: now, specAt: spec.updated_at, versions: last?.versions ?? [], error: (err as Error).message };
    }
    this.listings.set(spec.name, listing);
    return listing;
  }

  /** The versions whose model file resolves under the roots, and why the others were left out. */
  private async allowed(all: CheckpointVersion[]): Promise<{ versions: CheckpointVersion[]; refused?: string }> {
    if (this.roots.length === 0) return { versions: all };
    const reasons: string[] = [];
    const versions: CheckpointVersion[] = [];
    for (const v of all) {
      if (v.uri.startsWith('gs://')) {
        versions.push(v);
        continue;
      }
      try {
        await assertAllowedResolved(v.uri, this.roots);
        versions.push(v);
      } catch (err) {
        if (!(err instanceof CheckpointError) || err.code !== 'uri_not_allowed') throw err;
        reasons.push(`version ${v.version} left out: ${err.message}`);
      }
    }
    return reasons.length > 0 ? { versions, refused: reasons.join('; ') } : { versions };
  }

  /** config.json of the model and of the version, merged (version wins), then the spec's own settings. */
  async config(spec: ModelSpec, v: CheckpointVersion): Promise<ModelConfig> {
    const key = `${spec.uri}#${v.version}#${v.generation}`;
    let base = this.configs.get(key);
    if (!base) {
      base = await readModelConfig(this.source(spec.uri), v.version);
      this.configs.set(key, base);
    }
    const own: ModelConfig = {};
    for (const k of ['max_batch_size', 'max_queue_delay_ms', 'max_queue_length', 'timeout_ms'] as const) {
      if (spec[k] !== undefined) own[k] = spec[k];
    }
    return { ...base, ...own };
  }

  forget(name: string): void {
    this.listings.delete(name);
  }
}
