// The web console (docs/operations.md#web-console): what the gateway wires.
import { createHash, randomBytes } from 'node:crypto';
import { controlKeys } from '@alto/control';
import type { Keys, ModelRegistry, PredictionStore } from '@alto/queue';
import type { Redis } from 'ioredis';
import type { ConsoleDeps } from './routes.ts';
import { Sampler } from './sampler.ts';
import { Accepted } from './series.ts';

export { mountConsole, type ConsoleDeps } from './routes.ts';

export interface ConsoleSettings {
  publisherUrl: string;
  /** ALTO_CONSOLE_SECRET; unset: a random one, so sessions end with this process. */
  secret?: string;
  traceUrl?: string;
  publicUrl?: string;
  /** @default 5000 */
  sampleIntervalMs?: number;
}

/** The console's parts over the gateway's connections; its sampler is started. */
export function createConsole(
  s: ConsoleSettings,
  parts: { redis: Redis; keys: Keys; models: ModelRegistry; store: PredictionStore },
): ConsoleDeps {
  const accepted = new Accepted();
  const sampler = new Sampler({ ...parts, accepted, intervalMs: s.sampleIntervalMs ?? 5000 });
  sampler.start();
  return {
    publisherUrl: s.publisherUrl,
    secret: s.secret ?? randomBytes(32).toString('hex'),
    ...(s.traceUrl ? { traceUrl: s.traceUrl } : {}),
    ...(s.publicUrl ? { publicUrl: s.publicUrl } : {}),
    leaderKey: controlKeys(parts.keys.prefix).leader,
    // A session is named by a digest of its CSRF token (random per session), under a hash tag
    // of the console's own: never a model's or the control plane's.
    revokedKey: (session) =>
      `${parts.keys.prefix}:{console}:logged-out:${createHash('sha256').update(session.csrf).digest('hex').slice(0, 32)}`,
    redis: parts.redis,
    store: parts.store,
    sampler,
    accepted,
  };
}
