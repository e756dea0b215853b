import { Logger } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { EnqueueOptions, JobQueue } from './job-queue';
import { Redis } from 'ioredis';
import { redisClient, PRIORITY, QUEUE_ATTEMPTS, QUEUE_BACKOFF_MS, SegmentationJobData } from './bullmq-names';

/** Where the adapter reads the job it hands over (JobRepository): the study decides the study lock. */
export interface QueuedJobLookup {
  get(id: string): { id: string; pacsEndpointId: string; studyInstanceUID: string } | undefined | Promise<{ id: string; pacsEndpointId: string; studyInstanceUID: string } | undefined>;
}

/**
 * The queue port on BullMQ (scaled mode). The BullMQ job id is the database job id, so handing the same
 * job twice (a retried request, the reconciler after a Redis restart) adds it once. A job whose BullMQ
 * record already finished but that the database queued again (the outbox sweeper re-delivers a failed
 * job) gets a fresh BullMQ record.
 */
export class BullmqJobQueue implements JobQueue {
  private readonly logger = new Logger(BullmqJobQueue.name);
  /** Reads of BullMQ's own keys (queue position), which BullMQ 6's API does not offer by job id. */
  private readonly redis: Redis;

  /**
   * @param queue the segmentation queue, registered by QueueTransportModule (BullModule opens and closes it)
   * @param redisUrl for this adapter's own reader connection, which close() quits
   */
  constructor(
    readonly queue: Queue<SegmentationJobData>,
    redisUrl: string,
    private readonly jobs: QueuedJobLookup,
  ) {
    this.redis = redisClient(redisUrl, 'queue-reader');
    this.redis.on('error', (error) => this.logger.warn(`Redis (queue reader): ${error.message}`));
    // Without a listener ioredis' connection errors would be unhandled 'error' events; the reconciler retries.
    this.queue.on('error', (error) => this.logger.warn(`Redis (queue): ${error.message}`));
  }

  async enqueue(jobId: string, options: EnqueueOptions = {}): Promise<void> {
    const job = await this.jobs.get(jobId);
    if (!job) throw new Error(`Job ${jobId} does not exist: nothing to enqueue`);
    const existing = await Job.fromId<SegmentationJobData>(this.queue, job.id);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') return;
      await existing.remove();
    }
    await this.queue.add(
      'segment',
      { pacsEndpointId: job.pacsEndpointId, studyInstanceUID: job.studyInstanceUID },
      {
        jobId: job.id,
        priority: PRIORITY[options.priority ?? 'user'],
        attempts: QUEUE_ATTEMPTS,
        backoff: { type: 'exponential', delay: QUEUE_BACKOFF_MS },
        // The database keeps the job; Redis only needs finished records long enough to answer "already done".
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
      },
    );
  }

  /**
   * A waiting job leaves Redis at once (its row already says cancelled). A running one is stopped by its
   * worker, which looks at the row's cancel flag every second (QueueJobRunnerService): no Redis message.
   */
  async cancel(jobId: string): Promise<void> {
    const existing = await Job.fromId<SegmentationJobData>(this.queue, jobId);
    const state = await existing?.getState();
    if (existing && (state === 'waiting' || state === 'prioritized' || state === 'delayed')) await existing.remove();
  }

  async position(jobId: string): Promise<number | undefined> {
    const client = this.redis;
    // Jobs of priority 0 (none of ours, but BullMQ's own retries may land there) run before prioritized ones.
    const [rank, waiting] = await Promise.all([client.zrank(this.queue.toKey('prioritized'), jobId), client.llen(this.queue.toKey('wait'))]);
    if (rank !== null) return waiting + rank;
    const index = (await client.lrange(this.queue.toKey('wait'), 0, -1)).reverse().indexOf(jobId);
    return index >= 0 ? index : undefined;
  }

  async workerCount(): Promise<number> {
    return Math.max(1, (await this.queue.getWorkers()).length);
  }

  /** Quits the reader; the queue itself belongs to BullModule, which closes it at application shutdown. */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
