// Child processes for the launcher (`npm start`), the end-to-end tests, the chaos runner and
// the benchmark: start one, wait until it says it is ready, stop it; free ports; a local
// redis-server or a local Redis Cluster. Nothing here knows about Alto's apps or their
// environment variables.
export { freePort, portFree, PortInUseError, assertPortFree, listen } from './ports.ts';
export { spawnProc, startProc, waitReady, type Proc, type SpawnProcOptions, type StartProcOptions } from './proc.ts';
export { ensureRedisServer, startRedis, REDIS_INSTALL, type RedisServer, type StartRedisOptions } from './redis.ts';
export {
  startRedisCluster,
  masterPortOf,
  type RedisCluster,
  type ClusterNodeProc,
  type StartRedisClusterOptions,
} from './redis-cluster.ts';
