// The Redis set-up of tests that play the gateway's and the worker's parts by hand against
// the run's redis-server (see global-setup.ts): a key prefix of the file's own, a connection
// for commands and one for blocking reads, a PredictionStore, and consumers of a model's
// streams. Connections open before the file's tests and close after them.
import {
  PredictionStore,
  StreamConsumer,
  connect,
  keys as makeKeys,
  type ConsumerOptions,
  type Keys,
} from '@alto/queue';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { testPrefix } from './fleet.ts';

export interface QueueRedis {
  /** The run's redis-server. */
  url: string;
  /** Keys under a prefix of this file's own. */
  keys: Keys;
  /** Connection for everything but blocking reads. */
  readonly redis: Redis;
  /** Connection for the consumers' blocking reads. */
  readonly blocking: Redis;
  readonly store: PredictionStore;
  /** A consumer of `model`'s streams: named 'c1', retention 60 s, unless `options` say otherwise. */
  consumer(model: string, options?: Partial<ConsumerOptions>): StreamConsumer;
}

/** Registers the set-up and tear-down hooks of the calling file; `name` names its key prefix. */
export function queueRedis(name: string): QueueRedis {
  const url = inject('redisUrl');
  const keys = makeKeys(testPrefix(name));
  let open: { redis: Redis; blocking: Redis; store: PredictionStore } | undefined;
  const get = () => {
    if (!open) throw new Error('queueRedis: connections are open only while the tests run');
    return open;
  };
  beforeAll(async () => {
    const redis = await connect(url, { name: 'test' });
    const blocking = await connect(url, { name: 'test-blocking' });
    open = { redis, blocking, store: new PredictionStore(redis, keys) };
  });
  afterAll(async () => {
    await open?.redis.quit();
    await open?.blocking.quit();
    open = undefined;
  });
  return {
    url,
    keys,
    get redis() {
      return get().redis;
    },
    get blocking() {
      return get().blocking;
    },
    get store() {
      return get().store;
    },
    consumer(model, options = {}) {
      const { redis, blocking } = get();
      return new StreamConsumer(blocking, redis, keys, { model, consumer: 'c1', retentionMs: 60_000, ...options });
    },
  };
}
