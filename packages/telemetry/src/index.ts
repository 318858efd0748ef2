export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
export { createRegistry, Counter, Gauge, Histogram, Registry, MS_BUCKETS, BATCH_BUCKETS } from './metrics.ts';
