export { createRedisRunStore, type RedisRunStore, type RedisRunStoreOptions } from './stores/redis.js';
export { createRedisKeys, type RedisKeys } from './stores/redis-keys.js';
export {
  createRedisRateLimiter,
  createRedisRunCounter,
  type RedisRateLimiterOptions,
} from './stores/redis-run-limits.js';
export { createRedisBackend, type RedisBackend, type RedisBackendOptions } from './stores/redis-backend.js';
export { createBullmqJobQueue, type BullmqJobQueueOptions } from './queues/bullmq.js';
export { createRedisJobQueue, type RedisJobQueueOptions } from './queues/redis-stream.js';
