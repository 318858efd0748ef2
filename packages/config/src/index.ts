export { parseEnv, envOrExit, ConfigError, type ParseEnvOptions } from './parse-env.ts';
export { closest } from './closest.ts';
export {
  redisUrl,
  redisSeeds,
  redisCluster,
  logLevel,
  port,
  positiveInt,
  nonNegativeInt,
  keyPrefix,
  redisTls,
  redisTlsOf,
  payloadRoots,
  commaList,
} from './fields.ts';
export { heapGrowingPercent, heapGrowingFlag, applyHeapGrowing } from './heap.ts';
