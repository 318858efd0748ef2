// Setup of the `cluster` project, once per run: a local Redis Cluster of 3 masters and 3
// replicas (redis-server processes on free ports, joined by redis-cli --cluster create),
// stopped after the run. The cluster test files share it, each under a key prefix of its own.
import type { TestProject } from 'vitest/node';
import { startRedisCluster } from '@alto/procs';
import { requireRedisServer, say } from './redis-server.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireRedisServer();
  const started = Date.now();
  const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
  say(`Redis Cluster of ${cluster.nodes.length} nodes ready in ${Date.now() - started} ms`);
  project.provide('clusterUrl', cluster.url);
  project.provide(
    'clusterPorts',
    cluster.nodes.map((n) => n.port),
  );
  return async () => {
    await cluster.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Every node of the run's Redis Cluster, comma-separated (a REDIS_URL with ALTO_REDIS_CLUSTER=true). */
    clusterUrl: string;
    clusterPorts: number[];
  }
}
