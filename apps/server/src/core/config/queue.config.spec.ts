import { describe, expect, it } from 'vitest';
import { loadQueueConfig } from './queue.config';

describe('loadQueueConfig', () => {
  it('runs everything in one process with the in-process queue when nothing is set', () => {
    const config = loadQueueConfig({});
    expect(config.role).toBe('all');
    expect(config.redisUrl).toBeUndefined();
  });

  it('refuses an unknown ROLE, naming the variable and the choices', () => {
    expect(() => loadQueueConfig({ ROLE: 'web' })).toThrow(/ROLE="web": expected one of api, worker, all/);
  });

  it('refuses ROLE=api or ROLE=worker without REDIS_URL: nothing would connect the API to its workers', () => {
    expect(() => loadQueueConfig({ ROLE: 'worker' })).toThrow(/ROLE=worker needs REDIS_URL/);
    expect(() => loadQueueConfig({ ROLE: 'api' })).toThrow(/ROLE=api needs REDIS_URL/);
  });

  it('refuses a REDIS_URL that is not a redis: or rediss: URL', () => {
    expect(() => loadQueueConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL/);
    expect(() => loadQueueConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/scheme redis: or rediss:/);
  });

  it('keeps the stalled check no slower than the lock, and validates the BullMQ timings', () => {
    expect(loadQueueConfig({ BULLMQ_LOCK_MS: '4000' }).stalledIntervalMs).toBe(4000);
    expect(() => loadQueueConfig({ BULLMQ_LOCK_MS: '10' })).toThrow(/BULLMQ_LOCK_MS="10": expected an integer from 1000/);
    expect(() => loadQueueConfig({ WORKER_ID: 'has space' })).toThrow(/WORKER_ID/);
  });
});
