// A BullMQ worker as a separate process, for the queue's kill -9 test: it takes jobs and records each
// start in the Redis list `test:starts` ("<worker>:<job>"), then holds the job until killed.
// Usage: node scripts/run-ts.mjs tests/support/queue-consumer-child.ts <redis-url> <worker-id>
import { Redis } from 'ioredis';
import { startQueueNode } from './queue-node';
import { loadQueueConfig } from '../../apps/server/src/core/config/queue.config';

const [url, workerId] = process.argv.slice(2);
const redis = new Redis(url, { maxRetriesPerRequest: null });
const config = { ...loadQueueConfig({ REDIS_URL: url, WORKER_ID: workerId, BULLMQ_LOCK_MS: '2000', BULLMQ_STALLED_INTERVAL_MS: '1000' }), redisUrl: url };
void startQueueNode(config, {
  lookup: { get: () => undefined },
  runner: {
    runById: async (jobId) => {
      await redis.rpush('test:starts', `${workerId}:${jobId}`);
      await new Promise(() => undefined);
      return true;
    },
    recordLost: async () => undefined,
    isStoreUnavailable: () => false,
    probeStore: async () => undefined,
  },
}).then(() => process.stdout.write('ready\n'));
