import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullmqJobQueue } from '../../apps/server/src/jobs/queue/bullmq-job-queue';
import { QueueJobRunner } from '../../apps/server/src/jobs/queue/job-queue';
import { loadQueueConfig } from '../../apps/server/src/core/config/queue.config';
import { QueueNode, startQueueNode } from '../support/queue-node';
import { RedisInstance } from '../support/redis';

const repoRoot = resolve(__dirname, '../..');

/** Fast BullMQ timings so a stalled job is taken over within seconds. */
function config(redis: RedisInstance, workerId: string) {
  return { ...loadQueueConfig({ REDIS_URL: redis.url, WORKER_ID: workerId, BULLMQ_LOCK_MS: '2000', BULLMQ_STALLED_INTERVAL_MS: '1000' }), redisUrl: redis.url };
}

/** A runner that records the order in which jobs ran and holds each until released. */
function recordingRunner() {
  const order: string[] = [];
  const gates = new Map<string, () => void>();
  let hold = false;
  const runner: QueueJobRunner = {
    runById: async (jobId) => {
      order.push(jobId);
      if (hold) await new Promise<void>((release) => gates.set(jobId, release));
      return true;
    },
    recordLost: async () => undefined,
    isStoreUnavailable: () => false,
    probeStore: async () => undefined,
  };
  return { runner, order, gates, holdJobs: (value: boolean) => (hold = value) };
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The jobs the adapter may look up (in the server, JobRepository over the database). */
const stored = new Map<string, { id: string; pacsEndpointId: string; studyInstanceUID: string }>();
const job = (id: string, study = `1.2.3.${id.length}.${id.charCodeAt(0)}`) => {
  stored.set(id, { id, pacsEndpointId: 'ep', studyInstanceUID: study });
  return id;
};

describe('the BullMQ queue adapter on a real Redis', () => {
  let redis: RedisInstance;
  let queue: BullmqJobQueue;
  let client: Redis;
  const nodes: QueueNode[] = [];
  /** The API side: the adapter over the queue BullModule registered. */
  const apiQueue = async () => {
    const node = await startQueueNode(config(redis, 'api'), { lookup: stored });
    nodes.push(node);
    return node.queue;
  };
  /** A worker process's side: BullModule's explorer gives the processor its Worker. */
  const worker = async (id: string, runner: QueueJobRunner) => nodes.push(await startQueueNode(config(redis, id), { lookup: stored, runner }));

  beforeAll(async () => {
    redis = await RedisInstance.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await client.flushall();
  });
  afterAll(async () => {
    await client?.quit();
    redis?.destroy();
  });

  it('runs a job a user started ahead of the watcher backlog, and reports each waiting job’s position', async () => {
    queue = await apiQueue();
    for (const id of ['w1', 'w2', 'w3']) await queue.enqueue(job(id), { priority: 'watcher' });
    await queue.enqueue(job('u1'), { priority: 'user' });
    expect(await queue.position('u1')).toBe(0);
    expect(await queue.position('w1')).toBe(1);
    expect(await queue.position('w3')).toBe(3);
    const { runner, order } = recordingRunner();
    await worker('a', runner);
    // BullModule's explorer built the Worker from the options this boot's config put on the processor class.
    const built = nodes.at(-1)!.processor!.worker;
    expect([built.opts.name, built.opts.lockDuration, built.opts.stalledInterval, built.opts.prefix]).toEqual(['a', 2000, 1000, 'covseg']);
    expect(built.listenerCount('failed') + built.listenerCount('lockRenewalFailed') + built.listenerCount('error')).toBeGreaterThanOrEqual(3);
    await until(() => order.length === 4, 'all four jobs');
    expect(order).toEqual(['u1', 'w1', 'w2', 'w3']);
    expect(await queue.position('u1')).toBeUndefined();
  });

  it('adds a waiting job once however often it is handed over, and runs it once', async () => {
    queue = await apiQueue();
    await Promise.all([queue.enqueue(job('d1'), { priority: 'user' }), queue.enqueue(job('d1'), { priority: 'user' })]);
    await queue.enqueue(job('d1'), { priority: 'watcher' });
    const { runner, order } = recordingRunner();
    await worker('a', runner);
    await until(() => order.length === 1, 'the job');
    await new Promise((r) => setTimeout(r, 1500));
    expect(order).toEqual(['d1']);
  });

  it('runs two jobs of the same study one after the other, even with two workers free', async () => {
    queue = await apiQueue();
    const a = recordingRunner();
    const b = recordingRunner();
    a.holdJobs(true);
    b.holdJobs(true);
    await worker('a', a.runner);
    await worker('b', b.runner);
    await queue.enqueue(job('s1', '1.2.840.1'), { priority: 'user' });
    await queue.enqueue(job('s2', '1.2.840.1'), { priority: 'user' });
    await until(() => a.order.length + b.order.length >= 1, 'the first job');
    // The other worker is free but the study is held: the second job waits.
    await new Promise((r) => setTimeout(r, 3000));
    expect(a.order.length + b.order.length).toBe(1);
    for (const release of [...a.gates.values(), ...b.gates.values()]) release();
    await until(() => a.order.length + b.order.length === 2, 'the second job');
    for (const release of [...a.gates.values(), ...b.gates.values()]) release();
    expect([...a.order, ...b.order].sort()).toEqual(['s1', 's2']);
  });

  it('hands the job of a worker killed with -9 to another worker', async () => {
    queue = await apiQueue();
    const child = spawn(process.execPath, ['scripts/run-ts.mjs', 'tests/support/queue-consumer-child.ts', redis.url, 'doomed'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await queue.enqueue(job('k1'), { priority: 'user' });
      await until(async () => (await client.lrange('test:starts', 0, -1)).includes('doomed:k1'), 'the child worker to take the job');
      child.kill('SIGKILL');
      await exited;
      const { runner, order } = recordingRunner();
      await worker('survivor', runner);
      // lockMs (2 s) for the dead worker's lock to lapse, then the survivor's stalled check (every 1 s).
      await until(() => order.includes('k1'), 'the survivor to take over the job', 30_000);
      expect(order).toEqual(['k1']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
